package wizard

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
)

var (
	admin    = &flows.Admin{UPN: "admin@contoso.example", TenantID: tenantID}
	complete = &flows.Result{Status: flows.StatusComplete, Tenant: flows.ResultTenant{ID: tenantID},
		ServicePrincipal: &flows.ResultSP{AccountEnabled: true},
		Permissions:      []flows.PermissionCheck{{Status: flows.PermGranted}}}
	missing = &flows.Result{Status: flows.StatusIncomplete, Tenant: flows.ResultTenant{ID: tenantID},
		ServicePrincipal: &flows.ResultSP{AccountEnabled: true},
		Permissions:      []flows.PermissionCheck{{Status: flows.PermMissing}}}
	notConsented = &flows.Result{Status: flows.StatusNotConsented, Tenant: flows.ResultTenant{ID: "from-result"},
		Permissions: []flows.PermissionCheck{{Status: flows.PermMissing}}}
	noResource = &flows.Result{Status: flows.StatusIncomplete, ServicePrincipal: &flows.ResultSP{AccountEnabled: true},
		Permissions: []flows.PermissionCheck{{API: "Dynamics CRM", Status: flows.PermResourceMissing}}}
	absent   = &flows.Result{Status: flows.StatusNotConsented, ReauthorizeOnlyBlocked: true}
	paused   = &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "no role", NextStep: "ask a Global Administrator"}
	errBoom  = errors.New("boom")
	errCFail = &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "cannot"}
)

// ev is one event sent to a flow, named for the failure message.
type ev struct {
	name string
	do   func(*Flow) Work
}

func chooseE(i int) ev {
	return ev{fmt.Sprint("choose ", i), func(f *Flow) Work { return f.ChooseApp(i) }}
}
func typeID(s string) ev {
	return ev{"type " + s, func(f *Flow) Work { w, _ := f.EnterClientID(s); return w }}
}
func verified(r *flows.Result, err error) ev {
	return ev{"verified", func(f *Flow) Work { return f.Verified(r, nil, err) }}
}
func signed(a *flows.Admin, err error) ev {
	return ev{"signed in", func(f *Flow) Work { return f.SignedIn(a, err) }}
}
func consentEv(e flows.ConsentEvent) ev {
	return ev{"consent event", func(f *Flow) Work { return f.ConsentEvent(e) }}
}

var (
	cont      = ev{"continue", (*Flow).Continue}
	proceed   = ev{"proceed", (*Flow).Proceed}
	back      = ev{"back", (*Flow).Back}
	retry     = ev{"retry", (*Flow).Retry}
	find      = ev{"find", (*Flow).FindInTenant}
	switchAcc = ev{"switch", (*Flow).SwitchAccount}
	closed    = ev{"closed", (*Flow).ConsentClosed}
	quit      = ev{"quit", func(f *Flow) Work { f.Quit(); return NoWork }}
	cancel    = ev{"cancel", func(f *Flow) Work { f.Cancel(); return NoWork }}
	finish    = ev{"finish", func(f *Flow) Work { f.Finish(); return NoWork }}
	resume    = ev{"resume", func(f *Flow) Work { f.Resume(); return NoWork }}
	started   = ev{"started", func(f *Flow) Work { return f.ConsentStarted("https://login.example/consent", nil) }}
	startFail = ev{"start failed", func(f *Flow) Work { return f.ConsentStarted("", errBoom) }}
	approveKO = ev{"approve failed", func(f *Flow) Work { return f.ApproveFailed(errBoom) }}
)

// toState is the path of CE from the choose step to its current state, read.
func toState(r *flows.Result) []ev {
	return []ev{chooseE(0), cont, signed(admin, nil), verified(r, nil)}
}

func seq(parts ...[]ev) []ev {
	var out []ev
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestFlowTransitions(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		events    []ev
		wantStep  Step
		wantWork  Work // of the last event
		wantSteps []Step
		wantDone  bool
		wantErr   error
	}{
		{"choose then review", Options{}, []ev{chooseE(0)}, Review, NoWork, []Step{Choose, Review}, false, nil},
		{"choose out of range", Options{}, []ev{chooseE(2)}, Choose, NoWork, []Step{Choose}, false, nil},
		{"choose negative", Options{}, []ev{chooseE(-1)}, Choose, NoWork, []Step{Choose}, false, nil},
		{"preselected", Options{App: "uo"}, nil, Review, NoWork, []Step{Review}, false, nil},
		{"preselect unknown", Options{App: "zz"}, nil, Choose, NoWork, []Step{Choose}, false, nil},
		{"review to sign-in", Options{}, []ev{chooseE(0), cont}, SignIn, SignInWork, []Step{Choose, Review, SignIn}, false, nil},
		{"no client id asks", Options{}, []ev{chooseE(1), cont}, ClientID, NoWork, []Step{Choose, Review, ClientID}, false, nil},
		{"flag gives the id", Options{Target: Target{ClientIDFlag: aosLink}}, []ev{chooseE(1), cont}, SignIn, SignInWork, []Step{Choose, Review, SignIn}, false, nil},
		{"typed link", Options{}, []ev{chooseE(1), cont, typeID(aosLink)}, SignIn, SignInWork, []Step{Choose, Review, ClientID, SignIn}, false, nil},
		{"typed garbage stays", Options{}, []ev{chooseE(1), cont, typeID("x")}, ClientID, NoWork, []Step{Choose, Review, ClientID}, false, nil},
		{"signed in reads the state", Options{}, []ev{chooseE(0), cont, signed(admin, nil)}, State, VerifyWork, []Step{Choose, Review, SignIn, State}, false, nil},
		{"sign-in fails", Options{}, []ev{chooseE(0), cont, signed(nil, errBoom)}, Error, NoWork, []Step{Choose, Review, SignIn, Error}, false, nil},
		{"retry sign-in", Options{}, []ev{chooseE(0), cont, signed(nil, errBoom), retry}, SignIn, SignInWork, []Step{Choose, Review, SignIn, Error, SignIn}, false, nil},
		{"back from sign-in error", Options{}, []ev{chooseE(0), cont, signed(nil, errBoom), back}, Review, NoWork, []Step{Choose, Review, SignIn, Error, Review}, false, nil},
		{"quit on error", Options{}, []ev{chooseE(0), cont, signed(nil, errBoom), quit}, Error, NoWork, []Step{Choose, Review, SignIn, Error}, true, errBoom},
		{"state read", Options{}, toState(missing), State, NoWork, []Step{Choose, Review, SignIn, State}, false, nil},
		{"state fails", Options{}, []ev{chooseE(0), cont, signed(admin, nil), verified(nil, errBoom)}, Error, NoWork, []Step{Choose, Review, SignIn, State, Error}, false, nil},
		{"retry state", Options{}, []ev{chooseE(0), cont, signed(admin, nil), verified(nil, errBoom), retry}, State, VerifyWork, []Step{Choose, Review, SignIn, State, Error, State}, false, nil},
		{"back from state error", Options{}, []ev{chooseE(0), cont, signed(admin, nil), verified(nil, errBoom), back}, Review, NoWork, []Step{Choose, Review, SignIn, State, Error, Review}, false, nil},
		{"signed in: review goes to the state", Options{}, seq(toState(missing), []ev{back, cont}), State, VerifyWork, []Step{Choose, Review, SignIn, State, Review, State}, false, nil},
		{"proceed to consent", Options{}, seq(toState(missing), []ev{proceed}), Consent, ConsentWork, []Step{Choose, Review, SignIn, State, Consent}, false, nil},
		{"proceed while reading", Options{}, []ev{chooseE(0), cont, signed(admin, nil), proceed}, State, NoWork, []Step{Choose, Review, SignIn, State}, false, nil},
		{"complete: summary", Options{}, seq(toState(complete), []ev{proceed}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Summary}, false, nil},
		{"complete: finish", Options{}, seq(toState(complete), []ev{proceed, finish}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Summary}, true, nil},
		{"complete: quit on the state", Options{}, seq(toState(complete), []ev{quit}), State, NoWork, []Step{Choose, Review, SignIn, State}, true, nil},
		{"incomplete: quit on the state", Options{}, seq(toState(missing), []ev{quit}), State, NoWork, []Step{Choose, Review, SignIn, State}, true, nil},
		{"consent cannot help: summary", Options{}, seq(toState(noResource), []ev{proceed}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Summary}, false, nil},
		{"blocked: no consent", Options{}, []ev{chooseE(1), cont, typeID(typed), signed(admin, nil), verified(absent, nil), proceed}, State, NoWork, []Step{Choose, Review, ClientID, SignIn, State}, false, nil},
		{"blocked: quit finishes", Options{}, []ev{chooseE(1), cont, typeID(typed), signed(admin, nil), verified(notConsented, nil), quit}, State, NoWork, []Step{Choose, Review, ClientID, SignIn, State}, true, nil},
		{"consent start fails", Options{}, seq(toState(missing), []ev{proceed, startFail}), Error, NoWork, []Step{Choose, Review, SignIn, State, Consent, Error}, false, nil},
		{"consent started", Options{}, seq(toState(missing), []ev{proceed, started}), Consent, NoWork, []Step{Choose, Review, SignIn, State, Consent}, false, nil},
		{"retry consent", Options{}, seq(toState(missing), []ev{proceed, startFail, retry}), Consent, ConsentWork, []Step{Choose, Review, SignIn, State, Consent, Error, Consent}, false, nil},
		{"back from consent error", Options{}, seq(toState(missing), []ev{proceed, startFail, back}), State, VerifyWork, []Step{Choose, Review, SignIn, State, Consent, Error, State}, false, nil},
		{"progress", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Visible: 1, Total: 2})}), Consent, NoWork, []Step{Choose, Review, SignIn, State, Consent}, false, nil},
		{"done with result", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Result: complete})}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, false, nil},
		{"done with result, finish", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Result: complete}), finish}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, true, nil},
		{"done without result", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true})}), Summary, VerifyWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, false, nil},
		{"finish before the summary is read", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true}), finish}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, false, nil},
		{"closed", Options{}, seq(toState(missing), []ev{proceed, closed}), Summary, VerifyWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, false, nil},
		{"timed out", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: flows.ErrIncomplete, Result: missing})}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, false, nil},
		{"timed out without result", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: flows.ErrIncomplete})}), Error, NoWork, []Step{Choose, Review, SignIn, State, Consent, Error}, false, nil},
		{"cannot fix", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: fmt.Errorf("%w", errCFail)})}), Error, NoWork, []Step{Choose, Review, SignIn, State, Consent, Error}, false, nil},
		{"cancelled event stays", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: context.Canceled})}), Consent, NoWork, []Step{Choose, Review, SignIn, State, Consent}, false, nil},
		{"graph error", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Done: true, Err: errBoom})}), Error, NoWork, []Step{Choose, Review, SignIn, State, Consent, Error}, false, nil},
		{"paused quit", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Paused: paused}), quit}), Consent, NoWork, []Step{Choose, Review, SignIn, State, Consent}, true, paused},
		{"resumed quit", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Paused: paused}), resume, quit}), Consent, NoWork, []Step{Choose, Review, SignIn, State, Consent}, true, nil},
		{"paused: switch account", Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Paused: paused}), switchAcc}), SignIn, SignInAgainWork, []Step{Choose, Review, SignIn, State, Consent, SignIn}, false, nil},
		{"switch account, then retry is a plain sign-in", Options{}, seq(toState(missing), []ev{switchAcc, signed(nil, errBoom), retry}), SignIn, SignInWork, []Step{Choose, Review, SignIn, State, SignIn, Error, SignIn}, false, nil},
		{"switch elsewhere", Options{}, []ev{chooseE(0), switchAcc}, Review, NoWork, []Step{Choose, Review}, false, nil},
		{"back from consent", Options{}, seq(toState(missing), []ev{proceed, back}), State, VerifyWork, []Step{Choose, Review, SignIn, State, Consent, State}, false, nil},
		{"back from summary", Options{}, seq(toState(complete), []ev{proceed, back}), State, VerifyWork, []Step{Choose, Review, SignIn, State, Summary, State}, false, nil},
		{"summary verify fails", Options{}, seq(toState(missing), []ev{proceed, closed, verified(nil, errBoom)}), Error, NoWork, []Step{Choose, Review, SignIn, State, Consent, Summary, Error}, false, nil},
		{"retry summary", Options{}, seq(toState(missing), []ev{proceed, closed, verified(nil, errBoom), retry}), Summary, VerifyWork, []Step{Choose, Review, SignIn, State, Consent, Summary, Error, Summary}, false, nil},
		{"back from summary error", Options{}, seq(toState(missing), []ev{proceed, closed, verified(nil, errBoom), back}), State, VerifyWork, []Step{Choose, Review, SignIn, State, Consent, Summary, Error, State}, false, nil},
		{"quit on the summary", Options{}, seq(toState(missing), []ev{proceed, closed, verified(missing, nil), quit}), Summary, NoWork, []Step{Choose, Review, SignIn, State, Consent, Summary}, true, nil},
		{"back from review", Options{}, []ev{chooseE(0), back}, Choose, NoWork, []Step{Choose, Review, Choose}, false, nil},
		{"back from client id", Options{}, []ev{chooseE(1), cont, back}, Review, NoWork, []Step{Choose, Review, ClientID, Review}, false, nil},
		{"back from choose ends", Options{}, []ev{back}, Choose, NoWork, []Step{Choose}, true, flows.ErrCancelled},
		{"cancel", Options{}, []ev{chooseE(0), cancel}, Review, NoWork, []Step{Choose, Review}, true, flows.ErrCancelled},
		{"quit from review", Options{}, []ev{chooseE(0), quit}, Review, NoWork, []Step{Choose, Review}, true, flows.ErrCancelled},
		{"ended runs stay ended", Options{}, []ev{back, cancel, quit}, Choose, NoWork, []Step{Choose}, true, flows.ErrCancelled},
		{"find signs in first", Options{}, []ev{chooseE(1), cont, find}, SignIn, SignInWork, []Step{Choose, Review, ClientID, SignIn}, false, nil},
		{"find after sign-in", Options{}, []ev{chooseE(1), cont, find, signed(admin, nil)}, ClientID, FindAppsWork, []Step{Choose, Review, ClientID, SignIn, ClientID}, false, nil},
		{"find when signed in", Options{}, []ev{chooseE(1), cont, find, signed(admin, nil), find}, ClientID, FindAppsWork, []Step{Choose, Review, ClientID, SignIn, ClientID}, false, nil},
		{"found id then state", Options{}, []ev{chooseE(1), cont, find, signed(admin, nil), typeID(typed)}, State, VerifyWork, []Step{Choose, Review, ClientID, SignIn, ClientID, State}, false, nil},
		{"approve fails on sign-in", Options{}, []ev{chooseE(0), cont, approveKO}, Error, NoWork, []Step{Choose, Review, SignIn, Error}, false, nil},
		{"approve fails on the error step", Options{}, []ev{chooseE(0), cont, approveKO, approveKO}, Error, NoWork, []Step{Choose, Review, SignIn, Error}, false, nil},
		{"retry from review error", Options{}, []ev{chooseE(0), approveKO, retry}, Review, NoWork, []Step{Choose, Review, Error, Review}, false, nil},
		{"back from review error", Options{}, []ev{chooseE(0), approveKO, back}, Review, NoWork, []Step{Choose, Review, Error, Review}, false, nil},
		// Events of another step are dropped.
		{"stale sign-in", Options{}, []ev{chooseE(0), signed(admin, nil)}, Review, NoWork, []Step{Choose, Review}, false, nil},
		{"stale verification", Options{}, []ev{chooseE(0), verified(complete, nil)}, Review, NoWork, []Step{Choose, Review}, false, nil},
		{"stale consent", Options{}, seq(toState(missing), []ev{consentEv(flows.ConsentEvent{Done: true}), closed, startFail}), State, NoWork, []Step{Choose, Review, SignIn, State}, false, nil},
		{"stale continue", Options{}, []ev{cont, proceed, retry, find, typeID(typed)}, Choose, NoWork, []Step{Choose}, false, nil},
		{"choose twice", Options{}, []ev{chooseE(0), chooseE(1)}, Review, NoWork, []Step{Choose, Review}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Catalog = fixture()
			f := New(opts)
			w := NoWork
			for _, e := range tt.events {
				w = e.do(f)
			}
			o := f.Outcome()
			if f.Step() != tt.wantStep || w != tt.wantWork || !reflect.DeepEqual(o.Steps, tt.wantSteps) ||
				f.Done() != tt.wantDone || !errors.Is(o.Err, tt.wantErr) || o.Finished != (tt.wantDone && tt.wantErr == nil) {
				t.Errorf("step %v work %v steps %v done %v err %v finished %v\nwant %v %v %v %v %v",
					f.Step(), w, o.Steps, f.Done(), o.Err, o.Finished, tt.wantStep, tt.wantWork, tt.wantSteps, tt.wantDone, tt.wantErr)
			}
			if tt.wantErr == nil && o.Err != nil {
				t.Errorf("err %v, want none", o.Err)
			}
		})
	}
}
