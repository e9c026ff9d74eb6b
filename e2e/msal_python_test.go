package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
)

// msalPython returns a Python 3 interpreter that imports msal (Debian's python3-msal
// installs it for /usr/bin/python3, which may not be the first python3 on PATH). It
// skips when there is none, except in CI (CI=true), where it fails: CI installs it.
func msalPython(t *testing.T) string {
	t.Helper()
	candidates := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, py := range candidates {
		if exec.Command(py, "-c", "import msal").Run() == nil {
			return py
		}
	}
	testkit.MissingTool(t, "python3-msal", fmt.Sprintf("apt-get install python3-msal: no python3 among %v imports msal", candidates))
	return ""
}

// msalVerifyReport is the part of `verify --format json` MSAL Python's reads are held to.
type msalVerifyReport struct {
	Status           string `json:"status"`
	ServicePrincipal *struct {
		ID             string `json:"id"`
		AccountEnabled bool   `json:"accountEnabled"`
	} `json:"servicePrincipal"`
	Permissions []msalPermissionVerdict `json:"permissions"`
}

type msalPermissionVerdict struct {
	ResourceAppID string `json:"resourceAppId"`
	Permission    string `json:"permission"`
	Type          string `json:"type"`
	Status        string `json:"status"`
	Evidence      string `json:"evidence"`
}

// TestMSALPythonReadsWhatVerifyReports: an unmodified MSAL Python (Debian's
// python3-msal) signs in to `d365consent emulator` by device code — the code entered on
// the emulator's device login page by its Global Administrator — with its authority
// and instance_discovery=False; gets a refresh token; on its next run acquires
// silently, forcing a refresh; and reads from Graph what verification needs. Its own
// verdict on each required permission, and the service principal it read, equal what
// `d365consent verify --format json` reports for the same tenant.
func TestMSALPythonReadsWhatVerifyReports(t *testing.T) {
	py := msalPython(t)
	script, err := filepath.Abs(filepath.Join("testdata", "msal_verify.py"))
	if err != nil {
		t.Fatal(err)
	}
	for scenario, wantStatus := range map[string]string{"consented": "complete", "partial": "incomplete"} {
		t.Run(scenario, func(t *testing.T) {
			p := startEmulatorProcess(t, "--scenario", scenario)
			_, out, errOut := p.verify(t, "--format", "json")
			var report msalVerifyReport
			if err := json.Unmarshal([]byte(out), &report); err != nil || report.Status != wantStatus || report.ServicePrincipal == nil {
				t.Fatalf("verify: status %q (%v), want %s\nstdout:\n%s\nstderr:\n%s", report.Status, err, wantStatus, out, errOut)
			}
			dir := t.TempDir()
			required, _ := json.Marshal(report.Permissions)
			requiredPath := filepath.Join(dir, "required.json")
			if err := os.WriteFile(requiredPath, required, 0o600); err != nil {
				t.Fatal(err)
			}
			cache := filepath.Join(dir, "msal-cache.json")
			app, _, _ := strings.Cut(p.printed["app ce"], " ")
			common := []string{p.printed["authority"], p.printed["signin-client"], cache}
			scopes := []string{"https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/Directory.Read.All"}
			env := []string{"REQUESTS_CA_BUNDLE=" + p.printed["ca-cert"]}

			signin := runPython(t, py, env, append(append([]string{script, "signin"}, common...), scopes...), func(ctx context.Context, line string) {
				if m := deviceCodeLine.FindStringSubmatch(line); m != nil {
					go func() {
						_ = emulator.BrowserAt(p.printed["pages"], p.admin).OpenDeviceLogin(ctx, strings.TrimRight(m[1], "."))
					}()
				}
			})
			if strings.TrimSpace(signin) != `{"refreshTokenIssued": true}` {
				t.Fatalf("MSAL Python device-code sign-in: %s", signin)
			}
			readsOut := runPython(t, py, env, append(append([]string{script, "reads"}, common...),
				append([]string{p.printed["graph"], app, requiredPath}, scopes...)...), nil)
			var reads struct {
				Refreshed        bool `json:"refreshed"`
				ServicePrincipal *struct {
					ID             string `json:"id"`
					AccountEnabled bool   `json:"accountEnabled"`
				} `json:"servicePrincipal"`
				Permissions []msalPermissionVerdict `json:"permissions"`
			}
			if err := json.Unmarshal([]byte(readsOut), &reads); err != nil {
				t.Fatalf("reads: %v\n%s", err, readsOut)
			}
			if !reads.Refreshed {
				t.Error("the silent acquire with force_refresh returned the cached access token: no refresh happened")
			}
			if reads.ServicePrincipal == nil || *reads.ServicePrincipal != *report.ServicePrincipal {
				t.Errorf("service principal: MSAL Python read %+v, verify reported %+v", reads.ServicePrincipal, report.ServicePrincipal)
			}
			if len(reads.Permissions) != len(report.Permissions) {
				t.Fatalf("MSAL Python judged %d permissions, verify %d", len(reads.Permissions), len(report.Permissions))
			}
			for i, want := range report.Permissions {
				if got := reads.Permissions[i]; got != want {
					t.Errorf("%s %s (%s): MSAL Python %s %q, verify %s %q", want.ResourceAppID, want.Permission, want.Type, got.Status, got.Evidence, want.Status, want.Evidence)
				}
			}
		})
	}
}

// runPython runs the interpreter with args (env added; 60 s at most), hands each stderr
// line to onLine as it comes (to approve a device code), and returns stdout; a
// non-zero exit fails the test with stderr.
func runPython(t *testing.T, py string, env, args []string, onLine func(ctx context.Context, line string)) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = append(os.Environ(), env...)
	code, stdout, stderr, err := runWatched(cmd, func(line string) {
		if onLine != nil {
			onLine(ctx, line)
		}
	})
	switch {
	case err != nil:
		t.Fatal(err)
	case code != 0:
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(py), strings.Join(args[1:2], " "), code, stdout, stderr)
	}
	return stdout
}
