// Package testjson replays `go test -json` as go test's own terse output (package
// summaries, the output of failed tests, build errors) and collects the tests that
// skipped for a missing tool.
package testjson

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// MissingToolMark starts the skip message of a test whose tool is not installed
// (internal/testkit.NeedTool writes it); Replay collects the tests whose skip says it.
const MissingToolMark = "missing tool: "

// Skip is a test skipped for a missing tool.
type Skip struct {
	Package, Test string
	// Reason is the skip message after MissingToolMark ("chromium not installed").
	Reason string
}

// event is one line of go test -json (cmd/test2json).
type event struct {
	Action     string
	Package    string
	ImportPath string
	Test       string
	Output     string
}

// Replay reads go test -json from r and writes what go test without -json prints to
// w: build errors, each failed test's output, and the package lines ("ok", "FAIL",
// "?"). It returns the tests that skipped for a missing tool, in the order they ended.
func Replay(r io.Reader, w io.Writer) ([]Skip, error) {
	return replay(r, w, false)
}

// ReplayVerbose is Replay for go test -v: every line of output is written.
func ReplayVerbose(r io.Reader, w io.Writer) ([]Skip, error) {
	return replay(r, w, true)
}

func replay(r io.Reader, w io.Writer, verbose bool) ([]Skip, error) {
	var skips []Skip
	pending := map[string][]string{} // package + test -> its output lines so far
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil || e.Action == "" {
			fmt.Fprintf(w, "%s\n", line) // not an event: pass it on as it came
			continue
		}
		key := e.Package + "\x00" + e.Test
		if verbose && (e.Action == "output" || e.Action == "build-output") {
			io.WriteString(w, e.Output)
			if e.Test != "" {
				pending[key] = append(pending[key], e.Output) // for the skip's reason
			}
			continue
		}
		switch {
		case e.Action == "build-output":
			io.WriteString(w, e.Output)
		case e.Action == "output" && e.Test == "":
			if o := strings.TrimSpace(e.Output); o != "PASS" && !strings.HasPrefix(o, "=== ") && !strings.HasPrefix(o, "--- PASS") {
				io.WriteString(w, e.Output)
			}
		case e.Action == "output":
			pending[key] = append(pending[key], e.Output)
		case e.Action == "fail" && e.Test != "":
			if !verbose { // verbose output was written as it came
				for _, o := range pending[key] {
					io.WriteString(w, o)
				}
			}
			delete(pending, key)
		case e.Action == "skip" && e.Test != "":
			if reason, ok := missingTool(pending[key]); ok {
				skips = append(skips, Skip{Package: e.Package, Test: e.Test, Reason: reason})
			}
			delete(pending, key)
		case e.Action == "pass":
			delete(pending, key)
		}
	}
	return skips, sc.Err()
}

// missingTool finds MissingToolMark in a skipped test's output.
func missingTool(lines []string) (string, bool) {
	for _, l := range lines {
		if _, after, ok := strings.Cut(l, MissingToolMark); ok {
			return strings.TrimSpace(after), true
		}
	}
	return "", false
}

// NamesPackage reports whether go test arguments name a package (an argument that is
// not a flag and not a flag's value), so that ./... is added only when none does.
func NamesPackage(args []string) bool {
	valueFlags := map[string]bool{"-run": true, "-bench": true, "-count": true, "-timeout": true, "-p": true,
		"-cpu": true, "-skip": true, "-tags": true, "-benchtime": true, "-coverprofile": true, "-parallel": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if valueFlags[a] {
				i++ // its value is the next argument
			}
			continue
		}
		return true
	}
	return false
}
