package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Guards for the start-up work of issue 13 (BENCHMARKS.md "Start-up against an
// empty Go program").

// TestStackGrownBeforeMSALInit: internal/bigstack must be initialised before MSAL's
// authority package, whose package-level regexp compilation it exists for. The
// order follows from import paths (the spec's initialisation order); this checks it
// in the real binary.
func TestStackGrownBeforeMSALInit(t *testing.T) {
	cmd := exec.Command(bin, "permissions", "--format", "json")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	stack, msal := -1, -1
	for i, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "init" {
			continue
		}
		switch f[1] {
		case "github.com/d365consent/d365consent/internal/bigstack":
			stack = i
		case "github.com/AzureAD/microsoft-authentication-library-for-go/apps/internal/oauth/ops/authority":
			msal = i
		}
	}
	if msal < 0 {
		// Not a skip: a silent pass would keep a start-up workaround nobody needs.
		t.Fatalf("MSAL's authority package no longer has init work: remove internal/bigstack (and this test)\n%s", out)
	}
	if stack < 0 || stack > msal {
		t.Fatalf("internal/bigstack initialised at line %d, MSAL authority at %d: the stack must grow first\n%s", stack, msal, out)
	}
}

// notLinked are packages the binary must not link again, each with why it was
// dropped (issue 13: each one's init ran at every start of every command).
var notLinked = map[string]string{
	"golang.org/x/net/http/httpproxy": "it links x/net/idna and x/text's tables (~200 KB); flows/doctor/proxy.go applies net/http's proxy rules",
	"golang.org/x/net/idna":           "see golang.org/x/net/http/httpproxy (net/http has its own vendored copy)",
	"golang.org/x/text":               "see golang.org/x/net/http/httpproxy (net/http has its own vendored copy)",
	"html/template":                   "its init builds tables and compiles regexps, and it executes text/template (see TestDeadCodeEliminationKept); emulator/pages.go renders the demo pages",
}

// TestBinaryDoesNotLink fails when the d365consent binary links a package that was
// removed for its start-up cost (see notLinked; the man page renderer has its own
// test in internal/cmd/genman).
func TestBinaryDoesNotLink(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "..").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for banned, why := range notLinked {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") {
				t.Errorf("the d365consent binary links %s again: %s", pkg, why)
			}
		}
	}
}

// TestDeadCodeEliminationKept: reflect.Value.Method and MethodByName must stay
// unreachable. Once anything can call them (executing a text/template or
// html/template does; cobra avoids it unless a custom usage/help template is set),
// the linker keeps every exported method of every type that may reach an
// interface: 2.6 MB more binary (12.2 → 14.8 MB when the demo pages used
// text/template), and start-up time with it.
func TestDeadCodeEliminationKept(t *testing.T) {
	out, err := exec.Command("go", "tool", "nm", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool nm: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[1] == "T" && (f[2] == "reflect.Value.Method" || f[2] == "reflect.Value.MethodByName") {
			t.Errorf("the binary links %s: something executes a text/template or calls reflect's Method (see the test's doc)", f[2])
		}
	}
}
