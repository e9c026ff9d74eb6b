package cli

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
)

// latencyNote is a step's timing in the text report: it differs between runs.
var latencyNote = regexp.MustCompile(`  \((<1 ms|\d+ ms|[\d.]+ s)\)`)

// TestDoctorWrapsAtWords: the doctor's text report at 80 and 120 columns (COLUMNS),
// against a tenant in another cloud (a fix that is a command) and against one whose
// certificate this machine does not trust (long evidence and fixes), has no line wider than the
// terminal but a lone command, the same words as the full report (none split), the
// command whole on one line; --format json keeps each text whole, as the full
// report prints it.
func TestDoctorWrapsAtWords(t *testing.T) {
	srv, args, trust := doctorAgainst(t, emulator.Options{CloudInstance: emulator.CloudInstance{Name: "microsoftonline.us", RegionScope: "USGov", RegionSubScope: "DODCON"}})
	args = append(args, "--tenant", srv.TenantDomain())
	command := "d365consent doctor --cloud usgov --tenant " + srv.TenantDomain()
	for _, c := range []struct {
		name  string
		setup func(*Factory)
		has   string
	}{
		{"another cloud", trust, "      fix: Use --cloud usgov with every command: " + command + "\n"},
		{"untrusted", nil, "which this machine does not trust\n      fix: Update the system's CA certificates"},
	} {
		env := []string{"NO_COLOR=1", "LANG=C.UTF-8"}
		_, full, _ := runFlowsCmdWith(t, c.setup, env, args...)
		full = latencyNote.ReplaceAllString(full, "")
		if !strings.Contains(full, c.has) {
			t.Fatalf("%s: the full report lacks %q:\n%s", c.name, c.has, full)
		}
		for _, width := range []int{80, 120} {
			t.Run(c.name+"@"+strconv.Itoa(width), func(t *testing.T) {
				env := append(env, "COLUMNS="+strconv.Itoa(width))
				code, got, _ := runFlowsCmdWith(t, c.setup, env, args...)
				if code != 1 {
					t.Fatalf("exit %d", code)
				}
				got = latencyNote.ReplaceAllString(got, "")
				testkit.CheckWrapped(t, got, full, width)
				if width == 80 && !strings.Contains(got, "\n"+strings.Repeat(" ", 11)) {
					t.Errorf("no continuation line hangs under a fix's text:\n%s", got)
				}
				if c.setup != nil && !strings.Contains(got, "\n"+strings.Repeat(" ", 11)+command+"\n") && !strings.Contains(got, ": "+command+"\n") {
					t.Errorf("the fix's command is not whole on its own line:\n%s", got)
				}

				_, js, _ := runFlowsCmdWith(t, c.setup, env, append(args, "--format", "json")...)
				var r doctorJSON
				if err := json.Unmarshal([]byte(js), &r); err != nil {
					t.Fatalf("%v\n%s", err, js)
				}
				for _, c := range r.Checks {
					if !strings.Contains(full, "      "+c.Evidence+"\n") || (c.Fix != "" && !strings.Contains(full, "      fix: "+c.Fix+"\n")) {
						t.Errorf("%s: the JSON text is not the full report's line: %q / %q", c.ID, c.Evidence, c.Fix)
					}
				}
			})
		}
	}
}
