package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

func runFlowsCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runFlowsCmdEnv(t, []string{"NO_COLOR=1", "TERM=dumb"}, args...)
}

func runFlowsCmdEnv(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runFlowsCmdWith(t, nil, env, args...)
}

// runFlowsCmdWith runs the command line in-process with a Factory that setup (when
// not nil) adjusts first, and returns the exit code and output. A --demo run serves
// the fixture catalog (testkit.Catalog) unless the line names a catalog.
func runFlowsCmdWith(t *testing.T, setup func(*Factory), env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if slices.Contains(args, "--demo") && !slices.Contains(args, "--catalog") {
		args = append(args[:len(args):len(args)], "--catalog", testkit.CatalogPath(t))
	}
	var out, errb bytes.Buffer
	f := newFactory(strings.NewReader(""), &out, &errb, env)
	if setup != nil {
		setup(f)
	}
	code = run(context.Background(), f, args)
	return code, out.String(), errb.String()
}

// TestVerifyEveryScenario runs `verify --demo --format json` for every scenario and
// app, in-process, against the emulator (serving the fixture catalog) with real MSAL.
func TestVerifyEveryScenario(t *testing.T) {
	const (
		g  = flows.PermGranted
		m  = flows.PermMissing
		u  = flows.PermUserConsentOnly
		rm = flows.PermResourceMissing
	)
	type want struct {
		status  flows.Status
		perms   []flows.PermStatus
		code    int
		blocked bool
		warns   int
	}
	cases := map[string]map[string]want{
		"fresh": {
			"ce": {flows.StatusNotConsented, []flows.PermStatus{m, m, m}, 3, false, 0},
			"uo": {flows.StatusNotConsented, []flows.PermStatus{m, m, m, m, m, m, m}, 3, true, 1},
		},
		"consented": {
			"ce": {flows.StatusComplete, []flows.PermStatus{g, g, g}, 0, false, 0},
			"uo": {flows.StatusComplete, []flows.PermStatus{g, g, g, g, g, g, g}, 0, false, 0},
		},
		"partial": {
			"ce": {flows.StatusIncomplete, []flows.PermStatus{g, g, m}, 3, false, 0},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{g, g, m, m, g, g, g}, 3, false, 0},
		},
		"user-consent-only": {
			"ce": {flows.StatusIncomplete, []flows.PermStatus{u, m, u}, 3, false, 2},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{u, m, m, u, m, u, u}, 3, false, 4},
		},
		"reauth": {
			"ce": {flows.StatusComplete, []flows.PermStatus{g, g, g}, 0, false, 0},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{g, g, g, g, g, g, m}, 3, false, 0},
		},
		"uo-new": {
			"ce": {flows.StatusComplete, []flows.PermStatus{g, g, g}, 0, false, 0},
			"uo": {flows.StatusNotConsented, []flows.PermStatus{m, m, m, m, m, m, m}, 3, true, 1},
		},
		"non-admin": {
			"ce": {flows.StatusNotConsented, []flows.PermStatus{m, m, m}, 3, false, 0},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{g, g, g, g, m, g, g}, 3, false, 0},
		},
		"no-dynamics": {
			"ce": {flows.StatusNotConsented, []flows.PermStatus{m, m, rm}, 3, false, 1},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{g, g, g, rm, rm, rm, rm}, 3, false, 1},
		},
		"throttled": {
			"ce": {flows.StatusComplete, []flows.PermStatus{g, g, g}, 0, false, 0},
			"uo": {flows.StatusComplete, []flows.PermStatus{g, g, g, g, g, g, g}, 0, false, 0},
		},
		"slow-propagation": {
			"ce": {flows.StatusNotConsented, []flows.PermStatus{m, m, m}, 3, false, 0},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{g, g, g, g, g, g, m}, 3, false, 0},
		},
		"disabled": { // every grant in place, but a disabled app cannot sign in: incomplete
			"ce": {flows.StatusIncomplete, []flows.PermStatus{g, g, g}, 3, false, 1},
			"uo": {flows.StatusIncomplete, []flows.PermStatus{g, g, g, g, g, g, g}, 3, false, 1},
		},
	}
	for scenario, apps := range cases {
		for app, w := range apps {
			t.Run(scenario+"/"+app, func(t *testing.T) {
				t.Parallel()
				code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", scenario, "--app", app, "--format", "json")
				if code != w.code {
					t.Fatalf("exit %d, want %d; stderr %s", code, w.code, errOut)
				}
				var r flows.Result
				if err := json.Unmarshal([]byte(out), &r); err != nil {
					t.Fatalf("not JSON: %v\n%s", err, out)
				}
				var got []flows.PermStatus
				for _, p := range r.Permissions {
					got = append(got, p.Status)
					if p.Status == flows.PermGranted && p.Evidence == "" {
						t.Errorf("%s granted without evidence", p.Permission)
					}
				}
				if r.Schema != flows.ResultSchema || r.Status != w.status || !equal(got, w.perms) || r.ReauthorizeOnlyBlocked != w.blocked || len(r.Warnings) != w.warns {
					t.Fatalf("got %s %v blocked=%t warnings %q", r.Status, got, r.ReauthorizeOnlyBlocked, r.Warnings)
				}
				if r.GraphRequests != 1 && scenario != "throttled" {
					t.Errorf("%d Graph requests for the verification, want 1", r.GraphRequests)
				}
				if r.App.Key != app || r.Tenant.ID == "" || r.SignedInAs == "" || r.CheckedAt.IsZero() || r.Cloud != "demo" {
					t.Errorf("header %+v %+v %q %q", r.App, r.Tenant, r.SignedInAs, r.Cloud)
				}
			})
		}
	}
}

func equal(a, b []flows.PermStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestVerifyTextAndReports(t *testing.T) {
	dir := t.TempDir()
	md, js := filepath.Join(dir, "r.md"), filepath.Join(dir, "r.json")
	code, out, _ := runFlowsCmd(t, "verify", "--demo", "--scenario", "partial", "--app", "ce", "--report", md)
	if code != 3 || !strings.Contains(out, "[x] Microsoft Graph · User.Read") || !strings.Contains(out, "[ ] Dynamics CRM · user_impersonation") ||
		!strings.Contains(out, "Incomplete: 2 of 3 permissions granted.") || strings.Contains(out, "\x1b") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(md)
	if err != nil || !strings.Contains(string(data), "| [ ] | Dynamics CRM |") {
		t.Fatalf("markdown report: %v\n%s", err, data)
	}
	if code, _, _ := runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--format", "json", "--report", js); code != 0 {
		t.Fatalf("exit %d", code)
	}
	var r flows.Result
	if data, err := os.ReadFile(js); err != nil || json.Unmarshal(data, &r) != nil || r.Status != flows.StatusComplete {
		t.Fatalf("json report: %v %s", err, data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("temporary files left: %v", entries)
	}
}

func TestVerifyBadInput(t *testing.T) {
	for name, args := range map[string][]string{
		"client id not a GUID": {"verify", "--app", "ce", "--client-id", "nope"},
		"unknown cloud":        {"verify", "--app", "ce", "--cloud", "mars"},
		"unknown app":          {"verify", "--app", "xx", "--demo"},
		"no app":               {"verify", "--client-id", "11111111-2222-3333-4444-555555555555"},
		"no client id":         {"verify", "--app", "ce"},
		"bad format":           {"verify", "--demo", "--format", "yaml"},
		"bad report":           {"verify", "--demo", "--report", "x.txt"},
		"scenario sans demo":   {"verify", "--app", "ce", "--scenario", "partial"},
		"unknown scenario":     {"verify", "--demo", "--scenario", "nope"},
		"bad authority host":   {"verify", "--app", "ce", "--client-id", "11111111-2222-3333-4444-555555555555", "--authority-host", "ftp://x"},
	} {
		if code, _, errOut := runFlowsCmd(t, args...); code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", name, code, errOut)
		}
	}
}

func TestConsentURLCommand(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "consent-url", "--app", "ce", "--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555", "--cloud", "china")
	if code != 0 || !strings.HasPrefix(out, "https://login.partner.microsoftonline.cn/contoso.onmicrosoft.com/adminconsent?client_id=11111111-2222-3333-4444-555555555555&state=") {
		t.Fatalf("exit %d %q %s", code, out, errOut)
	}
	code, out, _ = runFlowsCmdEnv(t, []string{"TERM=xterm-256color", "LANG=en_US.UTF-8"}, "consent-url", "--demo", "--qr")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || !strings.Contains(lines[0], "/adminconsent?client_id=") || len(lines) < 15 || !strings.ContainsAny(out, "▀▄█") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if code, _, _ := runFlowsCmd(t, "consent-url", "--app", "ce", "--client-id", "11111111-2222-3333-4444-555555555555"); code != 2 {
		t.Fatalf("no tenant: exit %d", code)
	}
	if code, _, _ := runFlowsCmd(t, "consent-url", "--app", "ce", "--tenant", "bad tenant!", "--client-id", "11111111-2222-3333-4444-555555555555"); code != 2 {
		t.Fatalf("bad tenant: exit %d", code)
	}
}

// TestSignInWithDeviceCode: verify's own device-code choice (--auth device-code)
// switches the target's sign-in to a device code; it keeps the machine's reason when
// the device code was already chosen, and changes nothing when off.
func TestSignInWithDeviceCode(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        flows.Config
		on         bool
		wantDevice bool
		wantReason string
	}{
		{"off", flows.Config{}, false, false, ""},
		{"on", flows.Config{}, true, true, ""},
		{"on over SSH", flows.Config{DeviceCode: true, DeviceCodeReason: "SSH"}, true, true, "SSH"},
		{"off over SSH", flows.Config{DeviceCode: true, DeviceCodeReason: "SSH"}, false, true, "SSH"},
	} {
		target := &commandTarget{cfg: tc.cfg}
		target.signInWithDeviceCode(tc.on)
		if target.cfg.DeviceCode != tc.wantDevice || target.cfg.DeviceCodeReason != tc.wantReason {
			t.Errorf("%s: device code %v, reason %q", tc.name, target.cfg.DeviceCode, target.cfg.DeviceCodeReason)
		}
	}
}
