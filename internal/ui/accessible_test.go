package ui

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
)

// TestAccessible walks the line-by-line wizard: numbered choice, sign-in URL, state,
// consent progress, summary; no escape sequences anywhere.
func TestAccessible(t *testing.T) {
	w := newFakeWaiter("https://login.example/adminconsent")
	w.ch <- flows.ConsentEvent{Visible: 1, Total: 3}
	w.ch <- flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: result("ce", true, nil)}
	eng := &fakeEngine{prompt: &flows.SignInPrompt{URL: "https://login.example/authorize"}, admin: testAdmin(true),
		verify: []*flows.Result{result("ce", false, nil)}, waiter: w}
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"}, {prompt: "open the admin consent page"}, {prompt: "Save a report"},
	})
	o, err := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, out)
	if err != nil || o.Err != nil || o.Result == nil || o.Result.Status != flows.StatusComplete {
		t.Fatalf("outcome = %+v, %v\n%s", o, err, out.String())
	}
	text := out.String()
	for _, want := range []string{"1) Dynamics Customer Engagement (CE)", "open this page:\nhttps://login.example/authorize\n",
		"Signed in as admin@contoso.onmicrosoft.com; tenant id " + testTenant,
		"Role check: Global Administrator", "none of its 3 permissions", "adminconsent", "1 of 3 permissions visible",
		"All 3 permissions are granted", "Next step:"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "\x1b") {
		t.Error("escape sequence in accessible output")
	}
	// The type explanations name their type once.
	for _, bad := range []string{"Delegated means: Delegated:", "Application means: Application:"} {
		if strings.Contains(text, bad) {
			t.Errorf("output says %q", bad)
		}
	}
}

func TestAccessibleQuit(t *testing.T) {
	var out strings.Builder
	o, _ := RunAccessible(context.Background(), Options{Engine: &fakeEngine{}, Catalog: testCatalog()}, strings.NewReader("q\n"), &out)
	if o.Err != flows.ErrCancelled {
		t.Fatalf("outcome = %+v", o)
	}
}

// lineStep is one answer of the admin in line mode: once prompt is on screen, type
// answer and Enter — or, with do set, do it instead (a test's hand in the flow).
type lineStep struct {
	prompt, answer string
	do             func()
}

// answerLines plays the admin: it answers each step's prompt once it is on screen, then
// ends the input. A prompt that never comes ends the input too: the wizard stops and
// the test fails with its output.
func answerLines(steps []lineStep) (*syncBuffer, io.Reader) {
	out := &syncBuffer{}
	in, inW := io.Pipe()
	go func() {
		for _, st := range steps {
			if !out.waitFor(st.prompt, 20*time.Second) {
				_ = inW.CloseWithError(errors.New("prompt " + st.prompt + " never shown"))
				return
			}
			if st.do != nil {
				st.do()
				continue
			}
			_, _ = io.WriteString(inW, st.answer+"\n")
		}
		_ = inW.Close()
	}()
	return out, in
}

// syncBuffer is an output buffer a test can wait on: each Write wakes waitFor.
type syncBuffer struct {
	mu    sync.Mutex
	b     strings.Builder
	wrote chan struct{} // created on first use; one pending wake-up is enough
}

func (s *syncBuffer) wake() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote == nil {
		s.wrote = make(chan struct{}, 1)
	}
	return s.wrote
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	wake := s.wake()
	s.mu.Lock()
	n, err := s.b.Write(p)
	s.mu.Unlock()
	select {
	case wake <- struct{}{}:
	default:
	}
	return n, err
}

// waitFor reports whether text appears in the buffer within d: it re-reads the
// buffer after each write, never polls.
func (s *syncBuffer) waitFor(text string, d time.Duration) bool {
	wake := s.wake()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !strings.Contains(s.String(), text) {
		select {
		case <-wake:
		case <-deadline.C:
			return false
		}
	}
	return true
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAccessibleAbsentUOSaysItOnce: an absent re-authorize-only app is "not in your
// tenant" and cannot be re-authorized — said once, not "not in your tenant yet"
// (which promises consent will add it) followed by "cannot be created".
func TestAccessibleAbsentUOSaysItOnce(t *testing.T) {
	eng := &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("uo", false, nil)}}
	var out strings.Builder
	in := strings.NewReader("2\n\n\n")
	o, _ := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, &out)
	text := out.String()
	if strings.Contains(text, "not in your tenant yet") || !strings.Contains(text, "nothing to consent to") || eng.consents != 0 {
		t.Errorf("outcome %+v:\n%s", o, text)
	}
}
