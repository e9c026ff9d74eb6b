package flows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
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

// A grant revoked and another added between two polls is not grants appearing: the
// count stays at the first poll's, so a paused wait stays paused (nobody who can grant
// what is missing is known to be at work). Here the signed-in Cloud Application
// Administrator's wait starts with only User.Read granted (Directory.Read.All, which
// the account cannot grant, missing); then User.Read is revoked and Dynamics CRM's
// user_impersonation granted by hand.
func TestConsentPauseStaysWhenAGrantIsSwappedForAnother(t *testing.T) {
	f := start(t, "cloud-app-admin", emulator.Faults{}, newFakeClock(false), nil)
	f.browser.away = true
	ce := f.app(t, "ce")
	// Another admin's consent creates the app with everything granted.
	first, err := f.session.StartConsent(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, first); ev.Paused == nil {
		t.Fatalf("first event %+v, want paused", ev)
	}
	if err := f.srv.Browser("megan@contosodemo.onmicrosoft.com").Open(context.Background(), first.URL); err != nil {
		t.Fatal(err)
	}
	first.Recheck()
	if ev := nextEvent(t, first); !ev.Done || ev.Err != nil || ev.Visible != 3 {
		t.Fatalf("after the other admin's consent: %+v, want done with 3 granted", ev)
	}
	first.Close()
	// An admin then removes all but User.Read.
	tenant := f.srv.TenantID()
	if err := f.srv.RevokeAppRole(tenant, ce.ClientID, permissions.GraphAppID, "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RevokeScope(tenant, ce.ClientID, permissions.DynamicsCRMAppID, "user_impersonation"); err != nil {
		t.Fatal(err)
	}
	c, err := f.session.StartConsent(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ev := nextEvent(t, c)
	if ev.Done || ev.Visible != 1 || ev.Paused == nil || strings.Join(ev.Paused.Rows, ",") != "Microsoft Graph · Directory.Read.All" {
		t.Fatalf("first event %+v, want paused on Directory.Read.All with 1 granted", ev)
	}
	// User.Read goes, user_impersonation comes: still one granted, a different one.
	if err := f.srv.RevokeScope(tenant, ce.ClientID, permissions.GraphAppID, "User.Read"); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.GrantExtra(ce.ClientID, permissions.DynamicsCRMAppID, permissions.Delegated, "user_impersonation"); err != nil {
		t.Fatal(err)
	}
	c.Recheck()
	ev = nextEvent(t, c)
	if ev.Done || ev.Visible != 1 || ev.Paused == nil || strings.Join(ev.Paused.Rows, ",") != "Microsoft Graph · Directory.Read.All" {
		t.Fatalf("after a grant was swapped for another: %+v, want still paused on Directory.Read.All with 1 granted", ev)
	}
	granted := ""
	for _, p := range ev.Result.Permissions {
		if p.Status == flows.PermGranted {
			granted += p.API + " · " + p.Permission
		}
	}
	if granted != "Dynamics CRM · user_impersonation" {
		t.Fatalf("granted %q, want only Dynamics CRM · user_impersonation", granted)
	}
}
