// Command gotest is the README's test command: it runs `go test` over the module and,
// where the run ends, lists the tests that skipped because a tool they drive (Chromium,
// tmux, MSAL Python, …) is not installed. go test's own summary hides a passing
// package's skips, so without this a machine with only Go would pass silently with
// the browser and terminal tests unrun.
//
//	go run ./internal/cmd/gotest                 # go test ./...
//	go run ./internal/cmd/gotest -race -count=1  # what CI runs (with CI=true, a missing tool fails)
//
// Flags and packages are passed to go test as given; ./... is added when no package is
// named. The exit code is go test's.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/d365consent/d365consent/internal/cmd/gotest/testjson"
)

func main() {
	args := os.Args[1:]
	if !testjson.NamesPackage(args) {
		args = append(args, "./...")
	}
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "gotest:", err)
		os.Exit(1)
	}
	replay := testjson.Replay
	if slices.Contains(args, "-v") {
		replay = testjson.ReplayVerbose
	}
	skips, readErr := replay(out, os.Stdout)
	waitErr := cmd.Wait()
	if len(skips) > 0 {
		fmt.Fprintf(os.Stdout, "\nSkipped for a missing tool (%d): install it to run them; CI=true makes each a failure.\n", len(skips))
		for _, s := range skips {
			fmt.Fprintf(os.Stdout, "  %s %s: %s\n", s.Package, s.Test, s.Reason)
		}
	}
	if readErr != nil && readErr != io.EOF {
		fmt.Fprintln(os.Stderr, "gotest: reading go test's output:", readErr)
		os.Exit(1)
	}
	if waitErr != nil {
		if ee, ok := waitErr.(*exec.ExitError); ok {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "gotest:", strings.TrimSpace(waitErr.Error()))
		os.Exit(1)
	}
}
