package e2e

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
)

// secretService runs a private D-Bus session with gnome-keyring's Secret Service,
// its login keyring unlocked non-interactively, until the test ends. It returns the
// environment that points a process at it (HOME included: the keyring lives there).
// CI installs both daemons (.ci/run); elsewhere the test is skipped without them.
func secretService(t testing.TB) []string {
	t.Helper()
	for _, tool := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			testkit.MissingTool(t, tool, "the Secret Service for --remember; Debian packages dbus-daemon and gnome-keyring")
		}
	}
	home := t.TempDir()
	// Without XDG_RUNTIME_DIR gnome-keyring-daemon prints its control variables once
	// it serves the bus: the sign that it is ready.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") && !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"), "XDG_DATA_HOME="+filepath.Join(home, ".local", "share"))
	// A session bus that starts no service on demand: with the standard service
	// directories, a call that came before gnome-keyring owned its name would start
	// a second, locked one in its place.
	conf := filepath.Join(home, "session.conf")
	if err := os.WriteFile(conf, []byte(`<busconfig><type>session</type><listen>unix:dir=`+home+`</listen>`+
		`<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`), 0o600); err != nil {
		t.Fatal(err)
	}
	bus := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	bus.Env = env
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = bus.Process.Kill(); _ = bus.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+strings.TrimSpace(addr))
	keyring := exec.Command("gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground")
	keyring.Env = env
	keyring.Stdin = strings.NewReader("e2e-keyring-password")
	kout, err := keyring.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := keyring.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = keyring.Process.Kill(); _ = keyring.Wait() })
	if line, err := bufio.NewReader(kout).ReadString('\n'); err != nil || !strings.Contains(line, "GNOME_KEYRING_CONTROL=") {
		t.Fatalf("gnome-keyring-daemon did not start: %q %v", line, err)
	}
	go func() { _, _ = bufio.NewReader(kout).WriteTo(discard{}) }()
	// The daemon answers on the bus before its login collection exists (an unlock
	// of the default alias then unlocks nothing): wait, bounded, until the binary
	// sees a usable store.
	for deadline := time.Now().Add(10 * time.Second); ; {
		cmd := exec.Command(bin, "status", "--format", "json")
		cmd.Env = env
		out, _ := cmd.Output()
		if strings.Contains(string(out), `"available": true`) {
			return env
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Secret Service never became usable within 10 s:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// rememberVerify runs `verify --remember` against srv with env, entering any device
// code it shows as the tenant's admin.
func rememberVerify(t testing.TB, srv *emulator.Server, ca string, env []string, tenant string) (int, string, string) {
	t.Helper()
	args := []string{"verify", "--remember", "--app", "ce", "--client-id", srv.Catalog().Apps[0].ClientID, "--tenant", tenant,
		"--signin-client-id", srv.SignInClientID(), "--authority-host", srv.AuthorityHost(), "--graph-url", srv.GraphURL(),
		"--device-code", "--no-browser", "--timeout", "30s", "--format", "json"}
	return runWithEnv(t, append(env, "SSL_CERT_FILE="+ca), args, func(ctx context.Context, l string) {
		if m := deviceCodeLine.FindStringSubmatch(l); m != nil {
			go func() { _ = srv.Browser(srv.DemoUser()).OpenDeviceLogin(ctx, strings.TrimRight(m[1], ".")) }()
		}
	})
}

// runWithEnv is runBinary with exactly env (not added to this process's).
func runWithEnv(t testing.TB, env, args []string, onLine func(ctx context.Context, line string)) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(env, "NO_COLOR=1", "TERM=dumb")
	code, stdout, stderr, err := runWatched(cmd, func(line string) { onLine(ctx, line) })
	if err != nil {
		t.Fatal(err)
	}
	return code, stdout, stderr
}

// TestRememberWithSecretService: against the real Secret Service (gnome-keyring on a
// private D-Bus), `verify --remember` twice signs in once; status names the account
// and never a token; logout forces a new sign-in; a refresh token Entra ID revoked
// falls back to a sign-in with the reason said once. No token is in any output or
// in any file under HOME (the encrypted cache and gnome-keyring's own file included).
func TestRememberWithSecretService(t *testing.T) {
	env := secretService(t)
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	var outputs []string
	verify := func(tenant string, signIns int64, prompted bool) string {
		t.Helper()
		code, out, errOut := rememberVerify(t, srv, ca, env, tenant)
		outputs = append(outputs, out, errOut)
		if code != 0 || !strings.Contains(out, `"status": "complete"`) || strings.Contains(errOut, "not remembering") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if got := srv.SignIns(); got != signIns {
			t.Fatalf("%d sign-ins, want %d\nstderr:\n%s", got, signIns, errOut)
		}
		if got := strings.Contains(errOut, "enter the code"); got != prompted {
			t.Fatalf("prompted = %v, want %v\nstderr:\n%s", got, prompted, errOut)
		}
		return errOut
	}
	verify(srv.TenantID(), 1, true)
	if errOut := verify(srv.TenantID(), 1, false); errOut != "" {
		t.Fatalf("the remembered run printed:\n%s", errOut)
	}

	code, out, errOut := runWithEnv(t, env, []string{"status"}, func(context.Context, string) {})
	outputs = append(outputs, out, errOut)
	if code != 0 || !strings.Contains(out, srv.DemoUser()) || !strings.Contains(out, "tenants: "+srv.TenantID()) {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runWithEnv(t, env, []string{"logout"}, func(context.Context, string) {})
	if code != 0 || !strings.Contains(out, "Forgot "+srv.DemoUser()) {
		t.Fatalf("logout: exit %d\n%s%s", code, out, errOut)
	}
	verify(srv.TenantID(), 2, true)

	if err := srv.RevokeSignInSessions(srv.DemoUser()); err != nil {
		t.Fatal(err)
	}
	// A tenant the cache holds no access token for: the revoked refresh token is used.
	errOut = verify(srv.TenantDomain(), 3, true)
	if n := regexp.MustCompile(`remembered sign-in could not be used \(AADSTS50173`).FindAllStringIndex(errOut, -1); len(n) != 1 {
		t.Fatalf("the reason was said %d times:\n%s", len(n), errOut)
	}

	tokens := srv.IssuedTokens()
	if len(tokens) < 6 {
		t.Fatalf("the tenant issued only %d tokens", len(tokens))
	}
	home := strings.TrimPrefix(env[indexOfPrefix(env, "HOME=")], "HOME=")
	files := 0
	_ = filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		data, _ := os.ReadFile(p)
		files++
		outputs = append(outputs, string(data))
		return nil
	})
	if files < 2 { // gnome-keyring's login keyring and the encrypted cache
		t.Fatalf("%d files under HOME", files)
	}
	for _, o := range outputs {
		for _, tok := range tokens {
			if len(tok) >= 40 && strings.Contains(o, tok[len(tok)-40:]) {
				t.Fatalf("a token in an output or a file:\n%.300s", o)
			}
		}
		if strings.Contains(o, "0.demo.") || strings.Contains(o, "eyJ") {
			t.Fatalf("a token-shaped string in an output or a file:\n%.300s", o)
		}
	}
}

// TestRememberWithoutSecretService: with no D-Bus session to reach, --remember
// says once that nothing is remembered and signs in for this run.
func TestRememberWithoutSecretService(t *testing.T) {
	home := t.TempDir()
	env := append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(home, "no-bus"))
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := rememberVerify(t, srv, ca, env, srv.TenantID())
	if code != 0 || srv.SignIns() != 1 {
		t.Fatalf("exit %d, %d sign-ins\n%s%s", code, srv.SignIns(), out, errOut)
	}
	if n := strings.Count(errOut, "not remembering the sign-in: no credential store is reachable"); n != 1 {
		t.Fatalf("said %d times:\n%s", n, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, ".cache", "d365consent")); err == nil {
		t.Fatal("a cache directory was written without a credential store")
	}
}

func indexOfPrefix(env []string, prefix string) int {
	for i := len(env) - 1; i >= 0; i-- {
		if strings.HasPrefix(env[i], prefix) {
			return i
		}
	}
	return -1
}
