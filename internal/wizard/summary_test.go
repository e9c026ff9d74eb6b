package wizard

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
)

// leavings are every way an admin leaves a run where it is.
var leavings = map[string][]ev{
	"q":             {quit},
	"ctrl+c":        {cancel},
	"esc out":       {back, back, back, back, back, back, back, back},
	"end of input":  {cancel},
	"q after pause": {quit},
}

// The same state ends the same way however the admin leaves it: q, Ctrl+C, the end
// of input or Esc until the wizard ends.
func TestLeavingEndsTheSameWayHoweverTheAdminLeaves(t *testing.T) {
	states := []struct {
		name    string
		events  []ev
		wantErr error
		// wantResult is the status of the outcome's verification ("" none).
		wantResult flows.Status
	}{
		{"nothing read", []ev{chooseE(0)}, flows.ErrCancelled, ""},
		{"state read, incomplete", toState(missing), nil, flows.StatusIncomplete},
		{"state read, complete", toState(complete), nil, flows.StatusComplete},
		{"consent page shown", seq(toState(missing), []ev{proceed, started}), nil, flows.StatusIncomplete},
		{"consent resumed", seq(toState(missing), []ev{proceed, started, consentEv(flows.ConsentEvent{Paused: paused}), resume}), nil, flows.StatusIncomplete},
		{"consent final summary", seq(toState(missing), []ev{proceed, started, consentEv(flows.ConsentEvent{Done: true, Result: missing})}), nil, flows.StatusIncomplete},
	}
	for _, st := range states {
		for how, leave := range leavings {
			if how == "esc out" && strings.HasPrefix(st.name, "consent") {
				continue // Esc on the consent step reads the state again: another state
			}
			t.Run(st.name+"/"+how, func(t *testing.T) {
				f := New(Options{Target: Target{Catalog: fixture()}})
				for _, e := range seq(st.events, leave) {
					e.do(f)
				}
				o := f.Outcome()
				if !f.Done() || !errors.Is(o.Err, st.wantErr) || (st.wantErr == nil) != (o.Err == nil) {
					t.Fatalf("done %v err %v, want %v", f.Done(), o.Err, st.wantErr)
				}
				got := flows.Status("")
				if o.Result != nil {
					got = o.Result.Status
				}
				if got != st.wantResult {
					t.Errorf("result %q, want %q", got, st.wantResult)
				}
			})
		}
	}
	// A paused consent (the account cannot grant it) ends on the pause, q or Ctrl+C.
	for _, leave := range []ev{quit, cancel} {
		f := New(Options{Target: Target{Catalog: fixture()}})
		for _, e := range seq(toState(missing), []ev{proceed, started, consentEv(flows.ConsentEvent{Paused: paused}), leave}) {
			e.do(f)
		}
		if o := f.Outcome(); o.Err != paused {
			t.Errorf("%s on a paused consent: err %v, want the pause", leave.name, o.Err)
		}
	}
}

// The summary a run leaves behind keeps what the admin must send on or run later.
func TestExitSummaryKeepsWhatTheAdminNeeds(t *testing.T) {
	forbidden := &graph.Error{Status: http.StatusForbidden, Code: "Authorization_RequestDenied", Message: "Insufficient privileges"}
	check := "d365consent verify --app ce --tenant " + tenantID
	const link = "https://login.example/consent"
	tests := []struct {
		name   string
		events []ev
		want   []Line
	}{
		{"cancelled before a check", []ev{chooseE(0), quit}, []Line{{Text: Cancelled}}},
		{"paused for another admin, q", seq(toState(missing), []ev{proceed, started, consentEv(flows.ConsentEvent{Paused: paused}), quit}), []Line{
			{Text: "no role"}, {Text: "What will fix it: ask a Global Administrator"},
			{Text: "Send this admin consent link to an admin who can grant it:"}, {Text: link, Whole: true, URL: true},
			{Text: "Check again with:"}, {Text: check, Whole: true}}},
		{"resumed wait, quit confirmed", seq(toState(missing), []ev{proceed, started, consentEv(flows.ConsentEvent{Paused: paused}), resume, cancel}), []Line{
			{Text: flows.Summary(missing)},
			{Text: "Admin consent link (open it as an admin, or send it to one):"}, {Text: link, Whole: true, URL: true},
			{Text: "Check again with:"}, {Text: check, Whole: true}}},
		{"incomplete state, esc out", seq(toState(missing), []ev{back, back, back}), []Line{
			{Text: flows.Summary(missing)}, {Text: "Check again with:"}, {Text: check, Whole: true}}},
		{"complete", seq(toState(complete), []ev{proceed, finish}), []Line{{Text: flows.Summary(complete)}}},
		{"graph refused, q on the error", []ev{chooseE(0), cont, signed(admin, nil), verified(nil, forbidden), quit}, []Line{
			{Text: "Could not read the app's current state."},
			{Text: "Microsoft Graph refused to show this to your account. Graph answered 403 (Authorization_RequestDenied): reading the app's grants and app role assignments needs a directory role of the signed-in account, and this account has none that allows it. It does not mean the permissions are missing."},
			{Text: "What to do: Sign in as a Global Administrator, Privileged Role Administrator, Global Reader or Directory Reader (activate the role in PIM first if it is eligible), or have such an admin check it with this tool."},
			{Text: "Check again with:"}, {Text: check, Whole: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{Target: Target{Catalog: fixture()}})
			for _, e := range tt.events {
				e.do(f)
			}
			if got := f.Outcome().Summary.Lines(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("lines:\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// After an error another account fixes (Graph's 403, consent the account cannot
// grant), o signs in as someone else; after any other error it does nothing.
func TestSwitchAccountFromTheError(t *testing.T) {
	forbidden := &graph.Error{Status: http.StatusForbidden, Code: "Authorization_RequestDenied"}
	tests := []struct {
		name     string
		events   []ev
		want     Step
		wantWork Work
	}{
		{"graph 403 on the state", []ev{chooseE(0), cont, signed(admin, nil), verified(nil, forbidden), switchAcc}, SignIn, SignInAgainWork},
		{"no role to grant", seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: errCFail})}), SignIn, SignInAgainWork},
		{"network failure", []ev{chooseE(0), cont, signed(admin, nil), verified(nil, errBoom), switchAcc}, Error, NoWork},
		{"admin approval required (AADSTS90094)", []ev{chooseE(0), cont, signed(nil, errors.New("AADSTS90094: Admin consent is required.")), switchAcc}, SignIn, SignInAgainWork},
		{"admin consent request filed (AADSTS90095)", []ev{chooseE(0), cont, signed(nil, errors.New("AADSTS90095: A request was filed.")), switchAcc}, SignIn, SignInAgainWork},
		{"another Entra refusal (AADSTS65004)", []ev{chooseE(0), cont, signed(nil, errors.New("AADSTS65004: The user declined.")), switchAcc}, Error, NoWork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := New(Options{Target: Target{Catalog: fixture()}})
			var w Work
			for _, e := range tt.events {
				w = e.do(f)
			}
			if tt.events[len(tt.events)-1].name != "switch" {
				w = f.SwitchAccount()
			}
			if f.Step() != tt.want || w != tt.wantWork {
				t.Errorf("step %v work %v, want %v %v", f.Step(), w, tt.want, tt.wantWork)
			}
		})
	}
}

// The error step's headline does not say consent failed when it went through.
func TestFailedHeadline(t *testing.T) {
	behind := &flows.BlockedError{Reason: flows.BlockRegistrationBehind, Cause: "Consent went through, but a row stayed missing."}
	tests := []struct {
		err  error
		want string
	}{
		{behind, "Admin consent went through, but cannot grant everything that is required."},
		{errCFail, "Admin consent cannot fix what is left."},
		{errBoom, "Admin consent did not complete."},
	}
	for _, tt := range tests {
		f := New(Options{Target: Target{Catalog: fixture()}})
		for _, e := range seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: tt.err})}) {
			e.do(f)
		}
		if got := f.Failed(); f.Step() != Error || got != tt.want {
			t.Errorf("%v: step %v headline %q, want %q", tt.err, f.Step(), got, tt.want)
		}
	}
}

// After the admin chose to wait for another admin, a pause from the wait is stale
// (it never pauses after a resume): the step stays waiting.
func TestPauseAfterResumeIsStale(t *testing.T) {
	f := New(Options{Target: Target{Catalog: fixture()}})
	for _, e := range seq(toState(missing), []ev{proceed, started, consentEv(flows.ConsentEvent{Paused: paused}), resume, consentEv(flows.ConsentEvent{Paused: paused})}) {
		e.do(f)
	}
	if f.Paused() != nil || !f.Resumed() {
		t.Fatalf("paused %v resumed %v", f.Paused(), f.Resumed())
	}
	f.Retry() // not on the error step: nothing
	for _, e := range []ev{back, verified(missing, nil), proceed, consentEv(flows.ConsentEvent{Paused: paused})} {
		e.do(f)
	}
	if f.Paused() != paused || f.Resumed() {
		t.Fatalf("a new consent step: paused %v resumed %v", f.Paused(), f.Resumed())
	}
}

// A check of the app chosen before is not this app's outcome: back to the choice,
// another app, quit — nothing was checked for it.
func TestExitSummaryDropsAnotherAppsCheck(t *testing.T) {
	ceMissing := *missing
	ceMissing.App = flows.ResultApp{Key: "ce"}
	f := New(Options{Target: Target{Catalog: fixture()}})
	for _, e := range seq(toState(&ceMissing), []ev{back, back, chooseE(1), quit}) {
		e.do(f)
	}
	if got, want := f.Outcome().Summary.Lines(), []Line{{Text: Cancelled}}; !reflect.DeepEqual(got, want) {
		t.Errorf("lines %+v, want %+v", got, want)
	}
}

// What consent cannot fix leaves its cause (with the error code consent would meet,
// which a warning said on the summary screen) and its fix behind, with the command
// that checks again.
func TestExitSummaryNamesWhatWillFixIt(t *testing.T) {
	f := New(Options{Target: Target{Catalog: fixture()}})
	for _, e := range seq(toState(noResource), []ev{proceed, finish}) {
		e.do(f)
	}
	want := []Line{
		{Text: flows.Summary(noResource)},
		{Text: "Why: " + flows.Blockers(noResource)[0].Cause},
		{Text: "What will fix it: " + flows.Blockers(noResource)[0].Fix},
		{Text: "Check again with:"}, {Text: "d365consent verify --app ce --tenant " + tenantID, Whole: true},
	}
	got := f.Outcome().Summary.Lines()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines:\n%+v\nwant\n%+v", got, want)
	}
	if len(got) < 2 || !strings.Contains(got[1].Text, "AADSTS650052") {
		t.Errorf("the cause does not keep the code consent would meet: %+v", got)
	}
}

// A complete check names the next step in AOS: the result's, else the app's.
func TestExitSummaryNextStep(t *testing.T) {
	cat := fixture()
	cat.Apps[0].Consent = "Create an app profile in AOS."
	for _, tt := range []struct {
		name, resultNext, want string
	}{
		{"from the app", "", "Create an app profile in AOS."},
		{"from the result", "Re-authorize the profile.", "Re-authorize the profile."},
	} {
		r := *complete
		r.NextStep = tt.resultNext
		f := New(Options{Target: Target{Catalog: cat}})
		for _, e := range seq(toState(&r), []ev{proceed, finish}) {
			e.do(f)
		}
		if got := f.Outcome().Summary.Next; got != tt.want {
			t.Errorf("%s: next %q, want %q", tt.name, got, tt.want)
		}
	}
}
