package flows_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// TestDriftExactDiff: a baseline taken when everything was granted; then an admin
// removes the Directory.Read.All application permission and grants Group.Read.All
// beyond the required set. The comparison lists exactly those changes (and the
// status change), through the JSON file a scheduled job would keep.
func TestDriftExactDiff(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	app := f.app(t, "ce")
	before, err := f.session.Verify(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	data, err := flows.JSONReport(before)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RevokeAppRole(f.srv.TenantID(), app.ClientID, permissions.GraphAppID, "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.GrantExtra(app.ClientID, permissions.GraphAppID, permissions.Application, "Group.Read.All"); err != nil {
		t.Fatal(err)
	}
	after, err := f.session.Verify(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	b, err := flows.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckApp(after.App); err != nil {
		t.Fatal(err)
	}
	d := b.Compare(after)
	tid := f.srv.TenantID()
	want := []flows.DriftChange{
		{TenantID: tid, Kind: flows.DriftStatus, Before: "complete", After: "incomplete"},
		{TenantID: tid, Kind: flows.DriftPermission, API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Before: "granted", After: "missing"},
		{TenantID: tid, Kind: flows.DriftExtraAppeared, API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Application", Before: "absent", After: "granted"},
	}
	if !reflect.DeepEqual(d.Changes, want) || !d.Drifted() || len(d.NoBaseline) != 0 {
		t.Fatalf("changes:\n got %+v\nwant %+v", d.Changes, want)
	}
	if got := d.Changes[1].String(); got != "Microsoft Graph Directory.Read.All (Application): granted -> missing" {
		t.Fatal(got)
	}
	// Compared the other way round: the grant is back, the extra vanished.
	back := flows.CompareResults(after, before)
	wantBack := []flows.DriftChange{
		{TenantID: tid, Kind: flows.DriftStatus, Before: "incomplete", After: "complete"},
		{TenantID: tid, Kind: flows.DriftPermission, API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Before: "missing", After: "granted"},
		{TenantID: tid, Kind: flows.DriftExtraVanished, API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Application", Before: "granted", After: "absent"},
	}
	if !reflect.DeepEqual(back, wantBack) {
		t.Fatalf("back:\n got %+v\nwant %+v", back, wantBack)
	}
	// No change, no drift.
	if same := b.Compare(before); same.Drifted() || len(same.Changes) != 0 {
		t.Fatalf("%+v", same)
	}
	// A newly required permission (the catalog grew since the baseline).
	trimmed := *before
	trimmed.Permissions = before.Permissions[:2]
	added := flows.CompareResults(&trimmed, before)
	if len(added) != 1 || added[0].Kind != flows.DriftPermissionAdded || added[0].Permission != "user_impersonation" || added[0].After != "granted" {
		t.Fatalf("%+v", added)
	}
}

func TestBaselineRefusesOtherApps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(path, []byte(`{"schema":"d365consent.verify/v1","app":{"key":"uo","clientId":"11111111-1111-1111-1111-111111111111"},"tenant":{"id":"t"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := flows.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckApp(flows.ResultApp{Key: "ce", ClientID: "22222222-2222-2222-2222-222222222222"}); err == nil {
		t.Fatal("a baseline of another app was accepted")
	}
	if err := os.WriteFile(path, []byte(`{"schema":"something/else"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := flows.LoadBaseline(path); err == nil {
		t.Fatal("an unknown schema was accepted")
	}
}

func TestWorstExitCodeOrder(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want int
	}{
		{nil, 0}, {[]int{0, 0}, 0}, {[]int{0, 3}, 3}, {[]int{3, 5}, 5}, {[]int{5, 4}, 4}, {[]int{4, 1, 3}, 1}, {[]int{1, 130}, 130},
	} {
		if got := flows.WorstExitCode(c.in...); got != c.want {
			t.Errorf("%v: %d, want %d", c.in, got, c.want)
		}
	}
}
