package flows_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// linesWriter collects log lines and lets a test wait until one has been written.
type linesWriter struct {
	buf   syncBuffer
	wrote chan struct{}
}

func newLinesWriter() *linesWriter { return &linesWriter{wrote: make(chan struct{}, 1)} }

func (w *linesWriter) Write(p []byte) (int, error) {
	n, err := w.buf.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return n, err
}

// waitFor waits until a line has every part, in order (failing after 20 s of nothing).
func (w *linesWriter) waitFor(t *testing.T, parts ...string) {
	t.Helper()
	for {
		if hasLine(w.buf.lines(), parts...) {
			return
		}
		select {
		case <-w.wrote:
		case <-time.After(20 * time.Second):
			t.Fatalf("no log line with %q in\n%s", parts, strings.Join(w.buf.lines(), "\n"))
		}
	}
}

// The debug log says whether each sign-in carries a claims challenge: the first does
// not; the token refresh that Conditional Access refuses for MFA (AADSTS50076 with
// claims) logs that it signs in again with claims, and that sign-in does.
func TestMFARequiredRefreshIsLogged(t *testing.T) {
	var buf syncBuffer
	srv, s, _ := newSession(t, "mfa-required", logTo(&buf))
	if _, err := s.SignIn(context.Background(), func(flows.SignInPrompt) {}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range buf.lines() {
		if strings.Contains(l, `msg="sign-in started"`) || strings.Contains(l, `msg="token refresh needs interaction`) {
			got = append(got, l)
		}
	}
	authority := srv.AuthorityHost() + "/organizations"
	want := []string{
		`level=INFO msg="sign-in started" deviceCode=false authority=` + authority + ` claims=false`,
		`level=INFO msg="token refresh needs interaction: signing in again" claims=true`,
		`level=INFO msg="sign-in started" deviceCode=false authority=` + authority + ` claims=true`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// deviceLoginFails is the demo browser, except that completing the device login
// fails (the code is entered on another device instead).
type deviceLoginFails struct{ *demoBrowser }

func (b deviceLoginFails) OpenDeviceLogin(_, _ string) error {
	return errors.New("the device login page did not open")
}

// A device-code sign-in whose browser cannot complete the device login is a warning
// in the debug log; the admin enters the code elsewhere and the sign-in completes.
func TestDeviceLoginFailureIsLogged(t *testing.T) {
	w := newLinesWriter()
	_, s, b := newSession(t, "consented", func(c *flows.Config) {
		c.Logger = slog.New(slog.NewTextHandler(w, nil))
		c.DeviceCode = true
		c.Browser = deviceLoginFails{c.Browser.(*demoBrowser)}
	})
	_, err := s.SignIn(context.Background(), func(p flows.SignInPrompt) {
		go func() { _ = b.b.OpenDeviceLogin(b.ctx, p.UserCode) }() // typed in on a phone
	})
	if err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, `level=WARN msg="device login" err="the device login page did not open"`)
}

// Without a browser to open (none configured), the sign-in only shows its address;
// the admin opens it by hand and the sign-in completes.
func TestSignInWithoutBrowserShowsTheAddress(t *testing.T) {
	_, s, b := newSession(t, "consented", func(c *flows.Config) { c.Browser = nil })
	var prompts []flows.SignInPrompt
	admin, err := s.SignIn(context.Background(), func(p flows.SignInPrompt) {
		prompts = append(prompts, p)
		go func() { _ = b.b.Open(b.ctx, p.URL) }() // opened by hand
	})
	if err != nil {
		t.Fatal(err)
	}
	if admin == nil || len(prompts) != 1 || prompts[0].URL == "" || prompts[0].DeviceCode {
		t.Fatalf("admin %+v, prompts %+v", admin, prompts)
	}
}

// A sign-in that Entra ID refuses is logged as failed, not cancelled, with its error.
func TestSignInFailureIsLogged(t *testing.T) {
	var buf syncBuffer
	_, s, _ := newSession(t, "ca-blocked", logTo(&buf))
	if _, err := s.SignIn(context.Background(), func(flows.SignInPrompt) {}); err == nil {
		t.Fatal("the sign-in was not refused")
	}
	if lines := buf.lines(); !hasLine(lines, `level=INFO msg="sign-in failed" duration=`, ` cancelled=false err="`, `AADSTS53003`) {
		t.Fatalf("no sign-in failure line in\n%s", strings.Join(lines, "\n"))
	}
}

// verify's single round trip (VerifyWithAdmin) counts the Graph requests of that
// verification alone, not the sign-in's, in its result and in its debug log line.
func TestVerifyWithAdminCountsItsOwnRequests(t *testing.T) {
	var buf syncBuffer
	f := start(t, "consented", emulator.Faults{}, nil, logTo(&buf))
	f.srv.ResetGraphRequests()
	_, r, err := f.session.VerifyWithAdmin(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	n := f.srv.GraphRequests()
	if n == 0 {
		t.Fatal("no Graph request counted by the emulator")
	}
	if r.GraphRequests != int(n) {
		t.Errorf("result counts %d Graph requests, the emulator %d", r.GraphRequests, n)
	}
	want := fmt.Sprintf(" graphRequests=%d ok=true", n)
	if lines := buf.lines(); !hasLine(lines, `msg="verification with the admin" app=ce requests=`, want) {
		t.Fatalf("no verification line with %q in\n%s", want, strings.Join(lines, "\n"))
	}
}
