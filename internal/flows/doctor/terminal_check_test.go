package doctor

import (
	"strings"
	"testing"
)

// A terminal whose size is unknown (0) says so rather than "0x0".
func TestTerminalCheckUnknownSize(t *testing.T) {
	for _, tc := range []struct {
		width, height int
		want          string
	}{{0, 0, "size unknown"}, {1, 1, "1x1"}, {120, 40, "120x40"}} {
		cfg := Config{GOOS: "linux", Terminal: Terminal{IsTerminal: true, Width: tc.width, Height: tc.height}}
		if c := terminalCheck(&cfg); !strings.Contains(c.Evidence, tc.want) {
			t.Errorf("%dx%d: evidence %q, want %q in it", tc.width, tc.height, c.Evidence, tc.want)
		}
	}
}
