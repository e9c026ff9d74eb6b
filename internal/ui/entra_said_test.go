package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/explain"
)

// A declined consent's code is said once on each renderer: the error code line
// carries AADSTS65004, and Entra ID's own text follows without repeating it.
func TestDeclinedConsentCodeSaidOnce(t *testing.T) {
	declined := explain.Explain(explain.NewConsentRedirectError("access_denied", "cancel",
		"AADSTS65004: User declined to consent to access the app.\r\nTrace ID: 3f9668e6-7450-41cf-b5a3-cf6d5484818f\r\nCorrelation ID: e86b0f5c-5a4e-40d5-83df-3457f1d8c8a9\r\nTimestamp: 2026-12-06 20:43:26Z"))
	if declined == nil || declined.Code != 65004 {
		t.Fatalf("explanation %+v", declined)
	}
	refused := &explain.AuthError{Op: "admin consent", Err: errBoom, Explanation: declined}

	m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.Approver = &fakeApprover{err: refused} })
	at(m, stepConsent)
	m.Update(approvedMsg{attempt: m.attempt, err: refused})
	full := m.Text()

	var b bytes.Buffer
	r := &plainRun{out: &b}
	r.sayExplanation(declined)
	plain := b.String()

	for name, text := range map[string]string{"full screen": full, "line mode": plain} {
		if n := strings.Count(text, "AADSTS65004"); n != 1 || !strings.Contains(text, "User declined to consent to access the app.") {
			t.Errorf("%s says AADSTS65004 %d times (want 1) or lacks Entra ID's text:\n%s", name, n, text)
		}
	}
	if !strings.Contains(plain, "Entra ID said: User declined to consent to access the app.\n") {
		t.Errorf("line mode:\n%s", plain)
	}
}
