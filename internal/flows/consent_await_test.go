package flows_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
)

// countingBrowser counts the pages the flows open.
type countingBrowser struct {
	browser.Browser
	opened atomic.Int32
}

func (b *countingBrowser) Open(u string) error {
	b.opened.Add(1)
	return b.Browser.Open(u)
}

// fileCERequest opens CE's admin consent link as the demo user of consent-workflow:
// the admin consent workflow files a request (AADSTS90095).
func fileCERequest(t *testing.T, f *fixture) {
	t.Helper()
	u, err := f.session.ConsentURL(f.app(t, "ce"), "filed", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.srv.Browser(f.srv.DemoUser()).Open(context.Background(), u); !errors.Is(err, emulator.ErrPageError) {
		t.Fatalf("filing the request: %v", err)
	}
	if r := f.srv.ConsentRequests(); len(r) != 1 {
		t.Fatalf("requests %+v", r)
	}
}

// AwaitConsent waits for the reviewer's approval of a filed request as the consent
// wait waits for consent — polling Graph on its schedule, never pausing for the
// signed-in account (which cannot grant it) — without opening the consent page or
// filing another request, and ends complete once the approval's grants show.
func TestAwaitConsentSeesTheApproval(t *testing.T) {
	clock := newFakeClock(false)
	var counter *countingBrowser
	f := start(t, "consent-workflow", emulator.Faults{}, clock, func(c *flows.Config) {
		counter = &countingBrowser{Browser: c.Browser}
		c.Browser = counter
	})
	fileCERequest(t, f)
	opened := counter.opened.Load()
	c, err := f.session.AwaitConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.LoopbackRedirect() {
		t.Error("an approval wait listens for a redirect")
	}
	ev := nextEvent(t, c)
	if ev.Paused != nil || ev.Done || ev.Visible != 0 || ev.Total != 3 {
		t.Fatalf("first event %+v, want 0/3 polling, not paused", ev)
	}
	if w := clock.registeredWaits(t, 1); w[0] != flows.PollFast {
		t.Fatalf("next poll in %v, want %v", w[0], flows.PollFast)
	}
	if err := f.srv.ApproveConsentRequest(f.app(t, "ce").ClientID); err != nil {
		t.Fatal(err)
	}
	clock.advanceToNext(t, 1)
	ev = nextEvent(t, c)
	if !ev.Done || ev.Err != nil || ev.Result == nil || ev.Result.Status != flows.StatusComplete || ev.Visible != 3 {
		t.Fatalf("after the approval: %+v", ev)
	}
	if n := counter.opened.Load() - opened; n != 0 {
		t.Errorf("the approval wait opened %d pages", n)
	}
	if r := f.srv.ConsentRequests(); len(r) != 1 {
		t.Errorf("requests %+v, want the one filed", r)
	}
}

// The approval wait honours --timeout: without an approval it ends incomplete, with
// what Graph shows.
func TestAwaitConsentTimesOut(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "consent-workflow", emulator.Faults{}, clock, func(c *flows.Config) { c.Timeout = 3 * time.Second })
	fileCERequest(t, f) // the scenario's reviewer approves it 5 s later: after the timeout
	c, err := f.session.AwaitConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for k := 1; ; k++ {
		ev := nextEvent(t, c)
		if ev.Paused != nil {
			t.Fatalf("paused: %+v", ev)
		}
		if ev.Done {
			if !errors.Is(ev.Err, flows.ErrIncomplete) || ev.Result == nil || ev.Visible != 0 {
				t.Fatalf("final %+v, want incomplete at 0", ev)
			}
			break
		}
		clock.advanceToNext(t, k)
	}
	if at := clock.Now().Sub(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)); at != 3*time.Second {
		t.Errorf("ended %v into the wait, want 3s", at)
	}
}
