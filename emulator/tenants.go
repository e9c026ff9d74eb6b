package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// Customer tenants: a partner (managed service provider) admin signs in once in the
// demo tenant (their home tenant) and acts in customers' tenants through a guest
// account (Microsoft Entra B2B collaboration) or granular delegated admin privileges
// (GDAP, https://learn.microsoft.com/partner-center/customers/gdap-introduction).
//
// As Entra ID does for a multi-tenant account, a refresh token issued in the home
// tenant is redeemed at a customer tenant's authority for that tenant's tokens
// (https://learn.microsoft.com/entra/identity-platform/refresh-tokens; MSAL's
// AcquireTokenSilent with WithTenantID does exactly this): the access token's tid
// and iss name the customer, client_info still names the home account. A customer
// where the partner has no access refuses the redemption with AADSTS50020
// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).

// Access is how the partner's admins reach a customer tenant.
type Access string

// Kinds of access.
const (
	// AccessGuest: the partner admin is a B2B guest user in the customer tenant.
	AccessGuest Access = "guest"
	// AccessGDAP: a granular delegated admin relationship gives the partner admin
	// roles in the customer tenant without a user object of their own there.
	AccessGDAP Access = "gdap"
	// AccessNone: no relationship; token requests fail with AADSTS50020.
	AccessNone Access = "none"
)

// CustomerTenant describes a customer tenant to add to the emulator.
type CustomerTenant struct {
	// Name is the display name; the tenant id and the initial domain derive from it.
	Name string
	// Scenario is the customer's starting state, one of Scenarios() ("" = fresh).
	// Only the directory setup is taken, not the scenario's faults.
	Scenario string
	Access   Access
	// Roles are the role template ids the partner admin holds there (default:
	// Global Administrator).
	Roles []string
	// NoSignInConsent: nobody consented the sign-in client in this tenant, so a
	// token for it fails with AADSTS65001 (consent_required).
	NoSignInConsent bool
}

// TenantInfo identifies a tenant of the emulator.
type TenantInfo struct {
	ID, Domain, DisplayName string
}

// customer is a customer tenant's state; the Server's mutex guards it.
type customer struct {
	dir    *directory
	access Access
	// partner maps a home-tenant user id to their user object here.
	partner map[string]*user
}

// fleetState is the emulator's other tenants and registered app identities.
type fleetState struct {
	customers []*customer
	appRegs   map[string]*appRegistration // by client id (lower case)
}

var reSlug = regexp.MustCompile(`[^a-z0-9]+`)

// AddCustomerTenant adds a customer tenant with its own directory, built from a
// scenario, and the partner's access to it.
func (s *Server) AddCustomerTenant(c CustomerTenant) (TenantInfo, error) {
	name := strings.TrimSpace(c.Name)
	slug := reSlug.ReplaceAllString(strings.ToLower(name), "")
	if slug == "" {
		return TenantInfo{}, fmt.Errorf("emulator: customer tenant name %q has no letters or digits", c.Name)
	}
	scName := c.Scenario
	if scName == "" {
		scName = "fresh"
	}
	sc, ok := lookupScenario(scName)
	if !ok {
		return TenantInfo{}, fmt.Errorf("emulator: unknown scenario %q (one of: %s)", scName, strings.Join(scenarioNames(), ", "))
	}
	switch c.Access {
	case AccessGuest, AccessGDAP, AccessNone:
	case "":
		c.Access = AccessGuest
	default:
		return TenantInfo{}, fmt.Errorf("emulator: unknown access %q", c.Access)
	}
	roles := c.Roles
	if roles == nil {
		roles = []string{GlobalAdminTemplateID}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := stableID("tenant:" + slug)
	if s.tenantDir(id) != nil {
		return TenantInfo{}, fmt.Errorf("emulator: tenant %q already exists", name)
	}
	d := newDirectory(s.catalog, s.now())
	d.tenant = tenant{ID: id, DisplayName: name, Domains: []string{slug + ".onmicrosoft.com"},
		Created: time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC)}
	// Object ids differ from tenant to tenant.
	for _, sp := range d.sps {
		sp.ID = stableID(id + ":sp:" + strings.ToLower(sp.App.AppID))
	}
	d.users = []*user{{ID: stableID(id + ":user:admin"), UPN: "admin@" + d.tenant.Domains[0], DisplayName: name + " Admin",
		GivenName: "Tenant", Surname: "Admin", JobTitle: "IT Administrator", Roles: []string{GlobalAdminTemplateID}}}
	sc.apply(d, s.catalog)
	if c.Access != AccessNone && !c.NoSignInConsent {
		consentSignInClient(d)
	}
	cu := &customer{dir: d, access: c.Access, partner: map[string]*user{}}
	if c.Access != AccessNone {
		for _, hu := range s.dir.users {
			u := &user{ID: hu.ID, UPN: hu.UPN, DisplayName: hu.DisplayName, GivenName: hu.GivenName, Surname: hu.Surname,
				JobTitle: hu.JobTitle, Roles: append([]string(nil), roles...)}
			if c.Access == AccessGuest {
				// A B2B guest is a user object of the resource tenant with its own id.
				u.ID = stableID(id + ":guest:" + hu.ID)
				u.UPN = strings.ReplaceAll(hu.UPN, "@", "_") + "#EXT#@" + d.tenant.Domains[0]
			}
			d.users = append(d.users, u)
			cu.partner[hu.ID] = u
		}
	}
	s.fleet.customers = append(s.fleet.customers, cu)
	return TenantInfo{ID: id, Domain: d.tenant.Domains[0], DisplayName: name}, nil
}

// Tenants lists the home tenant then the customer tenants.
func (s *Server) Tenants() []TenantInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []TenantInfo{{ID: s.dir.tenant.ID, Domain: s.dir.tenant.Domains[0], DisplayName: s.dir.tenant.DisplayName}}
	for _, c := range s.fleet.customers {
		out = append(out, TenantInfo{ID: c.dir.tenant.ID, Domain: c.dir.tenant.Domains[0], DisplayName: c.dir.tenant.DisplayName})
	}
	return out
}

// RevokeAppRole removes, in the tenant with id tenantID, the app role assignment
// that gives the app with client id clientID the application permission value of
// the resource resourceAppID — as an admin removing a permission in the Entra admin
// center (drift for a scheduled check to find).
func (s *Server) RevokeAppRole(tenantID, clientID, resourceAppID, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, client, res, err := s.grantParties(tenantID, clientID, resourceAppID)
	if err != nil {
		return err
	}
	if res.App.role(value) == nil {
		return fmt.Errorf("emulator: no %s role %q for %s in %s", resourceAppID, value, clientID, tenantID)
	}
	roleID := res.App.role(value).ID
	for i, a := range d.assigns {
		if a.PrincipalID == client.ID && a.ResourceID == res.ID && a.AppRoleID == roleID {
			d.assigns = append(d.assigns[:i], d.assigns[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("emulator: %s has no %s assignment in %s", clientID, value, tenantID)
}

// RevokeScope removes, in the tenant with id tenantID, the delegated permission value
// of the resource resourceAppID from the app's tenant-wide (AllPrincipals) grant — as
// an admin revoking it (entra/identity/enterprise-apps/manage-application-permissions;
// Graph: the grant's scope is updated, graph/api/oauth2permissiongrant-update, and a
// grant left with no scope is deleted, graph/api/oauth2permissiongrant-delete).
func (s *Server) RevokeScope(tenantID, clientID, resourceAppID, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, client, res, err := s.grantParties(tenantID, clientID, resourceAppID)
	if err != nil {
		return err
	}
	for i, g := range d.grants {
		if g.ClientID != client.ID || g.ResourceID != res.ID || g.ConsentType != "AllPrincipals" || !containsFold(g.Scopes, value) {
			continue
		}
		var kept []string
		for _, sc := range g.Scopes {
			if !strings.EqualFold(sc, value) {
				kept = append(kept, sc)
			}
		}
		g.Scopes = kept
		if len(kept) == 0 && len(g.Pending) == 0 {
			d.grants = append(d.grants[:i], d.grants[i+1:]...)
		}
		return nil
	}
	return fmt.Errorf("emulator: %s has no tenant-wide %s grant of %q in %s", clientID, resourceAppID, value, tenantID)
}

// grantParties finds, in the tenant with id tenantID, the service principals of the
// client app and of the resource API a grant joins; s.mu held.
func (s *Server) grantParties(tenantID, clientID, resourceAppID string) (*directory, *servicePrincipal, *servicePrincipal, error) {
	d := s.tenantDir(tenantID)
	if d == nil {
		return nil, nil, nil, fmt.Errorf("emulator: no tenant %s", tenantID)
	}
	client, res := d.spByAppID(clientID, time.Time{}), d.spByAppID(resourceAppID, time.Time{})
	if client == nil || res == nil {
		return nil, nil, nil, fmt.Errorf("emulator: no service principal for %s or %s in %s", clientID, resourceAppID, tenantID)
	}
	return d, client, res, nil
}

// tenantDir finds a tenant's directory by id or domain (home or customer); s.mu held.
func (s *Server) tenantDir(seg string) *directory {
	seg = strings.ToLower(seg)
	if s.dir.matchesTenant(seg) {
		return s.dir
	}
	if c := s.customerFor(seg); c != nil {
		return c.dir
	}
	return nil
}

// customerFor finds a customer tenant by id or domain; s.mu held.
func (s *Server) customerFor(seg string) *customer {
	seg = strings.ToLower(seg)
	for _, c := range s.fleet.customers {
		if c.dir.tenant.ID == seg {
			return c
		}
		for _, d := range c.dir.tenant.Domains {
			if strings.ToLower(d) == seg {
				return c
			}
		}
	}
	return nil
}

// tenantForSegment is the directory an authority's tenant segment names, for the
// metadata document; nil when unknown.
func (s *Server) tenantForSegment(seg string) *directory {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenantDir(seg)
}

// fleetToken answers the token requests the home tenant's token endpoint does not:
// client credentials (any tenant) and a refresh token redeemed at a customer
// tenant. It reports whether it answered.
func (s *Server) fleetToken(w http.ResponseWriter, r *http.Request, seg string) bool {
	if r.Method != http.MethodPost {
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if r.ParseForm() != nil {
		return false
	}
	f := r.PostForm
	s.noteScope("token", seg, f.Get("grant_type"), f) // every token request passes here first
	if f.Get("grant_type") == "client_credentials" || f.Has("client_secret") || f.Has("client_assertion") {
		s.tokenRequests.Add(1)
		s.clientCredentials(w, r, seg)
		return true
	}
	s.mu.Lock()
	c := s.customerFor(seg)
	s.mu.Unlock()
	if c == nil || s.dir.matchesTenant(seg) {
		return false
	}
	s.tokenRequests.Add(1)
	s.customerRefresh(w, c, f.Get("client_id"), f.Get("scope"), f.Get("refresh_token"))
	return true
}

// customerRefresh redeems a home-tenant refresh token at customer tenant c.
func (s *Server) customerRefresh(w http.ResponseWriter, c *customer, clientID, scope, rt string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if oerr := s.checkPublicClient(clientID); oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	rg := s.refresh[rt]
	if rg == nil || rg.ClientID != clientID {
		s.writeOAuthError(w, &oauthError{Code: "invalid_grant", AADSTS: 9002313, Message: "Invalid request. Request is malformed or invalid. The refresh token is invalid or was issued to another client."})
		return
	}
	if rg.Revoked {
		s.writeOAuthError(w, revokedGrant())
		return
	}
	home := s.dir.userByID(rg.UserID)
	u := c.partner[rg.UserID]
	if home == nil || u == nil || c.access == AccessNone {
		upn := ""
		if home != nil {
			upn = home.UPN
		}
		// AADSTS50020 UserUnauthorized (reference-error-codes): the account from
		// another identity provider does not exist in this tenant.
		s.writeOAuthError(w, &oauthError{Code: "invalid_grant", AADSTS: 50020, Message: fmt.Sprintf(
			"User account '%s' from identity provider '%s/%s/' does not exist in tenant '%s' and cannot access the application '%s'(%s) in that tenant. "+
				"The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
			upn, s.cloud.IssuerV1, s.dir.tenant.ID, c.dir.tenant.DisplayName, clientID, s.dir.apps[strings.ToLower(SignInClientID)].DisplayName)})
		return
	}
	scopes, oerr := s.parseScopes(scope)
	if oerr == nil && scopes.resource.AppID != permissions.GraphAppID {
		// A customer tenant here publishes Microsoft Graph only.
		oerr = &oauthError{Code: "invalid_resource", AADSTS: 500011, Message: fmt.Sprintf(
			"The resource principal named %s was not found in the tenant named %s.", scopes.prefix, c.dir.tenant.DisplayName)}
	}
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	client := c.dir.spByAppID(SignInClientID, time.Time{})
	graph := c.dir.spByAppID(permissions.GraphAppID, time.Time{})
	have := c.dir.consentedScopes(client, graph, u.ID)
	for _, sc := range scopes.values {
		if !containsFold(have, sc) {
			if c.access == AccessGDAP {
				// A partner's delegated admin and an app nobody authorised in the
				// customer tenant: reference-error-codes AADSTS90099.
				s.writeOAuthError(w, &oauthError{Code: "invalid_grant", AADSTS: 90099, Message: fmt.Sprintf(
					"The application '%s' (%s) has not been authorized in the tenant '%s'. Applications must be authorized to access the external tenant before partner delegated administrators can use them. Provide pre-consent or execute the appropriate Partner Center API to authorize the application.",
					client.App.DisplayName, clientID, c.dir.tenant.ID)})
				return
			}
			// AADSTS65001 DelegationDoesNotExist (reference-error-codes).
			s.writeOAuthError(w, &oauthError{Code: "invalid_grant", AADSTS: 65001, SubError: "consent_required", Message: fmt.Sprintf(
				"The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.",
				clientID, client.App.DisplayName)})
			return
		}
	}
	now := s.now()
	tid := c.dir.tenant.ID
	var scp []string
	for _, sc := range have {
		if !containsFold(oidcScopes, sc) {
			scp = append(scp, sc)
		}
	}
	at := s.signJWT(map[string]any{
		"aud": s.graphAudience(scopes.prefix), "iss": s.cloud.IssuerV1 + "/" + tid + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"appid": clientID, "app_displayname": client.App.DisplayName, "idtyp": "user", "ver": "1.0",
		"idp": s.issuerV1(), "home_oid": home.ID,
		"oid": u.ID, "sub": stableID("sub:" + u.ID + clientID), "tid": tid, "upn": u.UPN, "unique_name": home.UPN,
		"name": u.DisplayName, "scp": strings.Join(scp, " "), "wids": u.Roles, "uti": randomToken(16),
	})
	idt := s.signJWT(map[string]any{
		"aud": clientID, "iss": s.authorityHost + "/" + tid + "/v2.0",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"name": u.DisplayName, "oid": u.ID, "preferred_username": home.UPN, "sub": stableID("sub:" + u.ID + clientID),
		"tid": tid, "ver": "2.0", "uti": randomToken(16),
	})
	ci, _ := json.Marshal(map[string]string{"uid": home.ID, "utid": s.dir.tenant.ID})
	newRT := "0.demo." + randomToken(48)
	s.refresh[newRT] = &refreshGrant{ClientID: clientID, UserID: home.ID, Scopes: scopes.raw}
	s.issued = append(s.issued, at, idt, newRT)
	s.refreshes.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{
		// The customer tenant's consented scopes, as for the home tenant (grantedScope).
		"token_type": "Bearer", "scope": grantedScope(have, scopes), "expires_in": 3599, "ext_expires_in": 3599,
		"access_token": at, "id_token": idt, "client_info": b64.EncodeToString(ci), "refresh_token": newRT,
	})
}

// principalFor resolves a verified Graph access token's caller: a user of the
// token's tenant (home or customer) or, for an app-only token (idtyp "app"), the
// app's service principal, whose app roles authorize it. It returns the reason the
// token is refused, or "".
func (s *Server) principalFor(claims map[string]any) (*principal, string) {
	str := func(k string) string { v, _ := claims[k].(string); return v }
	s.mu.Lock()
	defer s.mu.Unlock()
	tid := strings.ToLower(str("tid"))
	d := s.tenantDir(tid)
	if d == nil || tid != d.tenant.ID || str("iss") != s.cloud.IssuerV1+"/"+tid+"/" {
		return nil, "Access token validation failure. Invalid issuer."
	}
	if str("idtyp") == "app" {
		sp := d.spByID(str("oid"), time.Time{})
		if sp == nil || !strings.EqualFold(sp.App.AppID, str("appid")) {
			return nil, "Access token validation failure. The application in the token does not exist in the tenant."
		}
		var roles []string
		if raw, ok := claims["roles"].([]any); ok {
			for _, r := range raw {
				if v, ok := r.(string); ok {
					roles = append(roles, v)
				}
			}
		}
		return &principal{app: sp, scopes: roles, dir: d}, ""
	}
	u := d.userByID(str("oid"))
	if u == nil {
		return nil, "Access token validation failure. The user in the token does not exist in the tenant."
	}
	return &principal{user: u, scopes: strings.Fields(str("scp")), dir: d}, ""
}

// DemoCustomers are the customer tenants of the demo's partner fleet
// (`verify --demo --tenants FILE`): one per state a partner meets.
var DemoCustomers = []CustomerTenant{
	{Name: "Fabrikam", Scenario: "consented", Access: AccessGuest},
	{Name: "Northwind Traders", Scenario: "partial", Access: AccessGDAP},
	{Name: "Tailspin Toys", Scenario: "fresh", Access: AccessGuest},
	{Name: "Woodgrove Bank", Scenario: "consented", Access: AccessNone},
	{Name: "Litware", Scenario: "consented", Access: AccessGDAP, NoSignInConsent: true},
	{Name: "Adatum", Scenario: "no-dynamics", Access: AccessGuest},
	{Name: "Wingtip Toys", Scenario: "disabled", Access: AccessGDAP},
}

// AddDemoCustomers adds DemoCustomers (idempotent per server: a second call fails).
func (s *Server) AddDemoCustomers() ([]TenantInfo, error) {
	var out []TenantInfo
	for _, c := range DemoCustomers {
		info, err := s.AddCustomerTenant(c)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}
