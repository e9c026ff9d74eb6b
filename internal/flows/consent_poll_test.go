package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// registeredWaits blocks until the code under test has asked the clock for at least
// k waits, then returns them.
func (c *fakeClock) registeredWaits(t *testing.T, k int) []time.Duration {
	t.Helper()
	for {
		c.mu.Lock()
		if len(c.waits) >= k {
			w := append([]time.Duration(nil), c.waits...)
			c.mu.Unlock()
			return w
		}
		c.mu.Unlock()
		select {
		case <-c.added:
		case <-time.After(20 * time.Second):
			t.Fatalf("no wait number %d registered", k)
		}
	}
}

// fireLatest waits for the k-th wait, moves time to its end and fires every timer
// due, the abandoned one of the select the redirect won included (advanceToNext would
// fire only that one when it is the earliest).
func (c *fakeClock) fireLatest(t *testing.T, k int) {
	t.Helper()
	waits := c.registeredWaits(t, k)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(waits[k-1])
	var keep []fakeTimer
	for _, tm := range c.timers {
		if !tm.at.After(c.now) {
			tm.ch <- c.now
		} else {
			keep = append(keep, tm)
		}
	}
	c.timers = keep
}

// After the consent redirect arrives, polling starts again at the shortest interval,
// however far it had backed off while the admin was reading the consent page: grants
// replicate right after Accept, and a long interval then would leave the admin
// watching a stale screen.
func TestConsentRedirectResetsPollInterval(t *testing.T) {
	clock := newFakeClock(false)
	// An app that registered a loopback reply URL: the redirect comes back to us.
	f := start(t, "loopback-reply", emulator.Faults{PropagationDelay: 25 * time.Second}, clock, nil)
	f.browser.away = true // the admin reads the consent page for a while
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.RedirectURI == "" {
		t.Fatal("the app sends no redirect_uri: nothing comes back to reset the interval")
	}
	next := func() flows.ConsentEvent { t.Helper(); return nextEvent(t, c) }
	// Let the interval back off: fire waits until one is longer than the first.
	k := 0
	var waits []time.Duration
	for {
		ev := next()
		k++
		if ev.Done || ev.Redirected {
			t.Fatalf("event %d before the admin accepted: %+v", k, ev)
		}
		waits = clock.registeredWaits(t, k)
		if waits[k-1] > waits[0] {
			break // a backed-off wait is pending; leave it pending
		}
		if k > 200 {
			t.Fatalf("the poll interval never backed off: waits %v", waits)
		}
		clock.advanceToNext(t, k)
	}
	backedOff := waits[k-1]
	// The admin accepts: the demo browser follows the redirect to our listener.
	opened := make(chan error, 1)
	go func() { opened <- f.browser.b.Open(context.Background(), c.URL) }()
	ev := next()
	k++
	if !ev.Redirected || ev.Done || ev.Visible != 0 {
		t.Fatalf("after the redirect: %+v, want redirected, not done, nothing visible yet (propagating)", ev)
	}
	if err := <-opened; err != nil {
		t.Fatalf("accepting consent: %v", err)
	}
	waits = clock.registeredWaits(t, k)
	if got := waits[k-1]; got != waits[0] {
		t.Fatalf("first wait after the redirect %s, want the initial interval %s (it had backed off to %s); waits %v",
			got, waits[0], backedOff, waits)
	}
	// And the consent completes once the grants replicate.
	for !ev.Done {
		clock.fireLatest(t, k)
		ev = next()
		k++
	}
	if ev.Err != nil || ev.Result == nil || ev.Result.Status != flows.StatusComplete || !ev.Redirected {
		t.Fatalf("final %+v", ev)
	}
}
