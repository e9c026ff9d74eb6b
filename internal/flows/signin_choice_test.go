package flows

import (
	"errors"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/browser"
)

// Over SSH or with no display/browser the
// loopback sign-in cannot be finished (it returns to http://localhost on this
// machine), so the device code flow is chosen, and the screen says why.
func TestChooseSignIn(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/xdg-open", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	noWSL := func(string) ([]byte, error) { return []byte("Linux version 6.1"), nil }
	for _, tc := range []struct {
		name    string
		force   bool
		env     []string
		goos    string
		look    func(string) (string, error)
		device  bool
		reasons []string
	}{
		{"desktop linux", false, []string{"DISPLAY=:0"}, "linux", found, false, nil},
		{"macOS", false, nil, "darwin", found, false, nil},
		{"windows", false, nil, "windows", found, false, nil},
		{"forced on a desktop", true, []string{"DISPLAY=:0"}, "linux", found, true, []string{"--device-code"}},
		{"ssh", false, []string{"SSH_CONNECTION=10.0.0.1 22 10.0.0.2 22", "DISPLAY=localhost:10.0"}, "linux", found, true, []string{"SSH", "http://localhost", "device code"}},
		{"ssh to a mac", false, []string{"SSH_TTY=/dev/ttys001"}, "darwin", found, true, []string{"SSH"}},
		{"headless linux", false, nil, "linux", found, true, []string{"no graphical display", "device code"}},
		{"no opener", false, []string{"WAYLAND_DISPLAY=wayland-0"}, "linux", missing, true, []string{"xdg-open"}},
		{"WSL reaches the Windows browser", false, []string{"WSL_DISTRO_NAME=Ubuntu"}, "linux", found, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := &browser.System{Environ: tc.env, GOOS: tc.goos, LookPath: tc.look, ReadFile: noWSL}
			c := ChooseSignIn(tc.force, sb)
			if c.DeviceCode != tc.device {
				t.Fatalf("device code %v, want %v (%s)", c.DeviceCode, tc.device, c.Reason)
			}
			if !tc.device && c.Reason != "" {
				t.Errorf("reason %q for interactive", c.Reason)
			}
			for _, s := range tc.reasons {
				if !strings.Contains(c.Reason, s) {
					t.Errorf("reason lacks %q: %s", s, c.Reason)
				}
			}
			if strings.Contains(c.Reason, "any device") && strings.Contains(c.Reason, "this or") {
				t.Errorf("reason says 'this or any device': %s", c.Reason)
			}
		})
	}
}
