package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/testkit"
)

// rememberRig is one emulated tenant and one machine's credential store (in
// memory) and cache directory, shared by several in-process runs.
type rememberRig struct {
	srv     *emulator.Server
	secrets *credstore.Memory
	dir     string
}

func newRememberRig(t *testing.T, scenario string) *rememberRig {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: scenario, Catalog: testkit.Catalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &rememberRig{srv: srv, secrets: &credstore.Memory{}, dir: t.TempDir()}
}

// deviceCodeAnswer is a stderr that enters each device code it shows on the
// emulator's device login page as the demo admin.
type deviceCodeAnswer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	srv *emulator.Server
	wg  sync.WaitGroup
}

var deviceCodeRE = regexp.MustCompile(`enter the code (\S+)`)

func (d *deviceCodeAnswer) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, m := range deviceCodeRE.FindAllSubmatch(p, -1) {
		code := strings.TrimRight(string(m[1]), ".")
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			_ = d.srv.Browser(d.srv.DemoUser()).OpenDeviceLogin(context.Background(), code)
		}()
	}
	return d.buf.Write(p)
}

func (d *deviceCodeAnswer) String() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.String()
}

// run runs d365consent ARGS in-process against the rig's tenant.
func (r *rememberRig) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out bytes.Buffer
	errb := &deviceCodeAnswer{srv: r.srv}
	f := newFactory(strings.NewReader(""), &out, errb, []string{"NO_COLOR=1", "TERM=dumb"})
	f.secrets = r.secrets
	f.cacheDir = func() (string, error) { return r.dir, nil }
	f.httpClient = func() *http.Client { return r.srv.HTTPClient() }
	if len(args) > 0 && args[0] == "verify" {
		args = append(args[:len(args):len(args)], "--app", "ce", "--client-id", r.srv.Catalog().Apps[0].ClientID,
			"--signin-client-id", r.srv.SignInClientID(), "--authority-host", r.srv.AuthorityHost(), "--graph-url", r.srv.GraphURL(),
			"--device-code", "--no-browser", "--catalog", "", "--timeout", "30s")
	}
	code := run(context.Background(), f, args)
	errb.wg.Wait()
	return code, out.String(), errb.String()
}

// TestRememberSignsInOnce: verify --remember twice signs in once (the second run is
// silent, no prompt); logout forces a new sign-in; a refresh token Entra ID revoked
// falls back to a sign-in that says why, once.
func TestRememberSignsInOnce(t *testing.T) {
	r := newRememberRig(t, "consented")
	verify := func(want int64, wantPrompt bool) string {
		t.Helper()
		code, out, errOut := r.run(t, "verify", "--remember", "--tenant", r.srv.TenantID(), "--format", "json")
		if code != 0 || !strings.Contains(out, `"status": "complete"`) {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if got := r.srv.SignIns(); got != want {
			t.Fatalf("%d sign-ins after this run, want %d\nstderr:\n%s", got, want, errOut)
		}
		if prompted := strings.Contains(errOut, "enter the code"); prompted != wantPrompt {
			t.Fatalf("sign-in prompt shown = %v, want %v\nstderr:\n%s", prompted, wantPrompt, errOut)
		}
		return errOut
	}
	verify(1, true)
	errOut := verify(1, false)
	if errOut != "" {
		t.Fatalf("a remembered run printed on stderr:\n%s", errOut)
	}

	code, out, errOut := r.run(t, "logout")
	if code != 0 || !strings.Contains(out, "Forgot "+r.srv.DemoUser()) {
		t.Fatalf("logout: exit %d\n%s%s", code, out, errOut)
	}
	verify(2, true)
	verify(2, false)

	if err := r.srv.RevokeSignInSessions(r.srv.DemoUser()); err != nil {
		t.Fatal(err)
	}
	// The access token is still valid for an hour: only a refresh meets the
	// revocation, so ask for a tenant the cache has no token for yet.
	code, out, errOut = r.run(t, "verify", "--remember", "--tenant", r.srv.TenantDomain(), "--format", "json")
	if code != 0 || r.srv.SignIns() != 3 {
		t.Fatalf("after revocation: exit %d, %d sign-ins (want 3)\n%s%s", code, r.srv.SignIns(), out, errOut)
	}
	if n := strings.Count(errOut, "Your remembered sign-in could not be used (AADSTS50173"); n != 1 {
		t.Fatalf("the revoked sign-in's reason was said %d times, want once:\n%s", n, errOut)
	}
}

// TestRememberWithoutCredentialStore: with no credential store reachable, verify
// --remember says so once, signs in for this run only and writes no file.
func TestRememberWithoutCredentialStore(t *testing.T) {
	r := newRememberRig(t, "consented")
	r.secrets.Err = errors.New("dbus: no session bus")
	for i := 1; i <= 2; i++ {
		code, out, errOut := r.run(t, "verify", "--remember", "--tenant", r.srv.TenantID(), "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if n := strings.Count(errOut, "not remembering the sign-in: no credential store is reachable (dbus: no session bus)"); n != 1 {
			t.Fatalf("the missing store was said %d times:\n%s", n, errOut)
		}
		if r.srv.SignIns() != int64(i) {
			t.Fatalf("run %d: %d sign-ins", i, r.srv.SignIns())
		}
	}
	if ents, _ := os.ReadDir(r.dir); len(ents) != 0 {
		t.Fatalf("files written without a credential store: %v", ents)
	}
}

// TestStatusAndLogout: status names the remembered account, its cloud, client,
// tenants and dates without any token; logout --all removes the files and the key.
func TestStatusAndLogout(t *testing.T) {
	r := newRememberRig(t, "consented")
	if code, out, errOut := r.run(t, "status"); code != 0 || !strings.Contains(out, "No sign-in is remembered.") {
		t.Fatalf("status before: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := r.run(t, "verify", "--remember", "--tenant", r.srv.TenantID()); code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := r.run(t, "status", "--format", "json")
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	var doc statusDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Remembered) != 1 {
		t.Fatalf("status: %s", out)
	}
	got := doc.Remembered[0]
	if got.Account != r.srv.DemoUser() || got.Cloud != "global" || got.AuthorityHost != r.srv.AuthorityHost() ||
		got.SignInClientID != r.srv.SignInClientID() || len(got.Tenants) != 1 || got.Tenants[0] != r.srv.TenantID() ||
		got.Since.IsZero() || got.LastUsed.Before(got.Since) {
		t.Fatalf("status: %+v", got)
	}
	if code, out, _ := r.run(t, "status"); code != 0 || !strings.Contains(out, "  "+r.srv.DemoUser()+"\n") || !strings.Contains(out, "tenants: "+r.srv.TenantID()) {
		t.Fatalf("status text:\n%s", out)
	}

	// No token anywhere: outputs, the cache directory, the credential store's item.
	sc := newTokenScanner(r.srv.IssuedTokens())
	scanBytes(t, sc, "status", []byte(out))
	if files := scanTree(t, sc, r.dir); files != 1 {
		t.Fatalf("%d files in the cache directory, want 1", files)
	}
	for _, item := range r.secrets.Items() {
		scanBytes(t, sc, "credential store item", []byte(item))
		if len(item) > 100 {
			t.Fatalf("credential store item of %d bytes: more than a key", len(item))
		}
	}

	if code, out, errOut := r.run(t, "logout", "--all"); code != 0 || !strings.Contains(out, "Forgot every remembered sign-in (1 account)") {
		t.Fatalf("logout --all: exit %d\n%s%s", code, out, errOut)
	}
	if len(r.secrets.Items()) != 0 {
		t.Fatal("the key is still in the credential store")
	}
	if matches, _ := filepath.Glob(filepath.Join(r.dir, "d365consent", "signin-*")); len(matches) != 0 {
		t.Fatalf("cache files left: %v", matches)
	}
	if code, _, errOut := r.run(t, "logout", "nobody@example.com"); code != 0 {
		t.Fatalf("logout with nothing remembered: exit %d %s", code, errOut)
	}
}
func (r *rememberRig) openStore() (*credstore.Store, error) {
	return credstore.Open(context.Background(), r.secrets, filepath.Join(r.dir, "d365consent"), nil)
}

// TestRememberedHomeTenantAndConsentURL: without --tenant (the organizations
// authority) the remembered sign-in is silent too, and consent-url --remember
// without --tenant links the tenant that sign-in used, with no sign-in.
func TestRememberedHomeTenantAndConsentURL(t *testing.T) {
	r := newRememberRig(t, "consented")
	for run := 1; run <= 2; run++ {
		if code, out, errOut := r.run(t, "verify", "--remember", "--format", "json"); code != 0 || r.srv.SignIns() != 1 {
			t.Fatalf("run %d: exit %d, %d sign-ins\n%s%s", run, code, r.srv.SignIns(), out, errOut)
		}
	}
	tokenRequests := r.srv.TokenRequests()
	code, out, errOut := r.run(t, "consent-url", "--remember", "--app", "ce", "--client-id", r.srv.Catalog().Apps[0].ClientID,
		"--authority-host", r.srv.AuthorityHost(), "--signin-client-id", r.srv.SignInClientID())
	if code != 0 || !strings.HasPrefix(out, r.srv.AuthorityHost()+"/"+r.srv.TenantID()+"/adminconsent?") || r.srv.TokenRequests() != tokenRequests {
		t.Fatalf("consent-url: exit %d\n%s%s", code, out, errOut)
	}
	// Nothing remembered: --tenant is still required.
	r.secrets = &credstore.Memory{}
	if code, _, errOut := r.run(t, "consent-url", "--remember", "--app", "ce", "--client-id", r.srv.Catalog().Apps[0].ClientID,
		"--authority-host", r.srv.AuthorityHost(), "--signin-client-id", r.srv.SignInClientID()); code != 2 || !strings.Contains(errOut, "--tenant is required") {
		t.Fatalf("consent-url with nothing remembered: exit %d %s", code, errOut)
	}
}

// TestRememberWithDemoIsUsage: the demo tenant needs no sign-in to keep.
func TestRememberWithDemoIsUsage(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--remember")
	if code != 2 || out != "" || !strings.Contains(errOut, "--remember keeps a real sign-in: the demo tenant needs none") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// deviceCodeTee passes the wizard's output through, entering each device code it
// shows on the emulator's device login page as the demo admin.
type deviceCodeTee struct {
	w io.Writer
	r *rememberRig
}

func (c deviceCodeTee) Write(p []byte) (int, error) {
	if m := deviceCodeRE.FindSubmatch(p); m != nil {
		code := strings.TrimRight(string(m[1]), ".:")
		go func() { _ = c.r.srv.Browser(c.r.srv.DemoUser()).OpenDeviceLogin(context.Background(), code) }()
	}
	return c.w.Write(p)
}

// TestWizardRemembers: the wizard (line mode) with --remember signs in once; the
// next wizard goes from "Press Enter to sign in" straight to the verdict.
func TestWizardRemembers(t *testing.T) {
	r := newRememberRig(t, "consented")
	setup := func(f *Factory) {
		f.secrets = r.secrets
		f.cacheDir = func() (string, error) { return r.dir, nil }
		f.httpClient = func() *http.Client { return r.srv.HTTPClient() }
		f.stdout = deviceCodeTee{f.stdout, r}
	}
	args := []string{"--accessible", "--remember", "--client-id", r.srv.Catalog().Apps[0].ClientID, "--signin-client-id", r.srv.SignInClientID(),
		"--authority-host", r.srv.AuthorityHost(), "--graph-url", r.srv.GraphURL(), "--device-code", "--no-browser", "--timeout", "30s"}
	steps := [][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"Save a report", ""}}
	for run := 1; run <= 2; run++ {
		out, errOut, code := runAccessibleDemo(t, setup, []string{"NO_COLOR=1", "TERM=dumb"}, args, steps)
		if code != 0 || !strings.Contains(out, "All 3 permissions are granted.") || r.srv.SignIns() != 1 {
			t.Fatalf("run %d: exit %d, %d sign-ins\n%s%s", run, code, r.srv.SignIns(), out, errOut)
		}
		if prompted := strings.Contains(out, "enter the code"); prompted != (run == 1) {
			t.Fatalf("run %d: device code shown = %v\n%s", run, prompted, out)
		}
	}
}
