package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// Tenant states real admins have.
// Each description says in one line what the wizard must show.

// scenarioState is what a scenario sets beyond the directory's objects: policies
// Entra ID enforces at sign-in and consent, and who the demo user is.
type scenarioState struct {
	demoUser *user
	// mfaRequired: a Conditional Access policy requires MFA for Microsoft Graph since
	// the first sign-in: a refresh token from before answers AADSTS50076
	// (entra/identity-platform/reference-error-codes) until the user signs in
	// interactively again (and does MFA).
	mfaRequired bool
	mfaDone     map[string]bool // user id → completed MFA in an interactive sign-in
	// caBlocked: a Conditional Access policy blocks the sign-in: AADSTS53003.
	caBlocked bool
	// consentWorkflow: the admin consent workflow is on
	// (entra/identity/enterprise-apps/configure-admin-consent-workflow): a user who
	// cannot consent files a request instead, and is told AADSTS90095.
	consentWorkflow bool
	requests        []ConsentRequest
	// softDeleted: app ids whose service principal sits in the recycle bin
	// (graph/api/directory-deleteditems-get): invisible to Graph, and consent
	// conflicts with it (AADSTS650051).
	softDeleted map[string]bool
}

// ConsentRequest is a request filed through the admin consent workflow.
type ConsentRequest struct {
	ClientID, AppName, UPN string
	Created                time.Time
}

// ConsentRequests lists the requests filed through the admin consent workflow.
func (s *Server) ConsentRequests() []ConsentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ConsentRequest(nil), s.dir.st.requests...)
}

const fabrikamTenantID = "9b1d6c1e-2f5a-4e53-8b7e-3c2f0d4a5e61"

func init() {
	scenarioDefs = append(scenarioDefs, []scenarioDef{
		{Scenario{"staggered-replication", "after consent the app appears at once, its grants 3 s later and its app roles 6 s later, some polls get 404 or 503 meanwhile: the wizard keeps waiting and ends with all granted"},
			Faults{GrantsDelay: 3 * time.Second, AssignmentsDelay: 6 * time.Second, LaggingReplica: true}, func(d *directory, cat *permissions.Catalog) {}},
		{Scenario{"pim-eligible", "the admin holds Global Administrator only as PIM-eligible (Global Reader active): the role check names PIM activation, admin consent is refused (AADSTS90094)"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				// The sign-in client was consented tenant-wide earlier (by an admin who
				// ran it): a Global Reader cannot consent to its Directory.Read.All
				// herself (admin-consent-required scope), so without it the walk would
				// end at sign-in with AADSTS90094 before the role check.
				consentSignInClient(d)
				a := d.users[0]
				a.Roles, a.EligibleRoles = []string{GlobalReaderTemplateID}, []string{GlobalAdminTemplateID}
			}},
		{Scenario{"cloud-app-admin", "the admin is Cloud Application Administrator: may grant the delegated rows, not Microsoft Graph application permissions; admin consent is refused (AADSTS90094)"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				d.users[0].Roles = []string{CloudAppAdminTemplateID}
			}},
		{Scenario{"group-role", "the admin is Global Administrator through a role-assignable group, not directly: the role check still finds it and consent succeeds"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				a := d.users[0]
				a.Roles = nil
				d.addGroup("Tenant Admins", []string{GlobalAdminTemplateID}, a.ID)
			}},
		{Scenario{"guest-admin", "the admin is a B2B guest from Fabrikam with Global Administrator here: sign-in works at this tenant's authority (AADSTS50020 at /organizations or /common) and consent succeeds"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
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
		{Scenario{"restricted-reader", "the demo user holds no directory role: the grant lists answer 403, the wizard says it could not read the grants (not that they are missing) and names the roles that can"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				consentSignInClient(d)
				consentAll(d, cat, "ce", nil)
				d.st.demoUser = d.users[2]
			}},
		{Scenario{"consent-workflow", "the admin consent workflow is on and the demo user cannot consent: consent files a request (AADSTS90095); the wizard says who approves it"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				consentSignInClient(d)
				d.users[2].Roles = []string{DirectoryReadersTemplateID}
				d.st.demoUser = d.users[2]
				d.st.consentWorkflow = true
			}},
		{Scenario{"mfa-required", "Conditional Access starts requiring MFA after the first sign-in: the token refresh fails with AADSTS50076 and the wizard asks to sign in again, then goes on"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				d.st.mfaRequired = true
			}},
		{Scenario{"ca-blocked", "Conditional Access blocks the sign-in (AADSTS53003): the wizard explains it and ends; nothing is read or granted"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				d.st.caBlocked = true
			}},
		{Scenario{"signin-app-blocked", "the tenant disabled the Microsoft Graph Command Line Tools app (AADSTS7000112): the wizard says how to sign in with --signin-client-id"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				if sp := d.spByAppID(SignInClientID, time.Time{}); sp != nil {
					sp.AccountEnabled = false
				}
			}},
		{Scenario{"soft-deleted", "CE's service principal was deleted recently and sits in the recycle bin: Graph shows no app, consent conflicts (AADSTS650051); restore or purge it first"},
			Faults{}, func(d *directory, cat *permissions.Catalog) {
				if a, ok := cat.App("ce"); ok {
					consentAll(d, cat, "ce", nil)
					d.removeSP(a.ClientID)
					d.st.softDeleted = map[string]bool{strings.ToLower(a.ClientID): true}
				}
			}},
		{Scenario{"messy-grants", "CE's grants as old tenants have them: Principal grants of several users, odd spaces in scope strings, a disabled scope, user_impersonation on the wrong resource, a role id on the wrong resource, the default-access assignment: only User.Read counts as granted"},
			Faults{}, messyGrants},
	}...)
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

// signInPolicy is what Entra ID decides once the account is chosen for a sign-in
// of the wizard's sign-in client (authorize or device login); nil = go on. s.mu held.
func (s *Server) signInPolicy(t *txn, u *user) (code string, e *oauthError) {
	st := &s.dir.st
	switch {
	case st.caBlocked:
		// reference-error-codes: AADSTS53003 BlockedByConditionalAccess.
		return "access_denied", &oauthError{AADSTS: 53003, Message: "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance."}
	case u.UserType == "Guest" && (strings.EqualFold(t.Tenant, "organizations") || strings.EqualFold(t.Tenant, "common")):
		// A guest signing in without naming this tenant signs in to its home tenant,
		// where this app's tenant is not: reference-error-codes AADSTS50020
		// UserUnauthorized ("User account from identity provider does not exist in
		// tenant and cannot access the application").
		return "invalid_request", &oauthError{AADSTS: 50020, Message: fmt.Sprintf(
			"User account '%s' from identity provider 'https://sts.windows.net/%s/' does not exist in tenant 'Microsoft Services' and cannot access the application '%s'(%s) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account, or sign in at the authority of the tenant that invited you.",
			strings.SplitN(u.UPN, "#EXT#", 2)[0], u.HomeTenant, t.ClientID, s.dir.apps[strings.ToLower(t.ClientID)].DisplayName)}
	}
	if st.mfaRequired {
		if st.mfaDone == nil {
			st.mfaDone = map[string]bool{}
		}
		if st.mfaPendingFor(u) {
			st.mfaDone[u.ID] = true // this interactive sign-in did MFA
		}
	}
	return "", nil
}

// mfaPendingFor: a refresh was refused for MFA, so the next interactive sign-in
// performs it (the first sign-in predates the policy).
func (st *scenarioState) mfaPendingFor(u *user) bool {
	_, asked := st.mfaDone[u.ID]
	return asked
}

// disabledClient: a disabled service principal cannot sign in — AADSTS7000112
// UnauthorizedClientApplicationDisabled (reference-error-codes). s.mu held.
func (s *Server) disabledClient(clientID string) *oauthError {
	sp := s.dir.spByAppID(clientID, time.Time{})
	if sp == nil || sp.AccountEnabled {
		return nil
	}
	return &oauthError{Status: http.StatusBadRequest, Code: "unauthorized_client", AADSTS: 7000112,
		Message: fmt.Sprintf("Application '%s'(%s) is disabled.", sp.App.AppID, sp.App.DisplayName)}
}

// refreshNeedsMFA answers a refresh with AADSTS50076 while MFA is required and the
// refresh token's session did none (reference-error-codes: UserStrongAuthClientAuthNRequired,
// error interaction_required with a claims challenge). s.mu held.
func (s *Server) refreshNeedsMFA(u *user) *oauthError {
	st := &s.dir.st
	if !st.mfaRequired {
		return nil
	}
	if st.mfaDone == nil {
		st.mfaDone = map[string]bool{}
	}
	if st.mfaDone[u.ID] {
		return nil
	}
	st.mfaDone[u.ID] = false // the next interactive sign-in does MFA
	return &oauthError{Code: "interaction_required", AADSTS: 50076, SubError: "basic_action",
		Claims:  `{"access_token":{"capolids":{"essential":true,"values":["demo-mfa-policy"]}}}`,
		Message: "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '" + permissions.GraphAppID + "'."}
}

// tokenLifetime: in mfa-required, tokens of a session without MFA expire in four
// minutes, so MSAL refreshes on its next silent call (it refreshes tokens that
// expire within five) and meets the new policy at once. s.mu held.
func (s *Server) tokenLifetime(u *user) int {
	st := &s.dir.st
	if st.mfaRequired && !st.mfaDone[u.ID] {
		return 240
	}
	return 3599
}

// adminConsentPolicy decides an admin consent for u before the permissions page;
// nil = show it. s.mu held.
func (s *Server) adminConsentPolicy(t *txn, u *user) (code string, e *oauthError, page bool) {
	app := s.dir.apps[strings.ToLower(t.ClientID)]
	st := &s.dir.st
	if st.softDeleted[strings.ToLower(t.ClientID)] {
		return "invalid_request", &oauthError{AADSTS: 650051, Message: fmt.Sprintf(
			"The service principal name is already present for the tenant: the application '%s'(%s) was deleted from '%s' recently and is still in its recycle bin. Restore it or delete it permanently (Enterprise applications > Deleted applications), then try again.",
			app.AppID, app.DisplayName, s.dir.tenant.DisplayName)}, false
	}
	if s.dir.canGrantAll(u) {
		return "", nil, true
	}
	if st.consentWorkflow {
		return "", nil, true // the approval request page
	}
	return "access_denied", s.notAdmin(u, app), false
}

// notAdmin is AADSTS90094 for a user who may not grant this app's permissions.
func (s *Server) notAdmin(u *user, app *application) *oauthError {
	msg := "The grant requires admin permission. " + u.UPN + " is not a Global Administrator or Privileged Role Administrator, and " + app.DisplayName +
		" asks for application permissions that only they can grant. Ask an admin to grant consent, or activate your eligible role in Privileged Identity Management and try again."
	if s.dir.canGrantDelegated(u) {
		msg = "The grant requires admin permission. " + u.UPN + " may grant delegated permissions, but " + app.DisplayName +
			" asks for Microsoft Graph application permissions, which only a Global Administrator or Privileged Role Administrator can grant."
	}
	return &oauthError{AADSTS: 90094, Message: msg}
}

// fileConsentRequest records an admin consent workflow request and answers
// AADSTS90095 (reference-error-codes: AdminConsentRequiredRequestAccess). s.mu held.
func (s *Server) fileConsentRequest(t *txn, u *user) *oauthError {
	app := s.dir.apps[strings.ToLower(t.ClientID)]
	s.dir.st.requests = append(s.dir.st.requests, ConsentRequest{ClientID: app.AppID, AppName: app.DisplayName, UPN: u.UPN, Created: s.now()})
	return &oauthError{AADSTS: 90095, Message: "Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin. " +
		"Your request for " + app.DisplayName + " was sent to the reviewers of the admin consent workflow (Enterprise applications > Admin consent requests)."}
}

// laggingReplica: between a consent and the replication of its grants, a read of
// the new app's grants or assignments may reach a replica that does not know the
// app yet (404) or is busy (503) — graph/api/serviceprincipal-list-approleassignments
// ("This request might have replication delays"). s.mu held.
func (s *Server) laggingReplica(sp *servicePrincipal, now time.Time) *graphResult {
	if !s.faults.LaggingReplica || sp == nil {
		return nil
	}
	pending := false
	for _, g := range s.dir.grants {
		if g.ClientID == sp.ID && !visible(g.VisibleAt, now) {
			pending = true
		}
	}
	for _, a := range s.dir.assigns {
		if a.PrincipalID == sp.ID && !visible(a.VisibleAt, now) {
			pending = true
		}
	}
	if !pending {
		return nil
	}
	s.lagCalls++
	switch s.lagCalls % 3 {
	case 1:
		r := s.graphError(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+sp.ID+"' does not exist or one of its queried reference-property objects are not present.")
		return &r
	case 2:
		r := s.faultResult(http.StatusServiceUnavailable)
		return &r
	}
	return nil
}
