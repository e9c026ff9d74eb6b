package cli

import (
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
		demo               bool
		noBrowser, qrFirst bool
	}{
		{"desktop", desktop, nil, false, false, false},
		{"--no-browser", nil, nil, false, true, false},
		{"ssh", sshBrowser, ssh, false, true, true},
		{"ssh --no-browser", nil, ssh, false, true, true},
		{"headless linux", headless, nil, false, true, true},
		{"demo over ssh", sshBrowser, ssh, true, true, false},
		{"demo desktop", desktop, nil, true, false, false},
	}
	for _, tt := range tests {
		nb, qr := browserUX(tt.b, tt.env, tt.demo)
		if nb != tt.noBrowser || qr != tt.qrFirst {
			t.Errorf("%s: noBrowser %v qrFirst %v, want %v %v", tt.name, nb, qr, tt.noBrowser, tt.qrFirst)
		}
	}
}
