package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// Terminal injection (SECURITY.md "What it shows on screen"): the hostile demo
// scenario's escape sequences, C1 controls and bidi overrides stay inert on every
// screen of the full-screen wizard; cli's hostile tests cover the text outputs.

// hostTmux is a tmux server of its own (so its options and buffers are the test's)
// with set-clipboard on: an OSC 52 that reached the terminal would become a buffer.
type hostTmux struct {
	t      *testing.T
	socket string
}

func (h *hostTmux) tmux(args ...string) string {
	h.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", h.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil && args[0] != "list-buffers" {
		h.t.Fatalf("tmux %v: %v %s", args, err, out)
	}
	return string(out)
}

func TestHostileWizardScreens(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	h := &hostTmux{t: t, socket: fmt.Sprintf("d365hostile-%d", os.Getpid())}
	cmdline := bin + " demo --scenario hostile --no-browser; echo EXIT=$?; stty -a; sleep 120"
	cmd := exec.Command("tmux", "-L", h.socket, "-f", "/dev/null", "new-session", "-d", "-s", "w", "-x", "100", "-y", "40", "sh", "-c", cmdline)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "LANG=C.UTF-8", "COLORTERM=truecolor")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", h.socket, "kill-server").Run() })
	h.tmux("set-option", "-g", "set-clipboard", "on")

	screens := 0
	check := func(wants ...string) string {
		t.Helper()
		var plain string
		deadline := time.Now().Add(15 * time.Second)
		for {
			plain = h.tmux("capture-pane", "-p", "-t", "w")
			ok := true
			for _, w := range wants {
				ok = ok && strings.Contains(plain, w)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("screen never showed %q:\n%s", wants, plain)
			}
			time.Sleep(50 * time.Millisecond)
		}
		screens++
		testkit.CheckInert(t, fmt.Sprintf("screen %d (text)", screens), plain)
		// With -e tmux re-emits the cell attributes it holds (SGR only): an OSC, DCS or
		// any other sequence here came from the program's output.
		styled := h.tmux("capture-pane", "-e", "-p", "-t", "w")
		for _, seq := range []string{"\x1b]", "\x1bP", "\x1b_", "\x1b^", "\x1bX", "\u202e"} {
			if strings.Contains(styled, seq) {
				t.Errorf("screen %d holds %q:\n%q", screens, seq, styled)
			}
		}
		if b := strings.TrimSpace(h.tmux("list-buffers")); b != "" {
			t.Fatalf("screen %d: an OSC 52 clipboard write reached the terminal: %s", screens, b)
		}
		if title := h.tmux("display-message", "-p", "-t", "w", "#{pane_title}"); strings.Contains(title, "pwned") {
			t.Fatalf("screen %d: the window title was set to %q", screens, title)
		}
		return plain
	}
	keys := func(k ...string) {
		for _, key := range k {
			h.tmux("send-keys", "-t", "w", key)
			time.Sleep(150 * time.Millisecond)
		}
	}
	check("Which app")
	keys("Enter")
	check("Review permissions")
	keys("Enter")
	check("approve in the demo browser")
	keys("a")
	check("Signed in as Adele clickevil Vance", "tenant Contoso clickevil", "Mail.Readclickevil")
	// The tenant has no Dynamics CRM: consent cannot help (AADSTS650052), so none is
	// offered and the cause names the (sanitized) API.
	check("What will fix it", "AADSTS650052", "The tenant needs Dynamics CRM first")
	keys("Enter")
	check("Summary", "What will fix it")
	keys("?")
	check("help")
	keys("Escape", "q")
	s := check("EXIT=")
	if alt := strings.TrimSpace(h.tmux("display-message", "-p", "-t", "w", "#{alternate_on}")); alt != "0" {
		t.Errorf("alternate screen still on after exit")
	}
	if !testkit.HasWord(s, "echo") || !testkit.HasWord(s, "icanon") {
		t.Errorf("terminal not restored:\n%s", s)
	}
}
