package flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
)

// nextEvent is the consent wait's next event, or a failure after 20 s.
func nextEvent(t *testing.T, c *flows.Consent) flows.ConsentEvent {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		if !ok {
			t.Fatal("the wait ended without a final event")
		}
		return ev
	case <-time.After(20 * time.Second):
		t.Fatal("no consent event within 20 s")
	}
	return flows.ConsentEvent{}
}

// awayConsent signs in to scenario's tenant and starts a consent wait whose browser
// never answers (the admin reads the page, or sends the link to someone else).
func awayConsent(t *testing.T, scenario string, clock *fakeClock) (*fixture, *flows.Consent) {
	t.Helper()
	f := start(t, scenario, emulator.Faults{}, clock, nil)
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return f, c
}

func (c *fakeClock) registered() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waits)
}

// A sign-in account without the role ends the wait at once, with its cause
// and who can grant it — the wait stops polling (no timer, no Graph request) instead
// of running to --timeout, yet a paste, Enter, or another admin's consent still count.
func TestConsentPausesWhenTheAccountCannotGrant(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		rows     []string
		says     []string
	}{
		// Directory Readers only (a tenant with the admin consent workflow on).
		{"consent-workflow", []string{"Microsoft Graph · User.Read", "Microsoft Graph · Directory.Read.All", "Dynamics CRM · user_impersonation"},
			[]string{"active roles: Directory Readers", "AADSTS90094", "PIM", "admin consent workflow"}},
		// Global Administrator only eligible in PIM, Global Reader active.
		{"pim-eligible", []string{"Microsoft Graph · User.Read", "Microsoft Graph · Directory.Read.All", "Dynamics CRM · user_impersonation"},
			[]string{"active roles: Global Reader", "AADSTS90094", "Privileged Identity Management (PIM)"}},
		// Cloud Application Administrator: all but Microsoft Graph app permissions.
		{"cloud-app-admin", []string{"Microsoft Graph · Directory.Read.All"},
			[]string{"Cloud Application Administrator", "Directory.Read.All is still missing"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			clock := newFakeClock(false)
			f, c := awayConsent(t, tc.scenario, clock)
			ev := nextEvent(t, c)
			p := ev.Paused
			if ev.Done || p == nil || p.Reason != flows.BlockNoRole || strings.Join(p.Rows, "|") != strings.Join(tc.rows, "|") {
				t.Fatalf("first event %+v (paused %+v), want a pause naming %q", ev, p, tc.rows)
			}
			for _, s := range append(tc.says, f.srv.DemoUser(), "Global Administrator or Privileged Role Administrator") {
				if !strings.Contains(p.Error(), s) {
					t.Errorf("pause lacks %q: %s", s, p.Error())
				}
			}
			// Stopped: Enter polls once (one Graph request) and no timer was ever set.
			n := f.srv.GraphRequests()
			c.Recheck()
			if ev := nextEvent(t, c); ev.Paused == nil || ev.Done {
				t.Fatalf("after Enter: %+v", ev)
			}
			if got := f.srv.GraphRequests() - n; got != 1 {
				t.Errorf("Enter made %d Graph requests, want 1", got)
			}
			if w := clock.registered(); w != 0 {
				t.Errorf("a paused wait set %d timers", w)
			}
			// The admin sent the link to a Privileged Role Administrator and waits.
			c.Resume() // polls at once, then on a timer again
			if ev := nextEvent(t, c); ev.Paused != nil || ev.Done {
				t.Fatalf("after Resume: %+v", ev)
			}
			if err := f.srv.Browser("megan@contosodemo.onmicrosoft.com").Open(context.Background(), c.URL); err != nil {
				t.Fatalf("the other admin's consent: %v", err)
			}
			for k := 1; ; k++ {
				clock.advanceToNext(t, k)
				ev := nextEvent(t, c)
				if ev.Paused != nil {
					t.Fatalf("paused again after Resume: %+v", ev)
				}
				if ev.Done {
					if ev.Err != nil || ev.Result.Status != flows.StatusComplete {
						t.Fatalf("final %+v", ev)
					}
					break
				}
			}
		})
	}
}

// While paused, what the admin pastes still ends the wait: the consent page's own
// refusal (AADSTS90094) is explained; another admin's consent, seen by Enter, ends it
// complete without any Resume.
func TestConsentPausedStillHandlesPasteAndOthersConsent(t *testing.T) {
	t.Run("refusal pasted", func(t *testing.T) {
		f, c := awayConsent(t, "cloud-app-admin", newFakeClock(false))
		if ev := nextEvent(t, c); ev.Paused == nil {
			t.Fatalf("not paused: %+v", ev)
		}
		b := f.srv.Browser("")
		if err := b.Open(context.Background(), c.URL); !errors.Is(err, emulator.ErrPageError) {
			t.Fatalf("Adele's consent: %v, want the page's refusal", err)
		}
		if err := c.Paste(b.LandedOn()); err != nil {
			t.Fatalf("paste %q: %v", b.LandedOn(), err)
		}
		ev := nextEvent(t, c)
		var ae *explain.AuthError
		if !ev.Done || !errors.As(ev.Err, &ae) || ae.Explanation == nil || ae.Explanation.Code != 90094 {
			t.Fatalf("final %+v, want AADSTS90094 explained", ev)
		}
	})
	t.Run("another admin's consent seen on Enter", func(t *testing.T) {
		clock := newFakeClock(false)
		f, c := awayConsent(t, "cloud-app-admin", clock)
		if ev := nextEvent(t, c); ev.Paused == nil {
			t.Fatalf("not paused: %+v", ev)
		}
		if err := f.srv.Browser("megan@contosodemo.onmicrosoft.com").Open(context.Background(), c.URL); err != nil {
			t.Fatal(err)
		}
		c.Recheck() // the terminal regained focus
		ev := nextEvent(t, c)
		if !ev.Done || ev.Err != nil || ev.Paused != nil || ev.Result.Status != flows.StatusComplete {
			t.Fatalf("final %+v", ev)
		}
		if w := clock.registered(); w != 0 {
			t.Errorf("%d timers set", w)
		}
	})
}
