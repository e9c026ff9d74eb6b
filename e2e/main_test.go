package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/d365consent/d365consent/internal/testkit"
)

// Package e2e holds the tests that build the real binary once (TestMain) and drive it
// as a user would: in tmux (keys in, screens out), with headless Chromium on the demo
// pages, and with signals. In-process command tests live beside the commands in cli/.

// bin is the binary TestMain built from the module root, or the one named by
// D365CONSENT_E2E_BIN: a binary built from an older commit shows which tests fail
// on the code before a change (go build -o /tmp/old . at that commit, then
// D365CONSENT_E2E_BIN=/tmp/old go test ./e2e -run TestName).
var bin string

// shutdownGrace is cli's bound on the wait after a signal before the process exits.
const shutdownGrace = 2 * time.Second

func TestMain(m *testing.M) {
	if other := os.Getenv("D365CONSENT_E2E_BIN"); other != "" {
		abs, err := filepath.Abs(other)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		bin = abs
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "d365consent-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "d365consent")
	if out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tmuxTerm is a tmux session running the binary; after it exits the pane's shell
// prints the exit status and `stty -a`, so the test can check the terminal is sane.
type tmuxTerm struct {
	t    *testing.T
	name string
}

func startTmux(t *testing.T, args ...string) *tmuxTerm {
	t.Helper()
	return startTmuxCmd(t, bin+" "+strings.Join(args, " "))
}

// startTmuxCmd runs a whole shell command line (env VAR=… bin args) in a new 100×30
// tmux session; after it exits the pane prints EXIT=code and `stty -a`.
func startTmuxCmd(t *testing.T, cmdline string) *tmuxTerm {
	t.Helper()
	return tmuxSize(t, 100, 30, cmdline)
}

// tmuxSize starts cmdline in a w×h tmux session; after it exits the pane prints
// EXIT=code and `stty -a`, so a test can check the exit status and the terminal.
func tmuxSize(t *testing.T, w, h int, cmdline string) *tmuxTerm {
	t.Helper()
	testkit.NeedTool(t, "tmux")
	name := fmt.Sprintf("d365e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	full := cmdline + "; echo EXIT=$?; stty -a; echo " + sttyEnd + "; sleep 120"
	// Retried: a tmux server that is shutting down (the previous test killed its
	// last session) refuses new sessions for a moment.
	for try := 0; ; try++ {
		cmd := exec.Command("tmux", "new-session", "-d", "-s", name, "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), "sh", "-c", full)
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

// desktopEnv is the env prefix of a command line that runs as on a Linux desktop,
// where the wizard and the demo sign in through the browser: a display, and an
// xdg-open on PATH (a stub that fails: these runs pass --no-browser and must never
// open anything). Without it this machine is headless and they use a device code.
func desktopEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte("#!/bin/sh\necho \"xdg-open ran: $*\" >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return "env DISPLAY=:0 PATH=" + dir + ":$PATH "
}

// joinedScreen is the pane and its scrollback with the lines the terminal wrapped
// joined again (-J): a line printed whole reads whole, however wide.
func (tt *tmuxTerm) joinedScreen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-J", "-S", "-", "-t", tt.name).Output()
	return string(out)
}

func (tt *tmuxTerm) screen() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", tt.name).Output()
	return string(out)
}

// waitFor waits until the screen shows every one of wants.
func (tt *tmuxTerm) waitFor(wants ...string) string {
	tt.t.Helper()
	return tt.waitForWithin(15*time.Second, wants...)
}

// waitForWithin is waitFor with a deadline of d, for waits the product makes long on
// purpose (flows.RegistrationSettle).
func (tt *tmuxTerm) waitForWithin(d time.Duration, wants ...string) string {
	tt.t.Helper()
	deadline := time.Now().Add(d)
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
			tt.t.Fatalf("screen never showed %q in %s; screen:\n%s", wants, d, s)
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

// sttyEnd is printed after `stty -a`: a screen that shows it holds the whole
// terminal state (waiting for "speed", its first word, could catch it half drawn).
const sttyEnd = "STTY-END"

// exited waits for the exit status and the whole `stty -a`, checks the terminal is
// restored and the alternate screen off, and returns the pane.
func (tt *tmuxTerm) exited(code int) string {
	tt.t.Helper()
	s := tt.waitFor(fmt.Sprintf("EXIT=%d", code), sttyEnd)
	alt, _ := exec.Command("tmux", "display-message", "-p", "-t", tt.name, "#{alternate_on}").Output()
	if strings.TrimSpace(string(alt)) != "0" {
		tt.t.Errorf("alternate screen still on after exit")
	}
	if !testkit.HasWord(s, "echo") || testkit.HasWord(s, "-echo") || !testkit.HasWord(s, "icanon") {
		tt.t.Errorf("terminal not restored (want echo and icanon):\n%s", s)
	}
	return s
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
