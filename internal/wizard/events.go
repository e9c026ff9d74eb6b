package wizard

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
)

// ChooseApp picks the i-th catalog app and shows its review.
func (f *Flow) ChooseApp(i int) Work {
	if f.step != Choose || i < 0 || i >= len(f.apps) {
		return NoWork
	}
	f.appIdx = i
	f.selectApp()
	f.enter(Review)
	return NoWork
}

// Continue goes on from the review: ask for a client id when none is known, sign in
// when not signed in yet, else read the current state.
func (f *Flow) Continue() Work {
	if f.step != Review {
		return NoWork
	}
	f.selectApp()
	if f.app.ClientID == "" {
		f.enter(ClientID)
		return NoWork
	}
	return f.afterClientID()
}

func (f *Flow) afterClientID() Work {
	if f.admin != nil {
		return f.verifyIn(State)
	}
	return f.signIn()
}

// EnterClientID takes what the admin typed on the client id step: a GUID, or the
// consent link AOS gives (its client_id and redirect_uri). A parse error leaves the
// step as it is.
func (f *Flow) EnterClientID(s string) (Work, error) {
	if f.step != ClientID {
		return NoWork, nil
	}
	id, redirect, err := flows.ParseClientIDInput(s)
	if err != nil {
		return NoWork, err
	}
	f.typedID, f.typedRedirect = id, redirect
	f.selectApp()
	return f.afterClientID(), nil
}

// FindInTenant looks the app up in the tenant from the client id step, signing in
// first when needed.
func (f *Flow) FindInTenant() Work {
	if f.step != ClientID {
		return NoWork
	}
	if f.admin == nil {
		f.findAfterSignIn = true
		return f.signIn()
	}
	return FindAppsWork
}

func (f *Flow) signIn() Work {
	f.enter(SignIn)
	if f.signInAgain {
		f.signInAgain = false
		return SignInAgainWork
	}
	return SignInWork
}

// verifyIn enters s (State or Summary) with its verification not read yet.
func (f *Flow) verifyIn(s Step) Work {
	f.enter(s)
	if s == State {
		f.before = nil
	} else {
		f.result = nil
	}
	return VerifyWork
}

// SignedIn is the end of the sign-in.
func (f *Flow) SignedIn(admin *flows.Admin, err error) Work {
	if f.step != SignIn {
		return NoWork
	}
	if err != nil {
		return f.fail(SignIn, err)
	}
	f.admin, f.rolesReadAgain = admin, false
	if f.findAfterSignIn {
		f.findAfterSignIn = false
		f.enter(ClientID)
		return FindAppsWork
	}
	return f.verifyIn(State)
}

// Verified is the end of a verification, of the current state or the final one.
// admin is the signed-in admin as the engine knows it once the read ended (nil keeps
// the admin of the sign-in): the first sign-in's token sees directory roles without
// their details, and the engine reads them again once it may read the grants
// (flows.Session.EnsureGrantRead), so the role check shows what the tenant says.
func (f *Flow) Verified(r *flows.Result, admin *flows.Admin, err error) Work {
	if f.step != State && f.step != Summary {
		return NoWork
	}
	f.takeAdmin(admin)
	if err != nil {
		return f.fail(f.step, err)
	}
	if f.step == State {
		f.before = r
	} else {
		f.result = r
	}
	f.outcome.Result = r
	return NoWork
}

// takeAdmin takes the engine's admin after a read when it is the signed-in account;
// rolesReadAgain says whether it read the roles the sign-in could not.
func (f *Flow) takeAdmin(a *flows.Admin) {
	f.rolesReadAgain = false
	if a == nil || f.admin == nil || a == f.admin || !sameAccount(a, f.admin) {
		return
	}
	f.rolesReadAgain = !f.admin.RolesRead && a.RolesRead
	f.admin = a
}

// sameAccount: a and b name the same account (its object id, else its UPN).
func sameAccount(a, b *flows.Admin) bool {
	if a.ObjectID != "" && b.ObjectID != "" {
		return strings.EqualFold(a.ObjectID, b.ObjectID)
	}
	return strings.EqualFold(a.UPN, b.UPN)
}

// Proceed is Enter on the current state: the consent page when consent can help,
// else the summary of what was read; nothing while it is read or when the app is
// not in the tenant.
func (f *Flow) Proceed() Work {
	if f.step != State || f.before == nil || f.Blocked() {
		return NoWork
	}
	if !flows.ConsentCanHelp(f.before) {
		f.enter(Summary)
		f.result = f.before
		f.outcome.Result = f.before
		return NoWork
	}
	f.enter(Consent)
	f.paused, f.redirected, f.resumed, f.revoked = nil, false, false, nil
	f.approval, f.request = NoApproval, nil
	return ConsentWork
}

// ConsentStarted is the end of starting the consent wait, url the admin consent link
// it shows (the outcome's summary keeps it).
func (f *Flow) ConsentStarted(url string, err error) Work {
	if f.step != Consent {
		return NoWork
	}
	if err == nil {
		if f.approval != ApprovalAwaited { // the approval wait keeps the link the admin was shown
			f.consentURL = url
		}
		return NoWork
	}
	return f.fail(Consent, err)
}

// ConsentEvent is one event of the consent wait. When the step is no longer Consent
// afterwards, or ev.Err is set, the renderer closes the wait.
func (f *Flow) ConsentEvent(ev flows.ConsentEvent) Work {
	if f.step != Consent || f.approval == ApprovalRequested { // no wait runs: a stale event
		return NoWork
	}
	if !f.resumed { // after a resume the wait never pauses again: a pause is stale
		f.paused = ev.Paused
	}
	f.redirected = f.redirected || ev.Redirected
	if ev.Done {
		f.revoked = ev.Revoked
	}
	switch {
	case ev.Err != nil:
		return f.consentFailed(ev)
	case ev.Done && ev.Result != nil:
		f.toSummary(ev.Result)
	case ev.Done:
		return f.verifyIn(Summary)
	}
	return NoWork
}

func (f *Flow) consentFailed(ev flows.ConsentEvent) Work {
	f.paused = nil
	switch {
	case errors.Is(ev.Err, flows.ErrCancelled) || errors.Is(ev.Err, context.Canceled):
		return NoWork
	case requestFiled(ev.Err):
		// A pasted (or redirected) AADSTS90095: the request waits for its reviewers.
		f.fileRequest(ev.Err)
		return NoWork
	case errors.Is(ev.Err, flows.ErrCannotFix):
		// A state consent cannot fix: its cause and next step.
		if ev.Result != nil {
			f.outcome.Result = ev.Result
		}
	case errors.Is(ev.Err, flows.ErrIncomplete) && ev.Result != nil:
		// Timed out: what Graph shows, with the way forward.
		f.toSummary(ev.Result)
		f.note = "Stopped waiting: not every grant is visible in Microsoft Graph yet."
		if bl := flows.Blockers(ev.Result); len(bl) > 0 {
			f.note = "Stopped waiting: " + bl[0].Cause
		}
		return NoWork
	}
	return f.fail(Consent, ev.Err)
}

func (f *Flow) toSummary(r *flows.Result) {
	f.enter(Summary)
	f.result = r
	f.outcome.Result = r
}

// ConsentClosed: the wait ended without a final event; the summary verifies itself.
func (f *Flow) ConsentClosed() Work {
	if f.step != Consent {
		return NoWork
	}
	f.paused = nil
	return f.verifyIn(Summary)
}

// Resume: the admin waits for another admin's consent (the renderer resumes the wait).
func (f *Flow) Resume() {
	if f.step == Consent && !f.done {
		f.paused, f.resumed = nil, true
	}
}

// ApproveFailed: the demo browser could not answer the step's page. On the consent
// page that can be the admin consent workflow filing a request (AADSTS90095): the step
// stays, waiting for its approval is the admin's choice (AwaitApproval).
func (f *Flow) ApproveFailed(err error) Work {
	if f.step == Error || f.done {
		return NoWork
	}
	if f.step == Consent && requestFiled(err) {
		f.fileRequest(err)
		return NoWork
	}
	return f.fail(f.step, err)
}

// requestFiled: err is Entra ID's answer that the admin consent workflow filed a
// request instead of granting (AADSTS90095, reference-error-codes:
// AdminConsentRequiredRequestAccess).
func requestFiled(err error) bool {
	x := explain.Explain(err)
	return x != nil && x.Code == 90095
}

// fileRequest: the consent became a request for the workflow's reviewers; the
// consent wait stops (the renderer closes it) until the admin waits for the approval.
func (f *Flow) fileRequest(err error) {
	f.paused = nil
	f.approval, f.request = ApprovalRequested, flows.ApprovalRequested(err)
}

// AwaitApproval waits on the consent step for a reviewer to approve the filed
// request (w): the wait reads Graph for the grants as the consent wait does, without
// opening the consent page again or filing another request.
func (f *Flow) AwaitApproval() Work {
	if f.step != Consent || f.done || f.approval != ApprovalRequested {
		return NoWork
	}
	f.approval = ApprovalAwaited
	return AwaitApprovalWork
}

// SwitchAccount signs in anew as another account: from the state, the consent wait,
// or an error another account fixes (AnotherAccountHelps).
func (f *Flow) SwitchAccount() Work {
	if f.step != State && f.step != Consent && !(f.step == Error && f.AnotherAccountHelps()) {
		return NoWork
	}
	f.signInAgain = true
	f.admin = nil
	f.paused = nil
	return f.signIn()
}

func (f *Flow) fail(from Step, err error) Work {
	f.enter(Error)
	f.err, f.errFrom = err, from
	return NoWork
}

// Back goes one step back, keeping the choices made so far; from the choose step it
// ends the run.
func (f *Flow) Back() Work {
	switch f.step {
	case Choose:
		f.end(f.leaveErr())
	case Review:
		f.enter(Choose)
	case ClientID, SignIn, State:
		f.enter(Review)
	case Consent, Summary:
		f.paused = nil
		f.approval, f.request = NoApproval, nil
		return f.verifyIn(State)
	case Error:
		if f.errFrom == Consent || f.errFrom == Summary {
			return f.verifyIn(State)
		}
		f.enter(Review)
	}
	return NoWork
}

// Retry runs the work that failed again.
func (f *Flow) Retry() Work {
	if f.step != Error {
		return NoWork
	}
	switch f.errFrom {
	case SignIn:
		return f.signIn()
	case State, Summary:
		return f.verifyIn(f.errFrom)
	case Consent:
		f.enter(Consent)
		f.paused, f.redirected, f.resumed = nil, false, false
		if f.approval == ApprovalAwaited {
			return AwaitApprovalWork // the request stays filed: wait for it again
		}
		return ConsentWork
	}
	f.enter(Review)
	return NoWork
}

// Quit ends the run where it is (q). It ends as every way of leaving does
// (leaveErr): the same state gives the same outcome however the admin leaves.
func (f *Flow) Quit() { f.end(f.leaveErr()) }

// leaveErr is how a run the admin leaves ends — q, Esc out of the first step, Ctrl+C,
// a quit confirmed mid-consent, the end of input: the error on the error step; the
// pause of a consent the account cannot grant (incomplete); else the last
// verification decides (nil: the result gives the code), and cancelled when none was
// read.
func (f *Flow) leaveErr() error {
	switch {
	case f.step == Error:
		return f.err
	case f.step == Consent && f.request != nil:
		return f.request // filed, waiting (or not) for its approval: incomplete
	case f.step == Consent && f.paused != nil:
		return f.paused // the account cannot grant it: incomplete
	case f.outcome.Result != nil:
		return nil
	}
	return flows.ErrCancelled
}

// Cancel ends the run as the admin left it (Ctrl+C, the end of input): leaveErr, as q.
func (f *Flow) Cancel() { f.end(f.leaveErr()) }

// Finish ends the run from the summary (Enter).
func (f *Flow) Finish() {
	if f.step == Summary && f.result != nil {
		f.end(nil)
	}
}

func (f *Flow) end(err error) {
	if f.done {
		return
	}
	f.done = true
	f.outcome.Err = err
	f.outcome.Finished = err == nil
	f.outcome.Summary = f.summary()
}

// AnotherAccountHelps: the error step shows an error whose fix is another account —
// Microsoft Graph refused the read (403: the account holds no role that may read it),
// the account cannot grant the consent, or cannot act in this tenant.
func (f *Flow) AnotherAccountHelps() bool {
	if f.step != Error || f.err == nil {
		return false
	}
	var ge *graph.Error
	var blocked *flows.BlockedError
	switch {
	case errors.As(f.err, &ge) && ge.Status == http.StatusForbidden:
		return true
	case errors.As(f.err, &blocked):
		return blocked.Reason == flows.BlockNoRole
	}
	x := explain.Explain(f.err)
	return x != nil && (explain.MeansNoAccess(x.Code) || x.Code == 90094 || x.Code == 90095) // admin approval required; a request filed instead
}
