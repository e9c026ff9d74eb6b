package termcaps

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLineMode(t *testing.T) {
	db := t.TempDir()
	if err := os.MkdirAll(filepath.Join(db, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "x", "xterm-known"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(term string) []string {
		return []string{"TERM=" + term, "TERMINFO=" + db, "HOME=" + t.TempDir()}
	}
	for _, tc := range []struct {
		name    string
		environ []string
		goos    string
		want    bool
	}{
		{"dumb", env("dumb"), "linux", true},
		{"DUMB", env("DUMB"), "linux", true},
		{"unset", []string{"HOME=/nowhere"}, "linux", true},
		{"unset on windows", nil, "windows", false},
		{"known", env("xterm-known"), "linux", false},
		{"unknown to terminfo", env("xterm-nosuch-" + t.Name()), "linux", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, why := LineMode(tc.environ, tc.goos)
			if got != tc.want || (got && why == "") {
				t.Errorf("LineMode = %v, %q; want %v", got, why, tc.want)
			}
		})
	}
}
