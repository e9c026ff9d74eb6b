package fleet_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// TestDriftExactDiff: a baseline taken when everything was granted; then an admin
// removes the Directory.Read.All application permission and grants Group.Read.All
// beyond the required set. The comparison lists exactly those changes (and the
// status change), through the JSON file a scheduled job would keep.
func TestDriftExactDiff(t *testing.T) {
	f := start(t, "consented", nil)
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
	b, err := fleet.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CheckApp(after.App); err != nil {
		t.Fatal(err)
	}
	d := b.Compare(after)
	tid := f.srv.TenantID()
	want := []fleet.DriftChange{
		{TenantID: tid, Kind: fleet.DriftStatus, Before: "complete", After: "incomplete"},
		{TenantID: tid, Kind: fleet.DriftPermission, API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Before: "granted", After: "missing"},
		{TenantID: tid, Kind: fleet.DriftExtraAppeared, API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Application", Before: "absent", After: "granted"},
	}
	if !reflect.DeepEqual(d.Changes, want) || !d.Drifted() || len(d.NoBaseline) != 0 {
		t.Fatalf("changes:\n got %+v\nwant %+v", d.Changes, want)
	}
	if got := d.Changes[1].String(); got != "Microsoft Graph Directory.Read.All (Application): granted -> missing" {
		t.Fatal(got)
	}
	// Compared the other way round: the grant is back, the extra vanished.
	back := fleet.CompareResults(after, before)
	wantBack := []fleet.DriftChange{
		{TenantID: tid, Kind: fleet.DriftStatus, Before: "incomplete", After: "complete"},
		{TenantID: tid, Kind: fleet.DriftPermission, API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Before: "missing", After: "granted"},
		{TenantID: tid, Kind: fleet.DriftExtraVanished, API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Application", Before: "granted", After: "absent"},
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
	added := fleet.CompareResults(&trimmed, before)
	if len(added) != 1 || added[0].Kind != fleet.DriftPermissionAdded || added[0].Permission != "user_impersonation" || added[0].After != "granted" {
		t.Fatalf("%+v", added)
	}
}

// TestDriftAfterConsentInAFreshTenant: a baseline taken before anything was consented, compared after the admin
// consented (the real redirect to the loopback listener) and then granted three
// permissions beyond the required set: the service principal appeared (absent ->
// enabled), every required permission changed, and the extra grants are listed by
// name — the two Group.Read.All grants (application, delegated) in the order the
// verification lists them. Compared the other way round, everything goes back.
func TestDriftAfterConsentInAFreshTenant(t *testing.T) {
	f := start(t, "loopback-reply", nil)
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
	last := consentDone(t, c)
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
	b, err := fleet.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	tid := f.srv.TenantID()
	perm := func(api, p, typ, from, to string) fleet.DriftChange {
		return fleet.DriftChange{TenantID: tid, Kind: fleet.DriftPermission, API: api, Permission: p, Type: typ, Before: from, After: to}
	}
	extra := func(kind, p, typ string) fleet.DriftChange {
		from, to := "absent", "granted"
		if kind == fleet.DriftExtraVanished {
			from, to = to, from
		}
		return fleet.DriftChange{TenantID: tid, Kind: kind, API: "Microsoft Graph", Permission: p, Type: typ, Before: from, After: to}
	}
	want := []fleet.DriftChange{
		{TenantID: tid, Kind: fleet.DriftStatus, Before: "not-consented", After: "complete"},
		{TenantID: tid, Kind: fleet.DriftSPEnabled, Before: "absent", After: "enabled"},
		perm("Microsoft Graph", "User.Read", "Delegated", "missing", "granted"),
		perm("Microsoft Graph", "Directory.Read.All", "Application", "missing", "granted"),
		perm("Dynamics CRM", "user_impersonation", "Delegated", "missing", "granted"),
		extra(fleet.DriftExtraAppeared, "Application.Read.All", "Delegated"),
		extra(fleet.DriftExtraAppeared, "Group.Read.All", "Application"),
		extra(fleet.DriftExtraAppeared, "Group.Read.All", "Delegated"),
	}
	d := b.Compare(after)
	if !reflect.DeepEqual(d.Changes, want) || len(d.NoBaseline) != 0 {
		t.Fatalf("changes:\n got %+v\nwant %+v", d.Changes, want)
	}
	if got := d.Changes[1].String(); got != "service principal: absent -> enabled" {
		t.Fatal(got)
	}
	wantBack := []fleet.DriftChange{
		{TenantID: tid, Kind: fleet.DriftStatus, Before: "complete", After: "not-consented"},
		{TenantID: tid, Kind: fleet.DriftSPEnabled, Before: "enabled", After: "absent"},
		perm("Microsoft Graph", "User.Read", "Delegated", "granted", "missing"),
		perm("Microsoft Graph", "Directory.Read.All", "Application", "granted", "missing"),
		perm("Dynamics CRM", "user_impersonation", "Delegated", "granted", "missing"),
		extra(fleet.DriftExtraVanished, "Application.Read.All", "Delegated"),
		extra(fleet.DriftExtraVanished, "Group.Read.All", "Application"),
		extra(fleet.DriftExtraVanished, "Group.Read.All", "Delegated"),
	}
	back := fleet.CompareResults(after, before)
	if !reflect.DeepEqual(back, wantBack) {
		t.Fatalf("back:\n got %+v\nwant %+v", back, wantBack)
	}
	// Each change in one line, as verify --baseline prints it.
	lines := func(cs []fleet.DriftChange) []string {
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
		want     fleet.DriftChange
		line     string
	}{
		{after, &trimmed, fleet.DriftChange{TenantID: tid, Kind: fleet.DriftPermissionRemoved, API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated", Before: "granted"},
			"no longer required: Dynamics CRM user_impersonation (Delegated), was granted"},
		{&trimmed, after, fleet.DriftChange{TenantID: tid, Kind: fleet.DriftPermissionAdded, API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated", After: "granted"},
			"newly required: Dynamics CRM user_impersonation (Delegated), now granted"},
	} {
		got := fleet.CompareResults(tc.from, tc.to)
		if !reflect.DeepEqual(got, []fleet.DriftChange{tc.want}) || got[0].String() != tc.line {
			t.Fatalf("changes %+v, want [%+v] reading %q", got, tc.want, tc.line)
		}
	}
}

// consentDone waits for the end of a consent wait and returns its last event.
func consentDone(t *testing.T, c *flows.Consent) flows.ConsentEvent {
	t.Helper()
	var last flows.ConsentEvent
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return last
			}
			last = ev
		case <-timeout:
			t.Fatalf("the consent wait did not end; last event %+v", last)
		}
	}
}
