package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// Scenario is a named starting state of the demo tenant.
type Scenario struct {
	Name, Description string
}

type scenarioDef struct {
	Scenario
	faults Faults
	setup  func(d *directory, cat *permissions.Catalog)
}

var scenarioDefs = []scenarioDef{
	{Scenario{"fresh", "nothing consented yet: CE can be granted in one trip; UO was never created here, and as it can no longer be created, it cannot be re-authorized either"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {}},
	{Scenario{"loopback-reply", "like fresh, but the apps registered http://127.0.0.1: consent redirects back to the wizard's loopback listener (no polling needed)"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {}},
	{Scenario{"consented", "both apps fully consented: verify reports everything granted"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", nil)
		}},
	{Scenario{"partial", "both apps consented long ago, some permissions missing (CE: Dynamics CRM; UO: Group.Read.All, AX.FullAccess)"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", skipValues(permissions.DynamicsCRMAppID))
			consentAll(d, cat, "uo", skipValues("", "Group.Read.All", "AX.FullAccess"))
		}},
	{Scenario{"user-consent-only", "the apps' service principals exist, but only the admin consented for themself: no tenant-wide grant, no app roles"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			userConsentOnly(d, cat, "ce")
			userConsentOnly(d, cat, "uo")
		}},
	{Scenario{"reauth", "UO exists but lacks a newly required permission: re-authorize it (CE fully consented)"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", func(p permissions.Permission) bool { return p.NewlyRequired })
		}},
	{Scenario{"registration-behind", "UO's app registration does not yet request the newly required Odata.FullAccess: consent succeeds, the row stays missing (AvePoint must update the app; then re-authorize in AOS)"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", func(p permissions.Permission) bool { return p.NewlyRequired })
			if a, ok := cat.App("uo"); ok {
				app := d.apps[strings.ToLower(a.ClientID)]
				var kept []permissions.Permission
				for _, p := range app.Required {
					if !p.NewlyRequired {
						kept = append(kept, p)
					}
				}
				app.Required = kept // the registration is behind the catalog
			}
		}},
	{Scenario{"uo-new", "CE consented; the UO app never existed in this tenant and can no longer be created"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
		}},
	{Scenario{"non-admin", "the demo user is a Directory Reader: can read the grants, cannot grant them (admin consent refused, AADSTS90094)"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			// Reading grants in a delegated call needs a directory role
			// (graph/api/serviceprincipal-list-oauth2permissiongrants); Directory
			// Readers is the least one, and cannot consent.
			d.users[2].Roles = []string{DirectoryReadersTemplateID}
			// An admin let the sign-in client read the directory for everyone earlier.
			consentSignInClient(d)
			consentAll(d, cat, "uo", skipValues("", "Connector.FullAccess"))
		}},
	{Scenario{"no-dynamics", "no Dynamics subscription: the Dynamics CRM and Dynamics ERP service principals are absent"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			d.removeSP(permissions.DynamicsCRMAppID)
			d.removeSP(permissions.DynamicsERPAppID)
			consentAll(d, cat, "uo", nil) // only its Graph permissions can exist
		}},
	{Scenario{"throttled", "both apps consented; Graph throttles the first $batch itself, then its first calls, with 429 and a fractional Retry-After (1.128): the wizard waits it out"},
		// graph/throttling: Retry-After as in its sample ("2.128"); the envelope first.
		Faults{Throttle: 3, RetryAfter: 1128 * time.Millisecond, RetryAfterFormat: RetryFractional, Envelope: []int{http.StatusTooManyRequests}}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", nil)
		}},
	{Scenario{"slow-propagation", "like fresh, but grants take 8 s to become visible in Graph after consent"},
		Faults{PropagationDelay: 8 * time.Second}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "uo", skipValues("", "Odata.FullAccess"))
		}},
	{Scenario{"disabled", "both apps consented, but their service principals are disabled (accountEnabled false)"},
		Faults{}, func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", nil)
			for _, a := range cat.Apps {
				if sp := d.spByAppID(a.ClientID, time.Time{}); sp != nil {
					sp.AccountEnabled = false
				}
			}
		}},
	{Scenario{"hostile", "a tenant that attacks the terminal: its, the admin's and the apps' names and a consent error carry escape sequences, C1 controls and bidi overrides"},
		Faults{}, hostileSetup},
}

// HostileText is what the hostile scenario puts in every name it controls: an OSC 52
// clipboard write, an OSC 8 link, CSI clear-screen, colour and alternate-screen
// sequences, a full reset, a DCS request, their 8-bit C1 forms (CSI U+009B, OSC
// U+009D) and a right-to-left override. A terminal that receives any of it raw does
// something the user did not ask for. "evil" and "click" are the printable parts.
const HostileText = "\x1b]52;c;cm0gLXJmIH4K\x07\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\" +
	"\x1b[2J\x1b[31;1m\x1b[?1049h\x1bc\x1bP+q544e\x1b\\\u009b1;31m\u009d0;pwned\u009c\u202eevil\u202c\x1b[0m"

// hostileSetup: CE is consented except its Dynamics CRM permission, and the tenant
// has no Dynamics CRM service principal, so admin consent to CE ends with AADSTS650052
// whose description names the (hostile) API; an extra grant has a hostile scope.
func hostileSetup(d *directory, cat *permissions.Catalog) {
	d.tenant.DisplayName = "Contoso " + HostileText + " Demo"
	for _, u := range d.users {
		u.DisplayName = u.GivenName + " " + HostileText + " " + u.Surname
	}
	for _, a := range cat.Apps {
		app := d.apps[strings.ToLower(a.ClientID)]
		app.DisplayName = a.DisplayName + " " + HostileText
		for i := range app.Required {
			if strings.EqualFold(app.Required[i].ResourceAppID, permissions.DynamicsCRMAppID) {
				app.Required[i].API = "Dynamics " + HostileText + " CRM"
			}
		}
	}
	consentAll(d, cat, "ce", skipValues(permissions.DynamicsCRMAppID))
	d.removeSP(permissions.DynamicsCRMAppID)
	if a, ok := cat.App("ce"); ok {
		sp := d.spByAppID(a.ClientID, time.Time{})
		graph := d.spByAppID(permissions.GraphAppID, time.Time{})
		// Scope values are space-separated in Graph: the hostile value has no space.
		d.grantDelegated(sp, graph, "AllPrincipals", "", []string{"Mail.Read" + strings.ReplaceAll(HostileText, " ", "")}, time.Time{})
	}
}

// Scenarios lists the named starting states, in a stable order.
func Scenarios() []Scenario {
	out := make([]Scenario, len(scenarioDefs))
	for i, s := range scenarioDefs {
		out[i] = s.Scenario
	}
	return out
}

func scenarioNames() []string {
	var n []string
	for _, s := range scenarioDefs {
		n = append(n, s.Name)
	}
	return n
}

func lookupScenario(name string) (scenarioDef, bool) {
	for _, s := range scenarioDefs {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return scenarioDef{}, false
}

// demoCatalog gives each app a stable demo client id, and the loopback redirect URI
// only in the loopback-reply scenario.
// In "reauth" and "registration-behind", when the catalog marks nothing in UO as newly required, its last
// permission is marked so, to show what a re-authorization after an app change is.
func demoCatalog(cat *permissions.Catalog, scenario string) *permissions.Catalog {
	c := cat.Clone()
	for i := range c.Apps {
		a := &c.Apps[i]
		a.ClientID = stableID("app:" + a.Key)
		a.RedirectURI = ""
		if scenario == "loopback-reply" {
			a.RedirectURI = "http://127.0.0.1"
		}
		if (scenario == "reauth" || scenario == "registration-behind") && a.ReauthorizeOnly {
			any := false
			for _, p := range a.Permissions {
				any = any || p.NewlyRequired
			}
			if !any && len(a.Permissions) > 0 {
				a.Permissions[len(a.Permissions)-1].NewlyRequired = true
			}
		}
	}
	return c
}

// skipValues skips every permission of a resource (when resource != "") and the named values.
func skipValues(resource string, values ...string) func(permissions.Permission) bool {
	return func(p permissions.Permission) bool {
		if resource != "" && strings.EqualFold(p.ResourceAppID, resource) {
			return true
		}
		return containsFold(values, p.Value)
	}
}

// consentAll sets up an app as an earlier admin consent left it.
func consentAll(d *directory, cat *permissions.Catalog, key string, skip func(permissions.Permission) bool) {
	a, ok := cat.App(key)
	if !ok {
		return
	}
	then := d.tenant.Created.AddDate(2, 0, 0)
	app := d.apps[strings.ToLower(a.ClientID)]
	_, _ = d.applyConsent(app, then, then, skip, true)
}

// userConsentOnly: the SP exists with Principal grants for the admin only.
func userConsentOnly(d *directory, cat *permissions.Catalog, key string) {
	a, ok := cat.App(key)
	if !ok {
		return
	}
	app := d.apps[strings.ToLower(a.ClientID)]
	sp := d.addSP(app, true, time.Time{})
	for _, p := range app.Required {
		res := d.spByAppID(p.ResourceAppID, time.Time{})
		if p.Type == permissions.Delegated && res != nil {
			d.grantDelegated(sp, res, "Principal", d.users[0].ID, []string{p.Value}, time.Time{})
		}
	}
}

// consentSignInClient grants the sign-in client, tenant-wide, what a sign-in asks of
// Graph: MSAL's OpenID Connect scopes and the tool's own (internal/signin), as an admin
// consent on the first sign-in leaves them.
func consentSignInClient(d *directory) {
	client := d.spByAppID(SignInClientID, time.Time{})
	graph := d.spByAppID(permissions.GraphAppID, time.Time{})
	scopes := append(signin.OpenIDScopes(), signin.Values()...)
	d.grantDelegated(client, graph, "AllPrincipals", "", scopes, time.Time{})
}

// missingResourceError is AADSTS650052: consent names a resource the tenant lacks.
type missingResourceError struct{ API, AppID string }

func (e *missingResourceError) Error() string {
	return fmt.Sprintf("AADSTS650052: The app is trying to access a service '%s'(%s) that your organization '%s' lacks a service principal for. "+
		"Contact your IT Admin to review the configuration of your service subscriptions or consent to the application in order to create the required service principal.",
		e.AppID, e.API, demoTenantID)
}

// applyConsent does what admin consent does: create the app's service principal if
// absent, grant what the app *registration* requests (its requiredResourceAccess,
// app.Required — not our catalog: the static permissions configured on the
// registration are what the admin consent endpoints grant,
// entra/identity-platform/v2-admin-consent and
// entra/identity-platform/permissions-consent-overview), replacing the earlier
// tenant-wide delegated grants of this client, and assign its application permissions. Objects it creates become
// visible at visibleAt (grants at grantsAt, assignments at assignAt when the
// replication is staggered). With partial (a scenario's starting state), resources
// missing from the tenant are skipped instead of failing, and earlier grants are
// only added to.
func (d *directory) applyConsent(app *application, now, visibleAt time.Time, skip func(permissions.Permission) bool, partial bool) (*servicePrincipal, error) {
	return d.applyConsentStaggered(app, now, visibleAt, visibleAt, visibleAt, skip, partial)
}

func (d *directory) applyConsentStaggered(app *application, now, spAt, grantsAt, assignAt time.Time, skip func(permissions.Permission) bool, partial bool) (*servicePrincipal, error) {
	if !partial {
		for _, p := range app.Required {
			if d.spByAppID(p.ResourceAppID, time.Time{}) == nil {
				return nil, &missingResourceError{API: p.API, AppID: p.ResourceAppID}
			}
		}
	}
	sp := d.addSP(app, true, spAt)
	delegated := map[*servicePrincipal][]string{}
	var resources []*servicePrincipal
	for _, p := range app.Required {
		if skip != nil && skip(p) {
			continue
		}
		res := d.spByAppID(p.ResourceAppID, time.Time{})
		if res == nil {
			continue
		}
		switch p.Type {
		case permissions.Delegated:
			if res.App.scope(p.Value) != nil {
				if _, seen := delegated[res]; !seen {
					resources = append(resources, res)
				}
				delegated[res] = append(delegated[res], p.Value)
			}
		case permissions.Application:
			if r := res.App.role(p.Value); r != nil {
				d.assignRole(sp, res, r.ID, now, assignAt)
			}
		}
	}
	if partial {
		for _, res := range resources {
			d.grantDelegated(sp, res, "AllPrincipals", "", delegated[res], grantsAt)
		}
		return sp, nil
	}
	// Every resource the client holds a tenant-wide grant on gets exactly what the
	// registration requests of it now (nothing: the grant is revoked).
	for _, g := range append([]*grant(nil), d.grants...) {
		if g.ClientID == sp.ID && g.ConsentType == "AllPrincipals" {
			if res := d.spByID(g.ResourceID, time.Time{}); res != nil {
				if _, seen := delegated[res]; !seen {
					resources = append(resources, res)
				}
			}
		}
	}
	for _, res := range resources {
		d.replaceDelegated(sp, res, delegated[res], grantsAt)
	}
	return sp, nil
}
