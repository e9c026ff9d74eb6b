package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// Security tests of the whole program (SECURITY.md): no token ever reaches an output,
// a report, the debug log or a file; interruption exits 130/143 and leaves nothing
// running.

// tokenServers records every demo tenant the runs it watches start.
type tokenServers struct {
	mu   sync.Mutex
	list []*emulator.Server
}

// watch makes f record the demo tenants it starts.
func (d *tokenServers) watch(f *Factory) {
	start := f.startEmulator
	f.startEmulator = func(opts emulator.Options) (*emulator.Server, error) {
		s, err := start(opts)
		if err == nil {
			d.mu.Lock()
			d.list = append(d.list, s)
			d.mu.Unlock()
		}
		return s, err
	}
}

// tokens returns every token every recorded server issued. Servers are closed by
// then; IssuedTokens still answers.
func (d *tokenServers) tokens() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, s := range d.list {
		out = append(out, s.IssuedTokens()...)
	}
	return out
}

// leakWindow is the length of the token substrings searched for.
const leakWindow = 40

// tokenScanner finds any token, or any leakWindow-long piece of one, in a text.
type tokenScanner struct{ pieces map[string]int }

func newTokenScanner(tokens []string) *tokenScanner {
	s := &tokenScanner{pieces: map[string]int{}}
	for i, tok := range tokens {
		for j := 0; j+leakWindow <= len(tok); j++ {
			s.pieces[tok[j:j+leakWindow]] = i
		}
	}
	return s
}

// find returns the first token piece in data, or "".
func (s *tokenScanner) find(data []byte) string {
	for j := 0; j+leakWindow <= len(data); j++ {
		if _, ok := s.pieces[string(data[j:j+leakWindow])]; ok {
			return string(data[j : j+leakWindow])
		}
	}
	return ""
}

// jwtShape matches anything shaped like a JWT (a JSON header in base64url, then two segments).
var jwtShape = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.`)

// scanTree reports every file under root holding a token piece or a JWT.
func scanTree(t *testing.T, sc *tokenScanner, root string) (files int) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		scanBytes(t, sc, path, data)
		return nil
	})
	if err != nil {
		t.Fatalf("scanning %s: %v", root, err)
	}
	return files
}

func scanBytes(t *testing.T, sc *tokenScanner, what string, data []byte) {
	t.Helper()
	if p := sc.find(data); p != "" {
		t.Errorf("%s holds a piece of an issued token: %q", what, p)
	}
	if m := jwtShape.Find(data); m != nil {
		t.Errorf("%s holds something shaped like a JWT: %q", what, m)
	}
	if bytes.Contains(data, []byte("0.demo.")) {
		t.Errorf("%s holds a demo refresh token prefix", what)
	}
}

// freshHome points HOME, TMPDIR and the working directory at new empty directories
// for the rest of the test, and returns them.
func freshHome(t *testing.T) (home, tmp string) {
	t.Helper()
	home, tmp = t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Chdir(home)
	return home, tmp
}

func TestTokenScannerFindsLeaks(t *testing.T) {
	tok := "eyJhbGciOiJSUzI1NiJ9." + strings.Repeat("abcdefgh", 20) + ".sig-sig-sig-sig-sig"
	sc := newTokenScanner([]string{tok})
	if sc.find([]byte("log: "+tok[30:75]+" end")) == "" {
		t.Fatal("a 45-char piece of a token was not found")
	}
	if sc.find([]byte("log: "+tok[30:65]+" end")) != "" {
		t.Fatal("a 35-char piece should be below the window")
	}
}

// TestTokenHygiene runs the demo end to end — verify in text and JSON with reports, and
// the whole wizard (sign-in, admin consent, report) — with --debug on, HOME and TMPDIR
// fresh, then looks for every token the demo tenant issued in stdout, stderr, the
// reports, the debug log and every file under HOME and TMPDIR.
func TestTokenHygiene(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	servers := &tokenServers{}
	home, tmp := freshHome(t)
	logPath := filepath.Join(home, "debug.log")
	env := []string{"NO_COLOR=1", "TERM=dumb", "HOME=" + home, "TMPDIR=" + tmp}
	var outputs [][2]string // name, text

	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"verify", "--demo", "--scenario", "partial", "--app", "ce", "--report", filepath.Join(home, "check.md"), "--debug", logPath}, 3},
		{[]string{"verify", "--demo", "--scenario", "consented", "--app", "uo", "--format", "json", "--report", filepath.Join(tmp, "check.json"), "--debug", logPath}, 0},
		{[]string{"verify", "--demo", "--device-code", "--app", "ce", "--debug", logPath}, 3}, // fresh: not consented
	} {
		args := tc.args
		code, out, errOut := runFlowsCmdWith(t, servers.watch, env, args...)
		if code != tc.code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, tc.code, out, errOut)
		}
		outputs = append(outputs, [2]string{strings.Join(args, " ") + " stdout", out}, [2]string{strings.Join(args, " ") + " stderr", errOut})
	}

	// The wizard, line by line (accessible), through sign-in, consent and the report.
	out, errOut, code := runAccessibleDemo(t, servers.watch, env, []string{"demo", "--scenario", "fresh", "--no-browser", "--accessible", "--debug", logPath},
		[][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"in the demo browser as the signed-in account", "a"},
			{"open the admin consent page", ""}, {"Open this admin consent page", "a"}, {"Save a report", "y"}})
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "Saved ") {
		t.Fatalf("the wizard saved no report:\n%s", out)
	}
	outputs = append(outputs, [2]string{"demo stdout", out}, [2]string{"demo stderr", errOut})

	tokens := servers.tokens()
	if len(servers.list) != 4 || len(tokens) < 8 {
		t.Fatalf("%d demo tenants issued %d tokens; want 4 tenants and at least 8 tokens", len(servers.list), len(tokens))
	}
	sc := newTokenScanner(tokens)
	for _, o := range outputs {
		scanBytes(t, sc, o[0], []byte(o[1]))
	}
	files := scanTree(t, sc, home) + scanTree(t, sc, tmp)
	if files < 5 { // two reports from verify, two from the wizard, the log
		t.Errorf("only %d files under HOME and TMPDIR; the run wrote fewer than expected", files)
	}

	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(logPath)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("debug log mode %v, want 0600", fi.Mode().Perm())
	}
	for _, want := range []string{`"msg":"sign-in started"`, `"msg":"sign-in finished"`, `"msg":"verification"`,
		`"msg":"consent poll"`, `"msg":"http request"`, `"status":200`, `"duration"`,
		`/oauth2/v2.0/token`, `/v1.0/$batch`, `"msg":"exit"`, `"exitCode":0`} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("debug log lacks %s", want)
		}
	}
	if bytes.Contains(log, []byte("code=")) && !bytes.Contains(log, []byte("code=%5BREDACTED%5D")) {
		t.Errorf("an authorization code in the debug log:\n%s", log)
	}
}

// runAccessibleDemo runs the wizard in-process in accessible mode, on a Factory whose
// streams count as a terminal and that setup adjusts, answering each prompt once it
// is on screen.
func runAccessibleDemo(t *testing.T, setup func(*Factory), env, args []string, steps [][2]string) (stdout, stderr string, code int) {
	t.Helper()
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	in, inW := io.Pipe()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		seen := 0
		for _, st := range steps {
			for {
				text := out.String()
				if i := strings.Index(text[seen:], st[0]); i >= 0 {
					seen += i + len(st[0])
					break
				}
				if ctx.Err() != nil {
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			if _, err := io.WriteString(inW, st[1]+"\n"); err != nil {
				return
			}
		}
	}()
	f := newFactory(in, out, errb, env)
	f.isTerminal = func(any) bool { return true }
	if setup != nil {
		setup(f)
	}
	code = run(ctx, f, args)
	_ = inW.Close()
	<-fed
	return out.String(), errb.String(), code
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestInterruptVerifyInProcess stops `verify --demo` through its context, as main does on
// a signal, during sign-in and during the (throttled, slowed) verification: the exit
// code follows the signal, every port is free and no goroutine is left behind.
func TestInterruptVerifyInProcess(t *testing.T) {
	for _, tc := range []struct {
		phase, after string
		cause        error
		code         int
	}{
		{"sign-in", `"msg":"sign-in started"`, flows.ErrCancelled, 130},
		{"verification", `"msg":"sign-in finished"`, errTerminated, 143},
		{"verification", `"msg":"sign-in finished"`, flows.ErrCancelled, 130},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.phase, tc.code), func(t *testing.T) {
			before := goleak.IgnoreCurrent()
			defer goleak.VerifyNone(t, before)
			logPath := filepath.Join(t.TempDir(), "debug.log")
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			done := make(chan int, 1)
			var out, errb lockedBuffer
			go func() {
				done <- run(ctx, newFactory(strings.NewReader(""), &out, &errb, []string{"NO_COLOR=1", "D365CONSENT_DEMO_LATENCY=200ms"}), []string{"verify", "--demo", "--scenario", "throttled", "--debug", logPath})
			}()
			testkit.WaitFileFor(t, logPath, tc.after)
			cancel(tc.cause)
			stopped := time.Now()
			var code int
			select {
			case code = <-done:
				t.Logf("stopped %v after the interruption", time.Since(stopped).Round(time.Millisecond))
			case <-time.After(shutdownGrace):
				t.Fatal("verify did not stop within the shutdown grace")
			}
			log, _ := os.ReadFile(logPath)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out.String(), errb.String())
			}
			if strings.Contains(string(log), `"ok":true`) {
				t.Fatalf("the verification finished before the interruption: the test proves nothing\n%s", log)
			}
			if strings.Count(errb.String(), "\n") > 1 || strings.Contains(errb.String(), "goroutine") {
				t.Errorf("stderr is not one line: %q", errb.String())
			}
			testkit.CheckPortsFree(t, testkit.PortsIn(string(log)))
		})
	}
}

// TestInterruptWizardConsentInProcess cancels the (accessible) demo wizard while it
// waits for admin consent: exit 130, the consent listener's port and the demo
// tenant's are free, no goroutine left.
func TestInterruptWizardConsentInProcess(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	demos := &tokenServers{}
	out, errb := &lockedBuffer{}, &lockedBuffer{}
	in, inW := io.Pipe()
	f := newFactory(in, out, errb, []string{"NO_COLOR=1"})
	f.isTerminal = func(any) bool { return true }
	demos.watch(f)
	defer inW.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan int, 1)
	go func() {
		// loopback-reply: the apps registered a loopback reply URL, so a consent listener runs.
		done <- run(ctx, f, []string{"demo", "--scenario", "loopback-reply", "--no-browser", "--accessible"})
	}()
	for _, st := range [][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"in the demo browser as the signed-in account", "a"},
		{"open the admin consent page", ""}, {"visible in Microsoft Graph", ""}} {
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(out.String(), st[0]) {
			if time.Now().After(deadline) {
				t.Fatalf("never showed %q:\n%s", st[0], out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if st[0] != "visible in Microsoft Graph" {
			_, _ = io.WriteString(inW, st[1]+"\n")
		}
	}
	cancel(flows.ErrCancelled)
	select {
	case code := <-done:
		if code != 130 {
			t.Fatalf("exit %d, want 130\n%s%s", code, out.String(), errb.String())
		}
	case <-time.After(shutdownGrace):
		t.Fatal("the wizard did not stop within the shutdown grace")
	}
	ports := testkit.PortsIn(out.String())
	if len(ports) < 2 { // the pages (sign-in URL) and the consent listener
		t.Fatalf("want the demo's pages port and the consent listener's in the output, got %v", ports)
	}
	// The authority/Graph port is named in no output (the scopes name Graph by its
	// resource URI): take it from the tenant itself.
	demos.mu.Lock()
	for _, s := range demos.list {
		ports = append(ports, testkit.PortsIn(s.AuthorityHost())...)
	}
	demos.mu.Unlock()
	if len(ports) < 3 {
		t.Fatalf("no demo tenant started: ports %v", ports)
	}
	testkit.CheckPortsFree(t, ports)
}
