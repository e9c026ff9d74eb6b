package e2e

// A walk of every demo scenario (emulator.Scenarios, so new ones are
// covered without touching this file) with both apps at 80×24 and 120×40, in
// parallel tmux sessions, driven by what the screen shows — never by sleeps. For
// each walk: it ends before any wait reaches its timeout, the last screen names the
// outcome, the exit status matches it, the terminal is restored, no screen shows a
// URL, command or id cut and the normal screen after exit keeps the end screen's
// links, check-later command, error codes and support ids whole
// (walk_checks_test.go), and every d365consent command the end screens print runs
// (not exit 2).

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// walkTimeout is the --timeout of each walk: a wait that reaches it fails the walk. It
// leaves room for flows.RegistrationSettle, the time every other row must stay granted
// after consent before the wizard concludes the registration is behind.
const walkTimeout = flows.RegistrationSettle + 15*time.Second

// waitsOnPurpose are scenarios whose point is a wait that runs out (none today).
var waitsOnPurpose = map[string]bool{}

// cannotFixEnds are walks whose consent wait ends on the error screen with a state
// consent cannot fix (flows.BlockedError, found only after consent went through): the
// run is incomplete, so it exits 3, not 1.
var cannotFixEnds = map[string]int{
	// The registration does not request UO's newly required permission: consent
	// goes through (the demo browser's landing page is handed to the wait as a paste)
	// and, once the other rows stayed granted for flows.RegistrationSettle, the wait
	// names the cause.
	"registration-behind/uo": 3,
}

// graphRefusedEnds are walks that end on the error screen because Microsoft Graph
// refused to read the grants (HTTP 403: the demo user holds no directory role): the
// exit code of a refusal, 4, not 1.
var graphRefusedEnds = map[string]bool{"restricted-reader/ce": true}

// pausesFirst are walks whose demo admin cannot grant the consent: the
// consent screen must pause the wait at once and say so before the walk presses a
// (which then shows Entra ID's own refusal, or in consent-workflow files a request
// whose approval the walk waits for with w). UO ends earlier in both tenants (not in the
// tenant: re-authorize only), so only CE reaches the consent screen.
var pausesFirst = map[string]bool{
	"cloud-app-admin/ce":  true,
	"consent-workflow/ce": true,
	"pim-eligible/ce":     true,
}

// walkWants are extra words a scenario's last screen must show, beyond a verdict
// (registration-behind/uo also names its newly required permission: see walk).
var walkWants = map[string]map[string][]string{
	"consented": {"ce": {allGranted("ce")}, "uo": {allGranted("uo"), "Re-authorize"}},
	"partial":   {"ce": {allGranted("ce")}},
	"registration-behind": {"ce": {allGranted("ce")},
		"uo": {"Consent went through", "stayed missing", "re-authorize the app profile"}},
	"staggered-replication": {"ce": {allGranted("ce")}},
	"consent-workflow":      {"ce": {allGranted("ce")}}, // after the reviewer's approval
	"non-admin":             {"ce": {"AADSTS90094"}},
	"no-dynamics":           {"ce": {"The tenant needs Dynamics CRM first"}, "uo": {"The tenant needs Dynamics ERP first"}},
	"disabled":              {"ce": {"disabled", "Enable"}, "uo": {"disabled", "Enable"}},
	"uo-new":                {"uo": {"not in your tenant"}},
	"fresh":                 {"ce": {allGranted("ce")}, "uo": {"not in your tenant"}},
}

func (tt *tmuxTerm) send(k string) {
	_ = exec.Command("tmux", "send-keys", "-t", tt.name, k).Run()
}

// walkEnd is how a walk ended.
type walkEnd struct {
	kind   string // "complete", "incomplete", "blocked", "error"
	screen string
}

func TestWalkEveryScenario(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	sizes := []struct{ w, h int }{{80, 24}, {120, 40}}
	sem := make(chan struct{}, 6)
	for _, sc := range emulator.Scenarios() {
		for _, app := range []string{"ce", "uo"} {
			for _, sz := range sizes {
				t.Run(fmt.Sprintf("%s/%s/%dx%d", sc.Name, app, sz.w, sz.h), func(t *testing.T) {
					t.Parallel()
					sem <- struct{}{}
					defer func() { <-sem }()
					walk(t, sc.Name, app, sz.w, sz.h)
				})
			}
		}
	}
}

func walk(t *testing.T, scenario, app string, w, h int) {
	dir := t.TempDir()
	urls := filepath.Join(dir, "urls") // every browser URL the wizard shows, whole
	tt := tmuxSize(t, w, h, fmt.Sprintf("cd %s && %s demo --scenario %s --no-browser --timeout %s --url-file %s", dir, bin, scenario, walkTimeout, urls))
	start := time.Now()
	deadline := start.Add(walkTimeout + 15*time.Second)
	pressed := map[string]int{} // the step and attempt a key was pressed for
	var end *walkEnd
	var last string
	var seen []string // every screen the walk saw, each drawn whole
	problems := func(s string) []string { return screenProblems(s, w, shownURLFile(urls), nil) }
	for end == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the walk did not end in %s; screen:\n%s", time.Since(start).Round(time.Second), last)
		}
		s := tt.screen()
		if s == last {
			time.Sleep(40 * time.Millisecond)
			continue
		}
		if tt.screen() != s || tt.halfDrawn(s, problems) {
			continue // caught while being drawn: look again
		}
		last = s
		seen = append(seen, s)
		switch {
		case strings.Contains(s, "EXIT="):
			t.Fatalf("the wizard exited on its own:\n%s", s)
		case strings.Contains(s, "1/6 Choose the app") && strings.Contains(s, "Which app"):
			if pressed["choose"] == 0 {
				pressed["choose"]++
				if app == "uo" {
					tt.send("Down")
				}
				tt.send("Enter")
			}
		case strings.Contains(s, "2/6 Review permissions"):
			if pressed["review"] == 0 {
				pressed["review"]++
				tt.send("Enter")
			}
		case strings.Contains(s, "3/6 Sign in") && strings.Contains(s, "approve in the demo browser"):
			// A second time when the tenant asks to sign in again (mfa-required).
			if pressed["signin"] == 0 || pressed["signin"] == 1 && strings.Contains(s, "sign in again") {
				pressed["signin"]++
				tt.send("a")
			}
		case strings.Contains(s, "4/6 Current state") && strings.Contains(s, "approve in the demo browser"):
			// Reading the grants asks the sign-in client's Directory.Read.All in a
			// second sign-in (first use of the tool in the tenant).
			if pressed["grant-read"] == 0 {
				pressed["grant-read"]++
				tt.send("a")
			}
		case strings.Contains(s, "4/6 Current state"):
			switch {
			case strings.Contains(strings.Join(strings.Fields(s), " "), "offers no consent link"): // wrapped at 80
				end = &walkEnd{"blocked", s}
			case strings.Contains(s, "Enter opens the admin"), strings.Contains(s, "Enter shows the"):
				if pressed["state"] == 0 {
					pressed["state"]++
					tt.send("Enter")
				}
			case strings.Contains(s, "more below (pgdn)"): // what to do is further down
				tt.send("PgDn")
			}
		case strings.Contains(s, "5/6 Admin consent") && strings.Contains(s, "w wait for the approval"):
			// The consent page filed a request (admin consent workflow): wait for the
			// scenario's reviewer to approve it.
			if pressed["approval"] == 0 {
				pressed["approval"]++
				tt.send("w")
			}
		case strings.Contains(s, "5/6 Admin consent") && strings.Contains(s, "approve in the demo browser"):
			if pausesFirst[scenario+"/"+app] && !strings.Contains(s, "wait for another admin") {
				if time.Since(start) > 20*time.Second {
					t.Fatalf("the consent wait did not pause for an account that cannot grant it:\n%s", s)
				}
				continue // not yet paused: look again
			}
			if pressed["consent"] == 0 {
				pressed["consent"]++
				tt.send("a")
			}
		case strings.Contains(s, "6/6 Summary") && (strings.Contains(s, "✓ All") || strings.Contains(s, "✗ ")):
			end = &walkEnd{"incomplete", s}
			if strings.Contains(s, "✓ All") {
				end.kind = "complete"
			}
		case strings.Contains(s, "Something went wrong") && strings.Contains(s, "enter/r retry"):
			end = &walkEnd{"error", s}
		}
	}
	took := time.Since(start)
	// A body taller than the window scrolls: read the rest of the end screen too.
	for i := 0; i < 5 && strings.Contains(last, "more below (pgdn)"); i++ {
		tt.send("PgDn")
		for w := time.Now().Add(5 * time.Second); time.Now().Before(w); time.Sleep(40 * time.Millisecond) {
			if s := tt.screen(); s != last && tt.screen() == s && !tt.halfDrawn(s, problems) {
				last = s
				break
			}
		}
		end.screen += "\n" + last
		seen = append(seen, last)
	}
	t.Logf("%s after %s", end.kind, took.Round(100*time.Millisecond))
	// It ended before any wait ran out.
	if !waitsOnPurpose[scenario] && (strings.Contains(end.screen, "Stopped waiting") || took > walkTimeout) {
		t.Errorf("a wait reached its timeout (%s):\n%s", took.Round(time.Second), end.screen)
	}
	// The last screen names the outcome.
	named := map[string][]string{
		"complete":   {"All", "permissions are granted", "Next step"},
		"incomplete": {"✗"},
		"blocked":    {"not in your tenant", "offers no consent link"},
		"error":      {"What to do"},
	}[end.kind]
	wants := append(named, walkWants[scenario][app]...)
	if scenario == "registration-behind" && app == "uo" {
		wants = append(wants, newlyRequired(t, scenario, app).Value+" stayed missing")
	}
	flatEnd := strings.Join(strings.Fields(end.screen), " ") // words wrapped at 80 columns read whole
	for _, wnt := range wants {
		if !strings.Contains(flatEnd, wnt) {
			t.Errorf("%s end screen lacks %q:\n%s", end.kind, wnt, end.screen)
		}
	}
	if end.kind == "incomplete" && !strings.Contains(end.screen, "d365consent verify") {
		t.Errorf("an incomplete summary gives no way to check later:\n%s", end.screen)
	}
	// Quit, and the exit status says the same.
	tt.send("q")
	want := map[string]int{"complete": 0, "incomplete": 3, "blocked": 3, "error": 4}[end.kind]
	if end.kind == "error" && !strings.Contains(end.screen, "AADSTS") && !graphRefusedEnds[scenario+"/"+app] {
		want = 1
	}
	if code, ok := cannotFixEnds[scenario+"/"+app]; ok && end.kind == "error" {
		want = code
	}
	tt.exited(want)
	after := tt.joinedScreen() // the summary left on the normal screen, scrollback too
	if end.kind == "error" {
		// The support ids outlive the full-screen view: on stderr, each whole.
		for _, id := range []string{"Error code: AADSTS", "Correlation id:", "Trace id:"} {
			if strings.Contains(end.screen, id) && !strings.Contains(after, id) {
				t.Errorf("%q was on the error screen but is gone after exit:\n%s", id, after)
			}
		}
	}
	// Nothing the admin needs is cut on any screen, and the exit keeps what the end
	// screen showed (walk_checks_test.go).
	checkWhole(t, seen, end, w, urls, after)
	// Every command the end screens print runs (the demo's own commands: no network).
	for _, p := range extractCommands(end.screen+"\n"+after, scenario) {
		args := strings.Fields(p.line)[1:]
		if wizardLine(args) {
			continue // the walk itself runs the wizard
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		out, _ := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code == 2 {
			t.Errorf("%q, printed at the end, exits 2:\n%s", p.line, out)
		}
	}
}

// TestLineModeTee: `demo --accessible | tee log` works (line mode needs a terminal on
// stdin only) and the log holds the transcript.
func TestLineModeTee(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	dir := t.TempDir()
	tt := tmuxSize(t, 100, 30, fmt.Sprintf("cd %s && %s demo --scenario consented --accessible --no-browser | tee log", dir, bin))
	for _, st := range [][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"type a and press Enter", "a"}, {"Save a report", ""}} {
		tt.waitFor(st[0])
		if st[1] != "" {
			tt.send(st[1])
		}
		tt.send("Enter")
	}
	tt.waitFor("EXIT=0")
	log, _ := os.ReadFile(dir + "/log")
	if !strings.Contains(string(log), allGranted("ce")) || strings.Contains(string(log), "\x1b") {
		t.Errorf("log:\n%s", log)
	}
}

// TestDumbTerminalLineMode: TERM=dumb gets the line-by-line wizard with ASCII symbols,
// without being asked.
func TestDumbTerminalLineMode(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	tt := tmuxSize(t, 100, 30, fmt.Sprintf("env TERM=dumb %s demo --scenario consented --no-browser", bin))
	s := tt.waitFor("TERM=dumb", "Type a number")
	tt.send("1")
	tt.send("Enter")
	s = tt.waitFor("Press Enter to sign in")
	for _, r := range s {
		if r > 127 {
			t.Errorf("non-ASCII %q in line mode:\n%s", r, s)
			break
		}
	}
	tt.send("q")
	tt.send("Enter")
	tt.waitFor("EXIT=130")
}
