package cli

import (
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
)

// demo --help lists every scenario with its one-line description.
func TestDemoHelpListsScenarios(t *testing.T) {
	code, out, _ := runCmd(t, nil, "demo", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range emulator.Scenarios() {
		if s.Description == "" {
			t.Errorf("scenario %s has no description", s.Name)
		}
		line := "  " + s.Name
		i := strings.Index(out, line)
		if i < 0 || !strings.Contains(out[i:], s.Description) {
			t.Errorf("demo --help lacks %s: %s", s.Name, s.Description)
		}
	}
}

// demo with a scenario that does not exist is bad usage, before any terminal check.
func TestDemoUnknownScenario(t *testing.T) {
	code, _, errs := runCmd(t, nil, "demo", "--scenario", "nope")
	if code != exitUsage || !strings.Contains(errs, "nope") {
		t.Fatalf("exit %d stderr %q", code, errs)
	}
}
