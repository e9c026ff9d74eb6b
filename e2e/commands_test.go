package e2e

// Every command we print runs as printed: this test collects every
// d365consent command line the program and its docs print — the help of every
// command, README code blocks, verify's checklists, reports and error messages for
// every demo scenario — and runs each one against the emulator, asserting that none
// exits 2 (bad usage). Commands that sign in against the real cloud are pointed at an
// emulator (--authority-host, --graph-url, SSL_CERT_FILE) and their sign-in page is
// answered by the emulator's scripted browser; wizards run in tmux and are quit.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
)

// printed is a command line and where it was printed.
type printed struct{ line, from string }

// commandRE finds a d365consent command in a line of text: at the start of the line
// (after a shell prompt or environment assignments), or quoted in backticks or
// single quotes.
var (
	lineCmdRE   = regexp.MustCompile(`^(?:\$ )?((?:[A-Z_][A-Z0-9_]*=\S+ )*)(d365consent(?: .*)?)$`)
	quotedCmdRE = regexp.MustCompile("[`'](d365consent(?: [^`']*)?)[`']")
)

// extractCommands returns the command lines in text: comments, pipelines and
// redirections cut off, environment assignments kept in front.
func extractCommands(text, from string) []printed {
	var out []printed
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if m := lineCmdRE.FindStringSubmatch(l); m != nil {
			if c := cutShell(m[2]); c != "" {
				out = append(out, printed{m[1] + c, from})
			}
			continue
		}
		for _, m := range quotedCmdRE.FindAllStringSubmatch(l, -1) {
			if c := cutShell(m[1]); c != "" {
				out = append(out, printed{c, from})
			}
		}
	}
	return out
}

// cutShell drops a trailing comment, pipeline, redirection or closing parenthesis.
func cutShell(c string) string {
	// "d365consent · demo tenant" (a screen's header) is not a command: a command's
	// next word is a subcommand or a flag.
	if f := strings.Fields(c); len(f) > 1 && !strings.ContainsAny(f[1][:1], "abcdefghijklmnopqrstuvwxyz-") {
		return ""
	}
	for _, sep := range []string{" #", " |", " >", " 2>", " &&", ")"} { // " < FILE" stays: runPrinted feeds it
		if i := strings.Index(c, sep); i >= 0 {
			c = c[:i]
		}
	}
	c = strings.TrimSpace(c)
	// A synopsis such as "d365consent demo [--scenario S]" is not a command line. A
	// "…" placeholder is kept: it does not run as printed, and the test says so.
	if strings.ContainsAny(c, "[]") {
		return ""
	}
	return c
}

// readmeCommands are the command lines of README.md's code blocks ("go run ." is the
// binary too).
func readmeCommands(t *testing.T) []printed {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []printed
	in, cont := false, ""
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "```") {
			in = !in
			continue
		}
		if !in {
			continue
		}
		l = strings.TrimSpace(l)
		if strings.HasSuffix(l, "\\") { // a shell line continued on the next
			cont += strings.TrimSuffix(l, "\\")
			continue
		}
		l, cont = strings.Join(strings.Fields(cont+l), " "), ""
		l = strings.Replace(l, "go run . ", "d365consent ", 1)
		out = append(out, extractCommands(l, "README.md")...)
	}
	return out
}

// helpSection is the Examples section of a help text (the usage synopsis and the
// prose are not command lines), plus every quoted command anywhere in it.
func helpSection(help, from string) []printed {
	var ex []string
	in := false
	for _, l := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(l, "Examples:"):
			in = true
		case in && (strings.TrimSpace(l) == "" || !strings.HasPrefix(l, " ")):
			in = false
		case in:
			ex = append(ex, l)
		}
	}
	out := extractCommands(strings.Join(ex, "\n"), from)
	for _, m := range quotedCmdRE.FindAllStringSubmatch(help, -1) {
		if c := cutShell(m[1]); c != "" {
			out = append(out, printed{c, from})
		}
	}
	return out
}

// helpCommands are the command lines in every command's help.
func helpCommands(t *testing.T) []printed {
	root := runOut(t, "--help")
	out := helpSection(root, "d365consent --help")
	var names []string
	inList := false
	for _, l := range strings.Split(root, "\n") {
		switch {
		case strings.HasPrefix(l, "Available Commands:"):
			inList = true
		case inList && strings.TrimSpace(l) == "":
			inList = false
		case inList:
			names = append(names, strings.Fields(l)[0])
		}
	}
	if len(names) < 6 {
		t.Fatalf("found only commands %v in the help", names)
	}
	for _, n := range names {
		out = append(out, helpSection(runOut(t, n, "--help"), "d365consent "+n+" --help")...)
	}
	return out
}

// outputCommands are the command lines verify, consent-url and the error paths print,
// for every scenario and app of the demo tenant.
func outputCommands(t *testing.T) []printed {
	var out []printed
	var mu sync.Mutex
	var wg sync.WaitGroup
	runs := [][]string{
		{"demo"},                                 // not a terminal: the error names the commands to use
		{"verify", "--app", "ce"},                // no client id
		{"consent-url", "--demo", "--app", "uo"}, // the demo-link note, the re-authorize note
		{"verify", "--demo", "--format", "yaml"}, // bad format
	}
	for _, s := range emulator.Scenarios() {
		if s.Name == "hostile" {
			continue // its names carry escape sequences on purpose
		}
		for _, app := range []string{"ce", "uo"} {
			runs = append(runs, []string{"verify", "--demo", "--scenario", s.Name, "--app", app})
		}
	}
	for _, args := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=dumb")
			cmd.Dir = t.TempDir()
			text, _ := cmd.CombinedOutput()
			mu.Lock()
			out = append(out, extractCommands(string(text), "output of d365consent "+strings.Join(args, " "))...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func runOut(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=dumb")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("d365consent %s: %v", strings.Join(args, " "), err)
	}
	return string(out)
}

// TestEveryPrintedCommandRuns is the collector: it must find the commands the issue
// names, and every command it finds must not exit 2.
func TestEveryPrintedCommandRuns(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	all := append(append(helpCommands(t), readmeCommands(t)...), outputCommands(t)...)
	seen := map[string]string{}
	var lines []string
	for _, p := range all {
		if _, ok := seen[p.line]; !ok {
			seen[p.line] = p.from
			lines = append(lines, p.line)
		}
	}
	sort.Strings(lines)
	// The collector must see what the issue listed, or it proves nothing.
	for _, want := range []string{
		"d365consent consent-url --app ce --tenant contoso.onmicrosoft.com --client-id",
		"d365consent demo --scenario reauth", // printed by verify --demo --scenario reauth --app uo
		"SSL_CERT_FILE=$CA_CERT d365consent verify --app ce",
		"d365consent demo --scenario",
		"d365consent permissions --format csv",
		"SSL_CERT_FILE=$CA_CERT d365consent verify --cloud usgov --app ce",
	} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, want)
		}
		if !found {
			t.Errorf("no printed command starts with %q; collected:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	t.Logf("%d distinct command lines", len(lines))
	// A line with --cloud X runs against a tenant of cloud X: its scopes name that
	// cloud's Graph, which a tenant of another cloud refuses (AADSTS500011).
	emus := map[string]*testEmulator{}
	for _, l := range append(lines, "") {
		if c := cloudOf(l); emus[c] == nil {
			emus[c] = startCloudEmulator(t, c)
		}
	}
	sem := make(chan struct{}, 4)
	for _, l := range lines {
		t.Run(strings.ReplaceAll(l, "/", "÷"), func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			code, out := runPrinted(t, emus[cloudOf(l)], l)
			if code == 2 {
				t.Errorf("%q (printed by %s) exits 2:\n%s", l, seen[l], out)
			} else {
				t.Logf("exit %d", code)
			}
		})
	}
}

// testEmulator is an emulator the real-cloud commands are pointed at.
type testEmulator struct {
	srv      *emulator.Server
	vars     map[string]string // the README recipe's shell variables
	ca       string
	fixtures map[string][]byte // the files the examples name, as a user has them
}

func startEmulator(t *testing.T) *testEmulator { return startCloudEmulator(t, "global") }

// cloudOf is the cloud a command line's --cloud names ("global" without one, or
// with a value that names no cloud: that line's own error is the test).
func cloudOf(line string) string {
	f := strings.Fields(line)
	for i, a := range f {
		v, ok := strings.CutPrefix(a, "--cloud=")
		if !ok && a == "--cloud" && i+1 < len(f) {
			v, ok = f[i+1], true
		}
		if ok && indexOf(emulator.Clouds(), v) >= 0 {
			return v
		}
	}
	return "global"
}

// startCloudEmulator is startEmulator for a tenant of the named cloud.
func startCloudEmulator(t *testing.T, cloud string) *testEmulator {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: "partial", Cloud: cloud})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"CA_CERT": ca, "TENANT": srv.TenantID(), "SIGNIN_CLIENT": srv.SignInClientID(),
		"AUTHORITY_HOST": srv.AuthorityHost(), "GRAPH": srv.GraphURL(),
	}
	for _, a := range srv.Catalog().Apps {
		vars["APP_"+strings.ToUpper(a.Key)] = a.ClientID
	}
	vars["SECRET"] = "not-a-real-secret"
	return &testEmulator{srv: srv, vars: vars, ca: ca, fixtures: exampleFiles(t)}
}

// exampleFiles are the files the examples name: a monitoring app's certificate (PEM
// with its key), a baseline from an earlier verify --format json, a federated token.
func exampleFiles(t *testing.T) map[string][]byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "monitor"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pemData := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})...)
	cmd := exec.Command(bin, "verify", "--demo", "--scenario", "partial", "--app", "ce", "--format", "json")
	baseline, _ := cmd.Output() // exit 3: partial
	baseline = bytes.ReplaceAll(baseline, []byte(`"clientId": "`), []byte(`"clientId": "11111111-2222-3333-4444-555555555555", "x": "`))
	return map[string][]byte{
		"monitor.pem":          pemData,
		"baseline.json":        baseline,
		"azure-identity-token": []byte("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0."),
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// wizardLine reports whether line starts the wizard (no subcommand, or demo) rather
// than a command that prints and exits.
func wizardLine(args []string) bool {
	for _, a := range args {
		if a == "--help" || a == "-h" || a == "--version" {
			return false
		}
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a == "demo"
		}
	}
	return true
}

// runPrinted runs one printed command line and returns its exit status and output.
func runPrinted(t *testing.T, emu *testEmulator, line string) (int, string) {
	t.Helper()
	fields := strings.Fields(os.Expand(line, func(k string) string { return emu.vars[k] }))
	var env []string
	for len(fields) > 0 && strings.Contains(fields[0], "=") && fields[0] != "d365consent" {
		env = append(env, fields[0])
		fields = fields[1:]
	}
	dir := t.TempDir()
	// The files the examples name, as a user would have them: a catalog, a tenant list.
	if data, err := os.ReadFile("../permissions/catalog.json"); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "my-catalog.json"), data, 0o600)
	}
	// A demo line runs as a newcomer has it: no customers.txt (the demo fleet stands in).
	if !contains(fields, "--demo") {
		_ = os.WriteFile(filepath.Join(dir, "customers.txt"), []byte("# customer tenants\n"+emu.srv.TenantID()+"\ncontoso.onmicrosoft.com\n"), 0o600)
	}
	for name, data := range emu.fixtures {
		_ = os.WriteFile(filepath.Join(dir, name), data, 0o600)
	}
	var stdin []byte
	if i := indexOf(fields, "<"); i >= 0 && i+1 < len(fields) { // "--tenants - < customers.txt"
		stdin, _ = os.ReadFile(filepath.Join(dir, fields[i+1]))
		fields = append(fields[:i], fields[i+2:]...)
	}
	args := fields[1:]
	if wizardLine(args) {
		return runWizardLine(t, dir, env, args)
	}
	// verify signs in and doctor probes the cloud: both go to the emulator, never
	// to the internet.
	signsIn := (contains(args, "verify") || contains(args, "doctor")) && !contains(args, "--demo") && !contains(args, "--help")
	if signsIn && !contains(args, "--authority-host") {
		args = append(args, "--authority-host", emu.srv.AuthorityHost(), "--graph-url", emu.srv.GraphURL(), "--no-browser")
		env = append(env, "SSL_CERT_FILE="+emu.ca)
	}
	if signsIn && !contains(args, "--timeout") {
		args = append(args, "--timeout", "30s")
	}
	code, stdout, stderr := runBinary(t, dir, env, stdin, args, func(ctx context.Context, cmd *exec.Cmd, l string) {
		// Answer a sign-in page or device code as the emulator's demo user.
		b := emu.srv.Browser(emu.srv.DemoUser())
		if u := authorizeURL.FindString(l); u != "" {
			go func() { _ = b.Open(ctx, u) }()
		}
		if m := deviceCodeLine.FindStringSubmatch(l); m != nil {
			go func() { _ = b.OpenDeviceLogin(ctx, strings.TrimRight(m[1], ".")) }()
		}
		if strings.Contains(l, "Running until Ctrl+C") { // the emulator command
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
	})
	return code, stdout + stderr
}

var (
	authorizeURL   = regexp.MustCompile(`https?://127\.0\.0\.1:\d+/\S*authorize\S*`)
	deviceCodeLine = regexp.MustCompile(`enter the code (\S+)`)
)

// runBinary runs the binary in dir with args (env added to the environment, stdin
// fed, 45 s at most), hands each stderr line to onLine as it comes (to answer a
// sign-in prompt), and returns the exit status, stdout and stderr.
func runBinary(t *testing.T, dir string, env []string, stdin []byte, args []string, onLine func(ctx context.Context, cmd *exec.Cmd, line string)) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NO_COLOR=1", "TERM=dumb"), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	code, stdout, stderr, err := runWatched(cmd, func(line string) { onLine(ctx, cmd, line) })
	if err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return code, stdout, stderr
}

// runWatched runs cmd, handing each line of its stderr to onLine as it comes (to
// approve a device code, say), and returns its exit code, stdout and stderr; err is
// set only when cmd could not run at all.
func runWatched(cmd *exec.Cmd, onLine func(line string)) (code int, stdout, stderr string, err error) {
	var out bytes.Buffer
	cmd.Stdout = &out
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return -1, "", "", err
	}
	if err := cmd.Start(); err != nil {
		return -1, "", "", err
	}
	var errText strings.Builder
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		errText.WriteString(sc.Text() + "\n")
		if onLine != nil {
			onLine(sc.Text())
		}
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errText.String(), nil
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errText.String(), nil
	}
	return -1, out.String(), errText.String(), err
}

// runWizardLine runs a wizard command line in tmux, waits for its first screen, quits
// and returns its exit status.
func runWizardLine(t *testing.T, dir string, env, args []string) (int, string) {
	t.Helper()
	cmdline := "cd " + dir + " && env " + strings.Join(env, " ") + " " + bin + " " + strings.Join(args, " ")
	tt := startTmuxCmd(t, cmdline)
	s := ""
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		s = tt.screen()
		if strings.Contains(s, "Which app") || strings.Contains(s, "Review permissions") || strings.Contains(s, "EXIT=") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the wizard never showed its first screen:\n%s", s)
		}
	}
	switch {
	case strings.Contains(s, "EXIT="):
	case strings.Contains(s, "q quits"): // line mode: Ctrl+C would stop the pane's shell too
		tt.keys("q", "Enter")
	default:
		tt.keys("C-c")
		if strings.Contains(tt.screen(), "Quit anyway?") {
			tt.keys("y")
		}
	}
	s = tt.waitFor("EXIT=")
	var code int
	_, _ = fmt.Sscanf(s[strings.Index(s, "EXIT=")+5:], "%d", &code)
	return code, s
}

func contains(args []string, s string) bool {
	for _, a := range args {
		if a == s {
			return true
		}
	}
	return false
}

// TestVerifyCustomEndpointsNotGlobal: verify against --authority-host/--graph-url
// (here the emulator, signed in through its browser) never says "cloud global".
func TestVerifyCustomEndpointsNotGlobal(t *testing.T) {
	emu := startEmulator(t)
	for _, format := range []string{"text", "json"} {
		code, out := runPrinted(t, emu, "SSL_CERT_FILE=$CA_CERT d365consent verify --app ce --tenant $TENANT --client-id $APP_CE "+
			"--signin-client-id $SIGNIN_CLIENT --authority-host $AUTHORITY_HOST --graph-url $GRAPH --no-browser --format "+format)
		if code != 3 { // the emulator runs "partial"
			t.Fatalf("%s: exit %d\n%s", format, code, out)
		}
		if strings.Contains(out, "cloud global") || strings.Contains(out, `"cloud": "global"`) ||
			!(strings.Contains(out, "custom endpoints") || strings.Contains(out, `"cloud": "custom"`)) {
			t.Errorf("%s: says the wrong cloud:\n%s", format, out)
		}
	}
}

// emulatorProcess is `d365consent emulator` running as its own process, known by
// what it printed.
type emulatorProcess struct {
	printed map[string]string // the first value of each "key: value" line it printed
	admin   string            // a listed user who is Global Administrator
}

// startEmulatorProcess runs `d365consent emulator ARGS` until the test ends (then
// Ctrl+C) and reads its endpoint list.
func startEmulatorProcess(t *testing.T, args ...string) *emulatorProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"emulator"}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=dumb")
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); pw.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	p := &emulatorProcess{printed: map[string]string{}}
	sc := bufio.NewScanner(pr)
	for p.admin == "" && sc.Scan() { // the users come last
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if _, seen := p.printed[k]; ok && !seen {
			p.printed[k] = v
		}
		if k == "user" && strings.Contains(v, "(Global Administrator") {
			p.admin = strings.Fields(v)[0]
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if p.admin == "" {
		t.Fatalf("the emulator listed no Global Administrator: %v", p.printed)
	}
	return p
}

// verify runs `d365consent verify ARGS` against the emulator process as its README
// recipe says (SSL_CERT_FILE, --authority-host, --graph-url), signing in with a
// device code entered by its Global Administrator.
func (p *emulatorProcess) verify(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	authority, _, _ := strings.Cut(strings.TrimPrefix(p.printed["authority"], "https://"), "/")
	app, _, _ := strings.Cut(p.printed["app ce"], " ")
	args = append(append([]string{"verify"}, args...), "--app", "ce", "--tenant", p.printed["tenant"], "--client-id", app,
		"--signin-client-id", p.printed["signin-client"], "--authority-host", "https://"+authority, "--graph-url", p.printed["graph"],
		"--device-code", "--no-browser", "--timeout", "30s")
	return runBinary(t, "", []string{"SSL_CERT_FILE=" + p.printed["ca-cert"]}, nil, args, func(ctx context.Context, _ *exec.Cmd, l string) {
		if m := deviceCodeLine.FindStringSubmatch(l); m != nil {
			// The admin enters the code on the emulator's device login page; verify's
			// own exit is the test.
			go func() {
				_ = emulator.BrowserAt(p.printed["pages"], p.admin).OpenDeviceLogin(ctx, strings.TrimRight(m[1], "."))
			}()
		}
	})
}

// TestVerifyAgainstNationalCloudEmulator: `d365consent emulator --cloud usgov` (or
// china) and `d365consent verify --cloud usgov --authority-host … --graph-url …`, two
// processes as a user runs them: the tenant of that cloud accepts the product's scopes
// (they name its Graph, whatever --graph-url says) and the verdict is the tenant's;
// the same command with the global cloud's scopes is refused as Entra ID refuses a
// resource it does not know (AADSTS500011, exit 4).
func TestVerifyAgainstNationalCloudEmulator(t *testing.T) {
	for _, cloud := range []string{"usgov", "china"} {
		t.Run(cloud, func(t *testing.T) {
			p := startEmulatorProcess(t, "--cloud", cloud, "--scenario", "consented")
			code, out, errOut := p.verify(t, "--cloud", cloud, "--format", "json")
			if code != 0 || !strings.Contains(out, `"status": "complete"`) {
				t.Fatalf("exit %d, want 0 and complete\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if cloud != "usgov" {
				return
			}
			code, out, errOut = p.verify(t) // --cloud global: https://graph.microsoft.com/User.Read
			if code != 4 || !strings.Contains(errOut, "AADSTS500011") || out != "" {
				t.Fatalf("global scopes at a usgov tenant: exit %d, want 4 and AADSTS500011\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
		})
	}
}
