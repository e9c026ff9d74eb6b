package testjson

import (
	"strings"
	"testing"
)

// A run as go test -json prints it: one package passes with a test skipped for a
// missing tool and one skipped for another reason, one package fails a test, one has
// no test files, one does not build.
const run = `{"Action":"start","Package":"m/a"}
{"Action":"run","Package":"m/a","Test":"TestBrowser"}
{"Action":"output","Package":"m/a","Test":"TestBrowser","Output":"=== RUN   TestBrowser\n"}
{"Action":"output","Package":"m/a","Test":"TestBrowser","Output":"    chromium_test.go:26: missing tool: chromium not installed\n"}
{"Action":"output","Package":"m/a","Test":"TestBrowser","Output":"--- SKIP: TestBrowser (0.00s)\n"}
{"Action":"skip","Package":"m/a","Test":"TestBrowser","Elapsed":0}
{"Action":"run","Package":"m/a","Test":"TestShort"}
{"Action":"output","Package":"m/a","Test":"TestShort","Output":"    a_test.go:9: slow test in -short mode\n"}
{"Action":"skip","Package":"m/a","Test":"TestShort","Elapsed":0}
{"Action":"run","Package":"m/a","Test":"TestOK"}
{"Action":"output","Package":"m/a","Test":"TestOK","Output":"    a_test.go:12: a log line of a passing test\n"}
{"Action":"pass","Package":"m/a","Test":"TestOK","Elapsed":0}
{"Action":"output","Package":"m/a","Output":"PASS\n"}
{"Action":"output","Package":"m/a","Output":"ok  \tm/a\t0.01s\n"}
{"Action":"pass","Package":"m/a","Elapsed":0.01}
{"Action":"run","Package":"m/b","Test":"TestBroken"}
{"Action":"output","Package":"m/b","Test":"TestBroken","Output":"=== RUN   TestBroken\n"}
{"Action":"output","Package":"m/b","Test":"TestBroken","Output":"    b_test.go:5: got 1, want 2\n"}
{"Action":"output","Package":"m/b","Test":"TestBroken","Output":"--- FAIL: TestBroken (0.00s)\n"}
{"Action":"fail","Package":"m/b","Test":"TestBroken","Elapsed":0}
{"Action":"output","Package":"m/b","Output":"FAIL\n"}
{"Action":"output","Package":"m/b","Output":"FAIL\tm/b\t0.01s\n"}
{"Action":"fail","Package":"m/b","Elapsed":0.01}
{"Action":"output","Package":"m/c","Output":"?   \tm/c\t[no test files]\n"}
{"Action":"skip","Package":"m/c","Elapsed":0}
{"ImportPath":"m/d","Action":"build-output","Output":"# m/d\n"}
{"ImportPath":"m/d","Action":"build-output","Output":"d.go:3:1: syntax error\n"}
{"ImportPath":"m/d","Action":"build-fail"}
not json at all
`

func TestReplayPrintsWhatGoTestPrintsAndCollectsMissingTools(t *testing.T) {
	var out strings.Builder
	skips, err := Replay(strings.NewReader(run), &out)
	if err != nil {
		t.Fatal(err)
	}
	want := "ok  \tm/a\t0.01s\n" +
		"=== RUN   TestBroken\n    b_test.go:5: got 1, want 2\n--- FAIL: TestBroken (0.00s)\n" +
		"FAIL\nFAIL\tm/b\t0.01s\n" +
		"?   \tm/c\t[no test files]\n" +
		"# m/d\nd.go:3:1: syntax error\n" +
		"not json at all\n"
	if out.String() != want {
		t.Errorf("output:\n%q\nwant:\n%q", out.String(), want)
	}
	if len(skips) != 1 || skips[0] != (Skip{Package: "m/a", Test: "TestBrowser", Reason: "chromium not installed"}) {
		t.Errorf("skips = %+v, want TestBrowser's chromium only", skips)
	}
}

func TestReplayVerboseWritesEveryLine(t *testing.T) {
	var out strings.Builder
	skips, err := ReplayVerbose(strings.NewReader(run), &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"a log line of a passing test", "slow test in -short mode", "PASS\n", "--- SKIP: TestBrowser", "FAIL\tm/b"} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("verbose output lacks %q:\n%s", line, out.String())
		}
	}
	if strings.Count(out.String(), "got 1, want 2") != 1 {
		t.Errorf("a failed test's output is written once in verbose mode:\n%s", out.String())
	}
	if len(skips) != 1 || skips[0].Test != "TestBrowser" {
		t.Errorf("skips = %+v", skips)
	}
}

func TestNamesPackage(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"-race", "-count=1"}, false},
		{[]string{"-count", "1", "-run", "TestX"}, false},
		{[]string{"-run", "TestX", "./cli"}, true},
		{[]string{"./..."}, true},
		{[]string{"-race", "./e2e"}, true},
	}
	for _, tt := range tests {
		if got := NamesPackage(tt.args); got != tt.want {
			t.Errorf("NamesPackage(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
