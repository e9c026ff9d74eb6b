package cli

import (
	"os"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// `permissions --format …` writes, byte for byte, what the writers' golden files
// hold for the same catalog (piped: no colour, the width from COLUMNS).
func TestPermissionsOutputMatchesGoldens(t *testing.T) {
	for _, tc := range []struct {
		format, columns, golden string
	}{
		{"table", "", "../internal/permtable/testdata/table-100.golden"},
		{"text", "140", "../internal/permtable/testdata/table-140.golden"},
		{"table", "60", "../internal/permtable/testdata/table-60.golden"},
		{"json", "", "../permissions/testdata/json.golden"},
		{"markdown", "", "../permissions/testdata/markdown.golden"},
		{"csv", "", "../permissions/testdata/csv.golden"},
	} {
		t.Run(tc.format+tc.columns, func(t *testing.T) {
			want, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			env := []string{"TERM=xterm-256color", "LANG=en_US.UTF-8"}
			if tc.columns != "" {
				env = append(env, "COLUMNS="+tc.columns)
			}
			code, out, errs := runCmd(t, env, "permissions", "--catalog", testkit.CatalogPath(t), "--format", tc.format)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if out != string(want) {
				t.Errorf("output is not %s:\n%s", tc.golden, out)
			}
		})
	}
}
