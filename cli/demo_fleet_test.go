package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/fleet"
)

// `verify --demo --tenants customers.txt` runs as the README prints it on a machine
// without that file: the demo partner fleet's customers are checked, and stderr says
// so with the one command that writes the list; a file that exists is read as ever.
func TestVerifyDemoFleetWithoutTenantsFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "customers.txt")
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--tenants", missing, "--format", "json")
	if code != exitRefused {
		t.Fatalf("exit %d, want %d\n%s", code, exitRefused, errOut)
	}
	var doc fleet.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	var got []string
	for _, r := range doc.Rows {
		got = append(got, r.Tenant)
	}
	var want []string
	for _, l := range strings.Split(demoFleetList, "\n")[1:8] {
		want = append(want, strings.Fields(l)[0])
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows %q, want %q", got, want)
	}
	note := missing + " does not exist: checking the demo partner fleet's 7 customers. To edit the list, write them to the file first:\n" +
		"  printf '%s\\n' " + strings.Join(want, " ") + " > " + missing + "\n"
	if errOut != note {
		t.Fatalf("stderr %q\nwant %q", errOut, note)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Fatal("the demo wrote the tenants file")
	}

	// A file that exists is the list, even under --demo.
	code, out, errOut = runFlowsCmd(t, "verify", "--demo", "--tenants", fleetFile(t, "fabrikam.onmicrosoft.com\n"), "--format", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK || len(doc.Rows) != 1 || errOut != "" {
		t.Fatalf("exit %d rows %d stderr %q err %v", code, len(doc.Rows), errOut, err)
	}
}
