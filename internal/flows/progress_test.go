package flows_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// TestProgressSaysWhatTheFlowDoes: a verification against a throttling Graph tells
// its progress function that it checks Graph and how long Graph asked it to wait and
// why ("Graph asked us to wait 2 s (429)", not a still screen).
func TestProgressSaysWhatTheFlowDoes(t *testing.T) {
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, nil)
	f.srv.SetFaults(emulator.Faults{Throttle: 1, RetryAfter: 2 * time.Second})
	ctx, progress := recordProgress()
	if _, err := f.session.Verify(ctx, f.app(t, "ce")); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(progress(), "\n")
	for _, want := range []string{"Checking Microsoft Graph", "Microsoft Graph asked us to wait 2 s (429)"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
}

// TestProgressAfterSignIn: once the browser part of the sign-in is done, the flow
// says it is reading the account and roles (the wizard used to keep saying "waiting
// for you to sign in").
func TestProgressAfterSignIn(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	ctx, progress := recordProgress()
	if _, err := f.session.SignIn(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(progress(), "\n"); !strings.Contains(got, "Signed in; reading your account and roles") {
		t.Errorf("progress: %q", got)
	}
}

// TestProgressSaysFractionalWait: Graph's Retry-After may carry milliseconds
// ("2.500", graph/throttling); a wait under ten seconds is told to the tenth.
func TestProgressSaysFractionalWait(t *testing.T) {
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, nil)
	f.srv.SetFaults(emulator.Faults{Throttle: 1, RetryAfter: 2500 * time.Millisecond, RetryAfterFormat: emulator.RetryFractional})
	ctx, progress := recordProgress()
	if _, err := f.session.Verify(ctx, f.app(t, "ce")); err != nil {
		t.Fatal(err)
	}
	want := "Microsoft Graph asked us to wait 2.5 s (429); retrying then…"
	if lines := progress(); !slices.Contains(lines, want) {
		t.Errorf("progress lacks %q:\n%s", want, strings.Join(lines, "\n"))
	}
}

// recordProgress is a context whose progress lines are kept, and a function that
// returns them so far.
func recordProgress() (context.Context, func() []string) {
	var mu sync.Mutex
	var lines []string
	ctx := flows.WithProgress(context.Background(), func(s string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, s)
	})
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}
}
