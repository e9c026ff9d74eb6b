package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// Interruption of the built binary: SIGINT exits 130 and SIGTERM 143 during
// sign-in, verification and the consent wait; the terminal is restored and every
// port the run opened can be bound again at once.

// TestInterruptVerifyBinary signals `verify --demo` (every demo request slowed by
// D365CONSENT_DEMO_LATENCY, Graph throttled) during sign-in and during verification.
func TestInterruptVerifyBinary(t *testing.T) {
	for _, tc := range []struct {
		phase, after string
		sig          syscall.Signal
		code         int
	}{
		{"sign-in", `"msg":"sign-in started"`, syscall.SIGINT, 130},
		{"sign-in", `"msg":"sign-in started"`, syscall.SIGTERM, 143},
		{"verification", `"msg":"sign-in finished"`, syscall.SIGINT, 130},
		{"verification", `"msg":"sign-in finished"`, syscall.SIGTERM, 143},
	} {
		t.Run(tc.phase+"/"+tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			logPath := filepath.Join(t.TempDir(), "debug.log")
			cmd := exec.Command(bin, "verify", "--demo", "--scenario", "throttled", "--debug", logPath)
			cmd.Env = append(os.Environ(), "NO_COLOR=1", "D365CONSENT_DEMO_LATENCY=1s") // each request slow enough that the signal lands mid-phase, even under load
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill() }()
			testkit.WaitFileFor(t, logPath, tc.after)
			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case <-exited:
			case <-time.After(shutdownGrace + time.Second):
				t.Fatalf("still running %s after %s", time.Since(sent), tc.sig)
			}
			log, _ := os.ReadFile(logPath)
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr: %s\nlog:\n%s", code, tc.code, stderr.String(), log)
			}
			if strings.Contains(string(log), `"ok":true`) {
				t.Fatalf("the verification finished before the signal: the test proves nothing\n%s", log)
			}
			if strings.Count(stderr.String(), "\n") > 1 || strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("stderr is not one line: %q", stderr.String())
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout after an interruption: %q", stdout.String())
			}
			testkit.CheckPortsFree(t, testkit.PortsIn(string(log)))
		})
	}
}

// panePID is the pid of the program tmux runs under `sh -c` in the session.
func panePID(t *testing.T, tt *tmuxTerm) int {
	t.Helper()
	out, err := exec.Command("tmux", "display-message", "-p", "-t", tt.name, "#{pane_pid}").Output()
	if err != nil {
		t.Fatal(err)
	}
	sh := strings.TrimSpace(string(out))
	deadline := time.Now().Add(5 * time.Second)
	for {
		// The shell's child running the binary.
		kids, _ := os.ReadFile("/proc/" + sh + "/task/" + sh + "/children")
		for _, k := range strings.Fields(string(kids)) {
			exe, _ := os.Readlink("/proc/" + k + "/exe")
			if exe == bin {
				pid, _ := strconv.Atoi(k)
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s under the pane's shell %s", bin, sh)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInterruptWizardBinary signals the full-screen demo wizard in tmux while it waits
// for sign-in, while it verifies (slowed), and while it waits for admin consent.
func TestInterruptWizardBinary(t *testing.T) {
	type step struct{ wait, keys string }
	for _, tc := range []struct {
		phase   string
		latency string
		steps   []step
		sig     syscall.Signal
		code    int
	}{
		{"sign-in", "", []step{{"Which app", "Enter"}, {"Review permissions", "Enter"}, {"approve in the demo browser", ""}}, syscall.SIGTERM, 143},
		{"sign-in", "", []step{{"Which app", "Enter"}, {"Review permissions", "Enter"}, {"approve in the demo browser", ""}}, syscall.SIGINT, 130},
		{"verification", "1500ms", []step{{"Which app", "Enter"}, {"Review permissions", "Enter"}, {"approve in the demo browser", "a"}, {"reading your account and roles", ""}}, syscall.SIGTERM, 143},
		{"consent", "", []step{{"Which app", "Enter"}, {"Review permissions", "Enter"}, {"approve in the demo browser", "a"},
			{"Enter opens the admin consent page", "Enter"}, {"visible in Microsoft Graph", ""}}, syscall.SIGTERM, 143},
		{"consent", "", []step{{"Which app", "Enter"}, {"Review permissions", "Enter"}, {"approve in the demo browser", "a"},
			{"Enter opens the admin consent page", "Enter"}, {"visible in Microsoft Graph", ""}}, syscall.SIGINT, 130},
	} {
		t.Run(tc.phase+"/"+tc.sig.String(), func(t *testing.T) {
			urls := filepath.Join(t.TempDir(), "urls")
			scenario := "fresh"
			if tc.phase == "consent" {
				scenario = "loopback-reply" // a consent listener whose port must be freed
			}
			args := []string{"demo", "--scenario", scenario, "--no-browser", "--url-file", urls}
			if tc.latency != "" {
				args = append([]string{"env", "D365CONSENT_DEMO_LATENCY=" + tc.latency, bin}, args...)
			}
			var tt *tmuxTerm
			if tc.latency != "" {
				tt = startTmuxCmd(t, strings.Join(args, " "))
			} else {
				tt = startTmux(t, args...)
			}
			for _, s := range tc.steps {
				tt.waitFor(s.wait)
				if s.keys != "" {
					tt.keys(s.keys)
				}
			}
			if tc.phase == "verification" {
				if s := tt.screen(); strings.Contains(s, "Current state") && strings.Contains(s, "granted") {
					t.Fatalf("the verification finished before the signal:\n%s", s)
				}
			}
			pid := panePID(t, tt)
			sent := time.Now()
			if err := syscall.Kill(pid, tc.sig); err != nil {
				t.Fatal(err)
			}
			tt.exited(tc.code)
			if d := time.Since(sent); d > shutdownGrace+time.Second {
				t.Errorf("exited %s after %s, want within the %s grace", d, tc.sig, shutdownGrace)
			}
			data, _ := os.ReadFile(urls)
			ports := testkit.PortsIn(string(data))
			if tc.phase == "consent" && !strings.Contains(string(data), "redirect_uri=http%3A%2F%2F127.0.0.1%3A") {
				t.Fatalf("no consent listener in the URLs:\n%s", data)
			}
			testkit.CheckPortsFree(t, ports)
		})
	}
}

// TestEmulatorStopsCleanlyOnEverySignal: the standalone emulator stops on Ctrl+C
// (130), SIGTERM (143) and a closed terminal (SIGHUP, 129), and each time removes the
// certificate file it wrote.
func TestEmulatorStopsCleanlyOnEverySignal(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}, {syscall.SIGHUP, 129}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			t.Parallel()
			// Its output goes to files (no copying goroutine): ready is "Running until Ctrl+C".
			dir := t.TempDir()
			stdout, err := os.Create(filepath.Join(dir, "stdout"))
			if err != nil {
				t.Fatal(err)
			}
			defer stdout.Close()
			stderr, err := os.Create(filepath.Join(dir, "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			defer stderr.Close()
			cmd := exec.Command(bin, "emulator", "--scenario", "fresh")
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			cmd.Stdout, cmd.Stderr = stdout, stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { _ = cmd.Process.Kill() }()
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			testkit.WaitFileFor(t, stderr.Name(), "Running until Ctrl+C")
			out, _ := os.ReadFile(stdout.Name())
			ca := ""
			for _, l := range strings.Split(string(out), "\n") {
				if v, ok := strings.CutPrefix(l, "ca-cert: "); ok {
					ca = strings.TrimSpace(v)
				}
			}
			if _, err := os.Stat(ca); err != nil {
				t.Fatalf("no certificate file %q while it runs: %v\n%s", ca, err, out)
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-exited:
			case <-time.After(shutdownGrace + time.Second):
				t.Fatalf("still running after %s", tc.sig)
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				errOut, _ := os.ReadFile(stderr.Name())
				t.Errorf("exit %d after %s, want %d\nstderr: %s", code, tc.sig, tc.code, errOut)
			}
			if _, err := os.Stat(ca); !os.IsNotExist(err) {
				t.Errorf("after %s the certificate %s is still there (%v)", tc.sig, ca, err)
			}
		})
	}
}
