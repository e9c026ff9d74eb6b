package permissions

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The catalog package uses the standard library only, and the module's own
// packages that do too (internal/clouds): every other package (the emulator, the
// flows, the terminal table) reads the catalog, and none of their third-party
// dependencies (Lip Gloss, MSAL, cobra …) may come with it.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/d365consent/d365consent/permissions") {
		t.Fatalf("go list printed no permissions package: %q", deps)
	}
	for _, d := range deps {
		if !strings.HasPrefix(d, "github.com/d365consent/d365consent/") {
			t.Errorf("permissions imports %s, outside the standard library and this module", d)
		}
	}
}
