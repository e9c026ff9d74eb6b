package ui

import (
	"context"
	"errors"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/wizard"
)

func newTestModel(t *testing.T, eng *fakeEngine, mut ...func(*Options)) *Model {
	t.Helper()
	opts := Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}
	for _, f := range mut {
		f(&opts)
	}
	m := New(context.Background(), opts)
	m.width, m.height = 100, 30
	t.Cleanup(m.Close)
	return m
}

// at puts m at step s as if the admin had walked there (CE chosen, signed in, its
// state read as not consented, consent started with a fake wait), through the
// model's messages; no Cmd runs.
func at(m *Model, s wizard.Step) {
	if s == stepChoose {
		return
	}
	m.Update(testkit.Key("enter")) // the review of the app under the cursor
	switch s {
	case stepReview:
		return
	case stepClientID:
		m.flow.Apps()[m.choose.cursor].ClientID = ""
		m.Update(testkit.Key("enter"))
		return
	}
	m.Update(testkit.Key("enter"))
	switch s {
	case stepSignIn:
		return
	case stepError:
		m.Update(signedInMsg{attempt: m.attempt, err: errBoom})
		return
	}
	m.Update(signedInMsg{attempt: m.attempt, admin: testAdmin(true)})
	m.Update(verifiedMsg{attempt: m.attempt, result: result(m.flow.App().Key, false, nil)})
	if s == stepState {
		return
	}
	m.Update(testkit.Key("enter"))
	m.Update(consentStartedMsg{attempt: m.attempt, waiter: newFakeWaiter("https://login.example/adminconsent")})
	if s == stepConsent {
		return
	}
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Done: true, Result: result("ce", true, nil)}})
}

// reread has the current state (or summary) read anew as r.
func reread(m *Model, r *flows.Result) {
	m.Update(verifiedMsg{attempt: m.attempt, result: r})
}

func TestTransitions(t *testing.T) {
	w := newFakeWaiter("https://login.example/adminconsent")
	tests := []struct {
		name   string
		from   wizard.Step
		setup  func(m *Model)
		msg    func(m *Model) tea.Msg
		want   wizard.Step
		check  func(t *testing.T, m *Model, cmd tea.Cmd)
		quits  bool
		outErr error
	}{
		{name: "choose enter → review", from: stepChoose, msg: k("enter"), want: stepReview},
		{name: "choose down enter → review of UO", from: stepChoose, setup: func(m *Model) { m.choose.cursor = 1 },
			msg: k("enter"), want: stepReview, check: func(t *testing.T, m *Model, _ tea.Cmd) {
				if m.flow.App().Key != "uo" {
					t.Errorf("app = %s, want uo", m.flow.App().Key)
				}
			}},
		{name: "choose esc → quit cancelled", from: stepChoose, msg: k("esc"), want: stepChoose, quits: true, outErr: flows.ErrCancelled},
		{name: "review esc → choose keeps app", from: stepReview, msg: k("esc"), want: stepChoose,
			check: func(t *testing.T, m *Model, _ tea.Cmd) {
				if m.choose.cursor != 0 || m.flow.App() == nil {
					t.Error("choice lost")
				}
			}},
		{name: "review enter → sign in", from: stepReview, msg: k("enter"), want: stepSignIn, check: wantCmd},
		{name: "review enter signed in → state", from: stepState, setup: func(m *Model) { m.Update(testkit.Key("esc")) },
			msg: k("enter"), want: stepState, check: wantCmd},
		{name: "review enter without client id → client id", from: stepReview,
			setup: func(m *Model) { m.flow.Apps()[0].ClientID = "" }, msg: k("enter"), want: stepClientID},
		{name: "client id bad GUID stays", from: stepClientID, setup: func(m *Model) { m.clientID.input.SetValue("nope") },
			msg: k("enter"), want: stepClientID, check: func(t *testing.T, m *Model, _ tea.Cmd) {
				if m.clientID.err == "" {
					t.Error("no validation error")
				}
			}},
		{name: "client id GUID → sign in", from: stepClientID, setup: func(m *Model) { m.clientID.input.SetValue(testCEClient) },
			msg: k("enter"), want: stepSignIn, check: func(t *testing.T, m *Model, _ tea.Cmd) {
				if m.flow.App().ClientID != testCEClient {
					t.Errorf("client id = %q", m.flow.App().ClientID)
				}
			}},
		{name: "client id esc → review", from: stepClientID, msg: k("esc"), want: stepReview},
		{name: "sign-in prompt shown", from: stepSignIn, msg: func(m *Model) tea.Msg {
			return promptMsg{attempt: m.attempt, prompt: flows.SignInPrompt{URL: "https://login.example/authorize"}}
		}, want: stepSignIn, check: func(t *testing.T, m *Model, _ tea.Cmd) {
			if m.signIn.prompt == nil || m.signIn.prompt.URL != "https://login.example/authorize" {
				t.Errorf("prompt = %+v (want the URL as the engine gave it)", m.signIn.prompt)
			}
		}},
		{name: "signed in → state", from: stepSignIn, msg: func(m *Model) tea.Msg {
			return signedInMsg{attempt: m.attempt, admin: testAdmin(true)}
		}, want: stepState, check: wantCmd},
		{name: "sign-in error → error screen", from: stepSignIn, msg: func(m *Model) tea.Msg {
			return signedInMsg{attempt: m.attempt, err: errBoom}
		}, want: stepError},
		{name: "stale sign-in result dropped", from: stepSignIn, msg: func(m *Model) tea.Msg {
			return signedInMsg{attempt: m.attempt - 1, admin: testAdmin(true)}
		}, want: stepSignIn, check: func(t *testing.T, m *Model, _ tea.Cmd) {
			if m.flow.Admin() != nil {
				t.Error("stale admin applied")
			}
		}},
		{name: "sign-in esc → review", from: stepSignIn, msg: k("esc"), want: stepReview},
		{name: "state verified incomplete, enter → consent", from: stepState, msg: k("enter"), want: stepConsent, check: wantCmd},
		{name: "state complete, enter → summary", from: stepState, setup: func(m *Model) { reread(m, result("ce", true, nil)) },
			msg: k("enter"), want: stepSummary},
		{name: "state UO blocked, enter stays", from: stepState, setup: func(m *Model) {
			m.Update(testkit.Key("esc"))
			m.Update(testkit.Key("esc"))
			m.choose.cursor = 1
			m.Update(testkit.Key("enter"))
			m.Update(testkit.Key("enter"))
			reread(m, result("uo", false, nil))
		}, msg: k("enter"), want: stepState},
		{name: "stale verify dropped", from: stepState, setup: func(m *Model) { m.Update(testkit.Key("esc")); m.Update(testkit.Key("enter")) },
			msg:  func(m *Model) tea.Msg { return verifiedMsg{attempt: m.attempt + 5, result: result("ce", true, nil)} },
			want: stepState, check: func(t *testing.T, m *Model, _ tea.Cmd) {
				if m.flow.Before() != nil {
					t.Error("stale verification applied")
				}
			}},
		{name: "verify error → error", from: stepState, msg: func(m *Model) tea.Msg { return verifiedMsg{attempt: m.attempt, err: errBoom} }, want: stepError},
		{name: "state esc → review", from: stepState, msg: k("esc"), want: stepReview},
		{name: "consent started", from: stepState, setup: func(m *Model) { m.Update(testkit.Key("enter")) },
			msg: func(m *Model) tea.Msg { return consentStartedMsg{attempt: m.attempt, waiter: w} }, want: stepConsent,
			check: func(t *testing.T, m *Model, cmd tea.Cmd) {
				if m.consent.url == "" || cmd == nil {
					t.Error("consent URL not shown or events not read")
				}
			}},
		{name: "stale consent start closes its waiter", from: stepState, msg: func(m *Model) tea.Msg {
			return consentStartedMsg{attempt: m.attempt - 1, waiter: w}
		}, want: stepState, check: func(t *testing.T, m *Model, _ tea.Cmd) {
			if w.closed.Load() == 0 {
				t.Error("stale waiter not closed")
			}
		}},
		{name: "consent progress", from: stepConsent, msg: func(m *Model) tea.Msg {
			return consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Visible: 2, Total: 3, Redirected: true}}
		}, want: stepConsent, check: func(t *testing.T, m *Model, cmd tea.Cmd) {
			if m.consent.event.Visible != 2 || !m.flow.Redirected() || cmd == nil {
				t.Errorf("event = %+v, redirected = %v", m.consent.event, m.flow.Redirected())
			}
		}},
		{name: "consent done → summary", from: stepConsent, msg: func(m *Model) tea.Msg {
			return consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: result("ce", true, nil)}}
		}, want: stepSummary, check: func(t *testing.T, m *Model, _ tea.Cmd) {
			if m.flow.Result() == nil || m.consent.waiter != nil {
				t.Error("no result, or waiter not closed")
			}
		}},
		{name: "consent error → error", from: stepConsent, msg: func(m *Model) tea.Msg {
			return consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Err: &explain.AuthError{Op: "consenting", Explanation: &explain.Explanation{Code: 65004, Title: "Consent declined"}, Err: errBoom}}}
		}, want: stepError},
		{name: "stale consent event dropped", from: stepConsent, msg: func(m *Model) tea.Msg {
			return consentEventMsg{attempt: m.attempt - 1, event: flows.ConsentEvent{Done: true, Result: result("ce", true, nil)}}
		}, want: stepConsent},
		{name: "consent enter rechecks", from: stepConsent, msg: k("enter"), want: stepConsent, check: func(t *testing.T, m *Model, _ tea.Cmd) {
			if m.consent.waiter.(*fakeWaiter).rechecks.Load() != 1 {
				t.Error("no recheck")
			}
		}},
		{name: "consent esc → state, waiter closed", from: stepConsent, msg: k("esc"), want: stepState, check: func(t *testing.T, m *Model, cmd tea.Cmd) {
			if m.consent.waiter != nil || cmd == nil {
				t.Error("waiter kept or state not re-read")
			}
		}},
		{name: "consent ctrl+c asks first", from: stepConsent, msg: k("ctrl+c"), want: stepConsent, check: func(t *testing.T, m *Model, _ tea.Cmd) {
			if !m.confirmQuit {
				t.Error("did not ask")
			}
		}},
		{name: "consent ctrl+c, y quits", from: stepConsent, setup: func(m *Model) { m.confirmQuit = true }, msg: k("y"),
			want: stepConsent, quits: true, outErr: nil},
		{name: "consent ctrl+c, n keeps waiting", from: stepConsent, setup: func(m *Model) { m.confirmQuit = true }, msg: k("n"),
			want: stepConsent, check: func(t *testing.T, m *Model, _ tea.Cmd) {
				if m.confirmQuit || m.consent.waiter == nil {
					t.Error("still asking or waiter gone")
				}
			}},
		{name: "review ctrl+c quits at once", from: stepReview, msg: k("ctrl+c"), want: stepReview, quits: true, outErr: flows.ErrCancelled},
		{name: "sign-in q quits", from: stepSignIn, msg: k("q"), want: stepSignIn, quits: true, outErr: flows.ErrCancelled},
		{name: "summary enter finishes", from: stepSummary, msg: k("enter"), want: stepSummary, quits: true},
		{name: "summary save", from: stepSummary, msg: k("s"), want: stepSummary, check: wantCmd},
		{name: "summary esc → state", from: stepSummary, msg: k("esc"), want: stepState},
		{name: "error retry → sign in", from: stepError, msg: k("r"), want: stepSignIn, check: wantCmd},
		{name: "error esc → review", from: stepError, msg: k("esc"), want: stepReview},
		{name: "error q quits with the error", from: stepError, msg: k("q"), want: stepError, quits: true, outErr: errBoom},
		{name: "approve without approver is a no-op", from: stepConsent, msg: k("a"), want: stepConsent, check: func(t *testing.T, m *Model, cmd tea.Cmd) {
			if cmd != nil {
				t.Error("approve ran without an approver")
			}
		}},
		{name: "approve error → error", from: stepConsent, msg: func(m *Model) tea.Msg { return approvedMsg{attempt: m.attempt, err: errBoom} }, want: stepError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}, waiter: w})
			at(m, tt.from)
			if tt.setup != nil {
				tt.setup(m)
			}
			_, cmd := m.Update(tt.msg(m))
			if m.step() != tt.want {
				t.Fatalf("step = %s, want %s", m.step(), tt.want)
			}
			if tt.quits != (m.rootCtx.Err() != nil) {
				t.Fatalf("quit = %v, want %v", m.rootCtx.Err() != nil, tt.quits)
			}
			if tt.quits && !errors.Is(m.Outcome().Err, tt.outErr) && m.Outcome().Err != tt.outErr {
				t.Fatalf("outcome err = %v, want %v", m.Outcome().Err, tt.outErr)
			}
			if tt.check != nil {
				tt.check(t, m, cmd)
			}
			_ = m.Text() // every state renders
		})
	}
}

func k(s string) func(*Model) tea.Msg { return func(*Model) tea.Msg { return testkit.Key(s) } }

func wantCmd(t *testing.T, _ *Model, cmd tea.Cmd) {
	t.Helper()
	if cmd == nil {
		t.Error("no async work started")
	}
}

// TestLeavingConsentCancelsContext: Esc on the consent step cancels the step's
// context (the flows' only brake) and closes the wait.
func TestLeavingConsentCancelsContext(t *testing.T) {
	m := newTestModel(t, &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}})
	at(m, stepConsent)
	ctx := m.stepCtx
	w := m.consent.waiter.(*fakeWaiter)
	m.Update(testkit.Key("esc"))
	if ctx.Err() == nil {
		t.Error("consent context not cancelled")
	}
	if w.closed.Load() != 1 {
		t.Errorf("waiter closed %d times, want 1", w.closed.Load())
	}
}

// TestQuitClosesEverything: quitting cancels the root context and closes the wait.
func TestQuitClosesEverything(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepConsent)
	w := m.consent.waiter.(*fakeWaiter)
	m.Update(testkit.Key("ctrl+c"))
	_, cmd := m.Update(testkit.Key("y"))
	if cmd == nil || m.rootCtx.Err() == nil || w.closed.Load() == 0 {
		t.Fatal("quit did not cancel and close")
	}
	if msg := cmd(); msg != (tea.QuitMsg{}) {
		t.Fatalf("cmd = %T, want QuitMsg", msg)
	}
}

// useWaiter makes w the consent step's wait, as a started consent would.
func useWaiter(m *Model, w ConsentWaiter) {
	m.consent.waiter = w
	m.consent.caps = waiterCapabilitiesOf(w)
}
