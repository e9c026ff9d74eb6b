package ui

import (
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/wizard"

	tea "charm.land/bubbletea/v2"

	"context"
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestErrorScreenDiagnosis: a network failure gets the doctor's verdict on the error
// screen (checking line first, then verdict and fix); other failures get nothing; a
// verdict for an error the admin has left is dropped.
func TestErrorScreenDiagnosis(t *testing.T) {
	netErr := errors.New("signing in: x509: certificate signed by unknown authority")
	calls := 0
	diagnose := func(err error) func(context.Context) (string, string) {
		if err != netErr {
			return nil
		}
		return func(context.Context) (string, string) {
			calls++
			return "TLS inspection by 'Contoso Proxy CA' detected", "Ask the network team to exempt login.microsoftonline.com from TLS inspection."
		}
	}
	m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.Diagnose = diagnose })
	at(m, stepSignIn)
	cmd := failSignIn(m, netErr)
	if cmd == nil {
		t.Fatal("no diagnosis started")
	}
	view := func() string { s, _ := m.errorView(100); return ansi.Strip(s) }
	if !strings.Contains(view(), "Checking the network and clock (d365consent doctor)…") {
		t.Errorf("no progress line:\n%s", view())
	}
	m.Update(cmd())
	v := view()
	if !strings.Contains(v, "Doctor: TLS inspection by 'Contoso Proxy CA' detected\nFix: Ask the network team to exempt login.microsoftonline.com from TLS inspection.") ||
		strings.Contains(v, "Checking") || calls != 1 {
		t.Errorf("verdict (calls %d):\n%s", calls, v)
	}

	// Not the doctor's business: no command, no line.
	other := errors.New("AADSTS50076: MFA required")
	if cmd := failSignIn(m, other); cmd != nil || strings.Contains(view(), "Doctor") || strings.Contains(view(), "Checking") {
		t.Errorf("diagnosis for %v:\n%s", other, view())
	}

	// A late verdict for an earlier error is dropped.
	cmd = failSignIn(m, netErr)
	late := cmd()
	failSignIn(m, other)
	m.Update(late)
	if strings.Contains(view(), "Doctor") {
		t.Errorf("stale verdict shown:\n%s", view())
	}
}

// TestAccessibleDiagnosis: the line-mode error explanation ends with the verdict.
func TestAccessibleDiagnosis(t *testing.T) {
	netErr := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	var b strings.Builder
	r := &plainRun{ctx: context.Background(), out: &b, opts: Options{Diagnose: func(err error) func(context.Context) (string, string) {
		if err != netErr {
			return nil
		}
		return func(context.Context) (string, string) {
			return "connection refused by 10.0.0.1:443", "Ask the network team to allow outbound HTTPS (TCP 443) to login.microsoftonline.com."
		}
	}}}
	r.flow = wizard.New(wizard.Options{Target: wizard.Target{Catalog: testCatalog()}})
	r.flow.ChooseApp(0)
	r.flow.Continue()
	r.flow.SignedIn(nil, netErr)
	r.explainError()
	if o := r.flow.Outcome(); o.Err != netErr {
		t.Errorf("outcome %v", o.Err)
	}
	want := "Sign-in did not complete.\ndial tcp 10.0.0.1:443: connect: connection refused\nDoctor: connection refused by 10.0.0.1:443\nFix: Ask the network team to allow outbound HTTPS (TCP 443) to login.microsoftonline.com.\nCheck again with:\nd365consent verify --app ce\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

// failSignIn has the sign-in fail with err (retrying first from the error screen) and
// returns the Cmd the error screen started.
func failSignIn(m *Model, err error) tea.Cmd {
	if m.step() == stepError {
		m.Update(testkit.Key("r"))
	}
	_, cmd := m.Update(signedInMsg{attempt: m.attempt, err: err})
	return cmd
}
