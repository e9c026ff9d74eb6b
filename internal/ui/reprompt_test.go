package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// repromptEngine asks for a new sign-in during its first Verify, as flows does when a
// token refresh needs MFA (AADSTS50076) or Graph sends a claims challenge: it calls the
// sign-in's prompt again and waits until that sign-in is done.
type repromptEngine struct {
	fakeEngine
	// again is the sign-in asked for; nil = a device code for MFA (a claims challenge).
	again    *flows.SignInPrompt
	mu       sync.Mutex
	prompt   func(flows.SignInPrompt)
	signedIn chan struct{}
	once     sync.Once
}

func (e *repromptEngine) SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	e.mu.Lock()
	e.prompt = prompt
	e.mu.Unlock()
	prompt(flows.SignInPrompt{URL: "https://login.example/authorize"})
	return e.admin, nil
}

func (e *repromptEngine) Verify(ctx context.Context, app *permissions.App) (*flows.Result, error) {
	first := false
	e.once.Do(func() { first = true })
	if first {
		e.mu.Lock()
		prompt := e.prompt
		e.mu.Unlock()
		again := flows.SignInPrompt{DeviceCode: true, UserCode: "RQ7-CODE", URL: "https://login.example/devicelogin", Claims: true}
		if e.again != nil {
			again = *e.again
		}
		prompt(again)
		select {
		case <-e.signedIn:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return e.fakeEngine.Verify(ctx, app)
}

// deviceApprover approves device codes (the demo browser's device login).
type deviceApprover struct {
	fakeApprover
	codes chan string
}

func (d *deviceApprover) ApproveDevice(ctx context.Context, code string) error {
	d.codes <- code
	return nil
}

// A sign-in asked for after the sign-in step (MFA on a token refresh, a claims
// challenge) is shown over the step that waits for it — code and page, whole — and the
// demo's a answers it; the step then goes on. It used to be dropped: the step waited,
// silently, for a device code nobody saw.
func TestSignInAgainShownOverALaterStep(t *testing.T) {
	eng := &repromptEngine{fakeEngine: fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}}, signedIn: make(chan struct{})}
	ap := &deviceApprover{codes: make(chan string, 1)}
	s := startSession(t, eng, 100, 40, func(o *Options) { o.App = "ce"; o.Approver = ap; o.Can.ApproveDevice = ap.ApproveDevice })
	s.waitFor("read-only scopes")
	s.keys("enter") // sign in: the fake signs in at once, then the state step verifies
	text := s.waitFor("Sign in again")
	for _, want := range []string{"4/6 Current state", "multi-factor authentication or a Conditional Access policy", "RQ7-CODE", "https://login.example/devicelogin", "a approve"} {
		if !strings.Contains(text, want) {
			t.Errorf("lacks %q:\n%s", want, text)
		}
	}
	s.keys("a")
	select {
	case code := <-ap.codes:
		if code != "RQ7-CODE" {
			t.Fatalf("approved code %q", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a did not answer the device code")
	}
	close(eng.signedIn)
	text = s.waitFor("Enter opens the admin consent page")
	if strings.Contains(text, "Sign in again") {
		t.Errorf("the request to sign in again outlived the sign-in:\n%s", text)
	}
	s.keys("q")
	s.finish()
}

// Line mode says it too, when it comes.
func TestAccessibleSignInAgain(t *testing.T) {
	eng := &repromptEngine{fakeEngine: fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", true, nil)}}, signedIn: make(chan struct{})}
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"},
		{prompt: "enter the code RQ7-CODE:\nhttps://login.example/devicelogin\n", do: func() { close(eng.signedIn) }},
		{prompt: "Save a report"},
	})
	o, err := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, out)
	if err != nil || o.Err != nil || o.Result == nil || o.Result.Status != flows.StatusComplete {
		t.Fatalf("outcome %+v, %v:\n%s", o, err, out.String())
	}
	if !strings.Contains(out.String(), "Sign in again: multi-factor authentication or a Conditional Access policy asks for it.") {
		t.Fatalf("no sign-in-again notice:\n%s", out.String())
	}
}

// A sign-in asked for again within the sign-in step (MFA on the token refresh that
// reads the account) changes the status line to what the step waits for: the admin,
// not the Graph read it interrupted.
func TestSecondPromptDuringSignInSaysWhatItWaitsFor(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepSignIn)
	m.Update(promptMsg{attempt: m.attempt, prompt: flows.SignInPrompt{URL: "https://login.example/authorize"}})
	m.Update(progressMsg{attempt: m.attempt, text: "Signed in; reading your account and roles from Microsoft Graph…"})
	if s := m.Text(); !strings.Contains(s, "reading your account and roles") {
		t.Fatalf("the read is not shown while it runs:\n%s", s)
	}
	m.Update(promptMsg{attempt: m.attempt, prompt: flows.SignInPrompt{URL: "https://login.example/authorize?claims=x", Claims: true}})
	s := m.Text()
	if m.step() != stepSignIn || !strings.Contains(s, "Waiting for you to sign in again in the browser…") || strings.Contains(s, "reading your account and roles") {
		t.Errorf("step %s:\n%s", m.step(), s)
	}
}

// deviceSignInEngine signs in with a device code that lands only when signedIn closes,
// as MSAL's sign-in lands at its next poll of the token endpoint.
type deviceSignInEngine struct {
	fakeEngine
	url      string
	signedIn chan struct{}
}

func (e *deviceSignInEngine) SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	prompt(flows.SignInPrompt{DeviceCode: true, UserCode: "DC9-CODE", URL: e.url})
	select {
	case <-e.signedIn:
		return e.admin, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// The demo's a enters the device code at once, but the sign-in lands only at the
// next poll: the status line says so instead of looking stuck until then, on the step
// (a wide window) and under a QR code that takes the whole window (80×24).
func TestDemoDeviceCodeAnsweredSaysTheSignInFollows(t *testing.T) {
	// At 80×24 the longer page's QR code fits only on the whole window.
	for _, size := range []struct {
		w, h int
		url  string
	}{{100, 40, "https://login.example/devicelogin"}, {80, 24, "https://login.example/devicelogin/" + strings.Repeat("x", 40)}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			eng := &deviceSignInEngine{fakeEngine: fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}}, url: size.url, signedIn: make(chan struct{})}
			ap := &deviceApprover{codes: make(chan string, 1)}
			s := startSession(t, eng, size.w, size.h, func(o *Options) { o.App = "ce"; o.Approver = ap; o.Can.ApproveDevice = ap.ApproveDevice })
			s.waitFor("Review permissions")
			s.keys("enter")
			s.waitFor("DC9-CODE")
			if size.h == 24 {
				s.keys("r") // the QR code, on the whole window
				waitView(t, s, func(v string) bool { return len(testkit.ShownQR(v)) > 0 })
			}
			s.keys("a")
			select {
			case code := <-ap.codes:
				if code != "DC9-CODE" {
					t.Fatalf("approved code %q", code)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("a did not answer the device code")
			}
			status := "Code entered in the demo browser: signing in at Entra ID's next check…"
			if size.h != 24 {
				s.waitFor(status)
			} else {
				// Under the QR code on the whole window, the status is the last line.
				want := status + " · r back"
				view := waitView(t, s, func(v string) bool {
					lines := strings.Split(v, "\n")
					return lines[len(lines)-1] == want
				})
				if got, err := testkit.DecodeQR(testkit.ShownQR(view)); err != nil || got != size.url {
					t.Errorf("the QR code above the status decodes to %q (%v), want %s:\n%s", got, err, size.url, view)
				}
			}
			close(eng.signedIn)
			text := s.waitFor("Enter opens the admin consent page")
			if strings.Contains(text, "Code entered") {
				t.Errorf("the status of the code outlived the sign-in:\n%s", text)
			}
			s.keys("q")
			s.finish()
		})
	}
}
