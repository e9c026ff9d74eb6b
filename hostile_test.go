package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/flows"
)

// Terminal injection (issue 6, SECURITY.md "What it shows on screen"): the hostile
// demo scenario puts escape sequences, C1 controls and bidi overrides in the tenant,
// user and app names and in an admin consent error description. Every output must
// show them inert: the printable parts ("click", "evil") may appear, nothing else.

// hostileMarks are pieces of emulator.HostileText that only a raw (not sanitized)
// copy carries: sequence introducers, C1 controls, the bidi override, and payloads
// that live inside sequences.
var hostileMarks = []string{"\x1b", "\u009b", "\u009d", "\u009c", "\u202e", "\u202c", "\x07",
	"pwned", "544e", "cm0gLXJmIH4K", "evil.example", "52;c;", "[2J", "?1049h"}

func checkInert(t *testing.T, what, text string) {
	t.Helper()
	for _, m := range hostileMarks {
		if strings.Contains(text, m) {
			t.Errorf("%s carries %q of the hostile text:\n%q", what, m, text)
		}
	}
	for _, b := range []byte(text) {
		if b == 0x9b || b == 0x9d { // 8-bit C1 outside UTF-8
			t.Errorf("%s carries a raw C1 byte %#x", what, b)
			break
		}
	}
}

func TestHostileScenarioIsHostile(t *testing.T) {
	// The scenario really serves the raw text: otherwise the tests below prove nothing.
	srv, err := emulator.Start(emulator.Options{Scenario: "hostile"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.Contains(srv.TenantName(), "\x1b]52;") || !strings.Contains(srv.TenantName(), "\u202e") {
		t.Fatalf("tenant name %q is not hostile", srv.TenantName())
	}
	if got := flows.Sanitize(emulator.HostileText); got != "clickevil" {
		t.Fatalf("Sanitize(HostileText) = %q, want the printable parts only", got)
	}
}

func TestHostileTextOutputs(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TERM=xterm-256color", "COLORTERM=truecolor"} // colour allowed: escapes would pass if any were kept
	for _, app := range []string{"ce", "uo"} {
		md, js := filepath.Join(dir, app+".md"), filepath.Join(dir, app+".json")
		code, out, errOut := runFlowsCmdEnv(t, env, "verify", "--demo", "--scenario", "hostile", "--app", app, "--report", md)
		if code != 3 && code != 0 {
			t.Fatalf("verify %s: exit %d\n%s%s", app, code, out, errOut)
		}
		if app == "ce" && (!strings.Contains(out, "Tenant Contoso clickevil Demo") || !strings.Contains(out, "Mail.Readclickevil")) {
			t.Errorf("verify text lacks the sanitized names:\n%s", out)
		}
		checkInert(t, "verify "+app+" text stdout", out)
		checkInert(t, "verify "+app+" text stderr", errOut)

		code, out, errOut = runFlowsCmdEnv(t, env, "verify", "--demo", "--scenario", "hostile", "--app", app, "--format", "json", "--report", js)
		if code != 3 && code != 0 {
			t.Fatalf("verify json %s: exit %d\n%s", app, code, errOut)
		}
		var r flows.Result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("verify json is not JSON: %v\n%s", err, out)
		}
		checkInert(t, "verify "+app+" JSON stdout", out)
		checkInert(t, "verify "+app+" JSON (decoded tenant)", r.Tenant.DisplayName)
		for _, e := range r.Extra {
			checkInert(t, "verify "+app+" JSON (decoded extra grant)", e.Permission)
		}
		checkInert(t, "verify "+app+" JSON stderr", errOut)
		for _, f := range []string{md, js} {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			checkInert(t, f, string(data))
			if strings.HasSuffix(f, ".json") && !json.Valid(data) {
				t.Errorf("%s is not valid JSON", f)
			}
		}
	}

	code, out, errOut := runFlowsCmdEnv(t, env, "consent-url", "--demo", "--scenario", "hostile", "--app", "ce")
	if code != 0 {
		t.Fatalf("consent-url: exit %d %s", code, errOut)
	}
	checkInert(t, "consent-url", out+errOut)

	// The emulator command's endpoint list.
	ctx, cancel := context.WithCancel(context.Background())
	outB, errB := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"emulator", "--scenario", "hostile"}, strings.NewReader(""), outB, errB, env)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errB.String(), "Running until") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(outB.String(), "scenario: hostile") {
		t.Fatalf("emulator output:\n%s%s", outB.String(), errB.String())
	}
	checkInert(t, "emulator output", outB.String()+errB.String())
}

// TestHostileWizardAccessible: the line-by-line wizard through sign-in and the
// refused admin consent, whose error description carries the hostile API name.
func TestHostileWizardAccessible(t *testing.T) {
	out, errOut, code := runAccessibleDemo(t, []string{"TERM=xterm-256color"},
		[]string{"demo", "--scenario", "hostile", "--no-browser", "--accessible"},
		[][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"approve as the demo admin", "a"},
			{"open the admin consent page", ""}, {"Open this admin consent page", "a"}})
	if code == 0 {
		t.Fatalf("consent in the hostile tenant should fail; exit 0\n%s", out)
	}
	if !strings.Contains(out+errOut, "AADSTS650052") || !strings.Contains(out, "Contoso clickevil Demo") || !strings.Contains(out, "Mail.Readclickevil") {
		t.Errorf("the wizard did not show the sanitized names and error:\n%s\n%s", out, errOut)
	}
	checkInert(t, "accessible wizard stdout", out)
	checkInert(t, "accessible wizard stderr", errOut)
}

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
	needTool(t, "tmux")
	bin := builtBinary(t)
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
		checkInert(t, fmt.Sprintf("screen %d (text)", screens), plain)
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
	check("approve as demo admin")
	keys("a")
	check("Signed in as Adele clickevil Vance", "tenant Contoso clickevil", "Mail.Readclickevil")
	keys("Enter")
	check("Waiting for consent")
	keys("a")
	check("AADSTS650052", "(Dynamics", "clickevil CRM")
	keys("?")
	check("help")
	keys("Escape", "q")
	s := check("EXIT=")
	if alt := strings.TrimSpace(h.tmux("display-message", "-p", "-t", "w", "#{alternate_on}")); alt != "0" {
		t.Errorf("alternate screen still on after exit")
	}
	if !hasWord(s, "echo") || !hasWord(s, "icanon") {
		t.Errorf("terminal not restored:\n%s", s)
	}
}
