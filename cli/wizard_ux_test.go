package cli

import (
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/browser"
)

func TestBrowserUX(t *testing.T) {
	desktop := &browser.System{Environ: []string{"HOME=/Users/a"}, GOOS: "darwin"}
	ssh := []string{"SSH_CONNECTION=192.0.2.1 50000 192.0.2.2 22", "DISPLAY=:0"}
	sshBrowser := &browser.System{Environ: ssh, GOOS: "linux"} // SSH is decided before any look-up
	notWSL := func(string) ([]byte, error) { return []byte("Linux version 6.1.0 (debian)"), nil }
	headless := &browser.System{Environ: []string{"HOME=/root"}, GOOS: "linux", ReadFile: notWSL}
	tests := []struct {
		name               string
		b                  browser.Browser
		env                []string
		noBrowser, qrFirst bool
	}{
		{"desktop", desktop, nil, false, false},
		{"--no-browser", nil, nil, true, false},
		{"ssh", sshBrowser, ssh, true, true},
		{"ssh --no-browser", nil, ssh, true, true},
		{"headless linux", headless, nil, true, true},
	}
	for _, tt := range tests {
		nb, qr := browserUX(tt.b, tt.env)
		if nb != tt.noBrowser || qr != tt.qrFirst {
			t.Errorf("%s: noBrowser %v qrFirst %v, want %v %v", tt.name, nb, qr, tt.noBrowser, tt.qrFirst)
		}
	}
}

// `d365consent demo | tee log`: typed at a terminal, output piped. The refusal names
// --accessible, which works through the pipe; a script (no terminal at all) is pointed
// at the non-interactive commands.
func TestWizardWithoutTerminalPointsTheWay(t *testing.T) {
	for _, tt := range []struct {
		name       string
		inTerminal bool
		accessible bool
	}{{"piped output", true, true}, {"script", false, false}} {
		t.Run(tt.name, func(t *testing.T) {
			errOut := &lockedBuffer{}
			a := newFactory(strings.NewReader(""), &lockedBuffer{}, errOut, []string{"TERM=xterm-256color"})
			in := a.stdin
			a.isTerminal = func(f any) bool { return tt.inTerminal && f == in }
			if code := exitCode(a.requireTerminal()); code != exitUsage {
				t.Errorf("exit %d", code)
			}
			if got := strings.Contains(errOut.String(), "--accessible"); got != tt.accessible {
				t.Errorf("names --accessible: %v, want %v: %q", got, tt.accessible, errOut.String())
			}
		})
	}
}
