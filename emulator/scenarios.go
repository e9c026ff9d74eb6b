package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// fabrikamTenantID is the home tenant of the guest-admin scenario's guest.
const fabrikamTenantID = "9b1d6c1e-2f5a-4e53-8b7e-3c2f0d4a5e61"

// Scenario is a named starting state of the demo tenant.
type Scenario struct {
	Name, Description string
}

// scenarioDef is a scenario: its name and description, the faults Graph and the
// token endpoint inject, how the apps are registered, and the tenant's starting
// state.
type scenarioDef struct {
	Scenario
	faults Faults
	// loopbackReply: the apps registered http://127.0.0.1 (any port) as a reply
	// URL besides the publisher's page, so consent redirects to the wizard.
	loopbackReply bool
	// newlyRequired: the catalog marks a permission of a re-authorize-only app (UO)
	// newly required; when it marks none, its last permission is marked.
	newlyRequired bool
	// setup builds the starting state on the new directory (nil: a fresh tenant):
	// objects, grants, roles, and the policies and demo user of scenarioState.
	setup func(d *directory, cat *permissions.Catalog)
	// signInClientNew: the demo user has never consented to the sign-in client here
	// (its first use of the tool in this tenant). Otherwise the demo user consented
	// to it earlier, for themselves alone (a Principal grant of what the sign-in
	// asks), so a walk signs in with one browser trip.
	signInClientNew bool
}

// scenarioDefs are the demo tenant's scenarios, in the order `demo --scenario`
// lists them. A new scenario is one entry here; a setup longer than a few lines
// is a function below, and a policy Entra ID enforces at sign-in or consent goes
// in scenarioState (policies.go).
var scenarioDefs = []scenarioDef{
	{Scenario: Scenario{"fresh", "nothing consented yet: CE can be granted in one trip; UO was never created here, and as it can no longer be created, it cannot be re-authorized either"}},
	{Scenario: Scenario{"loopback-reply", "like fresh, but the apps registered http://127.0.0.1: consent redirects back to the wizard's loopback listener (no polling needed)"},
		loopbackReply: true},
	{Scenario: Scenario{"consented", "both apps fully consented: verify reports everything granted"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", nil)
		}},
	{Scenario: Scenario{"partial", "both apps consented long ago, some permissions missing (CE: Dynamics CRM; UO: Group.Read.All, AX.FullAccess)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", skipValues(permissions.DynamicsCRMAppID))
			consentAll(d, cat, "uo", skipValues("", "Group.Read.All", "AX.FullAccess"))
		}},
	{Scenario: Scenario{"user-consent-only", "the apps' service principals exist, but only the admin consented for themself: no tenant-wide grant, no app roles"},
		setup: func(d *directory, cat *permissions.Catalog) {
			userConsentOnly(d, cat, "ce")
			userConsentOnly(d, cat, "uo")
		}},
	{Scenario: Scenario{"reauth", "UO exists but lacks a newly required permission: re-authorize it (CE fully consented)"},
		newlyRequired: true,
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", func(p permissions.Permission) bool { return p.NewlyRequired })
		}},
	{Scenario: Scenario{"registration-behind", "UO's app registration does not yet request the newly required Odata.FullAccess: consent succeeds, the row stays missing (AvePoint must update the app; then re-authorize in AOS)"},
		newlyRequired: true,
		setup: func(d *directory, cat *permissions.Catalog) {
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
	{Scenario: Scenario{"uo-new", "CE consented; the UO app never existed in this tenant and can no longer be created"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
		}},
	{Scenario: Scenario{"non-admin", "the demo user is a Directory Reader: can read the grants, cannot grant them (admin consent refused, AADSTS90094)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			// Reading grants in a delegated call needs a directory role
			// (graph/api/serviceprincipal-list-oauth2permissiongrants); Directory
			// Readers is the least one, and cannot consent.
			d.users[2].Roles = []string{DirectoryReadersTemplateID}
			// An admin let the sign-in client read the directory for everyone earlier.
			consentSignInClient(d)
			consentAll(d, cat, "uo", skipValues("", "Connector.FullAccess"))
			d.st.demoUser = d.users[2]
		}},
	{Scenario: Scenario{"no-dynamics", "no Dynamics subscription: the Dynamics CRM and Dynamics ERP service principals are absent"},
		setup: func(d *directory, cat *permissions.Catalog) {
			d.removeSP(permissions.DynamicsCRMAppID)
			d.removeSP(permissions.DynamicsERPAppID)
			consentAll(d, cat, "uo", nil) // only its Graph permissions can exist
		}},
	{Scenario: Scenario{"throttled", "both apps consented; Graph throttles the first $batch itself, then its first calls, with 429 and a fractional Retry-After (1.128): the wizard waits it out"},
		// graph/throttling: Retry-After as in its sample ("2.128"); the envelope first.
		faults: Faults{Throttle: 3, RetryAfter: 1128 * time.Millisecond, RetryAfterFormat: RetryFractional, Envelope: []int{http.StatusTooManyRequests}},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", nil)
		}},
	{Scenario: Scenario{"slow-propagation", "like fresh, but grants take 8 s to become visible in Graph after consent"},
		faults: Faults{PropagationDelay: 8 * time.Second},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "uo", skipValues("", "Odata.FullAccess"))
		}},
	{Scenario: Scenario{"disabled", "both apps consented, but their service principals are disabled (accountEnabled false)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", nil)
			consentAll(d, cat, "uo", nil)
			for _, a := range cat.Apps {
				if sp := d.spByAppID(a.ClientID, time.Time{}); sp != nil {
					sp.AccountEnabled = false
				}
			}
		}},
	{Scenario: Scenario{"hostile", "a tenant that attacks the terminal: its name, the admin's name and a granted scope, all on the wizard's screens, carry escape sequences, C1 controls and bidi overrides (so do the apps' names, which only the browser's consent page shows)"},
		setup: hostileSetup},
	{Scenario: Scenario{"staggered-replication", "after consent the app appears at once, its grants 3 s later and its app roles 6 s later, some polls get 404 or 503 meanwhile: the wizard keeps waiting and ends with all granted"},
		faults: Faults{GrantsDelay: 3 * time.Second, AssignmentsDelay: 6 * time.Second, LaggingReplica: true}},
	{Scenario: Scenario{"pim-eligible", "the admin holds Global Administrator only as PIM-eligible (Global Reader active): the role check names PIM activation, admin consent is refused (AADSTS90094)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			// The sign-in client was consented tenant-wide earlier (by an admin who
			// ran it): a Global Reader cannot consent to its Directory.Read.All
			// herself (admin-consent-required scope), so without it the walk would
			// end at sign-in with AADSTS90094 before the role check.
			consentSignInClient(d)
			a := d.users[0]
			a.Roles, a.EligibleRoles = []string{GlobalReaderTemplateID}, []string{GlobalAdminTemplateID}
		}},
	{Scenario: Scenario{"pim-first-use", "a PIM-eligible Global Administrator (Global Reader active) signs in for the first time: sign-in asks only User.Read and succeeds; reading the grants asks the sign-in client's Directory.Read.All, which needs an admin (AADSTS90094, explained as the sign-in client's)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			// The sign-in client holds no consent yet. User.Read may be consented by
			// the user; Directory.Read.All needs an administrator
			// (graph/permissions-reference; entra/identity/enterprise-apps/user-admin-consent-overview),
			// and an eligible role is no role until activated
			// (entra/id-governance/privileged-identity-management/pim-how-to-activate-role).
			a := d.users[0]
			a.Roles, a.EligibleRoles = []string{GlobalReaderTemplateID}, []string{GlobalAdminTemplateID}
		}, signInClientNew: true},
	{Scenario: Scenario{"first-use", "a Global Administrator uses the tool for the first time in this tenant: sign-in asks only User.Read; reading the grants asks the sign-in client's Directory.Read.All on a second page that says why, for the admin alone"},
		signInClientNew: true},
	{Scenario: Scenario{"renamed-app", "CE was consented and a tenant admin renamed its enterprise application: the wizard still finds it by the publisher's name (appDisplayName) and its client id, shows the tenant's name as a label, and can consent again"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentAll(d, cat, "ce", skipValues("", "user_impersonation"))
			if a, ok := cat.App("ce"); ok {
				if sp := d.spByAppID(a.ClientID, time.Time{}); sp != nil {
					sp.Renamed = "Contoso Dynamics backup (renamed by IT)"
				}
			}
		}},
	{Scenario: Scenario{"custom-role", "the admin holds no built-in admin role but a custom directory role that may grant tenant-wide consent (managePermissionGrantsForAll): invisible to memberOf, read through roleManagement; the role check says unknown (never pauses), and Entra ID decides on the consent page: the role grants delegated permissions, not Microsoft Graph application permissions (AADSTS90094)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			r := customRole{ID: stableID("customrole:consent"), DisplayName: "Consent Granter (custom)", Actions: []string{ConsentGrantAction}}
			d.customRoles = append(d.customRoles, r)
			d.users[0].Roles, d.users[0].CustomRoles = []string{GlobalReaderTemplateID}, []string{r.ID}
		}},
	{Scenario: Scenario{"custom-role-group", "the admin holds a custom directory role that may grant tenant-wide consent through a role-assignable group: read through the group's role assignments; the role check says unknown (never pauses), and Entra ID decides on the consent page (AADSTS90094 for Microsoft Graph application permissions)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			r := customRole{ID: stableID("customrole:consent"), DisplayName: "Consent Granter (custom)", Actions: []string{ConsentGrantAction}}
			d.customRoles = append(d.customRoles, r)
			d.users[0].Roles = []string{GlobalReaderTemplateID}
			d.addGroup("Consent Granters", nil, d.users[0].ID).CustomRoles = []string{r.ID}
		}},
	{Scenario: Scenario{"cloud-app-admin", "the admin is Cloud Application Administrator: may grant the delegated rows, not Microsoft Graph application permissions; admin consent is refused (AADSTS90094)"},
		setup: func(d *directory, cat *permissions.Catalog) {
			d.users[0].Roles = []string{CloudAppAdminTemplateID}
		}},
	{Scenario: Scenario{"group-role", "the admin is Global Administrator through a role-assignable group, not directly: the role check still finds it and consent succeeds"},
		setup: func(d *directory, cat *permissions.Catalog) {
			a := d.users[0]
			a.Roles = nil
			d.addGroup("Tenant Admins", []string{GlobalAdminTemplateID}, a.ID)
		}},
	{Scenario: Scenario{"guest-admin", "the admin is a B2B guest from Fabrikam with Global Administrator here: sign-in works at this tenant's authority (AADSTS50020 at /organizations or /common) and consent succeeds"},
		setup: func(d *directory, cat *permissions.Catalog) {
			g := &user{ID: stableID("user:guest"), UPN: "grady_fabrikam.example#EXT#@" + demoDomain, DisplayName: "Grady Archie (Fabrikam)",
				GivenName: "Grady", Surname: "Archie", JobTitle: "Partner administrator", Roles: []string{GlobalAdminTemplateID},
				UserType: "Guest", HomeTenant: fabrikamTenantID}
			d.users = append(d.users, g)
			d.st.demoUser = g
			for _, gr := range d.groups {
				if gr.DisplayName == "All staff" {
					gr.Members = append(gr.Members, g.ID)
				}
			}
		}},
	{Scenario: Scenario{"restricted-reader", "the demo user holds no directory role: the grant lists answer 403, the wizard says it could not read the grants (not that they are missing) and names the roles that can"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentSignInClient(d)
			consentAll(d, cat, "ce", nil)
			d.st.demoUser = d.users[2]
		}},
	{Scenario: Scenario{"consent-workflow", "the admin consent workflow is on and the demo user cannot consent: consent files a request (AADSTS90095); the wizard says who approves it, and w waits for the approval, which the reviewer (Adele Vance, Global Administrator) gives 5 s after the request is filed"},
		setup: func(d *directory, cat *permissions.Catalog) {
			consentSignInClient(d)
			d.users[2].Roles = []string{DirectoryReadersTemplateID}
			d.st.demoUser = d.users[2]
			d.st.consentWorkflow = true
			// A designated reviewer approves in the admin center
			// (entra/identity/enterprise-apps/review-admin-consent-requests).
			d.st.reviewer, d.st.reviewDelay = d.users[0], 5*time.Second
		}},
	{Scenario: Scenario{"session-revoked", "continuous access evaluation: Microsoft Graph answers the first request of a client that declares the capability cp1 with a claims challenge (insufficient_claims, cae.go); the wizard asks to sign in again with the claims, then goes on"},
		faults: Faults{ClaimsChallenge: 1}},
	{Scenario: Scenario{"mfa-required", "Conditional Access starts requiring MFA after the first sign-in: the token refresh fails with AADSTS50076 and the wizard asks to sign in again, then goes on"},
		setup: func(d *directory, cat *permissions.Catalog) {
			d.st.mfaRequired = true
		}},
	{Scenario: Scenario{"ca-blocked", "Conditional Access blocks the sign-in (AADSTS53003): the wizard explains it and ends; nothing is read or granted"},
		setup: func(d *directory, cat *permissions.Catalog) {
			d.st.caBlocked = true
		}},
	{Scenario: Scenario{"signin-app-blocked", "the tenant disabled the Microsoft Graph Command Line Tools app (AADSTS7000112): the wizard says how to sign in with --signin-client-id"},
		setup: func(d *directory, cat *permissions.Catalog) {
			if sp := d.spByAppID(SignInClientID, time.Time{}); sp != nil {
				sp.AccountEnabled = false
			}
		}},
	{Scenario: Scenario{"soft-deleted", "CE's service principal was deleted recently and sits in the recycle bin: Graph shows no app, consent conflicts (AADSTS650051); restore or purge it first"},
		setup: func(d *directory, cat *permissions.Catalog) {
			if a, ok := cat.App("ce"); ok {
				consentAll(d, cat, "ce", nil)
				d.removeSP(a.ClientID)
				d.st.softDeleted = map[string]bool{strings.ToLower(a.ClientID): true}
			}
		}},
	{Scenario: Scenario{"messy-grants", "CE's grants as old tenants have them: Principal grants of several users, odd spaces in scope strings, a disabled scope, user_impersonation on the wrong resource, a role id on the wrong resource, the default-access assignment: only User.Read counts as granted"},
		setup: messyGrants},
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

// messyGrants gives CE grant shapes a verification must read exactly
// (graph/api/resources/oauth2permissiongrant: scope is space-separated, consentType
// AllPrincipals or Principal; graph/api/resources/approleassignment: appRoleId
// 00000000-0000-0000-0000-000000000000 is the default access role; a grant or
// assignment counts only on its own resourceId).
func messyGrants(d *directory, cat *permissions.Catalog) {
	a, ok := cat.App("ce")
	if !ok {
		return
	}
	app := d.apps[strings.ToLower(a.ClientID)]
	then := d.tenant.Created.AddDate(2, 0, 0)
	sp := d.addSP(app, true, time.Time{})
	graph := d.spByAppID(permissions.GraphAppID, time.Time{})
	crm := d.spByAppID(permissions.DynamicsCRMAppID, time.Time{})
	erp := d.spByAppID(permissions.DynamicsERPAppID, time.Time{})
	// Tenant-wide: User.Read, with the leading, trailing and double spaces the
	// real service keeps; and Group.Read.All, a scope Graph has disabled here.
	g := d.grantDelegated(sp, graph, "AllPrincipals", "", []string{"", "User.Read", "", "Group.Read.All"}, time.Time{})
	g.Scopes = []string{"", "User.Read", "", "Group.Read.All", ""}
	if ps := graph.App.scope("Group.Read.All"); ps != nil {
		ps.Disabled = true
	}
	// user_impersonation granted tenant-wide, but on Dynamics ERP, not CRM.
	d.grantDelegated(sp, erp, "AllPrincipals", "", []string{"user_impersonation"}, time.Time{})
	// Users consented for themselves to CRM: user consent only.
	for _, u := range d.users[1:] {
		d.grantDelegated(sp, crm, "Principal", u.ID, []string{"user_impersonation"}, time.Time{})
	}
	// Directory.Read.All's role id, assigned on Dynamics ERP rather than Graph.
	if r := graph.App.role("Directory.Read.All"); r != nil {
		d.assigns = append(d.assigns, &assignment{ID: grantID(), AppRoleID: r.ID, PrincipalID: sp.ID, ResourceID: erp.ID, Created: then})
	}
	// The default access assignment (all-zero role id) on Graph.
	d.assigns = append(d.assigns, &assignment{ID: grantID(), AppRoleID: "00000000-0000-0000-0000-000000000000", PrincipalID: sp.ID, ResourceID: graph.ID, Created: then})
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

// apply builds the scenario's starting state on d.
func (sc scenarioDef) apply(d *directory, cat *permissions.Catalog) {
	if sc.setup != nil {
		sc.setup(d, cat)
	}
	if !sc.signInClientNew {
		u := d.st.demoUser
		if u == nil {
			u = d.users[0]
		}
		consentSignInClientFor(d, u)
	}
}

// demoCatalog gives each app a stable demo client id, and the loopback redirect URI
// when the scenario registered it; and marks a permission newly required where the
// scenario needs one.
func demoCatalog(cat *permissions.Catalog, sc scenarioDef) *permissions.Catalog {
	c := cat.Clone()
	for i := range c.Apps {
		a := &c.Apps[i]
		a.ClientID = stableID("app:" + a.Key)
		a.RedirectURI = ""
		if sc.loopbackReply {
			a.RedirectURI = "http://127.0.0.1"
		}
		if sc.newlyRequired && a.ReauthorizeOnly {
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
// consentSignInClientFor grants the sign-in client what a sign-in asks of Graph, for
// u alone: the consent a user gives on the sign-in client's own consent page with
// "Consent on behalf of your organization" unticked
// (entra/identity-platform/permissions-consent-overview, "User consent").
func consentSignInClientFor(d *directory, u *user) {
	client := d.spByAppID(SignInClientID, time.Time{})
	graph := d.spByAppID(permissions.GraphAppID, time.Time{})
	d.grantDelegated(client, graph, "Principal", u.ID, append(signin.OpenIDScopes(), signin.Values()...), time.Time{})
}

func consentSignInClient(d *directory) {
	client := d.spByAppID(SignInClientID, time.Time{})
	graph := d.spByAppID(permissions.GraphAppID, time.Time{})
	scopes := append(signin.OpenIDScopes(), signin.Values()...)
	d.grantDelegated(client, graph, "AllPrincipals", "", scopes, time.Time{})
}
