package emulator

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

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
	// reviewer, when set, is the scenario's designated reviewer of the admin consent
	// workflow: it approves each request reviewDelay after it was filed, by the
	// emulator's clock (reviewDue). Without one, a request waits for
	// ApproveConsentRequest.
	reviewer    *user
	reviewDelay time.Duration
	// softDeleted: app ids whose service principal sits in the recycle bin
	// (graph/api/directory-deleteditems-get): invisible to Graph, and consent
	// conflicts with it (AADSTS650051).
	softDeleted map[string]bool
}

// ConsentRequest is a request filed through the admin consent workflow.
type ConsentRequest struct {
	ClientID, AppName, UPN string
	Created                time.Time
	// Approved is when a reviewer approved it (zero while it is pending), ApprovedBy
	// the reviewer's UPN.
	Approved   time.Time
	ApprovedBy string
}

// ConsentRequests lists the requests filed through the admin consent workflow.
func (s *Server) ConsentRequests() []ConsentRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reviewDue(s.now())
	return append([]ConsentRequest(nil), s.dir.st.requests...)
}

// ApproveConsentRequest approves the pending admin consent workflow request for the
// app with client id clientID, as a reviewer does in the Entra admin center
// (Enterprise applications > Admin consent requests > Review permissions and consent >
// Accept): that grants tenant-wide admin consent to what the app registration
// requests, and closes every pending request for the app
// (https://learn.microsoft.com/entra/identity/enterprise-apps/review-admin-consent-requests).
// The grants replicate as an admin's consent does (Faults). The reviewer is the
// scenario's, else the tenant's Global Administrator.
func (s *Server) ApproveConsentRequest(clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.reviewDue(now)
	for _, r := range s.dir.st.requests {
		if strings.EqualFold(r.ClientID, clientID) && r.Approved.IsZero() {
			by := s.dir.st.reviewer
			if by == nil {
				by = s.dir.users[0]
			}
			return s.approveRequests(r.ClientID, by, now)
		}
	}
	return fmt.Errorf("emulator: no pending admin consent request for %s", clientID)
}

// approveRequests grants admin consent to the app with client id clientID as by, at
// at, and marks its pending requests approved. s.mu held.
func (s *Server) approveRequests(clientID string, by *user, at time.Time) error {
	app := s.dir.apps[strings.ToLower(clientID)]
	if app == nil {
		return fmt.Errorf("emulator: no app %s", clientID)
	}
	if err := s.grantAdminConsent(app, at); err != nil {
		return err
	}
	for i := range s.dir.st.requests {
		if r := &s.dir.st.requests[i]; strings.EqualFold(r.ClientID, clientID) && r.Approved.IsZero() {
			r.Approved, r.ApprovedBy = at, by.UPN
		}
	}
	return nil
}

// reviewDue lets the scenario's reviewer approve the requests filed reviewDelay or
// more before now, each at its due time. Called where the tenant is read, so the
// approval happens by the emulator's clock without a timer of its own. s.mu held.
func (s *Server) reviewDue(now time.Time) {
	st := &s.dir.st
	if st.reviewer == nil {
		return
	}
	for _, r := range st.requests {
		if due := r.Created.Add(st.reviewDelay); r.Approved.IsZero() && !now.Before(due) {
			_ = s.approveRequests(r.ClientID, st.reviewer, due) // an app the tenant cannot consent to stays pending
		}
	}
}

// grantAdminConsent does what Accept on the admin consent page does for app at now:
// the service principal, its grants and assignments, replicating as the faults say
// (PropagationDelay, GrantsDelay, AssignmentsDelay). s.mu held.
func (s *Server) grantAdminConsent(app *application, now time.Time) error {
	spAt := now.Add(s.faults.PropagationDelay)
	_, err := s.dir.applyConsentStaggered(app, now, spAt, spAt.Add(s.faults.GrantsDelay), spAt.Add(s.faults.AssignmentsDelay), nil, false)
	return err
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
