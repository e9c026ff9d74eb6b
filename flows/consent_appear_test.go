package flows_test

import (
	"context"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/permissions"
)

// A paused wait (the signed-in account cannot grant it) polls again by itself when
// grants appear, since someone who can is granting consent: one grant appearing after
// none is enough. (Another admin's consent here creates the app at once and its
// grants only an hour later; the one grant that appears is an app role an admin
// assigned by hand.)
func TestConsentPauseEndsWhenTheFirstGrantAppears(t *testing.T) {
	f := start(t, "cloud-app-admin", emulator.Faults{}, newFakeClock(false), nil)
	f.srv.SetFaults(emulator.Faults{GrantsDelay: time.Hour, AssignmentsDelay: time.Hour})
	f.browser.away = true
	ce := f.app(t, "ce")
	c, err := f.session.StartConsent(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ev := nextEvent(t, c); ev.Paused == nil || ev.Visible != 0 {
		t.Fatalf("first event %+v, want paused with nothing granted", ev)
	}
	if err := f.srv.Browser("megan@contosodemo.onmicrosoft.com").Open(context.Background(), c.URL); err != nil {
		t.Fatal(err)
	}
	c.Recheck()
	if ev := nextEvent(t, c); ev.Done || ev.Paused == nil || ev.Visible != 0 {
		t.Fatalf("app created, nothing granted yet: %+v, want still paused", ev)
	}
	// The consent's own (delayed) assignment goes; one assigned by hand is visible now.
	if err := f.srv.RevokeAppRole(f.srv.TenantID(), ce.ClientID, permissions.GraphAppID, "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.GrantExtra(ce.ClientID, permissions.GraphAppID, permissions.Application, "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	c.Recheck()
	if ev := nextEvent(t, c); ev.Done || ev.Visible != 1 || ev.Paused != nil {
		t.Fatalf("after one grant appeared: %+v, want polling again, not paused", ev)
	}
}
