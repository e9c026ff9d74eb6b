// Package ui is the Bubble Tea v2 wizard over the flows: choose the app, review its
// permissions, sign in, see the current state, consent, verify (DESIGN.md "The flow").
//
// The package depends only on what it needs: the Engine and ConsentWaiter interfaces
// below (main adapts *flows.Session to them), the flows' plain data types, and the
// permissions catalog. It never imports net/http, MSAL or the emulator.
package ui

import (
	"context"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/permissions"
)

// Engine is what the wizard needs from the flows. *flows.Session satisfies it through
// a small adapter in main (StartConsent returns a ConsentWaiter there).
type Engine interface {
	// SignIn signs the admin in; prompt is called with the URL (or device code) to show.
	SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error)
	// Verify reads the app's grants in the tenant.
	Verify(ctx context.Context, app *permissions.App) (*flows.Result, error)
	// StartConsent starts waiting for admin consent (loopback listener + Graph polling).
	StartConsent(ctx context.Context, app *permissions.App) (ConsentWaiter, error)
}

// ConsentWaiter is a consent in progress (flows.Consent behind an adapter).
type ConsentWaiter interface {
	// ConsentURL is the admin consent URL to open in a browser.
	ConsentURL() string
	// Events delivers progress; it is closed after the final event.
	Events() <-chan flows.ConsentEvent
	// Recheck asks the poller to check Graph now.
	Recheck()
	// Close stops polling and frees the loopback port. It is idempotent.
	Close() error
}

// Approver approves a browser step (sign-in or admin consent page) without a browser:
// demo mode wires it to the emulator's demo browser, signed in as the demo admin.
type Approver interface {
	Approve(ctx context.Context, url string) error
}

// ConsentApprover is optionally implemented by an Approver whose browser ends the
// admin consent page where a real browser would on the production path: on the app
// publisher's page, nothing sent back to us. ApproveConsent returns that address ("" when
// the result went to a loopback listener instead), and the wizard hands it to the
// consent wait exactly as it would an address the admin pasted (issue 10 paste-back).
type ConsentApprover interface {
	ApproveConsent(ctx context.Context, url string) (landedOn string, err error)
}

// DeviceApprover is optionally implemented by an Approver that can also complete a
// device-code sign-in.
type DeviceApprover interface {
	ApproveDevice(ctx context.Context, userCode string) error
}

// Options configure the wizard.
type Options struct {
	Engine   Engine
	Approver Approver // nil: no `a` key
	Catalog  *permissions.Catalog
	// ClientID overrides every app's client id (--client-id).
	ClientID string
	// App preselects an app key ("ce", "uo"); "" lets the admin choose.
	App string
	// Demo marks the embedded demo tenant (shown in the header).
	Demo bool
	// NoColor turns colour off (NO_COLOR, --no-color).
	NoColor bool
	// NoBrowser says no browser will be opened (--no-browser, an SSH session, no
	// display): URL screens say "open this page" rather than "your browser should open".
	NoBrowser bool
	// QRFirst shows the QR code on URL screens from the start (SSH sessions: the
	// admin's browser is on another device).
	QRFirst bool
	// Glyphs are the symbols to draw with (termcaps.Detect); zero = Unicode.
	Glyphs termcaps.Glyphs
	// Now is the clock for elapsed times; nil = time.Now.
	Now func() time.Time
	// ReportDir is where "save report" writes; "" = current directory.
	ReportDir string
	// WriteReport writes a report; nil = flows.WriteReport.
	WriteReport func(path string, r *flows.Result) error
	// CommandFlags are added to every d365consent command line the wizard prints
	// (e.g. --cloud usgov, --authority-host URL, or --demo --scenario S), so each
	// runs as printed against the same target.
	CommandFlags []string
	// WriteFile writes an error report; nil = os.WriteFile.
	WriteFile func(path string, data []byte) error
	// OnURL, when set, is told every browser URL the wizard shows (the --debug hook
	// that lets the real-browser test open it in Chromium).
	OnURL func(kind, url string)
	// Diagnose, when set, runs the doctor's checks after a network, TLS or clock
	// failure; the error screen shows its verdict (doctor_hook.go).
	Diagnose Diagnoser
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
