// Package testkit holds the helpers that tests of several packages share: the
// fixture catalog (catalog.go), and for the in-process command tests (cli) and the
// end-to-end tests of the built binary (e2e) tools, ports and the hostile-text
// check. Tests only import it.
package testkit

import (
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/d365consent/d365consent/internal/cmd/gotest/testjson"
)

// NeedTool returns the path of a program the test needs; see MissingTool when it is
// not installed.
func NeedTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		MissingTool(t, name, err.Error())
	}
	return p
}

// MissingTool ends a test whose tool is not installed: a failure in CI (CI=true), where
// .ci/run installs every tool, else a skip whose message starts with
// testjson.MissingToolMark, so the README's test command (internal/cmd/gotest) lists it
// where the run ends.
func MissingTool(t testing.TB, tool, detail string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required in CI: %s", tool, detail)
	}
	t.Skipf("%s%s not installed (%s)", testjson.MissingToolMark, tool, detail)
}

// HostileMarks are pieces of emulator.HostileText that only a raw (not sanitized)
// copy carries: sequence introducers, C1 controls, the bidi override, and payloads
// that live inside sequences.
var HostileMarks = []string{"\x1b", "\u009b", "\u009d", "\u009c", "\u202e", "\u202c", "\x07",
	"pwned", "544e", "cm0gLXJmIH4K", "evil.example", "52;c;", "[2J", "?1049h"}

// CheckInert fails the test when text carries any piece of the hostile scenario's raw
// text (SECURITY.md "What it shows on screen").
func CheckInert(t testing.TB, what, text string) {
	t.Helper()
	for _, m := range HostileMarks {
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

// HasWord reports whether s has w as a whitespace-separated word (a trailing ';'
// ignored), as in the output of `stty -a`.
func HasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if strings.TrimSuffix(f, ";") == w {
			return true
		}
	}
	return false
}

// ClosedPort returns a loopback address (127.0.0.1:port) nothing listens on: a
// connection to it is refused.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

var portRE = regexp.MustCompile(`127\.0\.0\.1(?::|%3A)(\d+)`)

// PortsIn finds every 127.0.0.1 port named in text (plain or URL-encoded).
func PortsIn(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range portRE.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// CheckPortsFree binds every port again: a listener left open would refuse.
func CheckPortsFree(t testing.TB, ports []string) {
	t.Helper()
	if len(ports) == 0 {
		t.Error("no port to check")
	}
	for _, p := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:"+p)
		if err != nil {
			t.Errorf("port %s still taken after exit: %v", p, err)
			continue
		}
		ln.Close()
	}
}

// WaitFileFor waits (up to 20 s) until the file at path contains want, and returns
// the file's content.
func WaitFileFor(t testing.TB, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), want) {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q:\n%s", path, want, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// isBidiControl is the tests' own list of the bidirectional controls of
// CVE-2021-42574, independent of the sanitizer's rule (it drops format characters).
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// CheckNoControls fails when s could still drive a terminal: invalid UTF-8, a C0 or C1
// control (a newline only when multiline), or a bidirectional control.
func CheckNoControls(t testing.TB, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%q is not valid UTF-8", s)
	}
	for _, r := range s {
		if r == '\n' && multiline {
			continue
		}
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) {
			t.Fatalf("%q keeps control %U", s, r)
		}
	}
}
