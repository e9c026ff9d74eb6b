package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// The demo partner fleet (emulator.DemoCustomers) plus a tenant that does not exist.
const demoFleet = `# demo partner fleet
fabrikam.onmicrosoft.com
northwindtraders.onmicrosoft.com
tailspintoys.onmicrosoft.com
woodgrovebank.onmicrosoft.com   # no access
litware.onmicrosoft.com
adatum.onmicrosoft.com
wingtiptoys.onmicrosoft.com
nosuch.onmicrosoft.com
`

func writeFleet(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tenants.txt")
	if err := os.WriteFile(p, []byte(demoFleet), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var tableRow = regexp.MustCompile(`(?m)^\S+\.onmicrosoft\.com\s`)

// TestFleetCtrlCPrintsFinishedRows: SIGINT after the second tenant finished (seen in
// the debug log; one tenant at a time, every demo request slowed) ends the run
// within the grace period with exit 130, and the table holds exactly the two
// finished rows and says how many were not checked.
func TestFleetCtrlCPrintsFinishedRows(t *testing.T) {
	t.Parallel()
	logPath := filepath.Join(t.TempDir(), "debug.log")
	cmd := exec.Command(bin, "verify", "--demo", "--tenants", writeFleet(t), "--parallel", "1", "--debug", logPath)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "D365CONSENT_DEMO_LATENCY=100ms")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	testkit.WaitFileFor(t, logPath, `"tenant":"northwindtraders.onmicrosoft.com"`)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(shutdownGrace + time.Second):
		t.Fatal("still running after SIGINT")
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130\nstdout:\n%s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	rows := tableRow.FindAllString(out, -1)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "fabrikam.") || !strings.HasPrefix(rows[1], "northwindtraders.") {
		t.Fatalf("rows %q\n%s", rows, out)
	}
	if !strings.Contains(out, "2 of 8 tenants: 1 complete, 1 incomplete. Cancelled: 6 not checked.") {
		t.Fatalf("summary:\n%s", out)
	}
	if strings.Contains(stderr.String(), "tenants]") || strings.Contains(stderr.String(), "/8 tenants") {
		t.Fatalf("a progress bar on a stderr that is not a terminal: %q", stderr.String())
	}
}

// TestFleetProgressBarOnTerminal: on a terminal, stderr shows a live progress bar
// while tenants are checked; it is gone when the table is printed; exit 4 (the worst
// row: no access / refused).
func TestFleetProgressBarOnTerminal(t *testing.T) {
	t.Parallel()
	tt := startTmuxCmd(t, "env NO_COLOR=1 D365CONSENT_DEMO_LATENCY=150ms "+bin+" verify --demo --parallel 2 --tenants "+writeFleet(t))
	tt.waitFor("/8 tenants")
	tt.exited(4)
	s := tt.screen()
	if strings.Contains(s, "/8 tenants") {
		t.Fatalf("the progress bar stayed on screen:\n%s", s)
	}
	// The summary is longer than the 100-column window: it wraps at words.
	if !strings.Contains(flat(s), "8 of 8 tenants: 1 complete, 2 incomplete, 2 not consented, 1 no access, 1 sign-in app needs consent, 1 refused.") {
		t.Fatalf("screen:\n%s", s)
	}
}
