package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/fleet"
)

// writeTenantList writes the emulator's customer tenants (and one that does not
// exist) as a --tenants file.
func (r *rememberRig) writeTenantList(t *testing.T) (path string, tenants []string) {
	t.Helper()
	infos, err := r.srv.AddDemoCustomers()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range infos {
		tenants = append(tenants, i.Domain)
	}
	tenants = append(tenants, "nosuch.onmicrosoft.com")
	path = filepath.Join(t.TempDir(), "tenants.txt")
	if err := os.WriteFile(path, []byte(strings.Join(tenants, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, tenants
}

// TestFleetRememberedTokensAreNotRefreshed: a remembered fleet check refreshes the
// token once per tenant it can reach; the next run, within the tokens' hour, signs
// in silently and refreshes none (MSAL serves each tenant's token from the
// remembered cache). The tenants that refuse a token are asked again each run. No
// token is in the output, the cache directory or the credential store's item.
func TestFleetRememberedTokensAreNotRefreshed(t *testing.T) {
	r := newRememberRig(t, "consented")
	list, tenants := r.writeTenantList(t)
	var firstOut string
	for run := 1; run <= 2; run++ {
		refreshes, signIns := r.srv.Refreshes(), r.srv.SignIns()
		code, out, errOut := r.run(t, "verify", "--remember", "--tenants", list, "--format", "ndjson")
		if code == 0 || code == 2 || strings.Count(out, "\n") != len(tenants) {
			t.Fatalf("run %d: exit %d, %d lines\n%s%s", run, code, strings.Count(out, "\n"), out, errOut)
		}
		reached := strings.Count(out, `"tenantId":"`)
		if reached < 4 {
			t.Fatalf("only %d tenants answered:\n%s", reached, out)
		}
		wantRefreshes, wantSignIns := int64(reached), int64(1)
		if run == 2 {
			wantRefreshes, wantSignIns = 0, 0
			if sorted(out) != sorted(firstOut) {
				t.Fatalf("the remembered run's rows differ:\n%s\nfirst:\n%s", out, firstOut)
			}
		}
		if got := r.srv.Refreshes() - refreshes; got != wantRefreshes {
			t.Fatalf("run %d: %d token refreshes, want %d (one per tenant reached, none when remembered)", run, got, wantRefreshes)
		}
		if got := r.srv.SignIns() - signIns; got != wantSignIns {
			t.Fatalf("run %d: %d sign-ins, want %d", run, got, wantSignIns)
		}
		firstOut = out
	}
	// Token hygiene, the store included: a thousand-tenant cache holds every
	// tenant's token, and none is readable outside the encrypted file.
	sc := newTokenScanner(r.srv.IssuedTokens())
	scanBytes(t, sc, "fleet output", []byte(firstOut))
	if files := scanTree(t, sc, r.dir); files != 1 {
		t.Fatalf("%d files in the cache directory, want the one encrypted cache", files)
	}
	for _, item := range r.secrets.Items() {
		scanBytes(t, sc, "credential store item", []byte(item))
	}
}

func sorted(lines string) string {
	l := strings.Split(lines, "\n")
	slices.Sort(l)
	return strings.Join(l, "\n")
}

var checkedTenant = regexp.MustCompile(`"msg":"fleet tenant (?:finished|failed)","tenant":"([^"]+)"`)

// TestFleetResumeChecksOnlyUnfinishedRows: a report whose check was cancelled after
// some rows (the others in notChecked) and whose one row could not be checked
// (status error) is resumed: only those tenants are checked again, the finished
// rows come back as they were, and the table and JSON are in the file's order.
func TestFleetResumeChecksOnlyUnfinishedRows(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "tenants.txt")
	demoTenants := []string{"fabrikam.onmicrosoft.com", "northwindtraders.onmicrosoft.com", "tailspintoys.onmicrosoft.com",
		"woodgrovebank.onmicrosoft.com", "litware.onmicrosoft.com", "adatum.onmicrosoft.com", "wingtiptoys.onmicrosoft.com"}
	if err := os.WriteFile(list, []byte(strings.Join(demoTenants, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "full.json")
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--tenants", list, "--format", "json", "--report", report)
	if code == 0 || code == 2 {
		t.Fatalf("full run: exit %d\n%s%s", code, out, errOut)
	}
	var doc fleet.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Rows) != len(demoTenants) {
		t.Fatalf("full run: %v %d rows", err, len(doc.Rows))
	}
	full := doc
	// As if cancelled after four rows, one of which lost the network.
	doc.NotChecked = []string{demoTenants[4], demoTenants[5], demoTenants[6]}
	doc.Rows = slices.Clone(doc.Rows[:4])
	doc.Rows[1].Status, doc.Rows[1].Error = fleet.StatusError, "network unreachable"
	data, _ := json.Marshal(doc)
	partial := filepath.Join(dir, "partial.json")
	if err := os.WriteFile(partial, data, 0o600); err != nil {
		t.Fatal(err)
	}

	logPath := filepath.Join(dir, "debug.log")
	code, out, errOut = runFlowsCmd(t, "verify", "--demo", "--resume", partial, "--format", "json", "--debug", logPath)
	if code != full.Summary.ExitCode {
		t.Fatalf("resumed: exit %d, want %d\n%s", code, full.Summary.ExitCode, errOut)
	}
	log, _ := os.ReadFile(logPath)
	var checked []string
	for _, m := range checkedTenant.FindAllSubmatch(log, -1) {
		checked = append(checked, string(m[1]))
	}
	slices.Sort(checked)
	if want := []string{demoTenants[5], demoTenants[4], demoTenants[1], demoTenants[6]}; !slices.Equal(checked, sortedCopy(want)) {
		t.Fatalf("checked again %q, want %q", checked, sortedCopy(want))
	}
	var got fleet.Document
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != len(demoTenants) || got.Summary.NotChecked != 0 || len(got.NotChecked) != 0 || len(got.Results) != len(full.Results) {
		t.Fatalf("resumed document: %d rows, %d not checked, %d results", len(got.Rows), got.Summary.NotChecked, len(got.Results))
	}
	for i, row := range got.Rows {
		if row.Tenant != demoTenants[i] || row.Status != full.Rows[i].Status {
			t.Fatalf("row %d: %s %s, want %s %s", i, row.Tenant, row.Status, demoTenants[i], full.Rows[i].Status)
		}
	}
	// --tenants with --resume: the file decides the tenants and their order.
	code, out, _ = runFlowsCmd(t, "verify", "--demo", "--resume", partial, "--tenants", list, "--format", "csv")
	if code != full.Summary.ExitCode || strings.Count(out, "\n") != len(demoTenants)+1 {
		t.Fatalf("resumed csv: exit %d\n%s", code, out)
	}
	// Kept rows are streamed first.
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[1], demoTenants[0]+",") || !strings.HasPrefix(lines[2], demoTenants[2]+",") || !strings.HasPrefix(lines[3], demoTenants[3]+",") {
		t.Fatalf("kept rows not first:\n%s", out)
	}
	if code, _, errOut := runFlowsCmd(t, "verify", "--demo", "--resume", partial, "--client-id", "11111111-2222-3333-4444-555555555555"); code != 2 || !strings.Contains(errOut, "checked app") {
		t.Fatalf("another app's report: exit %d %s", code, errOut)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
