package permissions

import (
	"os/exec"
	"strings"
	"testing"
)

// The catalog package uses the standard library only: every other package (the
// emulator, the flows, the terminal table) reads the catalog, and none of their
// dependencies may come with it.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 1 || got[0] != "github.com/d365consent/d365consent/permissions" {
		t.Fatalf("permissions imports packages outside the standard library: %q", got)
	}
}
