package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows/doctor"
	"github.com/d365consent/d365consent/internal/termcaps"
)

// doctorAgainst starts a demo tenant and returns the doctor command line against it,
// with a Factory setup that makes the doctor trust its certificate (the process's
// SSL_CERT_FILE cannot be changed in-process). Its endpoints are IP addresses: no DNS
// look-up, nothing leaves the machine.
func doctorAgainst(t *testing.T, opts emulator.Options) (*emulator.Server, []string, func(*Factory)) {
	t.Helper()
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	trust := func(f *Factory) { f.rootCAs = srv.CertPool() }
	return srv, []string{"doctor", "--authority-host", srv.AuthorityHost(), "--graph-url", srv.GraphURL(), "--device-code"}, trust
}

type doctorJSON struct {
	Schema string `json:"schema"`
	Status string `json:"status"`
	Cloud  string `json:"cloud"`
	Tenant *struct {
		Query, ID, CloudInstance, Cloud string
	} `json:"tenant"`
	Checks []struct {
		ID, Group, Title, Status, Summary, Evidence, Fix string
		LatencyMS                                        *float64
	} `json:"checks"`
}

func TestDoctorCommand(t *testing.T) {
	srv, args, trust := doctorAgainst(t, emulator.Options{})
	env := []string{"NO_COLOR=1", "LANG=C.UTF-8"}

	t.Run("healthy json", func(t *testing.T) {
		code, out, errs := runFlowsCmdWith(t, trust, env, append(args, "--tenant", srv.TenantDomain(), "--format", "json")...)
		if code != 0 {
			t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
		}
		var r doctorJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if r.Schema != "d365consent.doctor/v1" || r.Status != "ok" || r.Cloud != "global" || r.Tenant == nil || r.Tenant.ID != srv.TenantID() || r.Tenant.Cloud != "global" {
			t.Errorf("report head: %+v %+v", r, r.Tenant)
		}
		if len(r.Checks) != 17 {
			t.Errorf("%d checks", len(r.Checks))
		}
		for _, c := range r.Checks {
			if c.Status != "ok" {
				t.Errorf("%s: %s %s | %s", c.ID, c.Status, c.Evidence, c.Fix)
			}
			if c.Group == "network" && c.LatencyMS == nil {
				t.Errorf("%s: no latencyMs", c.ID)
			}
		}
		// Redacted: the tenant, never a user or a token.
		for _, u := range srv.Users() {
			if strings.Contains(out, u.UPN) {
				t.Errorf("the report names %s", u.UPN)
			}
		}
		for _, tok := range srv.IssuedTokens() {
			if strings.Contains(out, tok) {
				t.Error("a token is in the report")
			}
		}
	})
	t.Run("healthy text", func(t *testing.T) {
		code, out, errs := runFlowsCmdWith(t, trust, env, append(args, "--tenant", srv.TenantDomain())...)
		if code != 0 || errs != "" {
			t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
		}
		if !strings.HasSuffix(out, "\nResult: no problems found.\n") || strings.Contains(out, "\x1b") || strings.Contains(out, "\r") {
			t.Errorf("text:\n%q", out)
		}
		if !strings.Contains(out, "  ✓ Tenant "+srv.TenantDomain()) {
			t.Errorf("no tenant line:\n%s", out)
		}
	})
	t.Run("ascii", func(t *testing.T) {
		code, out, _ := runFlowsCmdWith(t, trust, []string{"NO_COLOR=1", "LANG=C"}, append(args, "--tenant", srv.TenantDomain())...)
		if code != 0 || !strings.Contains(out, "  ok Tenant ") || strings.ContainsAny(out, "✓✗") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	t.Run("unknown tenant: exit 1", func(t *testing.T) {
		code, out, _ := runFlowsCmdWith(t, trust, env, append(args, "--tenant", "nosuch.onmicrosoft.com", "--format", "json")...)
		var r doctorJSON
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != 1 || r.Status != "problems" {
			t.Fatalf("exit %d, %v\n%s", code, err, out)
		}
		for _, c := range r.Checks {
			if c.ID == "tenant.openid" && (c.Status != "fail" || c.Summary != "tenant 'nosuch.onmicrosoft.com' not found in the global cloud") {
				t.Errorf("%+v", c)
			}
		}
	})
	t.Run("report files", func(t *testing.T) {
		dir := t.TempDir()
		for _, tc := range []struct{ name, want string }{
			{"d.md", "# d365consent doctor\n"}, {"d.json", `"schema": "d365consent.doctor/v1"`}, {"d.txt", "d365consent doctor: global cloud"},
		} {
			p := filepath.Join(dir, tc.name)
			code, out, errs := runFlowsCmdWith(t, trust, env, append(args, "--tenant", srv.TenantDomain(), "--report", p)...)
			if code != 0 || !strings.HasSuffix(out, "Report saved to "+p+"\n") {
				t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
			}
			data, err := os.ReadFile(p)
			if err != nil || !strings.Contains(string(data), tc.want) || strings.Contains(string(data), "\x1b") {
				t.Errorf("%s: %v\n%s", tc.name, err, data)
			}
			if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v", tc.name, fi.Mode())
			}
		}
	})
	t.Run("bad format: exit 2", func(t *testing.T) {
		code, _, errs := runFlowsCmdWith(t, trust, env, "doctor", "--format", "yaml")
		if code != 2 || !strings.Contains(errs, `--format "yaml" is not one of: text, json, markdown`) {
			t.Errorf("exit %d, %q", code, errs)
		}
	})
}

// TestDoctorOtherCloud: the command names the --cloud of a tenant that lives elsewhere.
func TestDoctorOtherCloud(t *testing.T) {
	srv, args, trust := doctorAgainst(t, emulator.Options{CloudInstance: emulator.CloudInstance{Name: "microsoftonline.us", RegionScope: "USGov", RegionSubScope: "DODCON"}})
	code, out, _ := runFlowsCmdWith(t, trust, []string{"NO_COLOR=1", "LANG=C.UTF-8"}, append(args, "--tenant", srv.TenantDomain())...)
	want := "  ✗ Tenant " + srv.TenantDomain()
	fix := "      fix: Use --cloud usgov with every command: d365consent doctor --cloud usgov --tenant " + srv.TenantDomain() + "\n"
	if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, fix) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestDoctorCompletion(t *testing.T) {
	vals, _ := complete(t, "doctor", "--format", "")
	if strings.Join(vals, " ") != "text json markdown" {
		t.Errorf("--format: %v", vals)
	}
	vals, dir := complete(t, "doctor", "--report", "")
	if strings.Join(vals, " ") != "md json txt" || dir != ":8" {
		t.Errorf("--report: %v %s", vals, dir)
	}
	vals, _ = complete(t, "doctor", "--cloud", "")
	if strings.Join(vals, " ") != "global usgov usgov-dod china" {
		t.Errorf("--cloud: %v", vals)
	}
}

// TestDoctorProgressLine: one line rewritten in place with carriage returns (no escape
// sequence), each start shown with the count of finished checks, cleared at the end.
func TestDoctorProgressLine(t *testing.T) {
	var b strings.Builder
	p := &progressLine{w: &b, glyphs: termcaps.ASCII}
	p.event(doctor.Event{Check: doctor.Check{Title: "DNS login.microsoftonline.com"}})
	p.event(doctor.Event{Check: doctor.Check{Title: "DNS login.microsoftonline.com", Status: doctor.OK}})
	p.event(doctor.Event{Check: doctor.Check{Title: "TLS x"}})
	p.clear()
	first := "... [0 done] checking DNS login.microsoftonline.com"
	second := "... [1 done] checking TLS x"
	want := "\r" + first + "\r" + second + strings.Repeat(" ", len(first)-len(second)) + "\r" + strings.Repeat(" ", len(second)) + "\r"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
	var nilLine *progressLine
	nilLine.clear() // no terminal: nothing to clear
}
