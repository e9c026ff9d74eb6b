package flows_test

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
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// writeBaseline writes a verify JSON document where a scheduled job keeps it.
func writeBaseline(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A baseline taken before anything was consented, compared after the admin
// consented (the real redirect to the loopback listener) and then granted three
// permissions beyond the required set: the service principal appeared (absent ->
// enabled), every required permission changed, and the extra grants are listed by
// name — the two Group.Read.All grants (application, delegated) in the order the
// verification lists them. Compared the other way round, everything goes back.
func TestDriftAfterConsentInAFreshTenant(t *testing.T) {
	f := start(t, "loopback-reply", emulator.Faults{}, nil, nil)
	app := f.app(t, "ce")
	before, err := f.session.Verify(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	if before.ServicePrincipal != nil {
		t.Fatalf("before consent: service principal %+v", before.ServicePrincipal)
	}
	data, err := flows.JSONReport(before)
	if err != nil {
		t.Fatal(err)
	}
	path := writeBaseline(t, data)
	c, err := f.session.StartConsent(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	last := lastEvent(t, c)
	if !last.Done || last.Err != nil || last.Result.Status != flows.StatusComplete {
		t.Fatalf("consent: %+v", last)
	}
	for _, g := range []struct {
		typ   permissions.Type
		value string
	}{{permissions.Application, "Group.Read.All"}, {permissions.Delegated, "Group.Read.All"}, {permissions.Delegated, "Application.Read.All"}} {
		if err := f.srv.GrantExtra(app.ClientID, permissions.GraphAppID, g.typ, g.value); err != nil {
			t.Fatal(err)
		}
	}
	after, err := f.session.Verify(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	b, err := flows.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	tid := f.srv.TenantID()
	perm := func(api, p, typ, from, to string) flows.DriftChange {
		return flows.DriftChange{TenantID: tid, Kind: flows.DriftPermission, API: api, Permission: p, Type: typ, Before: from, After: to}
	}
	extra := func(kind, p, typ string) flows.DriftChange {
		from, to := "absent", "granted"
		if kind == flows.DriftExtraVanished {
			from, to = to, from
		}
		return flows.DriftChange{TenantID: tid, Kind: kind, API: "Microsoft Graph", Permission: p, Type: typ, Before: from, After: to}
	}
	want := []flows.DriftChange{
		{TenantID: tid, Kind: flows.DriftStatus, Before: "not-consented", After: "complete"},
		{TenantID: tid, Kind: flows.DriftSPEnabled, Before: "absent", After: "enabled"},
		perm("Microsoft Graph", "User.Read", "Delegated", "missing", "granted"),
		perm("Microsoft Graph", "Directory.Read.All", "Application", "missing", "granted"),
		perm("Dynamics CRM", "user_impersonation", "Delegated", "missing", "granted"),
		extra(flows.DriftExtraAppeared, "Application.Read.All", "Delegated"),
		extra(flows.DriftExtraAppeared, "Group.Read.All", "Application"),
		extra(flows.DriftExtraAppeared, "Group.Read.All", "Delegated"),
	}
	d := b.Compare(after)
	if !reflect.DeepEqual(d.Changes, want) || len(d.NoBaseline) != 0 {
		t.Fatalf("changes:\n got %+v\nwant %+v", d.Changes, want)
	}
	if got := d.Changes[1].String(); got != "service principal: absent -> enabled" {
		t.Fatal(got)
	}
	wantBack := []flows.DriftChange{
		{TenantID: tid, Kind: flows.DriftStatus, Before: "complete", After: "not-consented"},
		{TenantID: tid, Kind: flows.DriftSPEnabled, Before: "enabled", After: "absent"},
		perm("Microsoft Graph", "User.Read", "Delegated", "granted", "missing"),
		perm("Microsoft Graph", "Directory.Read.All", "Application", "granted", "missing"),
		perm("Dynamics CRM", "user_impersonation", "Delegated", "granted", "missing"),
		extra(flows.DriftExtraVanished, "Application.Read.All", "Delegated"),
		extra(flows.DriftExtraVanished, "Group.Read.All", "Application"),
		extra(flows.DriftExtraVanished, "Group.Read.All", "Delegated"),
	}
	back := flows.CompareResults(after, before)
	if !reflect.DeepEqual(back, wantBack) {
		t.Fatalf("back:\n got %+v\nwant %+v", back, wantBack)
	}
	// Each change in one line, as verify --baseline prints it.
	lines := func(cs []flows.DriftChange) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.String())
		}
		return out
	}
	wantLines := []string{
		"status: not-consented -> complete",
		"service principal: absent -> enabled",
		"Microsoft Graph User.Read (Delegated): missing -> granted",
		"Microsoft Graph Directory.Read.All (Application): missing -> granted",
		"Dynamics CRM user_impersonation (Delegated): missing -> granted",
		"extra grant appeared: Microsoft Graph Application.Read.All (Delegated)",
		"extra grant appeared: Microsoft Graph Group.Read.All (Application)",
		"extra grant appeared: Microsoft Graph Group.Read.All (Delegated)",
	}
	if got := lines(d.Changes); !reflect.DeepEqual(got, wantLines) {
		t.Fatalf("lines:\n got %q\nwant %q", got, wantLines)
	}
	if got, want := lines(back)[5], "extra grant vanished: Microsoft Graph Application.Read.All (Delegated)"; got != want {
		t.Fatalf("line %q, want %q", got, want)
	}
	// The catalog dropped a permission since the baseline, or added one.
	trimmed := *after
	trimmed.Permissions = after.Permissions[:2]
	for _, tc := range []struct {
		from, to *flows.Result
		want     flows.DriftChange
		line     string
	}{
		{after, &trimmed, flows.DriftChange{TenantID: tid, Kind: flows.DriftPermissionRemoved, API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated", Before: "granted"},
			"no longer required: Dynamics CRM user_impersonation (Delegated), was granted"},
		{&trimmed, after, flows.DriftChange{TenantID: tid, Kind: flows.DriftPermissionAdded, API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated", After: "granted"},
			"newly required: Dynamics CRM user_impersonation (Delegated), now granted"},
	} {
		got := flows.CompareResults(tc.from, tc.to)
		if !reflect.DeepEqual(got, []flows.DriftChange{tc.want}) || got[0].String() != tc.line {
			t.Fatalf("changes %+v, want [%+v] reading %q", got, tc.want, tc.line)
		}
	}
}

// A fleet check's document (verify-many/v1) is a baseline too, by tenant: the next
// check reports the one tenant whose grant was revoked, lists a tenant the baseline
// does not have as having no baseline (not as drift), and skips a tenant that could
// not be checked (no result).
func TestDriftAgainstAFleetBaseline(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
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
	first, err := flows.VerifyFleet(context.Background(), fleetConfig(f, f.session), app, []string{ids[0], ids[1]})
	if err != nil {
		t.Fatal(err)
	}
	data, err := flows.FleetJSON(first, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := flows.LoadBaseline(writeBaseline(t, data))
	if err != nil {
		t.Fatal(err)
	}
	if !b.CheckedAt.Equal(first.CheckedAt) || b.App != first.App || b.CheckApp(first.App) != nil {
		t.Fatalf("baseline checked at %v for %+v, want %v for %+v", b.CheckedAt, b.App, first.CheckedAt, first.App)
	}
	if err := f.srv.RevokeAppRole(ids[0], app.ClientID, permissions.GraphAppID, "Directory.Read.All"); err != nil {
		t.Fatal(err)
	}
	second, err := flows.VerifyFleet(context.Background(), fleetConfig(f, f.session), app, []string{ids[0], ids[1], ids[2], "nosuchtenant.onmicrosoft.com"})
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
	want := []flows.DriftChange{
		{TenantID: ids[0], Kind: flows.DriftStatus, Before: "complete", After: "incomplete"},
		{TenantID: ids[0], Kind: flows.DriftPermission, API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Before: "granted", After: "missing"},
	}
	if !reflect.DeepEqual(d.Changes, want) || !reflect.DeepEqual(d.NoBaseline, []string{ids[2]}) {
		t.Fatalf("changes:\n got %+v\nwant %+v\nno baseline %v, want [%s]", d.Changes, want, d.NoBaseline, ids[2])
	}
	// A fleet document that is not one is refused as a usage error.
	if _, err := flows.LoadBaseline(writeBaseline(t, []byte(`{"schema":"`+flows.FleetSchema+`","results":"none"}`))); !errors.Is(err, flows.ErrUsage) {
		t.Fatalf("a broken fleet document: %v, want a usage error", err)
	}
}

// A baseline that cannot be used is a usage error naming the file: missing, not
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
		b, err := flows.LoadBaseline(path)
		if b != nil || !errors.Is(err, flows.ErrUsage) || !strings.HasPrefix(fmt.Sprint(err), prefix) {
			t.Errorf("LoadBaseline(%s) = %v, %v; want a usage error starting %q", filepath.Base(path), b, err, prefix)
		}
	}
}
