package flows_test

// The single-tenant report for a support ticket (Markdown) and the report file.

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
)

// complete is a complete verification with every optional part of the report:
// friendly names, evidence, a newly required permission, extra grants, a warning
// and the next step in AOS.
func complete() *flows.Result {
	return &flows.Result{
		Schema: flows.ResultSchema,
		App:    flows.ResultApp{Key: "ce", DisplayName: "Contoso | Expense", ClientID: "aaaaaaaa-1111-2222-3333-444444444444"},
		Tenant: flows.ResultTenant{ID: "11111111-1111-1111-1111-111111111111", DisplayName: "Fabrikam"},
		Cloud:  "global", CheckedAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), SignedInAs: "admin@fabrikam.onmicrosoft.com",
		Status:           flows.StatusComplete,
		ServicePrincipal: &flows.ResultSP{ID: "sp-1", AccountEnabled: true},
		Permissions: []flows.PermissionCheck{
			{API: "Microsoft Graph", Permission: "User.Read", FriendlyName: "Sign in and read user profile", Type: "Delegated", Status: flows.PermGranted, Evidence: "grant-1"},
			{API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated", Status: flows.PermGranted, Evidence: "grant-2", NewlyRequired: true},
		},
		Extra:    []flows.ExtraGrant{{API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Application"}},
		Warnings: []string{"Checked with an app identity (app-only)."},
		NextStep: "In AOS, add the app under Microsoft Entra ID applications.",
	}
}

// TestMarkdownReportComplete: every section, in order, with exact cells.
func TestMarkdownReportComplete(t *testing.T) {
	const want = "# Admin consent check: Contoso \\| Expense\n\n" +
		"**All 2 permissions are granted.**\n\n" +
		"| | |\n|---|---|\n" +
		"| App | Contoso \\| Expense (`ce`), client id `aaaaaaaa-1111-2222-3333-444444444444` |\n" +
		"| Tenant | Fabrikam (`11111111-1111-1111-1111-111111111111`) |\n" +
		"| Cloud | global |\n" +
		"| Signed in as | admin@fabrikam.onmicrosoft.com |\n" +
		"| Checked at | 2026-12-01T09:30:00Z |\n" +
		"| Status | `complete` |\n" +
		"| Service principal | `sp-1` (enabled: true) |\n" +
		"\n## Permissions\n\n| | API | Permission | Type | Status | Evidence |\n|---|---|---|---|---|---|\n" +
		"| [x] | Microsoft Graph | User.Read (Sign in and read user profile) | Delegated | granted | `grant-1` |\n" +
		"| [x] | Dynamics CRM | user_impersonation — newly required | Delegated | granted | `grant-2` |\n" +
		"\n## Granted beyond the required set\n\n- Microsoft Graph · Group.Read.All · Application\n" +
		"\n## Warnings\n\n- Checked with an app identity (app-only).\n" +
		"\n## Next step\n\nIn AOS, add the app under Microsoft Entra ID applications.\n"
	if got := string(flows.MarkdownReport(complete())); got != want {
		t.Fatalf("report\n got %q\nwant %q", got, want)
	}
}

// TestMarkdownReportIncomplete: no service principal, each missing status with its
// marker and words, no evidence, and no empty sections; the next step waits for a
// complete tenant.
func TestMarkdownReportIncomplete(t *testing.T) {
	r := complete()
	r.Status, r.ServicePrincipal, r.Extra, r.Warnings = flows.StatusIncomplete, nil, []flows.ExtraGrant{}, nil
	r.Permissions = []flows.PermissionCheck{
		{API: "Microsoft Graph", Permission: "User.Read", Type: "Delegated", Status: flows.PermMissing},
		{API: "Microsoft Graph", Permission: "Directory.Read.All", Type: "Application", Status: flows.PermUserConsentOnly},
		{API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated", Status: flows.PermResourceMissing},
	}
	const want = "# Admin consent check: Contoso \\| Expense\n\n" +
		"**Incomplete: 0 of 3 permissions granted.**\n\n" +
		"| | |\n|---|---|\n" +
		"| App | Contoso \\| Expense (`ce`), client id `aaaaaaaa-1111-2222-3333-444444444444` |\n" +
		"| Tenant | Fabrikam (`11111111-1111-1111-1111-111111111111`) |\n" +
		"| Cloud | global |\n" +
		"| Signed in as | admin@fabrikam.onmicrosoft.com |\n" +
		"| Checked at | 2026-12-01T09:30:00Z |\n" +
		"| Status | `incomplete` |\n" +
		"| Service principal | none |\n" +
		"\n## Permissions\n\n| | API | Permission | Type | Status | Evidence |\n|---|---|---|---|---|---|\n" +
		"| [ ] | Microsoft Graph | User.Read | Delegated | missing |  |\n" +
		"| [~] | Microsoft Graph | Directory.Read.All | Application | user consent only (no admin consent) |  |\n" +
		"| [!] | Dynamics CRM | user_impersonation | Delegated | resource missing in the tenant |  |\n"
	if got := string(flows.MarkdownReport(r)); got != want {
		t.Fatalf("report\n got %q\nwant %q", got, want)
	}
}

// TestWriteReportFiles: --report writes Markdown or JSON by the file's extension,
// readable by others (0644), leaving no temporary file; another extension is a
// usage error and writes nothing.
func TestWriteReportFiles(t *testing.T) {
	dir := t.TempDir()
	r := complete()
	js, err := flows.JSONReport(r)
	if err != nil || !strings.HasPrefix(string(js), "{\n  \"schema\": \"d365consent.verify/v1\",\n  \"app\": {\n") || !strings.HasSuffix(string(js), "}\n") {
		t.Fatalf("%v\n%s", err, js)
	}
	for name, want := range map[string][]byte{"report.md": flows.MarkdownReport(r), "REPORT.Markdown": flows.MarkdownReport(r), "report.json": js} {
		path := filepath.Join(dir, name)
		if err := flows.WriteReport(path, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: %v\n%s", name, err, got)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
			t.Fatalf("%s: mode %v %v", name, fi.Mode(), err)
		}
	}
	err = flows.WriteReport(filepath.Join(dir, "report.txt"), r)
	if !errors.Is(err, flows.ErrUsage) || err.Error() != `report "`+filepath.Join(dir, "report.txt")+`": use a .md or .json file name` {
		t.Fatalf("report.txt: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 3 || names[0] != "REPORT.Markdown" || names[1] != "report.json" || names[2] != "report.md" {
		t.Fatalf("files left: %q", names)
	}
}

// A report that cannot be written says so in display-safe words: the operating
// system's error names the path, and a directory may be called anything.
func TestReportWriteErrorsAreDisplaySafe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x\x1b]52;c;cm0K\x07\u202eevil\u0085\nname")
	clean := filepath.Join(filepath.Dir(dir), "xevil name")
	err := flows.WriteReport(filepath.Join(dir, "r.md"), &flows.Result{})
	// The temporary file's name has a random number in it.
	want := regexp.MustCompile("^" + regexp.QuoteMeta("writing report: open "+clean+"/.r.md.") + `\d+\.tmp: no such file or directory$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Errorf("WriteReport: %v, want %s", err, want)
	}
	err = flows.WriteErrorReport(filepath.Join(dir, "e.txt"), []byte("x"))
	if want := "open " + clean + "/e.txt: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("WriteErrorReport: %v, want %q", err, want)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteErrorReport's error %v no longer unwraps to os.ErrNotExist", err)
	}
}
