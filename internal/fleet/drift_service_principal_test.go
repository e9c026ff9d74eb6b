package fleet

import (
	"reflect"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
)

// A service principal that was disabled is drift even when the overall status did
// not change (an incomplete tenant stays incomplete) and no permission changed: the
// app can no longer get tokens, which a scheduled check must report.
func TestDisabledServicePrincipalIsDriftWithTheSameStatus(t *testing.T) {
	perms := []flows.PermissionCheck{
		{API: "Microsoft Graph", ResourceAppID: "00000003-0000-0000-c000-000000000000", Permission: "User.Read", Type: "Delegated", Status: flows.PermGranted},
		{API: "Dynamics CRM", ResourceAppID: "00000007-0000-0000-c000-000000000000", Permission: "user_impersonation", Type: "Delegated", Status: flows.PermMissing},
	}
	result := func(enabled bool) *flows.Result {
		return &flows.Result{Tenant: flows.ResultTenant{ID: "t1"}, Status: flows.StatusIncomplete,
			ServicePrincipal: &flows.ResultSP{ID: "sp", AccountEnabled: enabled}, Permissions: perms}
	}
	got := CompareResults(result(true), result(false))
	want := []DriftChange{{TenantID: "t1", Kind: DriftSPEnabled, Before: "enabled", After: "disabled"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes %+v, want %+v", got, want)
	}
	if d := (&Drift{Changes: got}); !d.Drifted() {
		t.Fatal("not drifted")
	}
	if got := CompareResults(result(false), result(false)); len(got) != 0 {
		t.Fatalf("no change reported as %+v", got)
	}
}
