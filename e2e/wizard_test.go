package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/d365consent/d365consent/internal/testkit"
)

// The wizard of the built binary in a real terminal (tmux) against the embedded demo
// tenant, walked with keys; and a run where headless Chromium completes the demo's
// sign-in and consent pages while the TUI waits.

func TestE2EDemoFresh(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "fresh", "--no-browser")
	tt.waitFor("Which app", "Customer Engagement")
	tt.keys("Enter")
	tt.waitFor("Review permissions", "user_impersonation")
	tt.keys("Enter")
	tt.waitFor("Sign in", "approve in the demo browser")
	tt.keys("a")
	n := len(builtIn("ce").Permissions)
	tt.waitFor("Current state", fmt.Sprintf("none of its %d permissions is granted", n), "Global Administrator")
	tt.keys("Enter")
	tt.waitFor("Admin consent", "adminconsent", "visible in Microsoft Graph")
	tt.keys("a")
	s := tt.waitFor("Summary", allGranted("ce"))
	if strings.Count(s, "granted") < n+1 {
		t.Errorf("not every permission shows granted:\n%s", s)
	}
	tt.keys("Enter")
	tt.exited(0)
	tt.waitFor(allGranted("ce")) // the one-line summary after the TUI
}

func TestE2EDemoPartial(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "partial", "--no-browser")
	tt.waitFor("Which app")
	tt.keys("Enter", "Enter")
	tt.waitFor("approve in the demo browser")
	tt.keys("a")
	s := tt.waitFor("Current state", "missing", "Re-authorization will add")
	if !strings.Contains(s, "granted") {
		t.Errorf("the diff shows nothing granted:\n%s", s)
	}
	tt.keys("Enter")
	tt.waitFor("visible in Microsoft Graph")
	tt.keys("a")
	tt.waitFor("permissions are granted.")
	tt.keys("q")
	tt.exited(0)
}

// Ctrl+C after the state was read ends as q would there: incomplete (3), with the
// command that checks later left on the normal screen.
func TestE2EDemoNonAdminCtrlC(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "non-admin", "--no-browser")
	tt.waitFor("Which app")
	tt.keys("Enter", "Enter")
	tt.waitFor("approve in the demo browser")
	tt.keys("a")
	tt.waitFor("Role check", "PIM", "Enter opens the admin consent page")
	tt.keys("C-c")
	tt.exited(3)
	if s := tt.joinedScreen(); !hasLine(s, "d365consent verify --app ce --demo --scenario non-admin") {
		t.Errorf("the check command is not left whole on a line:\n%s", s)
	}
}

func TestE2ECtrlCDuringConsentAsksFirst(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "fresh", "--no-browser")
	signInToState(tt)
	stateToConsent(tt)
	tt.waitFor("visible in Microsoft Graph")
	tt.keys("C-c")
	tt.waitFor("Quit anyway?")
	tt.keys("y")
	tt.exited(3) // the state was read: incomplete, however the admin leaves
	s := tt.joinedScreen()
	wantLines(t, s, "Admin consent link (open it as an admin, or send it to one):", "Check again with:",
		"d365consent verify --app ce --demo --scenario fresh")
}

// wantLines fails t for each of wants that is not a line of the normal screen s.
func wantLines(t *testing.T, s string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !hasLine(s, want) {
			t.Errorf("the normal screen lacks the line %q:\n%s", want, s)
		}
	}
}

// hasLine: s has a line that is want, surrounding spaces aside.
func hasLine(s, want string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == want {
			return true
		}
	}
	return false
}

// TestE2EHeadlessChromium: the TUI shows the URLs (the hidden --url-file hook writes
// them down) and headless Chromium completes the sign-in and admin consent pages.
func TestE2EHeadlessChromium(t *testing.T) {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		chromium = testkit.NeedTool(t, "chromium")
	}
	urls := filepath.Join(t.TempDir(), "urls")
	// On a desktop (a display): the demo signs in through the browser there, as the
	// real wizard does.
	tt := startTmuxCmd(t, desktopEnv(t)+bin+" demo --scenario fresh --no-browser --url-file "+urls)
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()

	tt.waitFor("Which app")
	tt.keys("Enter", "Enter")
	tt.waitFor("Waiting for you to sign in")
	browse(t, bctx, waitURL(t, urls, "signin"), `button[id^="user-"]`)
	tt.waitFor("Current state", "Global Administrator")
	tt.keys("Enter")
	tt.waitFor("visible in Microsoft Graph")
	browse(t, bctx, waitURL(t, urls, "consent"), "#accept")
	tt.waitFor(allGranted("ce"))
	tt.keys("Enter")
	tt.exited(0)
}
