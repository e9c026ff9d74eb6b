package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// End-to-end tests of the built binary: the wizard in a real terminal (tmux) against
// the embedded demo tenant, walked with keys; and a run where headless Chromium
// completes the demo's sign-in and consent pages while the TUI waits.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// needTool skips when a tool is missing, except in CI (CI=true), where it fails.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI: %v", name, err)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func builtBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "d365consent-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "d365consent")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// tmuxTerm is a tmux session running the binary; after it exits the pane's shell
// prints the exit status and `stty -a`, so the test can check the terminal is sane.
type tmuxTerm struct {
	t    *testing.T
	name string
}

func startTmux(t *testing.T, args ...string) *tmuxTerm {
	t.Helper()
	needTool(t, "tmux")
	return startTmuxCmd(t, builtBinary(t)+" "+strings.Join(args, " "))
}

// startTmuxCmd runs a whole shell command line (env VAR=… bin args) in a new 100×30
// tmux session; after it exits the pane prints EXIT=code and `stty -a`.
func startTmuxCmd(t *testing.T, cmdline string) *tmuxTerm {
	t.Helper()
	needTool(t, "tmux")
	name := fmt.Sprintf("d365e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	full := cmdline + "; echo EXIT=$?; stty -a; sleep 120"
	// Retried: a tmux server that is shutting down (the previous test killed its
	// last session) refuses new sessions for a moment.
	for try := 0; ; try++ {
		cmd := exec.Command("tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", "sh", "-c", full)
		cmd.Env = append(os.Environ(), "TERM=xterm-256color", "LANG=C.UTF-8")
		out, err := cmd.CombinedOutput()
		if err == nil {
			break
		}
		if try == 5 {
			t.Fatalf("tmux: %v\n%s", err, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", name).Run() })
	return &tmuxTerm{t: t, name: name}
}

func (tt *tmuxTerm) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", tt.name).Output()
	return string(out)
}

// waitFor waits until the screen shows every one of wants.
func (tt *tmuxTerm) waitFor(wants ...string) string {
	tt.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := tt.screen()
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(s, w)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			tt.t.Fatalf("screen never showed %q; screen:\n%s", wants, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (tt *tmuxTerm) keys(keys ...string) {
	tt.t.Helper()
	for _, k := range keys {
		if out, err := exec.Command("tmux", "send-keys", "-t", tt.name, k).CombinedOutput(); err != nil {
			tt.t.Fatalf("send-keys %s: %v %s", k, err, out)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// exited waits for the exit status and checks the terminal was restored.
func (tt *tmuxTerm) exited(code int) {
	tt.t.Helper()
	s := tt.waitFor(fmt.Sprintf("EXIT=%d", code), "speed")
	alt, _ := exec.Command("tmux", "display-message", "-p", "-t", tt.name, "#{alternate_on}").Output()
	if strings.TrimSpace(string(alt)) != "0" {
		tt.t.Errorf("alternate screen still on after exit")
	}
	if !hasWord(s, "echo") || hasWord(s, "-echo") || !hasWord(s, "icanon") {
		tt.t.Errorf("terminal not restored (want echo and icanon):\n%s", s)
	}
}

func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if strings.TrimSuffix(f, ";") == w {
			return true
		}
	}
	return false
}

func TestE2EDemoFresh(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "fresh", "--no-browser")
	tt.waitFor("Which app", "Customer Engagement")
	tt.keys("Enter")
	tt.waitFor("Review permissions", "user_impersonation")
	tt.keys("Enter")
	tt.waitFor("Sign in", "approve as demo admin")
	tt.keys("a")
	tt.waitFor("Current state", "none of its 3 permissions is granted", "Global Administrator")
	tt.keys("Enter")
	tt.waitFor("Admin consent", "adminconsent", "visible in Microsoft Graph")
	tt.keys("a")
	s := tt.waitFor("Summary", "All 3 permissions are granted")
	if strings.Count(s, "granted") < 4 {
		t.Errorf("not every permission shows granted:\n%s", s)
	}
	tt.keys("Enter")
	tt.exited(0)
	tt.waitFor("All 3 permissions are granted") // the one-line summary after the TUI
}

func TestE2EDemoPartial(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "partial", "--no-browser")
	tt.waitFor("Which app")
	tt.keys("Enter", "Enter")
	tt.waitFor("approve as demo admin")
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

func TestE2EDemoNonAdminCtrlC(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "non-admin", "--no-browser")
	tt.waitFor("Which app")
	tt.keys("Enter", "Enter")
	tt.waitFor("approve as demo admin")
	tt.keys("a")
	tt.waitFor("Role check", "PIM")
	tt.keys("C-c")
	tt.exited(130)
}

func TestE2ECtrlCDuringConsentAsksFirst(t *testing.T) {
	tt := startTmux(t, "demo", "--scenario", "fresh", "--no-browser")
	tt.waitFor("Which app")
	tt.keys("Enter", "Enter")
	tt.waitFor("approve as demo admin")
	tt.keys("a")
	tt.waitFor("Enter opens the admin consent page")
	tt.keys("Enter")
	tt.waitFor("visible in Microsoft Graph")
	tt.keys("C-c")
	tt.waitFor("Quit anyway?")
	tt.keys("y")
	tt.exited(130)
}

// TestE2EHeadlessChromium: the TUI shows the URLs (the hidden --url-file hook writes
// them down) and headless Chromium completes the sign-in and admin consent pages.
func TestE2EHeadlessChromium(t *testing.T) {
	chromium := "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		chromium = needTool(t, "chromium")
	}
	urls := filepath.Join(t.TempDir(), "urls")
	tt := startTmux(t, "demo", "--scenario", "fresh", "--no-browser", "--url-file", urls)
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
	tt.waitFor("All 3 permissions are granted")
	tt.keys("Enter")
	tt.exited(0)
}

func waitURL(t *testing.T, file, kind string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(file)
		for _, l := range strings.Split(string(data), "\n") {
			if k, u, ok := strings.Cut(l, " "); ok && k == kind {
				return u
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the wizard never showed a %s URL", kind)
	return ""
}

// browse opens url and clicks through the demo pages: first selector, then the
// Accept button of any consent page, until the browser leaves the demo pages.
func browse(t *testing.T, ctx context.Context, url, first string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	for i := 0; i < 4; i++ {
		js := fmt.Sprintf(`(function(){
			var org=document.querySelector('#org'); if(org){org.checked=true}
			var b=document.querySelector(%q)||document.querySelector('button[id^="user-"]')||document.querySelector('#accept');
			if(b){b.click();return true} return false})()`, first)
		clicked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("chromium: %v", err)
		}
		if !clicked {
			return
		}
		time.Sleep(500 * time.Millisecond)
		_ = chromedp.Do(ctx, chromedp.WaitReady("body"))
	}
}
