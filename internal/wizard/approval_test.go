package wizard

import (
	"errors"
	"reflect"
	"testing"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
)

// errFiled is the consent page's answer when the admin consent workflow files a
// request instead of granting (AADSTS90095), as the demo browser reports it.
var errFiled = &explain.AuthError{Op: "admin consent", Explanation: &explain.Explanation{Code: 90095, Title: "An approval request was filed"},
	Err: errors.New("AADSTS90095: Admin consent is required for the permissions requested by this application.")}

var (
	filed      = ev{"request filed", func(f *Flow) Work { return f.ApproveFailed(errFiled) }}
	filedPaste = consentEv(flows.ConsentEvent{Done: true, Err: errFiled})
	await      = ev{"await approval", (*Flow).AwaitApproval}
	awaitStart = ev{"approval wait started", func(f *Flow) Work { return f.ConsentStarted("https://login.example/other-state", nil) }}
	toConsent  = seq(toState(missing), []ev{proceed, started})
	consentAt  = []Step{Choose, Review, SignIn, State, Consent}
)

// The admin consent workflow's request and the wait for its approval: each event's
// step, work and approval state.
func TestApprovalTransitions(t *testing.T) {
	tests := []struct {
		name     string
		events   []ev
		step     Step
		work     Work
		approval Approval
		steps    []Step
	}{
		{"the consent page files a request", seq(toConsent, []ev{filed}), Consent, NoWork, ApprovalRequested, consentAt},
		{"a pasted AADSTS90095 files a request", seq(toConsent, []ev{filedPaste}), Consent, NoWork, ApprovalRequested, consentAt},
		{"w waits for the approval", seq(toConsent, []ev{filed, await}), Consent, AwaitApprovalWork, ApprovalAwaited, consentAt},
		{"w again while waiting", seq(toConsent, []ev{filed, await, awaitStart, await}), Consent, NoWork, ApprovalAwaited, consentAt},
		{"w without a request", seq(toConsent, []ev{await}), Consent, NoWork, NoApproval, consentAt},
		{"w elsewhere", seq(toState(missing), []ev{await}), State, NoWork, NoApproval, []Step{Choose, Review, SignIn, State}},
		{"the approval lands", seq(toConsent, []ev{filed, await, awaitStart, consentEv(flows.ConsentEvent{Visible: 1, Total: 1, Done: true, Result: complete})}),
			Summary, NoWork, ApprovalAwaited, append(consentAt, Summary)},
		{"the approval wait times out", seq(toConsent, []ev{filed, await, awaitStart, consentEv(flows.ConsentEvent{Done: true, Err: flows.ErrIncomplete, Result: missing})}),
			Summary, NoWork, ApprovalAwaited, append(consentAt, Summary)},
		{"a stale event of the stopped wait", seq(toConsent, []ev{filed, consentEv(flows.ConsentEvent{Visible: 1, Total: 1, Done: true, Result: complete})}),
			Consent, NoWork, ApprovalRequested, consentAt},
		{"the approval wait fails", seq(toConsent, []ev{filed, await, startFail}), Error, NoWork, ApprovalAwaited, append(consentAt, Error)},
		{"retry waits for the approval again", seq(toConsent, []ev{filed, await, startFail, retry}), Consent, AwaitApprovalWork, ApprovalAwaited, append(consentAt, Error, Consent)},
		{"esc reads the state again", seq(toConsent, []ev{filed, back}), State, VerifyWork, NoApproval, append(consentAt, State)},
		{"consent again opens the page", seq(toConsent, []ev{filed, back, verified(missing, nil), proceed}), Consent, ConsentWork, NoApproval, append(consentAt, State, Consent)},
		{"o signs in as someone else", seq(toConsent, []ev{filed, switchAcc}), SignIn, SignInAgainWork, ApprovalRequested, append(consentAt, SignIn)},
		{"another consent page error fails", seq(toConsent, []ev{approveKO}), Error, NoWork, NoApproval, append(consentAt, Error)},
		{"AADSTS90095 at sign-in is the sign-in app's", []ev{chooseE(0), cont, filed}, Error, NoWork, NoApproval, []Step{Choose, Review, SignIn, Error}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{Target: Target{Catalog: fixture()}})
			w := NoWork
			for _, e := range tt.events {
				w = e.do(f)
			}
			if f.Step() != tt.step || w != tt.work || f.Approval() != tt.approval || !reflect.DeepEqual(f.Outcome().Steps, tt.steps) {
				t.Errorf("step %v work %v approval %v steps %v\nwant %v %v %v %v", f.Step(), w, f.Approval(), f.Outcome().Steps, tt.step, tt.work, tt.approval, tt.steps)
			}
			if (f.Request() != nil) != (tt.approval != NoApproval) {
				t.Errorf("request %v with approval %v", f.Request(), tt.approval)
			}
		})
	}
}

// Leaving while the request waits for its reviewers — before w or during the wait, by q,
// Ctrl+C or the end of input — ends incomplete (exit 3), on the request: the summary
// says who approves it and keeps the consent link the admin was shown (not the
// approval wait's) and the command that checks later.
func TestLeavingAFiledRequest(t *testing.T) {
	check := "d365consent verify --app ce --tenant " + tenantID
	want := []Line{
		{Text: flows.ApprovalRequested(nil).Cause},
		{Text: "What will fix it: " + flows.ApprovalRequested(nil).NextStep},
		{Text: "Admin consent link (a Global Administrator or Privileged Role Administrator may open it instead of approving the request):"},
		{Text: "https://login.example/consent", Whole: true, URL: true},
		{Text: "Check again with:"}, {Text: check, Whole: true},
	}
	for name, events := range map[string][]ev{
		"q on the request":        {filed, quit},
		"ctrl+c on the request":   {filed, cancel},
		"q while waiting":         {filed, await, awaitStart, consentEv(flows.ConsentEvent{Total: 1, Result: missing}), quit},
		"end of input waiting":    {filed, await, awaitStart, cancel},
		"q on a pasted request":   {filedPaste, quit},
		"q after a failed wait":   {filed, await, startFail, retry, awaitStart, quit},
		"q waiting, before start": {filed, await, quit},
	} {
		t.Run(name, func(t *testing.T) {
			f := New(Options{Target: Target{Catalog: fixture()}})
			for _, e := range seq(toConsent, events) {
				e.do(f)
			}
			o := f.Outcome()
			var b *flows.BlockedError
			if !f.Done() || !errors.Is(o.Err, flows.ErrIncomplete) || !errors.As(o.Err, &b) || b.Reason != flows.BlockApprovalRequested {
				t.Fatalf("done %v err %v, want the request (incomplete)", f.Done(), o.Err)
			}
			if got := o.Summary.Lines(); !reflect.DeepEqual(got, want) {
				t.Errorf("lines:\n%+v\nwant\n%+v", got, want)
			}
		})
	}
	// Once the approval landed, the summary's Enter finishes complete (exit 0).
	f := New(Options{Target: Target{Catalog: fixture()}})
	for _, e := range seq(toConsent, []ev{filed, await, awaitStart, consentEv(flows.ConsentEvent{Done: true, Result: complete}), finish}) {
		e.do(f)
	}
	if o := f.Outcome(); !o.Finished || o.Err != nil || o.Result != complete {
		t.Errorf("after the approval: %+v", o)
	}
}
