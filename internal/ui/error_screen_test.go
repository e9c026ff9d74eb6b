package ui

import (
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// An error without support ids has no "For support:" heading, and o is offered only
// where another account is the fix.
func TestErrorScreenHeadingsAndAnotherAccount(t *testing.T) {
	tests := []struct {
		name          string
		err           error
		support, offO bool
	}{
		{"consent cannot fix it", &flows.BlockedError{Reason: flows.BlockDisabled, Cause: "The service principal is disabled.", NextStep: "Enable it."}, false, false},
		{"the account cannot grant it", &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "You hold no role that grants it.", NextStep: "Ask a Global Administrator."}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, &fakeEngine{}, func(o *Options) {
				o.Can.SwitchAccount = (&fakeEngine{admin: testAdmin(true)}).SignIn
			})
			at(m, stepConsent)
			m.height = 60
			m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Done: true, Err: tt.err}})
			s := m.Text()
			if m.step() != stepError {
				t.Fatalf("step %s", m.step())
			}
			if got := strings.Contains(s, "For support:"); got != tt.support {
				t.Errorf("For support: shown %v, want %v\n%s", got, tt.support, s)
			}
			if got := strings.Contains(s, "Press o to sign in as someone else."); got != tt.offO {
				t.Errorf("o offered %v, want %v\n%s", got, tt.offO, s)
			}
			m.Update(testkit.Key("o"))
			if want := map[bool]string{true: "sign-in", false: "error"}[tt.offO]; m.Step() != want {
				t.Errorf("after o: step %s, want %s", m.Step(), want)
			}
		})
	}
}

// While a second sign-in (MFA asked for after the first) waits for the admin, the
// status line says so, not the Graph read it interrupted.
func TestStatusSaysItWaitsForTheSecondSignIn(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepSignIn)
	m.Update(signedInMsg{attempt: m.attempt, admin: testAdmin(true)})
	m.Update(progressMsg{attempt: m.attempt, text: "Signed in; reading your account and roles from Microsoft Graph…"})
	m.Update(repromptMsg{prompt: flows.SignInPrompt{URL: "https://login.example/authorize", Claims: true}})
	s := m.Text()
	if m.step() != stepState || !strings.Contains(s, "Waiting for you to sign in again in the browser") || strings.Contains(s, "reading your account and roles") {
		t.Errorf("step %s:\n%s", m.step(), s)
	}
}

// A pasted success the wait cannot match to the request is said to be no proof: the
// field closes, the wait goes on, and nothing says consent was recorded.
func TestPasteWithoutStateIsNoProof(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepConsent)
	w := &prodWaiter{fakeWaiter: newFakeWaiter("https://login.microsoftonline.com/t/adminconsent?client_id=x&state=s"), err: flows.ErrPasteUnmatched}
	useWaiter(m, w)
	m.height = 60
	m.Update(testkit.Key("p"))
	typeText(m, "https://www.avepointonlineservices.com/?admin_consent=True")
	m.Update(testkit.Key("enter"))
	s := m.Text()
	if m.step() != stepConsent || m.consent.pasting || !strings.Contains(s, "Not proof of consent: that address carries no state") ||
		strings.Contains(s, "recorded the consent") {
		t.Fatalf("step %s pasting %v:\n%s", m.step(), m.consent.pasting, s)
	}
}
