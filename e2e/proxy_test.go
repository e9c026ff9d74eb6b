package e2e

// `d365consent emulator --proxy` as its README recipe runs it: the emulator in one
// process, and clients that know only Microsoft's host names in others, reaching it
// through HTTPS_PROXY with the emulator's CA trusted. The clients of other vendors
// (az_test.go, m365_test.go) are compared with what `d365consent verify` reports for
// the same tenant through the same proxy.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
)

// verifyReport is the part of `verify --format json` the client comparisons read.
type verifyReport struct {
	Status           string `json:"status"`
	Cloud            string `json:"cloud"`
	ServicePrincipal *struct {
		ID             string `json:"id"`
		AccountEnabled bool   `json:"accountEnabled"`
		DisplayName    string `json:"displayName"`
	} `json:"servicePrincipal"`
	Permissions []struct {
		API        string `json:"api"`
		Permission string `json:"permission"`
		Type       string `json:"type"`
		Status     string `json:"status"`
		Evidence   string `json:"evidence"`
		ID         string `json:"id"`
	} `json:"permissions"`
	Extra []json.RawMessage `json:"extra"`
}

// delegatedGrants is what verify found granted tenant-wide by oauth2PermissionGrant:
// "grant-id AllPrincipals permission", sorted.
func (r *verifyReport) delegatedGrants() []string {
	var out []string
	for _, p := range r.Permissions {
		if p.Type == "Delegated" && p.Status == "granted" {
			out = append(out, p.Evidence+" AllPrincipals "+p.Permission)
		}
	}
	sort.Strings(out)
	return out
}

// roleAssignments is what verify found granted by appRoleAssignment, each as
// key(assignment id, app role id, permission value), sorted.
func (r *verifyReport) roleAssignments(key func(assignment, role, value string) string) []string {
	var out []string
	for _, p := range r.Permissions {
		if p.Type == "Application" && p.Status == "granted" {
			out = append(out, key(p.Evidence, p.ID, p.Permission))
		}
	}
	sort.Strings(out)
	return out
}

// checkServicePrincipal decodes a client's JSON view of the CE app's service
// principal (app is its appId) and holds it to verify's.
func (r *verifyReport) checkServicePrincipal(t *testing.T, what, out, app string) string {
	t.Helper()
	var sp struct {
		ID             string `json:"id"`
		AccountEnabled bool   `json:"accountEnabled"`
		DisplayName    string `json:"displayName"`
		AppID          string `json:"appId"`
	}
	decode(t, what, out, &sp)
	if want := r.ServicePrincipal; sp.ID != want.ID || sp.AccountEnabled != want.AccountEnabled || sp.DisplayName != want.DisplayName || sp.AppID != app {
		t.Errorf("%s: %+v; verify: %+v", what, sp, *want)
	}
	return sp.ID
}

// checkGrants decodes a client's JSON list of Graph oauth2PermissionGrant objects
// and holds it to verify's delegated evidence: one "id consentType scope" line per
// scope value, sorted, the same lines.
func (r *verifyReport) checkGrants(t *testing.T, what, out string) {
	t.Helper()
	var grants []struct {
		ID          string `json:"id"`
		ConsentType string `json:"consentType"`
		Scope       string `json:"scope"`
	}
	decode(t, what, out, &grants)
	var got []string
	for _, g := range grants {
		for _, v := range strings.Fields(g.Scope) {
			got = append(got, g.ID+" "+g.ConsentType+" "+v)
		}
	}
	sort.Strings(got)
	if want := r.delegatedGrants(); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %q\nverify: %q", what, got, want)
	}
}

// decode parses a client's JSON output into v.
func decode(t *testing.T, what, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: output is not the JSON expected (%v):\n%s", what, err, out)
	}
}

// proxyEnv is the environment a client runs in behind the emulator's proxy: its own
// home (no cache or configuration of the machine's user), no proxy setting of the
// machine's, HTTPS_PROXY naming the emulator's, and the emulator's CA trusted by
// OpenSSL/Go (SSL_CERT_FILE), Python requests (REQUESTS_CA_BUNDLE) and Node.js
// (NODE_EXTRA_CA_CERTS). It returns the environment and the home directory.
func proxyEnv(t *testing.T, p *emulatorProcess) ([]string, string) {
	t.Helper()
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "HOME", "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR",
			"REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AZURE_CONFIG_DIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME":
			continue
		}
		env = append(env, kv)
	}
	ca := p.printed["ca-cert"]
	return append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"HTTPS_PROXY="+p.printed["proxy"], "https_proxy="+p.printed["proxy"],
		"SSL_CERT_FILE="+ca, "REQUESTS_CA_BUNDLE="+ca, "NODE_EXTRA_CA_CERTS="+ca,
		"NO_COLOR=1", "TERM=dumb"), home
}

// runClient runs a client program with env (at most two minutes) and returns its exit
// status, stdout and stderr. A device-code prompt on either stream ("enter the code
// X") is answered once by the emulator's Global Administrator on its device login
// page, as a person would in a browser.
func runClient(t *testing.T, p *emulatorProcess, env []string, name string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		once     sync.Once
		approved = make(chan error, 1)
		wg       sync.WaitGroup
		texts    [2]strings.Builder
	)
	for i, r := range []io.Reader{stdout, stderr} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 64*1024), 4<<20)
			for sc.Scan() {
				texts[i].WriteString(sc.Text() + "\n")
				if m := deviceCodeLine.FindStringSubmatch(sc.Text()); m != nil {
					once.Do(func() {
						go func() {
							approved <- emulator.BrowserAt(p.printed["pages"], p.admin).OpenDeviceLogin(ctx, strings.TrimRight(m[1], "."))
						}()
					})
				}
			}
			_, _ = io.Copy(io.Discard, r)
		}()
	}
	wg.Wait()
	err = cmd.Wait()
	select {
	case aerr := <-approved:
		if aerr != nil {
			t.Errorf("%s: approving the device code: %v", name, aerr)
		}
	default:
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return code, texts[0].String(), texts[1].String()
}

// runOK is runClient for a command that must succeed: it returns its stdout.
func runOK(t *testing.T, p *emulatorProcess, env []string, name string, args ...string) string {
	t.Helper()
	code, out, errOut := runClient(t, p, env, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// verifyThroughProxy runs `d365consent verify --format json` for the CE app with the
// binary's default endpoints (no --authority-host, --graph-url or --cloud), signing in
// by device code through the proxy, and returns its report.
func verifyThroughProxy(t *testing.T, p *emulatorProcess) *verifyReport {
	t.Helper()
	app, _, _ := strings.Cut(p.printed["app ce"], " ")
	env, _ := proxyEnv(t, p)
	code, out, errOut := runClient(t, p, env, bin, "verify", "--app", "ce", "--tenant", p.printed["tenant"],
		"--client-id", app, "--device-code", "--no-browser", "--format", "json", "--timeout", "60s")
	var r verifyReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || (code != 0 && code != 3) {
		t.Fatalf("verify through the proxy: exit %d (%v)\nstdout:\n%s\nstderr:\n%s", code, err, out, errOut)
	}
	if r.ServicePrincipal == nil || len(r.Extra) != 0 {
		// The comparisons below read grants and assignments: every one of them must
		// be a required permission's evidence.
		t.Fatalf("verify found no service principal, or grants beyond the required ones:\n%s", out)
	}
	return &r
}

// eachScenarioThroughProxy runs test for the scenarios the clients are compared in
// (consented and partial), each with its own `d365consent emulator --proxy` process,
// verify's report through the proxy, and the CE app's client id.
func eachScenarioThroughProxy(t *testing.T, test func(t *testing.T, p *emulatorProcess, want *verifyReport, app string)) {
	for _, scenario := range []string{"consented", "partial"} {
		t.Run(scenario, func(t *testing.T) {
			p := startEmulatorProcess(t, "--proxy", "--scenario", scenario)
			want := verifyThroughProxy(t, p)
			app, _, _ := strings.Cut(p.printed["app ce"], " ")
			test(t, p, want, app)
		})
	}
}

// TestVerifyThroughProxy: `d365consent verify` with its default endpoints, only
// HTTPS_PROXY and SSL_CERT_FILE set, signs in at login.microsoftonline.com and reads
// graph.microsoft.com of the demo tenant, and reports the scenario's verdict
// (consented: complete, exit 0; partial: incomplete, exit 3).
func TestVerifyThroughProxy(t *testing.T) {
	for _, tc := range []struct{ scenario, status string }{{"consented", "complete"}, {"partial", "incomplete"}} {
		t.Run(tc.scenario, func(t *testing.T) {
			p := startEmulatorProcess(t, "--proxy", "--scenario", tc.scenario)
			if p.printed["authority"] != "https://login.microsoftonline.com/"+p.printed["tenant"] || p.printed["graph"] != "https://graph.microsoft.com" ||
				!strings.HasPrefix(p.printed["proxy"], "http://127.0.0.1:") {
				t.Fatalf("emulator --proxy printed %v", p.printed)
			}
			r := verifyThroughProxy(t, p)
			if r.Status != tc.status || r.Cloud != "global" {
				t.Fatalf("verify through the proxy: status %q, cloud %q; want %q, global", r.Status, r.Cloud, tc.status)
			}
		})
	}
}
