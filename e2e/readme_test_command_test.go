package e2e

// The first ten minutes: the README's test command, on a machine without tmux, names
// each test that skipped for the missing tool where the run ends; with CI=true the
// same test fails instead.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// readmeTestCommand is the Quick start's command that runs the test suite.
func readmeTestCommand(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if cmd, comment, ok := strings.Cut(l, "#"); ok && strings.Contains(comment, "test suite") && strings.HasPrefix(cmd, "go ") {
			return strings.TrimSpace(cmd)
		}
	}
	t.Fatal("the README's Quick start has no test command")
	return ""
}

// TestReadmeTestCommandListsMissingToolSkips runs the README's test command in tmux on
// one tmux test of this package (against this binary), with a PATH that has go and git
// but no tmux: the run ends with the skipped test, named with the missing tool, after
// go test's own verdict; with CI=true that test fails and the command exits 1.
func TestReadmeTestCommandListsMissingToolSkips(t *testing.T) {
	noTmux := t.TempDir()
	for _, tool := range []string{"go", "git"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(noTmux, tool)); err != nil {
			t.Fatal(err)
		}
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	command := readmeTestCommand(t)
	const probe = "TestE2EDemoFresh" // a test that drives the binary in tmux
	for _, ci := range []string{"", "true"} {
		t.Run("CI="+ci, func(t *testing.T) {
			line := fmt.Sprintf("cd %s && env PATH=%s GOROOT=%s CI=%s D365CONSENT_E2E_BIN=%s %s -count=1 -run '^%s$' ./e2e",
				root, noTmux, strings.TrimSpace(string(goroot)), ci, bin, command, probe)
			tt := tmuxSize(t, 200, 50, line)
			// go run builds the command and the test binary first: minutes on a busy
			// machine, more than waitFor allows.
			for deadline := time.Now().Add(5 * time.Minute); !strings.Contains(tt.screen(), "EXIT="); time.Sleep(200 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%q did not end in 5 minutes:\n%s", command, tt.screen())
				}
			}
			s := tt.joinedScreen()
			if ci == "true" {
				if !strings.Contains(s, "EXIT=1") || !strings.Contains(s, "tmux is required in CI") {
					t.Fatalf("with CI=true the missing tmux is not a failure:\n%s", s)
				}
				return
			}
			verdict := -1
			if loc := regexp.MustCompile(`(?m)^ok\s+github\.com/d365consent/d365consent/e2e\s`).FindStringIndex(s); loc != nil {
				verdict = loc[0]
			}
			list := strings.Index(s, "Skipped for a missing tool (1)")
			entry := strings.Index(s, "github.com/d365consent/d365consent/e2e "+probe+": tmux not installed")
			if !strings.Contains(s, "EXIT=0") || verdict < 0 || list < verdict || entry < list {
				t.Fatalf("%q without tmux does not end by naming the skipped %s:\n%s", command, probe, s)
			}
		})
	}
}
