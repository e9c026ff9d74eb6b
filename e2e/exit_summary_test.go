package e2e

// What the admin takes away when the full-screen wizard ends, however they leave: the
// outcome, the consent link, the command that checks later and the plain-words error
// stay on the normal screen, each URL and command whole on a line of its own, and the
// same state exits with the same code (README "Exit codes"). Each test drives the
// built binary in tmux by what the screen shows.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// demoTmux starts `demo --scenario scenario --no-browser` in a w×h tmux session.
func demoTmux(t *testing.T, w, h int, scenario string) *tmuxTerm {
	t.Helper()
	return tmuxSize(t, w, h, fmt.Sprintf("%s demo --scenario %s --no-browser", bin, scenario))
}

// signInToState walks the first app (CE) to the current state: choose, review, and a
// on the demo's sign-in page.
func signInToState(tt *tmuxTerm) {
	tt.t.Helper()
	tt.waitFor("Which app")
	tt.keys("Enter")
	tt.waitFor("Review permissions")
	tt.keys("Enter")
	tt.waitFor("approve in the demo browser")
	tt.keys("a")
}

// stateToConsent waits for the state step's offer and opens the consent step.
func stateToConsent(tt *tmuxTerm) string {
	tt.t.Helper()
	tt.waitFor("Enter opens the admin consent page")
	tt.keys("Enter")
	return tt.waitFor("5/6 Admin consent")
}

// typeText types s into the pane as literal text.
func (tt *tmuxTerm) typeText(s string) {
	tt.t.Helper()
	if out, err := exec.Command("tmux", "send-keys", "-t", tt.name, "-l", s).CombinedOutput(); err != nil {
		tt.t.Fatalf("send-keys -l: %v %s", err, out)
	}
}

// urlUnder is the URL the screen shows under the line lead, its lines (the full
// screen wraps it to the window) joined again; "" when the screen shows none.
func urlUnder(screen, lead string) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != lead {
			continue
		}
		var u strings.Builder
		for _, next := range lines[i+1:] {
			next = strings.TrimSpace(next)
			if next == "" {
				break
			}
			u.WriteString(next)
		}
		return u.String()
	}
	return ""
}

// flat is s with every run of white space (line breaks too) made one space: text the
// full screen wrapped reads as one sentence.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// lineWithPrefix is the first line of s that starts with prefix (surrounding spaces
// aside), or "".
func lineWithPrefix(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// guidRE is a whole GUID, as Microsoft's ids are.
var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// checkCommandRuns runs a printed d365consent command line as printed (its words) and
// fails when it is not understood (exit 2); it returns the exit status.
func checkCommandRuns(t *testing.T, line string) int {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "d365consent" {
		t.Fatalf("not a d365consent command line: %q", line)
	}
	cmd := exec.Command(bin, f[1:]...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=dumb")
	out, _ := cmd.CombinedOutput()
	code := cmd.ProcessState.ExitCode()
	if code == 2 {
		t.Errorf("%q, printed at exit, exits 2:\n%s", line, out)
	}
	return code
}

// closedPort is a 127.0.0.1 port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

// rawGoError are pieces of Go's and the HTTP stack's error text that mean nothing to
// an admin: the exit must say the plain words instead.
var rawGoError = []string{"dial tcp", `Get "http`, "d365consent: verifying grants:", "d365consent: signing in:",
	"server response error", "HTTP 403 Authorization_RequestDenied"}

func TestExitOnAPausedConsentPrintsTheLinkToSend(t *testing.T) {
	tt := demoTmux(t, 80, 24, "non-admin")
	signInToState(tt)
	stateToConsent(tt)
	pause := tt.waitFor("What to do:")
	if !strings.Contains(flat(pause), "send them the consent link") {
		t.Errorf("the pause does not say to send the consent link:\n%s", pause)
	}
	link := urlUnder(pause, "Open this page as an admin and Accept:")
	if !strings.HasPrefix(link, "http://127.0.0.1:") || !strings.Contains(link, "/adminconsent?") {
		t.Fatalf("no consent link on the pause:\n%s", pause)
	}
	tt.keys("q")
	tt.exited(3)
	after := tt.joinedScreen()
	wantLines(t, after, "Send this admin consent link to an admin who can grant it:", link,
		"Check again with:", "d365consent verify --app ce --demo --scenario non-admin")
}

func TestExitThroughTheQuitConfirmationPrintsTheCheckCommand(t *testing.T) {
	tt := demoTmux(t, 100, 30, "non-admin")
	signInToState(tt)
	stateToConsent(tt)
	tt.waitFor("What to do:")
	tt.keys("w")
	tt.waitFor("Waiting for another admin")
	tt.keys("q")
	confirm := tt.waitFor("Quit anyway?")
	check := lineWithPrefix(confirm, "d365consent verify")
	if check != "d365consent verify --app ce --demo --scenario non-admin" {
		t.Errorf("the confirmation shows the check command %q:\n%s", check, confirm)
	}
	tt.keys("y")
	tt.exited(3)
	after := tt.joinedScreen()
	if !hasLine(after, "Check again with:") || !hasLine(after, check) {
		t.Errorf("the command the confirmation showed is not left whole on the normal screen:\n%s", after)
	}
	if strings.Contains(after, "cancelled") {
		t.Errorf("a quit with consent pending is said to be cancelled:\n%s", after)
	}
	if code := checkCommandRuns(t, check); code != 3 {
		t.Errorf("%q exits %d, want 3 (the scenario's app is not consented)", check, code)
	}
}

func TestExitOnTheConsentWorkflowGivesTheCheckCommand(t *testing.T) {
	const check = "d365consent verify --app ce --demo --scenario consent-workflow"
	for _, tc := range []struct {
		name string
		// more are the keys after the pause, each with what the screen shows next.
		more [][2]string
		code int
	}{
		{"q on the pause", nil, 3},
		// The page files a request (AADSTS90095): consent is pending, not refused.
		{"q on the filed request", [][2]string{{"a", "w wait for the approval"}}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tt := demoTmux(t, 100, 40, "consent-workflow")
			signInToState(tt)
			stateToConsent(tt)
			tt.waitFor("What to do:")
			for _, k := range tc.more {
				tt.keys(k[0])
				tt.waitFor(k[1])
			}
			tt.keys("q")
			tt.exited(tc.code)
			after := tt.joinedScreen()
			if !hasLine(after, "Check again with:") || !hasLine(after, check) {
				t.Errorf("no command to check after approval on the normal screen:\n%s", after)
			}
			checkCommandRuns(t, check)
		})
	}
}

func TestExitAfterAFailureLeavesThePlainWords(t *testing.T) {
	t.Run("network: nothing listens at the authority", func(t *testing.T) {
		port := closedPort(t)
		authority := fmt.Sprintf("https://127.0.0.1:%d", port)
		tt := tmuxSize(t, 100, 30, fmt.Sprintf("%s --authority-host %s --tenant contoso.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555 --no-browser", bin, authority))
		tt.waitFor("Which app")
		tt.keys("Enter")
		tt.waitFor("Review permissions")
		tt.keys("Enter")
		tt.waitFor("Something went wrong", "Connection refused")
		tt.keys("q")
		tt.exited(1)
		after := tt.joinedScreen()
		check := "d365consent verify --app ce --tenant contoso.onmicrosoft.com --client-id 11111111-2222-3333-4444-555555555555 --authority-host " + authority
		wantLines(t, after, "Sign-in did not complete.", "Check again with:", check)
		for _, prefix := range []string{fmt.Sprintf("Connection refused. Nothing accepted the connection to 127.0.0.1:%d", port), "What to do: Check the address and any firewall."} {
			if lineWithPrefix(after, prefix) == "" {
				t.Errorf("the normal screen lacks a line starting %q:\n%s", prefix, after)
			}
		}
		for _, raw := range rawGoError {
			if strings.Contains(after, raw) {
				t.Errorf("raw error text %q left on exit:\n%s", raw, after)
			}
		}
	})
	t.Run("Microsoft Graph refuses the read (403)", func(t *testing.T) {
		tt := demoTmux(t, 100, 30, "restricted-reader")
		signInToState(tt)
		shown := tt.waitFor("Something went wrong", "Microsoft Graph refused to show this to your account", "Request id:")
		reqID := strings.TrimSpace(strings.TrimPrefix(lineWithPrefix(shown, "Request id:"), "Request id:"))
		if !guidRE.MatchString(reqID) {
			t.Fatalf("the error screen shows no whole Graph request id:\n%s", shown)
		}
		tt.keys("q")
		tt.exited(4)
		after := tt.joinedScreen()
		if !hasLine(after, "Request id: "+reqID) {
			t.Errorf("Graph's request id %s is gone after exit:\n%s", reqID, after)
		}
		wantLines(t, after, "Could not read the app's current state.", "Check again with:",
			"d365consent verify --app ce --demo --scenario restricted-reader")
		for _, prefix := range []string{"Microsoft Graph refused to show this to your account. Graph answered 403",
			"What to do: Sign in as a Global Administrator, Privileged Role Administrator, Global Reader or Directory Reader"} {
			if lineWithPrefix(after, prefix) == "" {
				t.Errorf("the normal screen lacks a line starting %q:\n%s", prefix, after)
			}
		}
		for _, raw := range rawGoError {
			if strings.Contains(after, raw) {
				t.Errorf("raw error text %q left on exit:\n%s", raw, after)
			}
		}
	})
}

func TestExitKeepsTheSummaryEveryWayOut(t *testing.T) {
	t.Run("q on the state step", func(t *testing.T) {
		t.Parallel()
		tt := demoTmux(t, 80, 24, "partial")
		signInToState(tt)
		tt.waitFor("Enter opens the admin consent page")
		tt.keys("q")
		tt.exited(3)
		after := tt.joinedScreen()
		wantLines(t, after, "Incomplete: 2 of 3 permissions granted.", "Check again with:", "d365consent verify --app ce --demo --scenario partial")
	})
	t.Run("quit confirmed during the consent wait", func(t *testing.T) {
		t.Parallel()
		tt := demoTmux(t, 80, 24, "fresh")
		signInToState(tt)
		consent := stateToConsent(tt)
		link := urlUnder(consent, "Open this page as an admin and Accept:")
		tt.keys("q")
		tt.waitFor("Quit anyway?")
		tt.keys("y")
		tt.exited(3)
		after := tt.joinedScreen()
		wantLines(t, after, "Admin consent link (open it as an admin, or send it to one):", link,
			"Check again with:", "d365consent verify --app ce --demo --scenario fresh")
	})
	t.Run("q on the error screen", func(t *testing.T) {
		t.Parallel()
		tt := demoTmux(t, 100, 40, "soft-deleted")
		signInToState(tt)
		stateToConsent(tt)
		tt.keys("a")
		errScreen := tt.waitFor("Something went wrong", "Correlation id:", "https://login.microsoftonline.com/error?code=650051")
		tt.keys("q")
		tt.exited(4)
		after := tt.joinedScreen()
		wants := []string{"Admin consent did not complete.", "For support:", "Error code: AADSTS650051",
			lineWithPrefix(errScreen, "Correlation id:"), lineWithPrefix(errScreen, "Trace id:"),
			"https://login.microsoftonline.com/error?code=650051", "Check again with:", "d365consent verify --app ce --demo --scenario soft-deleted"}
		wantLines(t, after, wants...)
		if lineWithPrefix(after, "Service principal conflict. ") == "" {
			t.Errorf("the plain-words error is not left on the normal screen:\n%s", after)
		}
	})
	t.Run("ctrl+c after a complete result", func(t *testing.T) {
		t.Parallel()
		tt := demoTmux(t, 100, 30, "partial")
		signInToState(tt)
		stateToConsent(tt)
		tt.keys("a")
		tt.waitFor("6/6 Summary", allGranted("ce"))
		tt.keys("C-c")
		tt.exited(0)
		after := tt.joinedScreen()
		if !hasLine(after, allGranted("ce")+".") || lineWithPrefix(after, "Next step: ") == "" {
			t.Errorf("the outcome is not left on the normal screen:\n%s", after)
		}
	})
	// tmux 3.3 keeps no OSC 8 in its cells, so the bytes the program wrote are read
	// from script(1)'s record of the session.
	t.Run("links are OSC 8 where the terminal shows them", func(t *testing.T) {
		t.Parallel()
		testkit.NeedTool(t, "script")
		for _, force := range []string{"1", "0"} {
			raw := filepath.Join(t.TempDir(), "raw")
			tt := tmuxSize(t, 100, 30, fmt.Sprintf("FORCE_HYPERLINK=%s script -qfec '%s demo --scenario non-admin --no-browser' %s", force, bin, raw))
			signInToState(tt)
			pause := stateToConsent(tt)
			link := urlUnder(pause, "Open this page as an admin and Accept:")
			tt.waitFor("What to do:")
			tt.keys("q")
			tt.exited(3)
			data, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			osc8 := "\x1b]8;;" + link + "\x07" + link + "\x1b]8;;\x07"
			if got := strings.Contains(string(data), osc8); got != (force == "1") {
				t.Errorf("FORCE_HYPERLINK=%s: the consent link printed as an OSC 8 link %v, want %v", force, got, force == "1")
			}
			if !strings.Contains(string(data), link+"\r\n") && !strings.Contains(string(data), link+"\x1b]8;;\x07\r\n") {
				t.Errorf("FORCE_HYPERLINK=%s: the consent link does not end its line:\n%q", force, tail(string(data), 2000))
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func TestExitCodeIsTheSameForTheSameState(t *testing.T) {
	pausedKeys := func(keys ...[2]string) func(tt *tmuxTerm) {
		return func(tt *tmuxTerm) {
			stateToConsent(tt)
			tt.waitFor("What to do:")
			for _, k := range keys {
				tt.keys(k[0])
				if k[1] != "" {
					tt.waitFor(k[1])
				}
			}
		}
	}
	for _, tc := range []struct {
		name, scenario string
		leave          func(tt *tmuxTerm)
	}{
		{"esc back out of step 1 after the check", "partial", func(tt *tmuxTerm) {
			tt.waitFor("Enter opens the admin consent page")
			for _, step := range []string{"2/6 Review permissions", "1/6 Choose the app"} {
				tt.keys("Escape")
				tt.waitFor(step)
			}
			tt.keys("Escape")
		}},
		{"q on the state step", "partial", func(tt *tmuxTerm) {
			tt.waitFor("Enter opens the admin consent page")
			tt.keys("q")
		}},
		{"ctrl+c on the state step", "partial", func(tt *tmuxTerm) {
			tt.waitFor("Enter opens the admin consent page")
			tt.keys("C-c")
		}},
		{"paused consent left by q", "non-admin", pausedKeys([2]string{"q", ""})},
		{"paused consent left by ctrl+c", "non-admin", pausedKeys([2]string{"C-c", ""})},
		{"paused consent left by w, q, y", "non-admin", pausedKeys([2]string{"w", "Waiting for another admin"}, [2]string{"q", "Quit anyway?"}, [2]string{"y", ""})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tt := demoTmux(t, 100, 30, tc.scenario)
			signInToState(tt)
			tc.leave(tt)
			tt.exited(3) // incomplete (README "Exit codes"), however the admin left
			check := "d365consent verify --app ce --demo --scenario " + tc.scenario
			if after := tt.joinedScreen(); !hasLine(after, check) {
				t.Errorf("the check command %q is not left on the normal screen:\n%s", check, after)
			}
		})
	}
}
