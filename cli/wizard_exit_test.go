package cli

import (
	"fmt"
	"strings"
	"testing"
)

// exitWalk is one way out of the full-screen wizard on a demo scenario: the keys the
// admin presses (the obvious path otherwise), and what the normal screen must keep.
type exitWalk struct {
	name, scenario string
	// keys is the admin's key on a screen, "" for the obvious path (fullScreenKey).
	keys func(step, text string) string
	code int
	// want are lines the summary printed after the full screen must hold, each whole.
	want []string
	// wantPrefix are lines that must start with these (a URL, a command), whole on
	// their own line.
	wantPrefix []string
	// never must not appear in what was printed.
	never []string
	// steps are the steps the run entered, when they matter.
	steps string
	// contains must appear in what was printed.
	contains []string
}

// obvious is the parity walk's path: CE, Enter through each step, a on each page.
func obvious(step, text string) string {
	if step == "choose" {
		return "1enter"
	}
	return fullScreenKey(step, text)
}

// pausedThen is the obvious path until the consent wait pauses (the account cannot
// grant it), then keys, one per screen change.
func pausedThen(keys ...string) func(step, text string) string {
	i := 0
	return func(step, text string) string {
		if step == "consent" && strings.Contains(text, "What to do:") || i > 0 && step == "consent" {
			if i < len(keys) {
				// Next key once the screen answered the previous one.
				k := keys[i]
				if i == 0 || strings.Contains(text, answeredBy[keys[i-1]]) {
					i++
					return k
				}
				return ""
			}
			return ""
		}
		if step == "consent" {
			return ""
		}
		return obvious(step, text)
	}
}

// answeredBy is the text the consent screen shows once a key took effect.
var answeredBy = map[string]string{
	"w": "Waiting for another admin",
	"q": "Quit anyway?",
}

func TestWizardExitKeepsWhatTheAdminNeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("walks demo scenarios through the full screen")
	}
	walks := []exitWalk{
		{name: "q on the pause", scenario: "non-admin", keys: pausedThen("q"), code: exitIncomplete,
			want:       []string{"Send this admin consent link to an admin who can grant it:", "Check again with:", "d365consent verify --app ce --demo --scenario non-admin"},
			wantPrefix: []string{"http"}, never: []string{"cancelled"}},
		{name: "w q y", scenario: "non-admin", keys: pausedThen("w", "q", "y"), code: exitIncomplete,
			want:       []string{"Admin consent link (open it as an admin, or send it to one):", "Check again with:", "d365consent verify --app ce --demo --scenario non-admin"},
			wantPrefix: []string{"http"}, never: []string{"cancelled"}},
		{name: "ctrl+c on the pause", scenario: "non-admin", keys: pausedThen("ctrl+c"), code: exitIncomplete,
			want: []string{"Send this admin consent link to an admin who can grant it:", "d365consent verify --app ce --demo --scenario non-admin"}},
		{name: "q on the 403", scenario: "restricted-reader", keys: obvious, code: exitRefused,
			want:  []string{"Could not read the app's current state.", "Check again with:", "d365consent verify --app ce --demo --scenario restricted-reader"},
			never: []string{"graph:", "403 Forbidden", "Authorization_RequestDenied:"}},
		{name: "o on the 403, then q", scenario: "restricted-reader", keys: switchOnError(), code: exitRefused,
			want: []string{"Could not read the app's current state."}, steps: "choose review sign-in current-state error sign-in current-state error"},
		{name: "q on the conflict", scenario: "soft-deleted", keys: obvious, code: exitRefused,
			contains: []string{"Enterprise applications > Deleted applications"}},
		{name: "q on the error", scenario: "non-admin", keys: obvious, code: exitRefused,
			want: []string{"Check again with:", "d365consent verify --app ce --demo --scenario non-admin", "For support:", "Error code: AADSTS90094"}},
		{name: "esc out after the check", scenario: "partial", keys: escOutAfterState(), code: exitIncomplete,
			want: []string{"Check again with:", "d365consent verify --app ce --demo --scenario partial"}},
		{name: "q on the state", scenario: "partial", keys: quitOnState, code: exitIncomplete,
			want: []string{"Check again with:", "d365consent verify --app ce --demo --scenario partial",
				"(Each demo command starts a fresh demo tenant in the scenario's starting state: it does not see what this run changed.)"}},
	}
	for _, w := range walks {
		t.Run(w.scenario+"/"+w.name, func(t *testing.T) {
			t.Parallel()
			a, out, tgt, o, shown := driveFullScreen(t, w.scenario, w.keys)
			code := exitCode(a.wizardOutcome(o, tgt))
			printed := out.String()
			lines := strings.Split(printed, "\n")
			if w.steps != "" && fmt.Sprint(o.Steps) != "["+w.steps+"]" {
				t.Errorf("steps %v, want [%s]", o.Steps, w.steps)
			}
			if code != w.code {
				t.Errorf("exit %d, want %d", code, w.code)
			}
			for _, l := range w.want {
				if !hasLine(lines, l) {
					t.Errorf("no line %q", l)
				}
			}
			for _, p := range w.wantPrefix {
				if !hasPrefix(lines, p) {
					t.Errorf("no line starting %q", p)
				}
			}
			for _, c := range w.contains {
				if !strings.Contains(printed, c) {
					t.Errorf("printed no %q", c)
				}
			}
			for _, n := range w.never {
				if strings.Contains(printed, n) {
					t.Errorf("printed %q", n)
				}
			}
			if t.Failed() {
				t.Logf("steps %v err %v\nprinted:\n%s\nlast screens:\n%s", o.Steps, o.Err, printed, tail(shown, 3000))
			}
		})
	}
}

// escOutAfterState is the obvious path to the current state, read, then Esc on
// every step until the wizard ends.
func escOutAfterState() func(step, text string) string {
	read := false
	return func(step, text string) string {
		if step == "current-state" && strings.Contains(text, "Enter opens the admin consent page") {
			read = true
		}
		if read {
			return "esc"
		}
		return obvious(step, text)
	}
}

// switchOnError is the obvious path to the first error, o there (sign in as someone
// else), then the obvious path again, q on the next error.
// The next key waits until the screen has left the error: the driver may read the
// error screen once more before o is handled, and a q there would quit instead.
func switchOnError() func(step, text string) string {
	switched, left := false, false
	return func(step, text string) string {
		if step == "error" && !switched && strings.Contains(text, "Press o to sign in as someone else.") {
			switched = true
			return "o"
		}
		if switched && !left {
			if step == "error" {
				return ""
			}
			left = true
		}
		return obvious(step, text)
	}
}

// quitOnState is the obvious path to the current state, read, then q.
func quitOnState(step, text string) string {
	if step == "current-state" && strings.Contains(text, "Enter opens the admin consent page") {
		return "q"
	}
	return obvious(step, text)
}

func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func hasPrefix(lines []string, p string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, p) && !strings.ContainsAny(l, " \t") {
			return true
		}
	}
	return false
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
