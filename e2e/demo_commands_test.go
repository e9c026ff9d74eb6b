package e2e

// The demo shows what production does: every command it prints runs as printed and
// either shows what the demo showed or says plainly that it starts a fresh demo
// tenant; the demo fleet runs from the README in an empty directory; demo follows
// --signin-client-id and --cloud; and a standalone emulator's printed commands and
// consent link work. Each test runs the printed lines through a shell, with the binary
// on PATH as d365consent.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
)

// freshTenantNote is what a printed demo command is followed by when it starts the
// scenario's demo tenant afresh (wizard.Target.CommandNote).
const freshTenantNote = "starts a fresh demo tenant"

// binOnPath is a directory holding the binary as d365consent, for PATH: printed
// command lines then run as printed.
func binOnPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Symlink(bin, filepath.Join(dir, "d365consent")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shellLine is a shell command line that runs line in dir with pathDir first on PATH.
func shellLine(pathDir, dir, line string) string {
	return fmt.Sprintf("export PATH=%s:$PATH; cd %s && %s", pathDir, dir, line)
}

// runShell runs a printed command line through sh in dir, with the binary on PATH and
// output that is not a terminal, answering a device code or a sign-in page as user of
// the emulator whose pages are at pages ("" for none); it returns the exit status and the output.
func runShell(t *testing.T, pathDir, dir, line, pages, user string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+pathDir+":"+os.Getenv("PATH"), "NO_COLOR=1", "TERM=dumb")
	code, stdout, stderr, err := runWatched(cmd, func(l string) {
		if pages == "" {
			return
		}
		if m := deviceCodeLine.FindStringSubmatch(l); m != nil {
			go func() { _ = emulator.BrowserAt(pages, user).OpenDeviceLogin(ctx, strings.TrimRight(m[1], ".")) }()
		}
		if u := authorizeURL.FindString(l); u != "" {
			go func() { _ = emulator.BrowserAt(pages, user).Open(ctx, u) }()
		}
	})
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return code, stdout + stderr
}

// printedWithNote is a command line found in text, and whether the lines right after it
// say that it starts a fresh demo tenant.
type printedWithNote struct {
	line  string
	noted bool
}

// commandsIn finds the d365consent command lines of a screen or output, each with
// whether the text that follows it (a note the terminal may have wrapped) says that it
// starts a fresh demo tenant.
func commandsIn(text string) []printedWithNote {
	lines := strings.Split(text, "\n")
	var out []printedWithNote
	for i, l := range lines {
		for _, p := range extractCommands(l, "") {
			after := strings.Join(lines[i+1:min(i+4, len(lines))], " ")
			after = strings.Join(strings.Fields(after), " ")
			out = append(out, printedWithNote{line: p.line, noted: strings.Contains(after, freshTenantNote)})
		}
	}
	return out
}

// TestDemoPrintedCommandsShowWhatTheDemoShowed walks `demo --scenario fresh` to "All 3
// permissions are granted", collecting every command the demo prints on the way (the
// quit prompt's check command) and after it (the summary, the normal screen after
// exit). Each one, run as printed, shows what the demo showed (all granted), or the
// demo said right after it that it starts a fresh demo tenant. The commands that
// these print in turn may send the admin to the demo wizard only with that same note:
// a verify that sends you to the demo, whose verify sends you to the demo, is a loop.
func TestDemoPrintedCommandsShowWhatTheDemoShowed(t *testing.T) {
	pathDir, dir := binOnPath(t), t.TempDir()
	granted := allGranted("ce")
	tt := tmuxSize(t, 100, 40, shellLine(pathDir, dir, "d365consent demo --scenario fresh --no-browser"))
	signInToState(tt)
	stateToConsent(tt)
	tt.waitFor("visible in Microsoft Graph")
	tt.keys("C-c")
	screens := []string{tt.waitFor("Quit anyway?")}
	tt.keys("n")
	tt.waitFor("visible in Microsoft Graph")
	tt.keys("a")
	screens = append(screens, tt.waitFor("Summary", granted))
	tt.keys("Enter")
	tt.exited(0)
	screens = append(screens, tt.joinedScreen())

	var printed []printedWithNote
	for _, s := range screens {
		printed = append(printed, commandsIn(s)...)
	}
	if len(printed) == 0 {
		t.Fatalf("the demo printed no command to check; screens:\n%s", strings.Join(screens, "\n----\n"))
	}
	for _, p := range printed {
		if strings.HasPrefix(p.line, "d365consent demo") {
			if !p.noted {
				t.Errorf("the demo printed %q without saying that it starts a fresh demo tenant", p.line)
			}
			continue
		}
		code, out := runShell(t, pathDir, dir, p.line, "", "")
		if !p.noted && (code != 0 || !strings.Contains(out, granted)) {
			t.Errorf("the demo printed %q without a note; run, it does not show what the demo showed (%q): exit %d\n%s", p.line, granted, code, out)
		}
		if code == 2 {
			t.Errorf("%q exits 2:\n%s", p.line, out)
		}
		for _, next := range commandsIn(out) {
			if strings.HasPrefix(next.line, "d365consent demo") && !next.noted {
				t.Errorf("%q (printed by the demo) sends the admin back to the demo with %q without saying it starts a fresh demo tenant:\n%s", p.line, next.line, out)
			}
			if strings.HasPrefix(next.line, "d365consent verify --demo") && !next.noted {
				c, o := runShell(t, pathDir, dir, next.line, "", "")
				if c != 0 || !strings.Contains(o, granted) {
					t.Errorf("%q (printed by %q) does not show what the demo showed (exit %d): a loop back to the demo\n%s", next.line, p.line, c, o)
				}
			}
		}
	}
}

// TestDemoFleetRunsFromTheReadme: the README's `verify --demo --tenants customers.txt`
// line, run as printed in an empty directory (a newcomer has no customers.txt), checks
// the demo partner fleet; the command its stderr prints writes the list, and the
// README line then checks the same fleet from the file.
func TestDemoFleetRunsFromTheReadme(t *testing.T) {
	var line string
	for _, p := range readmeCommands(t) {
		if strings.HasPrefix(p.line, "d365consent verify --demo --tenants customers.txt") {
			line = p.line
		}
	}
	if line == "" {
		t.Fatal("the README prints no `d365consent verify --demo --tenants customers.txt` line")
	}
	pathDir, dir := binOnPath(t), t.TempDir()
	tt := tmuxSize(t, 120, 40, shellLine(pathDir, dir, line))
	if s := tt.waitFor("EXIT=", sttyEnd); !strings.Contains(s, "EXIT=4") { // the fleet's worst row: no access
		t.Fatalf("the README line %q does not check the demo fleet:\n%s", line, s)
	}
	tt.exited(4)
	s := tt.joinedScreen()
	fleet := regexp.MustCompile(`(?m)^(\S+\.onmicrosoft\.com)\s`).FindAllStringSubmatch(s, -1)
	if len(fleet) != 7 || !strings.Contains(s, "7 of 7 tenants") {
		t.Fatalf("the README line did not show the demo fleet's seven tenants:\n%s", s)
	}
	var hint string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "printf ") && strings.HasSuffix(l, "> customers.txt") {
			hint = l
		}
	}
	if hint == "" {
		t.Fatalf("stderr printed no command that writes customers.txt:\n%s", s)
	}
	if code, out := runShell(t, pathDir, dir, hint, "", ""); code != 0 {
		t.Fatalf("the printed %q exits %d:\n%s", hint, code, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "customers.txt"))
	for _, m := range fleet {
		if !strings.Contains(string(data), m[1]+"\n") {
			t.Errorf("customers.txt lacks %s:\n%s", m[1], data)
		}
	}
	code, out := runShell(t, pathDir, dir, line, "", "")
	if code != 4 || !strings.Contains(out, "7 of 7 tenants") || strings.Contains(out, "does not exist") {
		t.Errorf("the README line with the written list: exit %d, want the same fleet from the file:\n%s", code, out)
	}
}

// TestDemoFollowsSigninClientAndCloud: demo follows --signin-client-id (the sign-in URL
// names it, and in signin-app-blocked it is the very fix the error screen recommends:
// the demo then signs in and grants) and --cloud (the scopes name that cloud's Graph,
// and the commands it prints carry the flag).
func TestDemoFollowsSigninClientAndCloud(t *testing.T) {
	const ownClient = "22222222-3333-4444-5555-666666666666"
	t.Run("signin-app-blocked's recommended --signin-client-id works", func(t *testing.T) {
		pathDir, dir := binOnPath(t), t.TempDir()
		urls := filepath.Join(dir, "urls")
		tt := tmuxSize(t, 100, 40, shellLine(pathDir, dir, desktopEnv(t)+"d365consent demo --scenario signin-app-blocked --no-browser --url-file "+urls))
		tt.waitFor("Which app")
		tt.keys("Enter", "Enter")
		tt.waitFor("approve in the demo browser")
		tt.keys("a")
		s := tt.waitFor("Something went wrong", "AADSTS7000112")
		if !strings.Contains(strings.Join(strings.Fields(s), " "), "--signin-client-id <its Application (client) ID>") {
			t.Fatalf("the error screen does not recommend --signin-client-id:\n%s", s)
		}
		tt.keys("q")
		tt.exited(4)

		tt = tmuxSize(t, 100, 40, shellLine(pathDir, dir, desktopEnv(t)+"d365consent demo --scenario signin-app-blocked --no-browser --signin-client-id "+ownClient+" --url-file "+urls+"2"))
		tt.waitFor("Which app")
		tt.keys("Enter", "Enter")
		tt.waitFor("approve in the demo browser")
		if u := waitURL(t, urls+"2", "signin"); !strings.Contains(u, "client_id="+ownClient) {
			t.Fatalf("the sign-in does not use --signin-client-id: %s", u)
		}
		tt.keys("a")
		for s := ""; !strings.Contains(s, "Enter opens the admin consent page"); {
			s = tt.waitFor("approve in the demo browser", "Current state")
			if strings.Contains(s, "AADSTS7000112") {
				t.Fatalf("the sign-in app is still the blocked one:\n%s", s)
			}
			if !strings.Contains(s, "Enter opens the admin consent page") {
				tt.keys("a") // the grant read's sign-in, a first use of this client
				s = tt.waitFor("Enter opens the admin consent page")
			}
		}
		tt.keys("Enter")
		tt.waitFor("visible in Microsoft Graph")
		tt.keys("a")
		tt.waitFor("Summary", allGranted("ce"))
		tt.keys("Enter")
		tt.exited(0)
	})
	t.Run("--cloud usgov", func(t *testing.T) {
		pathDir, dir := binOnPath(t), t.TempDir()
		urls := filepath.Join(dir, "urls")
		tt := tmuxSize(t, 100, 40, shellLine(pathDir, dir, desktopEnv(t)+"d365consent demo --scenario partial --cloud usgov --no-browser --url-file "+urls))
		tt.waitFor("Which app")
		tt.keys("Enter", "Enter")
		tt.waitFor("approve in the demo browser")
		u := waitURL(t, urls, "signin")
		if !strings.Contains(u, "graph.microsoft.us%2FUser.Read") || strings.Contains(u, "graph.microsoft.com") {
			t.Fatalf("the sign-in does not ask for the usgov cloud's Graph scopes: %s", u)
		}
		tt.keys("a")
		tt.waitFor("Current state", "Enter opens the admin consent page")
		tt.keys("q")
		tt.exited(3)
		s := tt.joinedScreen()
		check := ""
		for _, p := range commandsIn(s) {
			if strings.HasPrefix(p.line, "d365consent verify") {
				check = p.line
			}
		}
		if !strings.Contains(check, "--cloud usgov") {
			t.Fatalf("the check command does not carry --cloud usgov: %q\n%s", check, s)
		}
		if code, out := runShell(t, pathDir, dir, check, "", ""); code != 3 {
			t.Errorf("%q: exit %d, want 3 (partial)\n%s", check, code, out)
		}
	})
}

// TestEmulatorPrintedCommandsRun: a standalone `d365consent emulator` prints command
// lines that run as printed (its CA in SSL_CERT_FILE), the commands verify prints
// against it run as printed too (no unknown authority), and the emulator answers the
// link consent-url prints with its sign-in page, not a 404.
func TestEmulatorPrintedCommandsRun(t *testing.T) {
	pathDir, dir := binOnPath(t), t.TempDir()
	// Ctrl+C is a real SIGINT here (the emulator does not read keys): the pane's
	// shell traps it so that it lives on to print the exit status.
	tt := tmuxSize(t, 400, 50, "trap true INT; "+shellLine(pathDir, dir, "d365consent emulator --scenario partial"))
	s := tt.waitFor("Running until Ctrl+C")
	values := map[string]string{}
	var printed []string
	for _, l := range strings.Split(tt.joinedScreen(), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok && values[k] == "" {
			values[k] = strings.TrimSpace(v)
		}
		if c := strings.TrimSpace(l); strings.HasPrefix(c, "d365consent ") || strings.HasPrefix(c, "SSL_CERT_FILE=") {
			printed = append(printed, c)
		}
	}
	admin := ""
	for _, l := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(l, "user: "); ok && strings.Contains(v, "(Global Administrator") && admin == "" {
			admin = strings.Fields(v)[0]
		}
	}
	var verify, consentURL string
	for _, c := range printed {
		switch {
		case strings.Contains(c, " d365consent verify ") || strings.HasPrefix(c, "d365consent verify "):
			verify = c
		case strings.HasPrefix(c, "d365consent consent-url "):
			consentURL = c
		}
	}
	if verify == "" || consentURL == "" || admin == "" {
		t.Fatalf("the emulator printed no verify and consent-url command lines (or no admin):\n%s", tt.joinedScreen())
	}
	if !strings.HasPrefix(verify, "SSL_CERT_FILE="+values["ca-cert"]+" ") {
		t.Errorf("the printed verify does not trust the emulator's CA: %q", verify)
	}
	code, out := runShell(t, pathDir, dir, verify, values["pages"], admin)
	if code != 3 || strings.Contains(out, "x509") {
		t.Fatalf("%q: exit %d, want 3 (partial)\n%s", verify, code, out)
	}
	// The commands verify prints against this tenant run as printed as well.
	for _, l := range strings.Split(out, "\n") {
		c := strings.TrimSpace(l)
		if !strings.Contains(c, "d365consent verify ") || strings.HasPrefix(c, "#") {
			continue
		}
		code, again := runShell(t, pathDir, dir, c, values["pages"], admin)
		if code != 3 || strings.Contains(again, "x509") {
			t.Errorf("%q (printed by verify): exit %d, want 3\n%s", c, code, again)
		}
	}
	code, out = runShell(t, pathDir, dir, consentURL, "", "")
	link := regexp.MustCompile(`https://\S+/adminconsent\S*`).FindString(out)
	if code != 0 || link == "" {
		t.Fatalf("%q: exit %d, no admin consent link\n%s", consentURL, code, out)
	}
	pem, err := os.ReadFile(values["ca-cert"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the emulator answers the printed consent link %s with %s, want its sign-in page", link, resp.Status)
	}
	// Ctrl+C stops it, and its certificate file goes with it.
	tt.keys("C-c")
	tt.exited(130)
	if _, err := os.Stat(values["ca-cert"]); !os.IsNotExist(err) {
		t.Errorf("the emulator left its certificate %s behind (%v)", values["ca-cert"], err)
	}
}
