package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// Resuming a paused wait (another admin grants it: the wizard's w) gives a fresh
// --timeout, also when the pause itself lasted longer than the timeout: the wait
// polls on instead of ending at once as timed out.
func TestResumeAfterALongPauseGivesAFreshTimeout(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "cloud-app-admin", emulator.Faults{}, clock, func(c *flows.Config) { c.Timeout = time.Minute })
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ev := nextEvent(t, c); ev.Paused == nil || ev.Done {
		t.Fatalf("first event %+v, want paused", ev)
	}
	// The admin leaves the paused screen for ten minutes: ten timeouts.
	clock.mu.Lock()
	clock.now = clock.now.Add(10 * time.Minute)
	clock.mu.Unlock()
	c.Resume()
	if ev := nextEvent(t, c); ev.Done || ev.Err != nil || ev.Paused != nil {
		t.Fatalf("after resume: %+v (err %v), want polling on with a fresh timeout", ev, ev.Err)
	}
}
