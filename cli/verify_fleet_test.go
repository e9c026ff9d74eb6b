package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/signin"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
)

const demoFleetList = `# the demo partner fleet
fabrikam.onmicrosoft.com
northwindtraders.onmicrosoft.com
tailspintoys.onmicrosoft.com
woodgrovebank.onmicrosoft.com   # no GDAP, no guest account
litware.onmicrosoft.com
adatum.onmicrosoft.com
wingtiptoys.onmicrosoft.com
nosuch.onmicrosoft.com
`

func fleetFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tenants.txt")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVerifyFleetJSON: the verify-many/v1 document of the demo fleet: rows in input
// order with each tenant's own verdict, the verify/v1 results of the five tenants
// that could be checked, the summary, and exit 4 (the worst row).
func TestVerifyFleetJSON(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--tenants", fleetFile(t, demoFleetList), "--format", "json")
	if code != 4 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var doc fleet.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range doc.Rows {
		got = append(got, r.Tenant+" "+string(r.Status))
	}
	want := []string{
		"fabrikam.onmicrosoft.com complete", "northwindtraders.onmicrosoft.com incomplete",
		"tailspintoys.onmicrosoft.com not-consented", "woodgrovebank.onmicrosoft.com no-access",
		"litware.onmicrosoft.com signin-consent", "adatum.onmicrosoft.com not-consented",
		"wingtiptoys.onmicrosoft.com incomplete", "nosuch.onmicrosoft.com refused",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q", got)
	}
	wantSum := fleet.Summary{Tenants: 8, Checked: 5, Complete: 1, Incomplete: 2, NotConsented: 2, NoAccess: 1, SignInConsent: 1, Refused: 1, ExitCode: 4}
	if doc.Schema != fleet.Schema || doc.Authentication != "delegated" || len(doc.Results) != 5 || doc.Summary != wantSum {
		t.Fatalf("schema %s auth %s results %d summary %+v", doc.Schema, doc.Authentication, len(doc.Results), doc.Summary)
	}
	for _, r := range doc.Results {
		if r.Schema != flows.ResultSchema || r.Tenant.ID == "" || r.SignedInAs == "" {
			t.Fatalf("result %+v", r)
		}
	}
	if doc.Rows[6].Missing[0] != "service principal disabled (accountEnabled false)" || doc.Rows[3].AADSTS != 50020 {
		t.Fatalf("%+v / %+v", doc.Rows[6], doc.Rows[3])
	}
}

// TestVerifyFleetSignInConsentRow: a GDAP customer where the sign-in client is not
// authorised (AADSTS90099) is its own row status with the fix in the row (the
// customer admin's consent link for the sign-in client, or Partner Center), and its
// own exit code, 6.
func TestVerifyFleetSignInConsentRow(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--tenants", fleetFile(t, "litware.onmicrosoft.com\nfabrikam.onmicrosoft.com\n"))
	if code != 6 {
		t.Fatalf("exit %d, want 6\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"signin-consent", "AADSTS90099", "/litware.onmicrosoft.com/v2.0/adminconsent?client_id=" + signin.ClientID, "Partner Center",
		"1 sign-in app needs consent"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestVerifyFleetCSVAndStdin: the list from stdin, CSV out, one line per tenant (in
// the order the tenants finished).
func TestVerifyFleetCSVAndStdin(t *testing.T) {
	var out, errb strings.Builder
	code := run(context.Background(), newFactory(strings.NewReader("fabrikam.onmicrosoft.com\nwoodgrovebank.onmicrosoft.com\n"), &out, &errb, []string{"NO_COLOR=1"}), []string{"verify", "--demo", "--tenants", "-", "--format", "csv"})
	if code != 4 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 3 && recs[1][0] != "fabrikam.onmicrosoft.com" {
		recs[1], recs[2] = recs[2], recs[1]
	}
	if len(recs) != 3 || strings.Join(recs[0], ",") != "tenant,tenant_id,tenant_name,status,missing,error,aadsts" ||
		recs[1][0] != "fabrikam.onmicrosoft.com" || recs[1][3] != "complete" || recs[2][3] != "no-access" || recs[2][6] != "50020" {
		t.Fatalf("%q", recs)
	}
}

// TestVerifyFleetBadLines: a line that is neither a tenant id nor a domain is bad
// input (exit 2) naming the file and line; nothing is signed in.
func TestVerifyFleetBadLines(t *testing.T) {
	p := fleetFile(t, "fabrikam.onmicrosoft.com\n\nhttps://login.example/evil\n")
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--tenants", p)
	if code != 2 || out != "" || !strings.Contains(errOut, p+`:3: "https://login.example/evil" is neither a tenant id (GUID) nor a domain`) {
		t.Fatalf("exit %d\nout %q\nerr %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"verify", "--demo", "--format", "csv"},
		{"verify", "--demo", "--tenants", p, "--parallel", "0"},
		{"verify", "--demo", "--certificate", "x.pem"},
		{"verify", "--demo", "--auth", "password"},
		{"verify", "--demo", "--identity-client-id", "11111111-1111-1111-1111-111111111111"},
		{"consent-url", "--demo", "--tenants", p, "--qr"},
	} {
		if code, _, errOut := runFlowsCmd(t, args...); code != 2 {
			t.Errorf("%q: exit %d (%s)", args, code, errOut)
		}
	}
}

// TestConsentURLTenants: one admin consent link per tenant, as CSV.
func TestConsentURLTenants(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "consent-url", "--demo", "--tenants", fleetFile(t, "fabrikam.onmicrosoft.com\n# comment\n3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44\n"), "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("%v %q", err, out)
	}
	for i, tenant := range []string{"fabrikam.onmicrosoft.com", "3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44"} {
		r := recs[i+1]
		if r[0] != tenant || !strings.Contains(r[1], "/"+tenant+"/adminconsent?client_id=") {
			t.Fatalf("%q", r)
		}
	}
}

// TestConsentURLSignInClientTenants: --signin-client prints, per tenant, the link that
// consents the sign-in app for the customer's organisation (v2.0 admin consent with
// its Graph scopes), not the AvePoint app's; naming an app with it is bad usage.
func TestConsentURLSignInClientTenants(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "consent-url", "--demo", "--signin-client", "--tenants", fleetFile(t, "litware.onmicrosoft.com\n"), "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, out)
	}
	u, err := url.Parse(recs[1][1])
	if err != nil || recs[1][0] != "litware.onmicrosoft.com" || !strings.HasSuffix(u.Path, "/litware.onmicrosoft.com/v2.0/adminconsent") ||
		u.Query().Get("client_id") != signin.ClientID || !strings.HasSuffix(u.Query().Get("scope"), "/Directory.Read.All") ||
		u.Query().Get("redirect_uri") != "http://localhost" {
		t.Fatalf("sign-in client link %q", recs[1])
	}
	if code, _, errOut := runFlowsCmd(t, "consent-url", "--demo", "--signin-client", "--app", "ce", "--tenant", "litware.onmicrosoft.com"); code != 2 {
		t.Errorf("--signin-client with --app: exit %d (%s)", code, errOut)
	}
}

// TestVerifyBaselineDrift: a baseline from the consented tenant, then the partial
// one: exit 5 and exactly the two changes; against itself: no drift, exit 0.
func TestVerifyBaselineDrift(t *testing.T) {
	code, base, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	p := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(p, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", "partial", "--baseline", p, "--format", "json")
	if code != 5 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Status flows.Status `json:"status"`
		Drift  fleet.Drift  `json:"drift"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range doc.Drift.Changes {
		lines = append(lines, c.String())
	}
	want := []string{"status: complete -> incomplete", "Dynamics CRM user_impersonation (Delegated): granted -> missing"}
	if doc.Status != flows.StatusIncomplete || !reflect.DeepEqual(lines, want) || doc.Drift.Baseline != p {
		t.Fatalf("%s %q", doc.Status, lines)
	}
	code, out, _ = runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--baseline", p)
	if code != 0 || !strings.Contains(out, "No drift since the baseline") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// The text output lists the changes too, and an incomplete tenant without
	// drift stays exit 3.
	code, out, _ = runFlowsCmd(t, "verify", "--demo", "--scenario", "partial", "--baseline", p)
	if code != 5 || !strings.Contains(out, "  ~ 3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44: Dynamics CRM user_impersonation (Delegated): granted -> missing\n") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestVerifyAppIdentityDemo: --auth secret reads the secret from the environment
// only, names the app as signedInAs, skips the role check and says so; a wrong
// secret is Entra's AADSTS7000215 (exit 4); none set is bad usage (exit 2). The
// secret never appears in any output.
func TestVerifyAppIdentityDemo(t *testing.T) {
	env := []string{"NO_COLOR=1", flows.EnvClientSecret + "=" + emulator.DemoMonitorSecret}
	code, out, errOut := runFlowsCmdEnv(t, env, "verify", "--demo", "--scenario", "consented", "--auth", "secret", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r flows.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.SignedInAs, "app Demo Consent Monitor (") || r.Status != flows.StatusComplete ||
		!reflect.DeepEqual(r.Warnings, []string{"Checked with an app identity (app-only): there is no signed-in user, so no directory role was checked."}) {
		t.Fatalf("%q %s %q", r.SignedInAs, r.Status, r.Warnings)
	}
	if strings.Contains(out+errOut, emulator.DemoMonitorSecret) {
		t.Fatal("the secret was printed")
	}
	code, out, errOut = runFlowsCmdEnv(t, []string{"NO_COLOR=1", flows.EnvClientSecret + "=wrong-secret-value"}, "verify", "--demo", "--auth", "secret")
	if code != 4 || !strings.Contains(errOut, "AADSTS7000215") || strings.Contains(out+errOut, "wrong-secret-value") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runFlowsCmdEnv(t, []string{"NO_COLOR=1"}, "verify", "--demo", "--auth", "secret")
	if code != 2 || !strings.Contains(errOut, flows.EnvClientSecret) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// The whole demo fleet app-only: the monitoring app is consented in every
	// customer tenant, so no row is refused for lack of a guest account.
	code, out, errOut = runFlowsCmdEnv(t, env, "verify", "--demo", "--auth", "secret", "--tenants", fleetFile(t, "fabrikam.onmicrosoft.com\nwoodgrovebank.onmicrosoft.com\n"), "--format", "json")
	var doc fleet.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || doc.Authentication != "app-only" || doc.Summary.Complete != 2 {
		t.Fatalf("exit %d %v %+v\n%s", code, err, doc.Summary, errOut)
	}
}

// TestFleetAndAppIdentityLeakNothing: a delegated fleet check (a refresh token
// redeemed in each customer tenant) and an app-only fleet check with the secret in
// the environment, with --debug and --report: no token the demo tenant issued, no
// JWT and not the secret appears in stdout, stderr, the debug log or the report.
func TestFleetAndAppIdentityLeakNothing(t *testing.T) {
	servers := &tokenServers{}
	dir := t.TempDir()
	list := fleetFile(t, demoFleetList)
	var outputs []string
	for i, extra := range [][]string{
		{"--auth", "device-code"},
		{"--auth", "secret"},
	} {
		logPath := filepath.Join(dir, "debug"+string(rune('0'+i))+".log")
		report := filepath.Join(dir, "report"+string(rune('0'+i))+".json")
		args := append([]string{"verify", "--demo", "--tenants", list, "--format", "json", "--debug", logPath, "--report", report}, extra...)
		code, out, errOut := runFlowsCmdWith(t, servers.watch, []string{"NO_COLOR=1", flows.EnvClientSecret + "=" + emulator.DemoMonitorSecret}, args...)
		if code != 4 && code != 0 {
			t.Fatalf("%q: exit %d: %s", extra, code, errOut)
		}
		outputs = append(outputs, out, errOut)
	}
	toks := servers.tokens()
	if len(toks) < 10 {
		t.Fatalf("only %d tokens issued: the test proves nothing", len(toks))
	}
	sc := newTokenScanner(toks)
	for i, o := range outputs {
		scanBytes(t, sc, "output "+string(rune('0'+i)), []byte(o))
	}
	if n := scanTree(t, sc, dir); n != 4 {
		t.Fatalf("%d files written, want 2 debug logs and 2 reports", n)
	}
	for _, o := range outputs {
		if strings.Contains(o, emulator.DemoMonitorSecret) {
			t.Fatal("the client secret was printed")
		}
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), emulator.DemoMonitorSecret) {
				t.Errorf("the client secret is in %s", p)
			}
		}
		return nil
	})
}

// TestVerifyFleetBaselineDrift: a verify-many baseline in which Fabrikam had a
// permission missing; now it is granted: exactly that tenant's two changes, exit 5
// (every row complete, so drift decides); unchanged against the real baseline, exit 0.
func TestVerifyFleetBaselineDrift(t *testing.T) {
	env := []string{"NO_COLOR=1", flows.EnvClientSecret + "=" + emulator.DemoMonitorSecret}
	list := fleetFile(t, "fabrikam.onmicrosoft.com\nwoodgrovebank.onmicrosoft.com\n")
	args := []string{"verify", "--demo", "--auth", "secret", "--tenants", list, "--format", "json"}
	code, base, errOut := runFlowsCmdEnv(t, env, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dir := t.TempDir()
	same := filepath.Join(dir, "same.json")
	if err := os.WriteFile(same, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(base), &doc); err != nil {
		t.Fatal(err)
	}
	fab := doc["results"].([]any)[0].(map[string]any)
	fab["status"] = "incomplete"
	fab["permissions"].([]any)[2].(map[string]any)["status"] = "missing"
	edited, _ := json.Marshal(doc)
	old := filepath.Join(dir, "old.json")
	if err := os.WriteFile(old, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runFlowsCmdEnv(t, env, append(args, "--baseline", old)...)
	if code != 5 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var now fleet.Document
	if err := json.Unmarshal([]byte(out), &now); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range now.Drift.Changes {
		lines = append(lines, c.TenantID+" "+c.String())
	}
	tid := fab["tenant"].(map[string]any)["id"].(string)
	want := []string{tid + " status: incomplete -> complete", tid + " Dynamics CRM user_impersonation (Delegated): missing -> granted"}
	if !reflect.DeepEqual(lines, want) || now.Summary.Drifted != 1 || now.Summary.ExitCode != 5 {
		t.Fatalf("%q %+v", lines, now.Summary)
	}
	if code, _, errOut := runFlowsCmdEnv(t, env, append(args, "--baseline", same)...); code != 0 {
		t.Fatalf("unchanged: exit %d: %s", code, errOut)
	}
}
