// Package ui renders the wizard (internal/wizard) two ways: the Bubble Tea v2 full
// screen (Run) and line mode for screen readers and dumb terminals (RunAccessible).
// Both only draw the flow's step and turn keys or lines into its events.
//
// The package depends only on what it needs: the Engine and ConsentWaiter interfaces
// below (cli adapts *flows.Session to them), the flows' plain data types, and the
// permissions catalog. It never imports net/http, MSAL or the emulator.
package ui

import (
	"context"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/wizard"
	"github.com/d365consent/d365consent/permissions"
)

// Engine is what the wizard needs from the flows. *flows.Session satisfies it through
// a small adapter in cli (StartConsent returns a ConsentWaiter there).
type Engine interface {
	// SignIn signs the admin in; prompt is called with the URL (or device code) to show.
	SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error)
	// Verify reads the app's grants in the tenant.
	Verify(ctx context.Context, app *permissions.App) (*flows.Result, error)
	// StartConsent starts waiting for admin consent (loopback listener + Graph polling).
	StartConsent(ctx context.Context, app *permissions.App) (ConsentWaiter, error)
	// Admin is the signed-in admin as last read (nil before sign-in): Verify reads
	// the roles again when the sign-in's own token could not read them.
	Admin() *flows.Admin
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
	// Paste takes what the admin pasted after the consent page: the address the
	// browser ended on, or an AADSTS code.
	Paste(s string) error
	// Resume waits on for another admin's consent after the wait paused because the
	// signed-in account cannot grant it (flows.ConsentEvent.Paused).
	Resume()
	// LoopbackRedirect tells whether the consent result comes back to a loopback
	// listener; when it does not (production), the screens explain paste-back.
	LoopbackRedirect() bool
}

// Approver approves a browser step (sign-in or admin consent page) without a browser:
// demo mode wires it to the emulator's demo browser, signed in as the demo admin.
type Approver interface {
	Approve(ctx context.Context, url string) error
}

// The engine's and the approver's optional abilities are given explicitly in
// Options.Can.

// Capabilities are the optional abilities of the engine and the approver; a nil
// function is one they lack.
type Capabilities struct {
	// SwitchAccount signs in anew as another account ("sign in as someone else",
	// prompt=select_account).
	SwitchAccount func(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error)
	// FindApps lists the tenant's service principals named like app.
	FindApps func(ctx context.Context, app *permissions.App) ([]flows.AppCandidate, error)
	// ApproveConsent answers the admin consent page where a real browser would on the
	// production path: on the app publisher's page, nothing sent back to us. It
	// returns that address ("" when the result went to a loopback listener), which the
	// wizard hands to the consent wait as it would an address the admin pasted. Nil:
	// the Approver's Approve answers the page.
	ApproveConsent func(ctx context.Context, url string) (landedOn string, err error)
	// ApproveDevice completes a device-code sign-in in the demo browser.
	ApproveDevice func(ctx context.Context, userCode string) error
	// AwaitConsent waits for consent someone else grants — a reviewer approving the
	// request the admin consent workflow filed — reading Graph as StartConsent's wait
	// does, without opening the consent page or filing another request
	// (flows.Session.AwaitConsent). Nil: no w to wait for the approval.
	AwaitConsent func(ctx context.Context, app *permissions.App) (ConsentWaiter, error)
}

// capabilities are o.Can, with the consent page answered by Approve when the
// approver has no ApproveConsent.
func (o Options) capabilities() Capabilities {
	c := o.Can
	if c.ApproveConsent == nil && o.Approver != nil {
		ap := o.Approver
		c.ApproveConsent = func(ctx context.Context, url string) (string, error) { return "", ap.Approve(ctx, url) }
	}
	return c
}

// waiterCapabilities are what a consent wait offers the screens.
type waiterCapabilities struct {
	// Paste hands the address the browser ended on to the wait.
	Paste func(string) error
	// Resume waits on for another admin's consent after a pause.
	Resume func()
	// Production: the consent result does not come back to a loopback listener.
	Production bool
}

func waiterCapabilitiesOf(w ConsentWaiter) waiterCapabilities {
	return waiterCapabilities{Paste: w.Paste, Resume: w.Resume, Production: !w.LoopbackRedirect()}
}

// Options configure the wizard.
type Options struct {
	Engine   Engine
	Approver Approver // nil: no `a` key
	// Can are the optional abilities of Engine and Approver.
	Can     Capabilities
	Catalog *permissions.Catalog
	// ClientID overrides every app's client id (--client-id): a GUID or an AOS
	// consent link.
	ClientID string
	// Cloud is --cloud ("" = global): the catalog's client ids are per cloud.
	Cloud string
	// Tenant is --tenant as given ("" = none): printed commands name it when the run
	// learnt no tenant (wizard.Target.Tenant).
	Tenant string
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
	// WriteFile writes an error report; nil = flows.WriteErrorReport.
	WriteFile func(path string, data []byte) error
	// OnURL, when set, is told every browser URL the wizard shows (the --debug hook
	// that lets the real-browser test open it in Chromium).
	OnURL func(kind, url string)
	// Diagnose, when set, runs the doctor's checks after a network, TLS or clock
	// failure; the error screen shows its verdict (doctor_hook.go).
	Diagnose Diagnoser
}

// wizardOptions are the flow's options of this run.
func (o Options) wizardOptions() wizard.Options {
	return wizard.Options{App: o.App, Target: wizard.Target{Catalog: o.Catalog, Cloud: o.Cloud,
		ClientIDFlag: o.ClientID, Tenant: o.Tenant, Demo: o.Demo, Flags: o.CommandFlags}}
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}
