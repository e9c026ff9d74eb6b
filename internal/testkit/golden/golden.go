// Package golden compares test output with golden files, and rewrites them with
// -update. A run with -update only writes: it never compares what it has just
// written (that would pass whatever the output), so the files must be checked by a
// second run without the flag (and by review of the diff).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The -update flag. Test binaries that link teatest already have one (registered by
// github.com/charmbracelet/x/exp/golden, which initialises before this package: the
// spec orders independent packages by import path), so it is shared, not redefined.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files instead of comparing (then run again without -update)")
	}
}

// Updating reports whether the run rewrites golden files.
func Updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// Path is the conventional golden file of the running test: testdata/<test name>.golden.
func Path(tb testing.TB) string { return filepath.Join("testdata", tb.Name()+".golden") }

// Require compares got with the running test's golden file (Path).
func Require(tb testing.TB, got []byte) {
	tb.Helper()
	Check(tb, Path(tb), got)
}

// Check compares got with the golden file at path; with -update it writes got there
// and compares nothing.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		tb.Logf("rewrote %s (not compared: run again without -update)", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (create it with go test -update, review it, then run without -update)", err)
	}
	want = bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n")) // a Windows checkout
	if !bytes.Equal(got, want) {
		tb.Errorf("output differs from %s:\n--- want\n%s\n--- got\n%s", path, quote(want), quote(got))
	}
}

// quote shows control characters and escape sequences visibly, line by line.
func quote(b []byte) string {
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		q := strconv.Quote(l)
		lines[i] = q[1 : len(q)-1]
	}
	return strings.Join(lines, "\n")
}
