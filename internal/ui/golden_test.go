package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/testkit/golden"
	"github.com/d365consent/d365consent/internal/wizard"
)

// recorder wraps the model so a test can read its view text while the program runs
// (the program owns the model; reading it directly from the test would race).
type recorder struct {
	*Model
	mu   *sync.Mutex
	text *string
}

func (r recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := r.Model.Update(msg)
	t := r.Model.Text()
	r.mu.Lock()
	*r.text = t
	r.mu.Unlock()
	return r, cmd
}

// session is a wizard under teatest with a fixed size, colour profile, environment
// and clock.
type session struct {
	t    *testing.T
	tm   *teatest.TestModel
	m    *Model
	mu   sync.Mutex
	text string
}

func startSession(t *testing.T, eng Engine, w, h int, mut ...func(*Options)) *session {
	t.Helper()
	opts := Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow },
		Glyphs: termcaps.Unicode, ReportDir: t.TempDir()}
	for _, f := range mut {
		f(&opts)
	}
	s := &session{t: t}
	s.m = New(context.Background(), opts)
	s.m.tickEvery = 20 * time.Millisecond
	t.Cleanup(s.m.Close)
	s.tm = teatest.NewTestModel(t, recorder{Model: s.m, mu: &s.mu, text: &s.text},
		teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(
			tea.WithColorProfile(colorprofile.TrueColor),
			tea.WithEnvironment([]string{"TERM=xterm-256color", "LANG=en_US.UTF-8"}),
		))
	// Stop the program before Close (cleanups run last-registered first), also when
	// the test failed half way: Close must not race with a running Update.
	t.Cleanup(func() {
		_ = s.tm.Quit()
		s.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	})
	return s
}

// view is the latest view text.
func (s *session) view() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text
}

// waitFor waits until the view text contains want and returns it.
func (s *session) waitFor(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second) // a bound on failure, not a sync: loaded -race runs are slow
	for {
		s.mu.Lock()
		text := s.text
		s.mu.Unlock()
		if strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("view never showed %q; last view:\n%s", want, text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// golden waits for want, then compares the view text with testdata/<test>/<name>.golden.
func (s *session) golden(name, want string) {
	s.t.Helper()
	text := s.waitFor(want)
	s.t.Run(name, func(t *testing.T) { golden.Require(t, []byte(text)) })
}

func (s *session) keys(keys ...string) {
	for _, k := range keys {
		s.tm.Send(testkit.Key(k))
	}
}

func (s *session) finish() Outcome {
	s.t.Helper()
	s.tm.WaitFinished(s.t, teatest.WithFinalTimeout(5*time.Second))
	return s.m.Outcome()
}

func TestGoldenCE(t *testing.T) {
	w := newFakeWaiter("https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient + "&state=Zm9vYmFy")
	eng := &fakeEngine{
		prompt:  &flows.SignInPrompt{URL: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e&scope=User.Read+Directory.Read.All&state=abc"},
		release: make(chan struct{}),
		admin:   testAdmin(true),
		verify:  []*flows.Result{verified(t, "fresh", "ce")},
		waiter:  w,
	}
	var saved []string
	var mu sync.Mutex
	s := startSession(t, eng, 100, 30, func(o *Options) {
		o.WriteReport = func(p string, r *flows.Result) error {
			mu.Lock()
			defer mu.Unlock()
			saved = append(saved, p)
			return nil
		}
		o.ReportDir = "/reports" // absolute: the golden is the same in every checkout
	})
	s.golden("1-choose", "Which app")
	s.keys("enter")
	s.golden("2-review", "read-only scopes")
	s.keys("down")
	s.golden("2-review-row2", "Directory.Read.All  Read directory data")
	s.keys("enter")
	s.golden("3-signin", "Waiting for you to sign in")
	close(eng.release)
	s.golden("4-state", "Enter opens the admin consent page")
	s.keys("enter")
	s.golden("5-consent", "0/3 visible")
	partial := verified(t, "partial", "ce") // Dynamics CRM user_impersonation missing
	w.ch <- flows.ConsentEvent{Visible: 2, Total: 3, Redirected: true, Result: partial}
	s.golden("5-consent-progress", "2/3 visible")
	s.keys("enter")
	s.waitFor("Checking Microsoft Graph now")
	if w.rechecks.Load() != 1 {
		t.Errorf("Enter did not re-check (rechecks = %d)", w.rechecks.Load())
	}
	w.ch <- flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: verified(t, "consented", "ce")}
	s.golden("6-summary", "All 3 permissions are granted")
	s.keys("s")
	s.golden("6-summary-saved", "Report saved")
	mu.Lock()
	if len(saved) != 2 || !strings.HasSuffix(saved[0], ".md") || !strings.HasSuffix(saved[1], ".json") {
		t.Errorf("saved = %v, want a .md and a .json", saved)
	}
	mu.Unlock()
	s.keys("enter")
	out := s.finish()
	if out.Err != nil || !out.Finished || out.Result == nil || out.Result.Status != flows.StatusComplete {
		t.Errorf("outcome = %+v", out)
	}
	if w.closed.Load() == 0 {
		t.Error("consent wait never closed")
	}
}

func TestGoldenUOReauthorize(t *testing.T) {
	w := newFakeWaiter("https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testUOClient + "&state=Zm9vYmFy")
	before := verified(t, "reauth", "uo") // UO exists; the newly required permissions are missing
	eng := &fakeEngine{
		prompt: &flows.SignInPrompt{URL: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=14d82eec"},
		admin:  testAdmin(false),
		verify: []*flows.Result{before},
		waiter: w,
	}
	s := startSession(t, eng, 100, 30)
	s.waitFor("Which app")
	s.keys("down")
	s.golden("1-choose-uo", "Re-authorize only")
	s.keys("enter")
	s.golden("2-review", "Purpose")
	s.keys("enter")
	s.golden("4-state-diff", "Re-authorization will add")
	s.keys("enter")
	s.golden("5-consent", "0/7 visible")
	done := verified(t, "consented", "uo")
	// A warning from the network carrying an escape sequence: the screen must show it inert.
	done.Warnings = []string{"The service principal was disabled \x1b[31mred\x1b[0m"}
	w.ch <- flows.ConsentEvent{Visible: 7, Total: 7, Done: true, Result: done}
	text := s.waitFor("All 7 permissions")
	if strings.Contains(text, "\x1b") {
		t.Error("escape sequence from the network reached the screen")
	}
	s.golden("6-summary", "All 7 permissions")
	s.keys("q")
	if out := s.finish(); out.Err != nil {
		t.Errorf("outcome = %+v", out)
	}
}

func TestGoldenUOAbsent(t *testing.T) {
	eng := &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{verified(t, "fresh", "uo")}}
	s := startSession(t, eng, 100, 30, func(o *Options) { o.App = "uo" })
	s.waitFor("Purpose")
	s.keys("enter")
	s.golden("state-blocked", "offers no consent link")
	s.keys("enter") // offers nothing
	s.keys("q")
	out := s.finish()
	if eng.consents != 0 {
		t.Error("consent started for an absent re-authorize-only app")
	}
	if out.Err != nil {
		t.Errorf("outcome = %+v", out)
	}
}

func TestGoldenError(t *testing.T) {
	err := &explain.AuthError{Op: "consenting", Err: errBoom, Explanation: &explain.Explanation{
		Code: 90094, OAuthError: "access_denied", Title: "An administrator must grant this",
		Meaning:       "The signed-in account cannot grant admin consent for the whole tenant.",
		Fix:           "Sign in as a Global Administrator or Privileged Role Administrator (activate the role in PIM if it is eligible), then try again.",
		Description:   "AADSTS90094: Admin consent is required for the permissions requested by this application.",
		CorrelationID: "0f2a7d3c-1111-2222-3333-444455556666", TraceID: "9a8b7c6d-0000-1111-2222-333344445555",
		Timestamp: "2026-03-01 09:30:00Z", Link: "https://login.microsoftonline.com/error?code=90094",
	}}
	eng := &fakeEngine{admin: testAdmin(false), signInErr: err}
	s := startSession(t, eng, 100, 30, func(o *Options) { o.App = "ce" })
	s.waitFor("read-only scopes")
	s.keys("enter")
	s.golden("error", "For support")
	s.keys("esc")
	s.waitFor("read-only scopes")
	s.keys("q")
	out := s.finish()
	if out.Err == nil {
		t.Error("quit from review after an error should be cancelled")
	}
}

// TestResize renders every CE step at 40, 60 and 100 columns: nothing may be wider
// than the window, and the essentials stay on screen.
func TestResize(t *testing.T) {
	for _, w := range []int{40, 60, 100} {
		for _, st := range []wizard.Step{stepChoose, stepReview, stepSignIn, stepState, stepConsent, stepSummary, stepError} {
			name := st.String() + "-" + itoa(w)
			t.Run(name, func(t *testing.T) {
				m := newTestModel(t, &fakeEngine{})
				at(m, st)
				m.Update(tea.WindowSizeMsg{Width: w, Height: 20})
				if st == stepSignIn {
					m.signIn.prompt = &flows.SignInPrompt{URL: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e"}
				}
				text := m.Text()
				lines := strings.Split(text, "\n")
				if len(lines) > 20 {
					t.Errorf("%d lines, window has 20", len(lines))
				}
				for i, l := range lines {
					if n := displayWidth(l); n > w {
						t.Errorf("line %d is %d columns wide (> %d): %q", i, n, w, l)
					}
				}
				if !strings.Contains(text, "quit") {
					t.Error("key help missing")
				}
				if st == stepReview || st == stepSignIn || st == stepSummary || st == stepError {
					golden.Require(t, []byte(text))
				}
			})
		}
	}
}
