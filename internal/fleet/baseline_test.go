package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// TestDriftAgainstAFleetBaseline: a fleet check's document (verify-many/v1) is a
// baseline too, by tenant: the next check reports the one tenant whose grant was revoked, lists a tenant the baseline
// does not have as having no baseline (not as drift), and skips a tenant that could
// not be checked (no result).
func TestDriftAgainstAFleetBaseline(t *testing.T) {
	f := start(t, "consented", nil)
	var ids []string
	for _, c := range []emulator.CustomerTenant{
		{Name: "Fabrikam", Scenario: "consented", Access: emulator.AccessGuest},
		{Name: "Northwind", Scenario: "partial", Access: emulator.AccessGDAP},
		{Name: "Tailspin", Scenario: "fresh", Access: emulator.AccessGuest},
	} {
		info, err := f.srv.AddCustomerTenant(c)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, info.ID)
	}
	app := f.app(t, "ce")
	first, err := fleet.Verify(context.Background(), fleetConfig(f, f.session), app, []string{ids[0], ids[1]})
	if err != nil {
		t.Fatal(err)
	}
	data, err := fleet.JSON(first, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := fleet.LoadBaseline(writeBaseline(t, data))
	if err != nil {
		t.Fatal(err)
	}
	if !b.CheckedAt.Equal(first.CheckedAt) || b.App != first.App || b.CheckApp(first.App) != nil {
		t.Fatalf("baseline checked at %v for %+v, want %v for %+v", b.CheckedAt, b.App, first.CheckedAt, first.App)
	}
	if err := f.srv.RevokeAppRole(ids[0], app.ClientID, permissions.GraphAppID, "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	second, err := fleet.Verify(context.Background(), fleetConfig(f, f.session), app, []string{ids[0], ids[1], ids[2], "nosuchtenant.onmicrosoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	var results []*flows.Result
	for _, r := range second.Rows {
		results = append(results, r.Result)
	}
	if results[3] != nil {
		t.Fatalf("a tenant that does not exist has a result: %+v", results[3])
	}
	d := b.Compare(results...)
	want := []fleet.DriftChange{
		{TenantID: ids[0], Kind: fleet.DriftStatus, Before: "complete", After: "incomplete"},
		{TenantID: ids[0], Kind: fleet.DriftPermission, API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Before: "granted", After: "missing"},
	}
	if !reflect.DeepEqual(d.Changes, want) || !reflect.DeepEqual(d.NoBaseline, []string{ids[2]}) {
		t.Fatalf("changes:\n got %+v\nwant %+v\nno baseline %v, want [%s]", d.Changes, want, d.NoBaseline, ids[2])
	}
	// A fleet document that is not one is refused as a usage error.
	if _, err := fleet.LoadBaseline(writeBaseline(t, []byte(`{"schema":"`+fleet.Schema+`","results":"none"}`))); !errors.Is(err, flows.ErrUsage) {
		t.Fatalf("a broken fleet document: %v, want a usage error", err)
	}
}

// TestLoadBaselineRefusesUnusableFiles: a baseline that cannot be used is a usage error naming the file: missing, not
// JSON, or a verify document that does not decode.
func TestLoadBaselineRefusesUnusableFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.json")
	notJSON := writeBaseline(t, []byte("status,tenant\ncomplete,contoso\n"))
	broken := writeBaseline(t, []byte(`{"schema":"`+flows.ResultSchema+`","permissions":"none"}`))
	for path, prefix := range map[string]string{
		missing: "--baseline: open " + missing + ": ",
		notJSON: "--baseline " + notJSON + ": not a verify JSON document: ",
		broken:  "--baseline " + broken + ": json: ",
	} {
		b, err := fleet.LoadBaseline(path)
		if b != nil || !errors.Is(err, flows.ErrUsage) || !strings.HasPrefix(fmt.Sprint(err), prefix) {
			t.Errorf("LoadBaseline(%s) = %v, %v; want a usage error starting %q", filepath.Base(path), b, err, prefix)
		}
	}
}

// TestBaselineRefusesOtherApps: a baseline of another app, or of an unknown schema, is refused.
func TestBaselineRefusesOtherApps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.json")
	if err := os.WriteFile(path, []byte(`{"schema":"d365consent.verify/v1","app":{"key":"uo","clientId":"11111111-1111-1111-1111-111111111111"},"tenant":{"id":"t"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := fleet.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckApp(flows.ResultApp{Key: "ce", ClientID: "22222222-2222-2222-2222-222222222222"}); err == nil {
		t.Fatal("a baseline of another app was accepted")
	}
	if err := os.WriteFile(path, []byte(`{"schema":"something/else"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fleet.LoadBaseline(path); err == nil {
		t.Fatal("an unknown schema was accepted")
	}
}
