package flows_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// Re-consent may revoke grants (grant-admin-consent): before consent, the tenant-wide
// grants beyond the required set are named as what may go; after it, the final event
// names what went. The demo tenant's consent gives each resource exactly what the
// registration requests, as Entra ID does.
func TestReconsentSaysWhichGrantsMayGoAndWhichWent(t *testing.T) {
	f := start(t, "partial", emulator.Faults{}, newFakeClock(false), nil)
	ce := f.app(t, "ce")
	if err := f.srv.GrantExtra(ce.ClientID, permissions.GraphAppID, permissions.Delegated, "Group.Read.All"); err != nil {
		t.Fatal(err)
	}
	before, err := f.session.Verify(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	extra := flows.ExtraGrant{API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Delegated"}
	if got := flows.MayRevoke(before); !reflect.DeepEqual(got, []flows.ExtraGrant{extra}) {
		t.Fatalf("MayRevoke = %+v, want Group.Read.All", got)
	}
	if n := flows.RevokeNotice(flows.MayRevoke(before), false); !strings.Contains(n, "may revoke") || !strings.Contains(n, "Microsoft Graph Group.Read.All (Delegated)") {
		t.Fatalf("notice before: %q", n)
	}
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ev := nextEvent(t, c); ev.Done {
		t.Fatalf("first event %+v: done before consent", ev)
	}
	if err := f.srv.Browser(f.srv.DemoUser()).Open(context.Background(), c.URL); err != nil {
		t.Fatal(err)
	}
	c.Recheck()
	var ev flows.ConsentEvent
	for ev = nextEvent(t, c); !ev.Done; ev = nextEvent(t, c) {
		c.Recheck()
	}
	if ev.Err != nil || !reflect.DeepEqual(ev.Revoked, []flows.ExtraGrant{extra}) {
		t.Fatalf("final event err %v revoked %+v, want Group.Read.All revoked", ev.Err, ev.Revoked)
	}
	if n := flows.RevokeNotice(ev.Revoked, true); !strings.Contains(n, "Consent removed") || !strings.Contains(n, "Group.Read.All") {
		t.Fatalf("notice after: %q", n)
	}
}
