package cli

import (
	"context"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
)

// machine is where a demo runs, as the Factory sees it: the environment, and whether
// it has a graphical display with a browser opener.
type machine struct {
	environ []string
	desktop bool
}

// desktop is a Linux desktop: a display and xdg-open, so production signs in through
// the browser.
func desktop() machine {
	return machine{environ: []string{"TERM=xterm-256color", "LANG=en_US.UTF-8", "DISPLAY=:0"}, desktop: true}
}

// overSSH is an SSH session: production signs in with a device code and shows QR
// codes first.
func overSSH() machine {
	return machine{environ: []string{"TERM=xterm-256color", "LANG=en_US.UTF-8", "SSH_CONNECTION=10.0.0.1 5555 10.0.0.2 22"}}
}

// factory is a Factory on mc: its environment, and the system browser as mc has it
// (the look-ups of a desktop answered, so the test machine's own programs do not
// decide).
func (mc machine) factory(stdin io.Reader, out *lockedBuffer) *Factory {
	a := newFactory(stdin, out, out, mc.environ)
	if mc.desktop {
		a.browser = &browser.System{Environ: mc.environ, GOOS: "linux",
			LookPath: func(file string) (string, error) { return "/usr/bin/" + file, nil },
			ReadFile: func(string) ([]byte, error) { return []byte("Linux version 6.1.0 (debian)"), nil }}
	}
	return a
}

// The demo decides how to sign in as production does on the same machine: over SSH
// and without a display a device code, with the reason, and QR codes first; on a
// desktop the browser. --no-browser changes neither, as in production.
func TestDemoWalksTheProductionPath(t *testing.T) {
	headless := machine{environ: []string{"TERM=xterm-256color", "HOME=/root"}}
	for _, tt := range []struct {
		name                string
		mc                  machine
		noBrowser           bool
		deviceCode, qrFirst bool
		reason              string
	}{
		{"over ssh", overSSH(), false, true, true, "this is an SSH session"},
		{"over ssh --no-browser", overSSH(), true, true, true, "this is an SSH session"},
		{"no display", headless, true, true, false, "no graphical display"},
		{"desktop", desktop(), false, false, false, ""},
		{"desktop --no-browser", desktop(), true, false, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.mc.factory(strings.NewReader(""), &lockedBuffer{})
			a.opts.NoBrowser, a.opts.Cloud = tt.noBrowser, "global"
			env, err := startDemo(context.Background(), a, "fresh")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = env.Close() })
			cfg := a.demoWizardConfig(env)
			prod, err := a.realConfig()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DeviceCode != prod.DeviceCode || cfg.DeviceCodeReason != prod.DeviceCodeReason || cfg.Browser != prod.Browser {
				t.Errorf("demo: device code %v (%q) browser %v; production: %v (%q) %v",
					cfg.DeviceCode, cfg.DeviceCodeReason, cfg.Browser, prod.DeviceCode, prod.DeviceCodeReason, prod.Browser)
			}
			if cfg.DeviceCode != tt.deviceCode || !strings.Contains(cfg.DeviceCodeReason, tt.reason) || (cfg.DeviceCodeReason == "") == tt.deviceCode {
				t.Errorf("device code %v (%q), want %v (%q)", cfg.DeviceCode, cfg.DeviceCodeReason, tt.deviceCode, tt.reason)
			}
			if (cfg.Browser == nil) != tt.noBrowser {
				t.Errorf("--no-browser %v, but the demo's browser is %v", tt.noBrowser, cfg.Browser)
			}
			sess, err := flows.NewSession(cfg)
			if err != nil {
				t.Fatal(err)
			}
			opts := a.wizardOptions(wizardTarget{cfg: cfg, catalog: env.Catalog, approver: &demoApprover{env}, demo: true, scenario: "fresh"}, sess)
			if opts.QRFirst != tt.qrFirst || opts.Approver == nil || opts.Can.ApproveDevice == nil {
				t.Errorf("QR first %v (want %v), a answers pages %v, device codes %v", opts.QRFirst, tt.qrFirst, opts.Approver != nil, opts.Can.ApproveDevice != nil)
			}
		})
	}
}

// TestDemoOverSSHEndsAsOverTheBrowser walks every demo scenario for CE and UO in the
// full-screen wizard twice, with the real emulator and MSAL: on a desktop (browser
// sign-in) and over SSH (device code, QR codes first, at 120×40), the admin taking the
// obvious path and answering every page with a. Both end alike: the same steps,
// verdict, exit code, refusal code with its support ids, and printed commands.
func TestDemoOverSSHEndsAsOverTheBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every scenario twice against the demo tenant")
	}
	for _, sc := range emulator.Scenarios() {
		for _, app := range []string{"1", "2"} { // CE, UO
			t.Run(sc.Name+"/"+app, func(t *testing.T) {
				t.Parallel()
				overBrowser, browserShown := walkFullScreenOn(t, desktop(), 120, 40, sc.Name, app)
				overDevice, deviceShown := walkFullScreenOn(t, overSSH(), 120, 40, sc.Name, app)
				if !reflect.DeepEqual(overBrowser, overDevice) {
					t.Errorf("the demo ends differently over SSH:\nbrowser     %+v\ndevice code %+v\nlast screens over SSH:\n%s",
						overBrowser, overDevice, tail(deviceShown, 3000))
				}
				// Over SSH the sign-in showed a device code and why, unless Entra ID refused
				// to start it (signin-app-blocked: the app is disabled).
				deviceCode := strings.Contains(deviceShown, "On any device, enter the code ") && strings.Contains(deviceShown, "this is an SSH session")
				if !deviceCode && (overDevice.refusal == 0 || strings.Contains(deviceShown, "Open this page in a browser")) {
					t.Errorf("over SSH the demo did not sign in with a device code:\n%s", tail(deviceShown, 3000))
				}
				if strings.Contains(browserShown, "enter the code") {
					t.Errorf("on a desktop the demo signed in with a device code:\n%s", tail(browserShown, 3000))
				}
			})
		}
	}
}
