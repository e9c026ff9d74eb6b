package e2e

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
)

// wrapNoise is what differs between two runs of the same command: a step's
// latency in the doctor's report, a demo tenant's port.
var wrapNoise = regexp.MustCompile(`  \((<1 ms|\d+ ms|[\d.]+ s)\)|127\.0\.0\.1:\d+`)

// terminalEvidence is the doctor's evidence of the terminal: a pane is one, a pipe
// is not.
var terminalEvidence = regexp.MustCompile(`(?m)^(  \S+ Terminal)\n      .*$`)

// noise removes from a command's output what differs between two runs.
func noise(s string) string {
	return terminalEvidence.ReplaceAllString(wrapNoise.ReplaceAllString(s, ""), "$1")
}

// tableWords are a fleet table's words as a set: a table fitted to the pane
// orders them by cell and joins some columns (DETAILS, "missing:", ";"), and moves
// a link below it behind a reference ("[1]").
func tableWords(s string) map[string]bool {
	words := map[string]bool{}
	for _, w := range strings.Fields(s) {
		w = strings.TrimRight(w, ";:,")
		if w != "" && !regexp.MustCompile(`^\[\d+\]$`).MatchString(w) && !strings.Contains(w, "://") &&
			!slices.Contains([]string{"DETAILS", "missing", "TENANT", "NAME", "STATUS", "MISSING", "ERROR", "-"}, w) {
			words[w] = true
		}
	}
	return words
}

// TestWrapFitsThePane runs doctor (against a demo tenant this machine does not
// trust: long evidence and fixes), `verify --help`, `demo --help` and the README's
// demo fleet (`verify --demo --tenants customers.txt`) in 80×24 and 120×40 panes.
// The pane, its lines the terminal wrapped joined again, has the words of the same
// command's piped (full-line) output in the same order (the fleet table: the same
// words, as its layout differs), and the terminal wrapped
// no line but one that is a single command or URL: our wrapping left no word for
// the terminal to split ("instea⏎d").
func TestWrapFitsThePane(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	for _, c := range []struct {
		name  string
		args  []string
		table bool
	}{
		{"doctor", []string{"doctor", "--authority-host", srv.AuthorityHost(), "--graph-url", srv.GraphURL(), "--tenant", srv.TenantDomain(), "--device-code", "--timeout", "30s"}, false},
		{"verify-help", []string{"verify", "--help"}, false},
		{"demo-help", []string{"demo", "--help"}, false},
		{"demo-fleet", []string{"verify", "--demo", "--tenants", "customers.txt"}, true},
	} {
		// The full output, as a pipe gets it (stderr after stdout: the note the demo
		// fleet prints on stderr comes before its table on the pane).
		cmd := exec.Command(bin, c.args...)
		cmd.Dir = dir
		cmd.Env = wrapEnv()
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := 0
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatal(err)
			}
			code = ee.ExitCode()
		}
		full := noise(stderr.String() + stdout.String())
		if c.table && !strings.Contains(full, "7 of 7 tenants") {
			t.Errorf("%s: the demo fleet did not run (exit %d):\n%s", c.name, code, full)
			continue
		}
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s@%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				line := "cd " + dir + " && env -u COLUMNS LANG=C.UTF-8 " + bin + " " + strings.Join(c.args, " ")
				tt := tmuxSize(t, size[0], size[1], line)
				tt.exited(code)
				joined := noise(paneOutput(tt.joinedScreen()))
				testkit.CheckWidth(t, joined, size[0])
				if c.table {
					if got, want := tableWords(joined), tableWords(full); !maps.Equal(got, want) {
						t.Errorf("the pane's words differ from the full output's (a split word?)\npane:\n%s\nfull:\n%s", joined, full)
					}
				} else if got, want := strings.Fields(joined), strings.Fields(full); !slices.Equal(got, want) {
					t.Errorf("the pane's words differ from the full output's (a split word?)\npane:\n%s\nfull:\n%s", joined, full)
				}
			})
		}
	}
}

// wrapEnv is the environment of the piped runs: the pane's, without a width.
func wrapEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "COLUMNS=") && !strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "TERM=") {
			env = append(env, kv)
		}
	}
	return append(env, "LANG=C.UTF-8", "TERM=xterm-256color")
}

// paneOutput is the command's output on a captured pane: what comes before the
// shell's EXIT= line, trailing blank lines left out.
func paneOutput(pane string) string {
	out, _, _ := strings.Cut(pane, "\nEXIT=")
	if strings.HasPrefix(pane, "EXIT=") {
		out = ""
	}
	return strings.TrimRight(out, "\n ")
}
