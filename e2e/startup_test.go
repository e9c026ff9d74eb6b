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
		t.Skip("MSAL's authority package no longer has init work: internal/bigstack may be unneeded")
	}
	if stack < 0 || stack > msal {
		t.Fatalf("internal/bigstack initialised at line %d, MSAL authority at %d: the stack must grow first\n%s", stack, msal, out)
	}
}
