package fleet_test

// The fleet check's reports (summary, table, CSV, Markdown, verify-many/v1 JSON,
// progress bar) from rows of every status, asserted whole.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
)

// everyStatus is a fleet check cancelled after seven of nine tenants, one row of
// each status; the three checked tenants carry their verify/v1 result.
func everyStatus() *fleet.Result {
	result := func(id string, s flows.Status) *flows.Result {
		return &flows.Result{Schema: flows.ResultSchema, Tenant: flows.ResultTenant{ID: id}, Status: s}
	}
	return &fleet.Result{
		App:   flows.ResultApp{Key: "ce", DisplayName: "Contoso | Expense", ClientID: "aaaaaaaa-1111-2222-3333-444444444444"},
		Cloud: "global", CheckedAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), SignedInAs: "admin@partner.onmicrosoft.com",
		Total: 9, Cancelled: true,
		Rows: []fleet.Row{
			{Tenant: "fabrikam.onmicrosoft.com", TenantID: "11111111-1111-1111-1111-111111111111", TenantName: "Fabrikam",
				Status: fleet.StatusComplete, Missing: []string{}, Result: result("11111111-1111-1111-1111-111111111111", flows.StatusComplete), GraphRequests: 1},
			{Tenant: "northwind.onmicrosoft.com", TenantID: "22222222-2222-2222-2222-222222222222", TenantName: "Northwind | East",
				Status: fleet.StatusIncomplete, Missing: []string{"service principal disabled (accountEnabled false)", "Dynamics CRM user_impersonation (Delegated): missing"},
				Result: result("22222222-2222-2222-2222-222222222222", flows.StatusIncomplete), GraphRequests: 2},
			{Tenant: "tailspin.onmicrosoft.com", TenantID: "33333333-3333-3333-3333-333333333333", TenantName: `=HYPERLINK("http://x")`,
				Status: fleet.StatusNotConsented, Missing: []string{"Microsoft Graph User.Read (Delegated): missing"},
				Result: result("33333333-3333-3333-3333-333333333333", flows.StatusNotConsented), GraphRequests: 1},
			{Tenant: "woodgrove.onmicrosoft.com", Status: fleet.StatusNoAccess, Missing: []string{},
				Error: "AADSTS50020: The account is not in this tenant", AADSTS: 50020},
			{Tenant: "litware.onmicrosoft.com", Status: fleet.StatusRefused, Missing: []string{},
				Error: "AADSTS65001: Nobody consented\nthe sign-in client", AADSTS: 65001},
			{Tenant: "adatum.onmicrosoft.com", Status: fleet.StatusForbidden, Missing: []string{},
				Error: "Graph: HTTP 403 Authorization_RequestDenied"},
			{Tenant: "contoso.com", Status: fleet.StatusError, Missing: []string{},
				Error: "verifying grants: connection refused"},
		},
	}
}

// allComplete is a finished fleet check of two complete tenants.
func allComplete() *fleet.Result {
	f := everyStatus()
	f.Rows = f.Rows[:1]
	f.Rows = append(f.Rows, fleet.Row{Tenant: "contoso.com", TenantID: "44444444-4444-4444-4444-444444444444", TenantName: "Contoso",
		Status: fleet.StatusComplete, Missing: []string{}, Result: &flows.Result{Status: flows.StatusComplete}})
	f.Total, f.Cancelled = 2, false
	return f
}

// driftOf: the first tenant changed twice, the second once, a third has no baseline.
func driftOf() *fleet.Drift {
	return &fleet.Drift{Baseline: "baseline.json", BaselineCheckedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC),
		Changes: []fleet.DriftChange{
			{TenantID: "11111111-1111-1111-1111-111111111111", Kind: fleet.DriftStatus, Before: "complete", After: "incomplete"},
			{TenantID: "11111111-1111-1111-1111-111111111111", API: "Microsoft Graph", Permission: "User.Read", Type: "Delegated", Before: "granted", After: "missing"},
			{TenantID: "44444444-4444-4444-4444-444444444444", Kind: fleet.DriftSPEnabled, Before: "enabled", After: "disabled"},
		},
		NoBaseline: []string{"55555555-5555-5555-5555-555555555555"},
	}
}

// TestFleetSummaryCountsEveryStatus: one count per status, the checked tenants
// (those with a result) and the tenants left by the cancel; the exit code is left
// to the command line.
func TestFleetSummaryCountsEveryStatus(t *testing.T) {
	f := everyStatus()
	want := fleet.Summary{Tenants: 9, Checked: 3, Complete: 1, Incomplete: 1, NotConsented: 1, NoAccess: 1, Refused: 1,
		Forbidden: 1, Errors: 1, Cancelled: true, NotChecked: 2}
	if got := f.Summary(nil); got != want {
		t.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
	// Drift counts tenants, not changes.
	want.Drifted = 2
	if got := f.Summary(driftOf()); got != want {
		t.Fatalf("summary with drift\n got %+v\nwant %+v", got, want)
	}
	const line = "7 of 9 tenants: 1 complete, 1 incomplete, 1 not consented, 1 no access, 1 refused, 1 forbidden, 1 could not be checked. Cancelled: 2 not checked."
	if got := fleet.SummaryLine(f, nil); got != line {
		t.Fatalf("summary line\n got %q\nwant %q", got, line)
	}
}

// TestFleetSummaryDriftedTenants: a finished check where every tenant is complete
// but drifted counts the drifted tenants, and the line names only the counts that
// are not zero.
func TestFleetSummaryDriftedTenants(t *testing.T) {
	f := allComplete()
	want := fleet.Summary{Tenants: 2, Checked: 2, Complete: 2}
	if got := f.Summary(nil); got != want {
		t.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
	want.Drifted = 2
	if got := f.Summary(driftOf()); got != want {
		t.Fatalf("summary with drift\n got %+v\nwant %+v", got, want)
	}
	for drift, line := range map[*fleet.Drift]string{
		nil:       "2 of 2 tenants: 2 complete.",
		driftOf(): "2 of 2 tenants: 2 complete, 2 drifted from the baseline.",
	} {
		if got := fleet.SummaryLine(f, drift); got != line {
			t.Errorf("summary line\n got %q\nwant %q", got, line)
		}
	}
}

// TestFleetTable: the aligned table (a dash for an unknown tenant name, the
// missing permissions, or "none" for a checked tenant missing nothing and "-" for
// one that could not be checked; an error on one line), the drift section, then
// the summary line.
func TestFleetTable(t *testing.T) {
	var b strings.Builder
	if err := fleet.WriteTable(&b, everyStatus(), driftOf()); err != nil {
		t.Fatal(err)
	}
	// Columns are as wide as their widest cell plus two spaces (tabwriter).
	row := func(tenant, name, status, missing, errText string) string {
		return fmt.Sprintf("%-27s%-24s%-15s%-105s%s\n", tenant, name, status, missing, errText)
	}
	want := row("TENANT", "TENANT NAME", "STATUS", "MISSING", "ERROR") +
		row("fabrikam.onmicrosoft.com", "Fabrikam", "complete", "none", "") +
		row("northwind.onmicrosoft.com", "Northwind | East", "incomplete", "service principal disabled (accountEnabled false); Dynamics CRM user_impersonation (Delegated): missing", "") +
		row("tailspin.onmicrosoft.com", `=HYPERLINK("http://x")`, "not-consented", "Microsoft Graph User.Read (Delegated): missing", "") +
		row("woodgrove.onmicrosoft.com", "-", "no-access", "-", "AADSTS50020: The account is not in this tenant") +
		row("litware.onmicrosoft.com", "-", "refused", "-", "AADSTS65001: Nobody consented the sign-in client") +
		row("adatum.onmicrosoft.com", "-", "forbidden", "-", "Graph: HTTP 403 Authorization_RequestDenied") +
		row("contoso.com", "-", "error", "-", "verifying grants: connection refused") +
		"\nDrift since the baseline (baseline.json, checked 2026-11-01T08:00:00Z):\n" +
		"  ~ 11111111-1111-1111-1111-111111111111: status: complete -> incomplete\n" +
		"  ~ 11111111-1111-1111-1111-111111111111: Microsoft Graph User.Read (Delegated): granted -> missing\n" +
		"  ~ 44444444-4444-4444-4444-444444444444: service principal: enabled -> disabled\n" +
		"  (no baseline for tenant 55555555-5555-5555-5555-555555555555)\n" +
		"\n7 of 9 tenants: 1 complete, 1 incomplete, 1 not consented, 1 no access, 1 refused, 1 forbidden, 1 could not be checked, 2 drifted from the baseline. Cancelled: 2 not checked.\n"
	if b.String() != want {
		t.Fatalf("table\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	nodrift := &fleet.Drift{Baseline: "baseline.json", BaselineCheckedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}
	if err := fleet.WriteTable(&b, allComplete(), nodrift); err != nil {
		t.Fatal(err)
	}
	same := "TENANT                    TENANT NAME  STATUS    MISSING  ERROR\n" +
		"fabrikam.onmicrosoft.com  Fabrikam     complete  none     \n" +
		"contoso.com               Contoso      complete  none     \n" +
		"\nNo drift since the baseline (baseline.json, checked 2026-11-01T08:00:00Z).\n" +
		"\n2 of 2 tenants: 2 complete.\n"
	if b.String() != same {
		t.Fatalf("table\n got %q\nwant %q", b.String(), same)
	}
}

// TestFleetCSV: one line per row; a cell a spreadsheet would read as a formula is
// quoted with a leading apostrophe; the AADSTS column is empty without a code.
func TestFleetCSV(t *testing.T) {
	var b strings.Builder
	if err := fleet.WriteCSV(&b, everyStatus()); err != nil {
		t.Fatal(err)
	}
	const want = `tenant,tenant_id,tenant_name,status,missing,error,aadsts
fabrikam.onmicrosoft.com,11111111-1111-1111-1111-111111111111,Fabrikam,complete,,,
northwind.onmicrosoft.com,22222222-2222-2222-2222-222222222222,Northwind | East,incomplete,service principal disabled (accountEnabled false); Dynamics CRM user_impersonation (Delegated): missing,,
tailspin.onmicrosoft.com,33333333-3333-3333-3333-333333333333,"'=HYPERLINK(""http://x"")",not-consented,Microsoft Graph User.Read (Delegated): missing,,
woodgrove.onmicrosoft.com,,,no-access,,AADSTS50020: The account is not in this tenant,50020
litware.onmicrosoft.com,,,refused,,AADSTS65001: Nobody consented the sign-in client,65001
adatum.onmicrosoft.com,,,forbidden,,Graph: HTTP 403 Authorization_RequestDenied,
contoso.com,,,error,,verifying grants: connection refused,
`
	if b.String() != want {
		t.Fatalf("csv\n got %q\nwant %q", b.String(), want)
	}
}

// TestFleetMarkdown: a heading, the table with pipes escaped, the drift section and
// the summary line.
func TestFleetMarkdown(t *testing.T) {
	var b strings.Builder
	if err := fleet.WriteMarkdown(&b, everyStatus(), driftOf()); err != nil {
		t.Fatal(err)
	}
	const want = "# Contoso \\| Expense across 9 tenants\n\n" +
		"Client id `aaaaaaaa-1111-2222-3333-444444444444` · checked 2026-12-01T09:30:00Z · as admin@partner.onmicrosoft.com · cloud global\n\n" +
		"| Tenant | Tenant name | Status | Missing | Error |\n" +
		"|---|---|---|---|---|\n" +
		"| fabrikam.onmicrosoft.com | Fabrikam | complete | none |  |\n" +
		"| northwind.onmicrosoft.com | Northwind \\| East | incomplete | service principal disabled (accountEnabled false); Dynamics CRM user_impersonation (Delegated): missing |  |\n" +
		"| tailspin.onmicrosoft.com | =HYPERLINK(\"http://x\") | not-consented | Microsoft Graph User.Read (Delegated): missing |  |\n" +
		"| woodgrove.onmicrosoft.com |  | no-access | - | AADSTS50020: The account is not in this tenant |\n" +
		"| litware.onmicrosoft.com |  | refused | - | AADSTS65001: Nobody consented the sign-in client |\n" +
		"| adatum.onmicrosoft.com |  | forbidden | - | Graph: HTTP 403 Authorization_RequestDenied |\n" +
		"| contoso.com |  | error | - | verifying grants: connection refused |\n" +
		"\n## Drift since the baseline (checked 2026-11-01T08:00:00Z)\n\n" +
		"- `11111111-1111-1111-1111-111111111111`: status: complete -> incomplete\n" +
		"- `11111111-1111-1111-1111-111111111111`: Microsoft Graph User.Read (Delegated): granted -> missing\n" +
		"- `44444444-4444-4444-4444-444444444444`: service principal: enabled -> disabled\n" +
		"\n7 of 9 tenants: 1 complete, 1 incomplete, 1 not consented, 1 no access, 1 refused, 1 forbidden, 1 could not be checked, 2 drifted from the baseline. Cancelled: 2 not checked.\n"
	if b.String() != want {
		t.Fatalf("markdown\n got %q\nwant %q", b.String(), want)
	}
	b.Reset()
	if err := fleet.WriteMarkdown(&b, allComplete(), &fleet.Drift{BaselineCheckedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.HasSuffix(got, "| contoso.com | Contoso | complete | none |  |\n\nNo drift since the baseline (checked 2026-11-01T08:00:00Z).\n\n2 of 2 tenants: 2 complete.\n") {
		t.Fatalf("markdown without drift:\n%s", got)
	}
}

// TestFleetDocument: verify-many/v1 holds every row in input order, the results of
// the checked tenants only, the summary with the exit code it is given, and how the
// caller signed in; an empty check has empty arrays, not null.
func TestFleetDocument(t *testing.T) {
	f := everyStatus()
	data, err := fleet.JSON(f, nil, 130)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema         string         `json:"schema"`
		Authentication string         `json:"authentication"`
		Rows           []fleet.Row    `json:"rows"`
		Results        []flows.Result `json:"results"`
		Summary        fleet.Summary  `json:"summary"`
		Drift          *fleet.Drift   `json:"drift"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	var tenants, results []string
	for _, r := range doc.Rows {
		tenants = append(tenants, r.Tenant)
	}
	for _, r := range doc.Results {
		results = append(results, r.Tenant.ID)
	}
	wantTenants := []string{"fabrikam.onmicrosoft.com", "northwind.onmicrosoft.com", "tailspin.onmicrosoft.com", "woodgrove.onmicrosoft.com",
		"litware.onmicrosoft.com", "adatum.onmicrosoft.com", "contoso.com"}
	wantResults := []string{"11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"}
	wantSummary := f.Summary(nil)
	wantSummary.ExitCode = 130
	if doc.Schema != fleet.Schema || doc.Authentication != "delegated" || doc.Drift != nil ||
		!reflect.DeepEqual(tenants, wantTenants) || !reflect.DeepEqual(results, wantResults) || doc.Summary != wantSummary {
		t.Fatalf("document:\n%s", data)
	}
	if doc.Rows[4].AADSTS != 65001 || doc.Rows[4].Error != "AADSTS65001: Nobody consented\nthe sign-in client" {
		t.Fatalf("row %+v", doc.Rows[4])
	}

	empty := &fleet.Result{Total: 2, Cancelled: true, AppOnly: true}
	data, err = fleet.JSON(empty, nil, 143)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"authentication": "app-only"`, `"rows": []`, `"results": []`, `"notChecked": 2`, `"exitCode": 143`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("lacks %s:\n%s", want, data)
		}
	}
}

// TestProgressLine: the bar fills in proportion (at least ten cells wide) and the
// count is right-aligned to the total's width.
func TestProgressLine(t *testing.T) {
	for _, c := range []struct {
		done, total, width int
		want               string
	}{
		{7, 20, 20, "[#######.............]  7/20 tenants"},
		{1, 3, 4, "[###.......] 1/3 tenants"},
		{0, 0, 12, "[............] 0/1 tenants"},
		{100, 100, 10, "[##########] 100/100 tenants"},
	} {
		if got := fleet.ProgressLine(c.done, c.total, c.width); got != c.want {
			t.Errorf("ProgressLine(%d, %d, %d) = %q, want %q", c.done, c.total, c.width, got, c.want)
		}
	}
}
