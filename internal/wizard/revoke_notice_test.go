package wizard

import (
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
)

// The current state names the tenant-wide grants beyond the catalog that consent may
// revoke, only while consent is offered; the summary names what the consent took.
func TestFlowRevokeNotices(t *testing.T) {
	extra := flows.ExtraGrant{API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Delegated"}
	withExtra := &flows.Result{Status: flows.StatusIncomplete, Tenant: flows.ResultTenant{ID: tenantID},
		ServicePrincipal: &flows.ResultSP{AccountEnabled: true},
		Permissions:      []flows.PermissionCheck{{Status: flows.PermMissing}},
		Extra:            []flows.ExtraGrant{extra}}
	completeWithExtra := &flows.Result{Status: flows.StatusComplete, Tenant: flows.ResultTenant{ID: tenantID},
		ServicePrincipal: &flows.ResultSP{AccountEnabled: true},
		Permissions:      []flows.PermissionCheck{{Status: flows.PermGranted}},
		Extra:            []flows.ExtraGrant{extra}}

	f := run(Options{}, toState(withExtra)...)
	if got, want := f.MayRevokeNotice(), flows.RevokeNotice([]flows.ExtraGrant{extra}, false); got != want || got == "" {
		t.Fatalf("state notice %q, want %q", got, want)
	}
	if f.RevokedNotice() != "" {
		t.Fatalf("the state says nothing went: %q", f.RevokedNotice())
	}
	f.Proceed()
	if f.MayRevokeNotice() != "" {
		t.Fatalf("the consent step repeats the notice: %q", f.MayRevokeNotice())
	}
	f.ConsentEvent(flows.ConsentEvent{Done: true, Result: complete, Revoked: []flows.ExtraGrant{extra}})
	if got, want := f.RevokedNotice(), flows.RevokeNotice([]flows.ExtraGrant{extra}, true); f.Step() != Summary || got != want || got == "" {
		t.Fatalf("summary (step %v) notice %q, want %q", f.Step(), got, want)
	}
	// Back and consent again, nothing revoked this time: the old notice is gone.
	f.Back()
	f.Verified(withExtra, nil, nil)
	f.Proceed()
	f.ConsentEvent(flows.ConsentEvent{Done: true, Result: complete})
	if f.RevokedNotice() != "" {
		t.Fatalf("a consent that revoked nothing says %q", f.RevokedNotice())
	}

	for name, r := range map[string]*flows.Result{"complete": completeWithExtra, "no extra": missing} {
		if n := run(Options{}, toState(r)...).MayRevokeNotice(); n != "" {
			t.Errorf("%s: no consent offered or nothing beyond the catalog, yet %q", name, n)
		}
	}
}
