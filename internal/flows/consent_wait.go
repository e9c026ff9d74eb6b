package flows

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/permissions"
)

// The consent wait's schedule: every 2 s for the first 2 minutes, then
// backing off to at most 10 s; at once on Recheck (Enter, terminal focus).
const (
	PollFast    = 2 * time.Second
	PollFastFor = 2 * time.Minute
	PollMax     = 10 * time.Second
	// MaxNotVisible bounds the consecutive polls that fail in a way that means "not
	// visible yet" (5xx, network errors): the wait tolerates them, then gives up.
	MaxNotVisible = 30
	// RegistrationSettle is how long every row but the newly required ones must have
	// stayed granted, after consent, before the wait concludes the app registration
	// does not request them.
	RegistrationSettle = 30 * time.Second
)

// nextPoll is the wait before the next poll, elapsed into the wait, prev the last wait.
func nextPoll(elapsed, prev time.Duration) time.Duration {
	if elapsed < PollFastFor {
		return PollFast
	}
	return min(max(prev, PollFast)*2, PollMax)
}

// ErrCannotFix matches a BlockedError: a state admin consent cannot change.
var ErrCannotFix = errors.New("consent cannot fix this")

// BlockReason is why consent cannot help.
type BlockReason string

// Block reasons.
const (
	BlockDisabled           BlockReason = "disabled"
	BlockResourceMissing    BlockReason = "resource-missing"
	BlockNoRole             BlockReason = "no-role"
	BlockCannotRead         BlockReason = "cannot-read"
	BlockReauthorizeOnly    BlockReason = "reauthorize-only"
	BlockRegistrationBehind BlockReason = "registration-behind"
	// BlockApprovalRequested: the admin consent workflow turned the consent into a
	// request for its reviewers (ApprovalRequested).
	BlockApprovalRequested BlockReason = "approval-requested"
)

// BlockedError ends a consent wait at once: the state is one consent cannot fix.
// errors.Is matches ErrCannotFix and ErrIncomplete (exit 3).
type BlockedError struct {
	Reason BlockReason
	// Cause says what is wrong; NextStep what will fix it.
	Cause, NextStep string
	// Rows are the permissions concerned ("API · permission"), when some are.
	Rows []string
	// Err is the underlying error, if any.
	Err error
}

func (e *BlockedError) Error() string { return e.Cause + " " + e.NextStep }

// Is matches ErrCannotFix and ErrIncomplete.
func (e *BlockedError) Is(target error) bool {
	return target == ErrCannotFix || target == ErrIncomplete
}

// Unwrap returns the underlying error.
func (e *BlockedError) Unwrap() error { return e.Err }

// Explain says consent cannot fix it, with the cause and the next step.
func (e *BlockedError) Explain() *explain.Explanation {
	return &explain.Explanation{Title: "Consent cannot fix this", Meaning: e.Cause, Fix: e.NextStep}
}

// consentBlocker decides whether r (a poll during the wait) shows a state consent
// cannot fix. consented is evidence consent happened (the browser's redirect or a
// pasted admin_consent=True, or grants that appeared during the wait); stable is how
// long the set of granted rows has not changed.
func consentBlocker(app *permissions.App, r *Result, consented bool, stable time.Duration) *BlockedError {
	if r.ReauthorizeOnlyBlocked {
		return &BlockedError{Reason: BlockReauthorizeOnly,
			Cause:    fmt.Sprintf("%s is not in this tenant and can no longer be created: consent would not create it.", app.DisplayName),
			NextStep: "Only tenants that already have it can re-authorize it; contact AvePoint support about the subscription."}
	}
	if sp := r.ServicePrincipal; sp != nil && !sp.AccountEnabled {
		return &BlockedError{Reason: BlockDisabled,
			Cause: fmt.Sprintf("The service principal of %s is disabled in this tenant: it gets no token whatever is granted.", app.DisplayName),
			NextStep: "Enable it (Entra admin center > Enterprise applications > the app > Properties > 'Enabled for users to sign-in?' = Yes), " +
				"then run the wizard or verify again."}
	}
	var gone []string
	apis := map[string]bool{}
	for _, p := range r.Permissions {
		if p.Status == PermResourceMissing {
			gone = append(gone, p.API+" · "+p.Permission)
			apis[p.API] = true
		}
	}
	if len(gone) > 0 {
		var names []string
		for _, p := range r.Permissions {
			if apis[p.API] {
				names = append(names, p.API)
				delete(apis, p.API)
			}
		}
		return &BlockedError{Reason: BlockResourceMissing, Rows: gone,
			Cause: fmt.Sprintf("This tenant has no service principal for %s, so its permissions cannot be granted (Entra ID refuses with AADSTS650052).",
				strings.Join(names, " and ")),
			NextStep: "The tenant needs the Dynamics 365 service (an active subscription, or the service signed in to once); then grant consent again."}
	}
	// An account without the role is roleBlocker's (it pauses the wait rather than
	// ending it: see Consent.Resume); an account that cannot even read the grants
	// (403) ends the wait (classifyPollError).
	if consented && stable >= RegistrationSettle {
		var newMissing []string
		others := true
		for _, p := range r.Permissions {
			switch {
			case p.Status == PermGranted:
			case p.NewlyRequired:
				newMissing = append(newMissing, p.API+" · "+p.Permission)
			default:
				others = false
			}
		}
		if others && len(newMissing) > 0 {
			return &BlockedError{Reason: BlockRegistrationBehind, Rows: newMissing,
				Cause: fmt.Sprintf("Consent went through, but %s stayed missing: the app registration does not request it yet, so consent cannot grant it (consent grants what the registration asks for).",
					strings.Join(newMissing, ", ")),
				NextStep: "Once AvePoint has updated the app, re-authorize the app profile in AOS > Management > App management; AvePoint support can confirm."}
		}
	}
	return nil
}

// roleBlocker is the state "the signed-in account cannot grant this": its
// roles were read and none of them can grant what r still misses — no role that grants
// admin consent at all, or Cloud Application / Application Administrator while a
// Microsoft Graph application permission is missing (only Global Administrator and
// Privileged Role Administrator grant those:
// https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent,
// "Prerequisites"). Consent by this account would be refused on the consent page
// (AADSTS90094), or become a request with the admin consent workflow on (AADSTS90095,
// https://learn.microsoft.com/entra/identity/enterprise-apps/configure-admin-consent-workflow).
// nil when the roles were not read (never a guess) or the account can grant it.
func roleBlocker(app *permissions.App, r *Result, admin *Admin) *BlockedError {
	if admin == nil || !admin.RolesRead {
		return nil
	}
	rc := admin.RoleCheck(app)
	missing := map[string]bool{}
	var rows []string
	for _, p := range r.Permissions {
		if p.Status != PermGranted {
			missing[p.API+" · "+p.Permission] = true
			rows = append(rows, p.API+" · "+p.Permission)
		}
	}
	who := admin.UPN
	if who == "" {
		who = "The signed-in account"
	}
	have := "no active directory role"
	if len(rc.Roles) > 0 {
		have = "active roles: " + strings.Join(rc.Roles, ", ")
	}
	var cause string
	switch rc.Verdict {
	case RoleNone:
		cause = fmt.Sprintf("%s cannot grant admin consent (%s), so consent from this account would be refused (AADSTS90094). The wait is paused.", who, have)
	case RoleDelegatedOnly:
		rows = nil
		for _, b := range rc.Blocked {
			if missing[b] {
				rows = append(rows, b)
			}
		}
		if len(rows) == 0 {
			return nil
		}
		verb := "are"
		if len(rows) == 1 {
			verb = "is"
		}
		cause = fmt.Sprintf("%s (%s) can grant delegated permissions but not Microsoft Graph application permissions, and %s %s still missing; consent from this account would be refused (AADSTS90094). The wait is paused.",
			who, have, strings.Join(rows, ", "), verb)
	default:
		return nil
	}
	return &BlockedError{Reason: BlockNoRole, Rows: rows, Cause: cause,
		NextStep: "Who can grant it: a Global Administrator or Privileged Role Administrator of this tenant; send them the consent link (it works for any admin of this tenant). " +
			"If you hold such a role as eligible in Privileged Identity Management (PIM), activate it and sign in again. " +
			"With the admin consent workflow on, opening the link yourself files a request for its reviewers instead."}
}

// ApprovalRequested is where a consent stands once the tenant's admin consent workflow
// turned it into a request for the workflow's reviewers (AADSTS90095, err: the
// explained result): nothing is granted until a reviewer approves it in the Entra
// admin center (Enterprise applications > Admin consent requests), and approving
// grants tenant-wide admin consent to what the app requests
// (https://learn.microsoft.com/entra/identity/enterprise-apps/review-admin-consent-requests).
// Reading the grants needs no more than verification does; Session.AwaitConsent waits
// for them. errors.Is matches ErrIncomplete (exit 3): the consent is pending, not refused.
func ApprovalRequested(err error) *BlockedError {
	return &BlockedError{Reason: BlockApprovalRequested, Err: err,
		Cause: "An approval request was filed through the tenant's admin consent workflow (AADSTS90095): nothing is granted until a reviewer approves it.",
		NextStep: "A reviewer of the admin consent workflow approves it in the Entra admin center > Enterprise applications > Admin consent requests " +
			"(approving grants admin consent for the whole tenant); or a Global Administrator or Privileged Role Administrator opens the admin consent link. " +
			"Then check the grants with verify."}
}

// classifyPollError sorts a failed poll: transient (not visible yet: 5xx, 429 after
// retries, 404 on the app's grant or assignment lists, network errors) keeps the wait
// going; a 403 on the lists means the account cannot read them (no directory role)
// and ends it; anything else ends it as an error.
func classifyPollError(err error) (transient bool, blocker *BlockedError) {
	var ge *graph.Error
	if errors.As(err, &ge) {
		switch {
		case ge.Status >= 500 || ge.Status == http.StatusTooManyRequests:
			return true, nil
		case ge.Status == http.StatusNotFound && (strings.HasSuffix(pathOnly(ge.Path), "/oauth2PermissionGrants") || strings.HasSuffix(pathOnly(ge.Path), "/appRoleAssignments")):
			return true, nil
		case ge.Status == http.StatusForbidden:
			return false, &BlockedError{Reason: BlockCannotRead, Err: err,
				Cause: "Microsoft Graph refused to show the app's grants to your account (HTTP 403): listing them needs a directory role of the signed-in user.",
				NextStep: "Sign in as a Global Administrator or Privileged Role Administrator (activate the role in PIM first if it is eligible), " +
					"or have one open the consent link and run verify."}
		}
		return false, nil
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return true, nil
	}
	return false, nil
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
