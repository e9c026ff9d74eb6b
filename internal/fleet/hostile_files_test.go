package fleet_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
)

// hostileResume is a verify-many/v1 report edited to carry what a terminal acts on
// (an OSC 52 clipboard write, a screen clear, C1 CSI, a bidi override) in every text
// a kept row prints: the tenant, its name, status, missing rows, error and fix, and
// its result (the drift compares it).
const hostileResume = `{"schema":"` + fleet.Schema + `",
 "app":{"key":"ce","displayName":"CE","clientId":"11111111-1111-1111-1111-111111111111"},
 "cloud":"global","checkedAt":"2026-01-02T03:04:05Z",
 "rows":[{"tenant":"contoso.com","tenantId":"22222222-2222-2222-2222-222222222222",
   "tenantName":"Evil\u001b]52;c;cm0gLXJmIH4=\u0007 Corp\u202e","status":"incomplete\u001b[2J",
   "missing":["Microsoft Graph\u009b31m Directory.Read.All (Application): missing"],
   "error":"refused\u001b[1A","aadsts":0,"fix":"ask\u0007 the admin"}],
 "results":[{"schema":"` + flows.ResultSchema + `","tenant":{"id":"22222222-2222-2222-2222-222222222222","displayName":"Evil\u001b[2J"},
   "status":"incomplete","permissions":[{"api":"Microsoft Graph\u001b[31m","permission":"Directory.Read.All","type":"Application","status":"missing\u202e"}]}],
 "notChecked":["fabrikam.com\u001b[2J"]}`

// TestHostileResumeFilePrintsClean: a --resume file is where its text enters; the rows
// it keeps print in the table exactly as a clean row would, and the tenants it did not
// check are listed without the escape sequence.
func TestHostileResumeFilePrintsClean(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, []byte(hostileResume), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := fleet.LoadResume(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"contoso.com", "fabrikam.com"}; strings.Join(r.Tenants, ",") != strings.Join(want, ",") {
		t.Errorf("tenants %q, want %q", r.Tenants, want)
	}
	kept, check := r.Split([]string{"contoso.com"})
	if len(check) != 0 {
		t.Fatalf("checks again %q", check)
	}
	res := fleet.Merge([]string{"contoso.com"}, kept, &fleet.Result{CheckedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	var b strings.Builder
	if err := fleet.WriteTable(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	want := "TENANT       TENANT NAME  STATUS      MISSING                                                    ERROR\n" +
		"contoso.com  Evil Corp    incomplete  Microsoft Graph Directory.Read.All (Application): missing  refused — fix: ask the admin\n" +
		"\n1 of 1 tenants: 0 complete, 1 incomplete.\n"
	if b.String() != want {
		t.Errorf("table\n%q\nwant\n%q", b.String(), want)
	}
	if got := res.Rows[0].Result.Permissions[0]; got.API != "Microsoft Graph" || got.Status != "missing" || res.Rows[0].Result.Tenant.DisplayName != "Evil" {
		t.Errorf("the kept result is not clean: %+v, %q", got, res.Rows[0].Result.Tenant.DisplayName)
	}
}

// TestHostileBaselinePrintsClean: a --baseline file is where its text enters; the
// drift section names its statuses and permissions without what a terminal acts on.
func TestHostileBaselinePrintsClean(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "base\u001b[2J.json")
	doc := `{"schema":"` + flows.ResultSchema + `","app":{"key":"ce","clientId":"11111111-1111-1111-1111-111111111111"},
 "tenant":{"id":"22222222-2222-2222-2222-222222222222"},"checkedAt":"2026-01-02T03:04:05Z","status":"complete\u001b]0;x\u0007",
 "permissions":[{"api":"Microsoft Graph","resourceAppId":"00000003-0000-0000-c000-000000000000","permission":"Old.Scope\u202e","type":"Delegated","status":"granted\u009b1A"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	base, err := fleet.LoadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	now := &flows.Result{Tenant: flows.ResultTenant{ID: "22222222-2222-2222-2222-222222222222"}, Status: flows.StatusIncomplete}
	var b strings.Builder
	fleet.WriteDriftText(&b, base.Compare(now))
	want := "\nDrift since the baseline (" + filepath.Join(dir, "base.json") + ", checked 2026-01-02T03:04:05Z):\n" +
		"  ~ 22222222-2222-2222-2222-222222222222: status: complete -> incomplete\n" +
		"  ~ 22222222-2222-2222-2222-222222222222: no longer required: Microsoft Graph Old.Scope (Delegated), was granted\n"
	if b.String() != want {
		t.Errorf("drift\n%q\nwant\n%q", b.String(), want)
	}
}

// TestHostileTenantsFileLine: a tenants file is where its lines enter; a line that is
// neither a tenant id nor a domain is refused, quoted without what a terminal acts on.
func TestHostileTenantsFileLine(t *testing.T) {
	_, err := fleet.ParseTenantList(strings.NewReader("contoso.com\nevil\u001b]52;c;cm0gLXJmIH4=\u0007.com\u202e\n"), "customers.txt")
	want := `customers.txt:2: "evil.com" is neither a tenant id (GUID) nor a domain`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}
