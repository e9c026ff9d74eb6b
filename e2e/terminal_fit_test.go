package e2e

// Fits the terminal: at 80×24 the row that needs action is on screen and Home/End
// reach the top and bottom of a tall body; the review table's column says "Newly
// required"; a piped demo names --accessible and that command works through the pipe;
// Ctrl+Z suspends the wizard as terminal programs do and fg resumes it on its step.

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestActionRowVisibleAt80x24: in `reauth`, UO's one missing (newly required) row is on
// the first screen of the consent wait at 80×24, without scrolling; End shows the
// body's last row and Home its first again.
func TestActionRowVisibleAt80x24(t *testing.T) {
	tt := tmuxSize(t, 80, 24, bin+" demo --scenario reauth --no-browser")
	tt.waitFor("Which app")
	tt.keys("Down", "Enter")
	tt.waitFor("Review permissions", "Unified Operations")
	tt.keys("Enter")
	tt.waitFor("approve in the demo browser")
	tt.keys("a")
	tt.waitFor("Current state", "Enter opens the admin consent page")
	tt.keys("Enter")
	missing := regexp.MustCompile(`✗ Dynamics ERP · Odata\.FullAccess \(Delegated\)\s+missing`)
	s := tt.waitFor("visible in Microsoft Graph", "more below")
	if !missing.MatchString(s) {
		t.Fatalf("the missing row is not on the consent wait's screen at 80x24:\n%s", s)
	}
	top := strings.Index(s, "Odata.FullAccess")
	tt.keys("End")
	s = tt.waitFor("more above")
	if strings.Contains(s, "more below") {
		t.Errorf("End did not reach the bottom:\n%s", s)
	}
	tt.keys("Home")
	s = tt.waitFor("more below")
	if strings.Contains(s, "more above") || !missing.MatchString(s) || strings.Index(s, "Odata.FullAccess") != top {
		t.Errorf("Home did not return to the top:\n%s", s)
	}
	tt.keys("q")
	tt.waitFor("Quit anyway?")
	tt.keys("y")
	tt.exited(3)
}

// TestReviewColumnSaysNewlyRequired: the review table's column is "Newly required", as
// the publisher's table says (its header wraps at 80 columns: "Newly" over "required").
func TestReviewColumnSaysNewlyRequired(t *testing.T) {
	for _, w := range []int{80, 120} {
		tt := tmuxSize(t, w, 30, bin+" demo --scenario reauth --no-browser")
		tt.waitFor("Which app")
		tt.keys("Down", "Enter")
		s := tt.waitFor("Review permissions", "Unified Operations")
		header := ""
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "Permission") && strings.Contains(l, "Type") {
				header = l
			}
		}
		flat := strings.Join(strings.Fields(s), " ")
		if strings.Contains(s, "New?") || !(strings.Contains(header, "Newly required") || strings.Contains(header, "Newly") && strings.Contains(flat, "Newly required")) {
			t.Errorf("at %d columns the review's column is not \"Newly required\":\n%s", w, s)
		}
		tt.keys("q")
		tt.exited(130)
	}
}

// TestPipedDemoSuggestsAccessible: `d365consent demo | tee log` at a terminal names
// --accessible, and the command it suggests, run as printed, runs the line-mode wizard
// through the pipe (its first question is in the log).
func TestPipedDemoSuggestsAccessible(t *testing.T) {
	pathDir, dir := binOnPath(t), t.TempDir()
	tt := tmuxSize(t, 100, 30, shellLine(pathDir, dir, "d365consent demo | tee log"))
	tt.waitFor("EXIT=")
	s := tt.joinedScreen()
	m := regexp.MustCompile(`e\.g\. (d365consent [^)]*--accessible[^)]*)\)`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("the piped demo does not suggest --accessible:\n%s", s)
	}
	tt = tmuxSize(t, 100, 30, shellLine(pathDir, dir, m[1]))
	tt.waitFor("Which app do you want to authorize?")
	tt.keys("q", "Enter")
	tt.waitFor("EXIT=")
	log, _ := os.ReadFile(filepath.Join(dir, "log"))
	if !strings.Contains(string(log), "Which app do you want to authorize?") {
		t.Errorf("%q left no transcript in the log:\n%s", m[1], log)
	}
}

// TestCtrlZSuspendsTheWizard: in an interactive shell, Ctrl+Z on the review step stops
// the wizard (the shell prints its Stopped job and has the terminal back), fg redraws
// it on the same step, and the Enter that ran fg does not move the wizard on.
func TestCtrlZSuspendsTheWizard(t *testing.T) {
	pathDir := binOnPath(t)
	tt := tmuxSize(t, 100, 30, "PATH="+pathDir+":$PATH PS1='$ ' bash --norc --noprofile -i")
	tt.keys("d365consent demo --no-browser", "Enter")
	tt.waitFor("Which app")
	tt.keys("Enter")
	tt.waitFor("2/6 Review permissions")
	tt.keys("C-z")
	s := tt.waitFor("Stopped", "d365consent demo --no-browser")
	if strings.Contains(s, "2/6 Review permissions") {
		t.Fatalf("the wizard still holds the screen after Ctrl+Z:\n%s", s)
	}
	tt.keys("fg", "Enter")
	tt.waitFor("2/6 Review permissions")
	// Input is read in order: once ? shows the help, an Enter that reached the wizard
	// would have moved it on already.
	tt.keys("?")
	s = tt.waitFor("enter continue    q")
	if !strings.Contains(s, "2/6 Review permissions") {
		t.Fatalf("the wizard left the review step after fg:\n%s", s)
	}
	tt.keys("q")
	tt.keys("echo SHELL-BACK=$((40+2))", "Enter")
	tt.waitFor("SHELL-BACK=42")
}
