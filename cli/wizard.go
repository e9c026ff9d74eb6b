package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/ui"
	"github.com/d365consent/d365consent/permissions"
)

// wizardRunE is the root command's RunE: the wizard against the real Microsoft cloud.
func wizardRunE(a *Factory) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := a.requireTerminal(); err != nil {
			return err
		}
		cfg, err := a.realConfig()
		if err != nil {
			return err
		}
		cat, err := a.catalog()
		if err != nil {
			return err
		}
		return a.runWizard(cmd.Context(), wizardTarget{cfg: cfg, catalog: cat})
	}
}

// wizardTarget is what the wizard runs against: the real cloud or the demo tenant.
type wizardTarget struct {
	cfg      flows.Config
	catalog  *permissions.Catalog
	approver *demoApprover // demo only
	demo     bool
	scenario string // the demo's scenario, for the commands the wizard prints
	urlFile  string // hidden --url-file: every browser URL the wizard shows (tests)
}

// requireTerminal: the full-screen wizard needs a terminal on stdin and stdout; line
// mode (--accessible, TERM=dumb) only on stdin, so `demo --accessible | tee log`
// works. Scripts get one line pointing at the non-interactive commands (exit 2).
func (a *Factory) requireTerminal() error {
	in := a.isTerminal(a.stdin)
	if in && (a.lineMode() || a.isTerminal(a.stdout)) {
		return nil
	}
	if in { // typed at a terminal, its output piped (| tee log): line mode works there
		fmt.Fprintln(a.errOut(), "d365consent: the full-screen wizard needs a terminal on its output; add --accessible to run it line by line through the pipe (e.g. d365consent demo --accessible | tee log), or in scripts use the permissions and verify commands (see the list in d365consent --help).")
		return silent(flows.ErrNotTerminal)
	}
	fmt.Fprintln(a.errOut(), "d365consent: the wizard needs a terminal; in scripts use the permissions and verify commands (see the list in d365consent --help).")
	return silent(flows.ErrNotTerminal)
}

// runWizard runs the wizard (full screen, or line by line with --accessible) and maps
// how it ended to an error (and so an exit code).
func (a *Factory) runWizard(ctx context.Context, t wizardTarget) error {
	sess, err := flows.NewSession(t.cfg)
	if err != nil {
		return err
	}
	defer a.closeRemembered(t.cfg)
	opts := a.wizardOptions(t, sess)
	var out ui.Outcome
	if a.lineMode() {
		if !a.opts.Accessible { // say why the screen is not full-screen
			_, why := termcaps.LineMode(a.environ, runtime.GOOS)
			fmt.Fprintf(a.out(), "(%s: the wizard runs line by line, as with --accessible.)\n", why)
		}
		out, err = ui.RunAccessible(ctx, opts, a.stdin, a.out())
	} else {
		out, err = ui.Run(ctx, opts, a.stdin, a.stdout, a.environ)
	}
	if err != nil {
		return fmt.Errorf("running the wizard: %w", err)
	}
	return a.wizardOutcome(out, t)
}

// wizardOptions are the wizard's options for target t, signed in through sess.
func (a *Factory) wizardOptions(t wizardTarget, sess *flows.Session) ui.Options {
	caps := termcaps.Detect(a.environ, runtime.GOOS)
	opts := ui.Options{
		Engine:   sessionEngine{s: sess},
		Catalog:  t.catalog,
		ClientID: a.opts.ClientID,
		Cloud:    a.opts.Cloud,
		Tenant:   a.opts.Tenant,
		Demo:     t.demo,
		NoColor:  a.noColor() || !caps.Color,
		Glyphs:   caps.Glyphs,
	}
	eng := sessionEngine{s: sess}
	opts.Can = ui.Capabilities{SwitchAccount: sess.SignInAgain, FindApps: sess.FindApps, AwaitConsent: eng.AwaitConsent}
	if t.approver != nil {
		opts.Approver = t.approver
		opts.Can.ApproveConsent, opts.Can.ApproveDevice = t.approver.ApproveConsent, t.approver.ApproveDevice
	}
	opts.NoBrowser, opts.QRFirst = browserUX(t.cfg.Browser, a.environ)
	opts.Diagnose = a.wizardDiagnoser(t.demo)
	if t.urlFile != "" {
		opts.OnURL = func(kind, url string) {
			f, err := os.OpenFile(t.urlFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err == nil {
				fmt.Fprintf(f, "%s %s\n", kind, url)
				_ = f.Close()
			}
		}
	}
	opts.CommandFlags = a.commandFlags(t)
	if a.lineMode() {
		opts.Glyphs = termcaps.ASCII
	}
	return opts
}

// lineMode: the wizard runs line by line (--accessible, or a terminal that cannot
// host a full screen: termcaps.LineMode).
func (a *Factory) lineMode() bool {
	if a.opts.Accessible {
		return true
	}
	lm, _ := termcaps.LineMode(a.environ, runtime.GOOS)
	return lm
}

// commandFlags are the flags that make a printed d365consent command run against
// the same target as this run (ui.Options.CommandFlags).
func (a *Factory) commandFlags(t wizardTarget) []string {
	var f []string
	if t.demo {
		f = append(f, "--demo", "--scenario", t.scenario)
	}
	if a.opts.Cloud != "" && a.opts.Cloud != "global" {
		f = append(f, "--cloud", a.opts.Cloud)
	}
	if t.demo {
		// The demo tenant's own sign-in app and cloud, as this run had them.
		if a.opts.SignInClientID != "" && a.opts.SignInClientID != signin.ClientID {
			f = append(f, "--signin-client-id", a.opts.SignInClientID)
		}
		return f
	}
	if a.opts.AuthorityHost != "" {
		f = append(f, "--authority-host", a.opts.AuthorityHost)
	}
	if a.opts.GraphURL != "" {
		f = append(f, "--graph-url", a.opts.GraphURL)
	}
	if a.opts.SignInClientID != "" && a.opts.SignInClientID != signin.ClientID {
		f = append(f, "--signin-client-id", a.opts.SignInClientID)
	}
	if a.opts.Catalog != "" {
		f = append(f, "--catalog", a.opts.Catalog)
	}
	return f
}

// wizardOutcome prints what the run leaves behind after the full screen is gone
// (wizard.ExitSummary: the outcome, the consent link, the command that checks later,
// the error in plain words and its support ids) and returns the error that gives the
// exit code: outcomeExit's, the same however the admin left. Line mode said it all on
// the normal screen as it went.
func (a *Factory) wizardOutcome(out ui.Outcome, t wizardTarget) error {
	if a.lineMode() {
		switch {
		case out.Err != nil && errors.Is(out.Err, flows.ErrCancelled):
			return out.Err
		case out.Err != nil:
			return silent(out.Err) // explained on screen
		}
	} else {
		caps := termcaps.Detect(a.environ, runtime.GOOS)
		ui.PrintExitSummary(a.out(), out.Summary, caps.Hyperlinks && !a.noColor())
		if out.Err != nil {
			return silent(out.Err)
		}
	}
	switch code := outcomeExit(out.Result, nil); code {
	case exitOK:
		return nil
	case exitCancelled:
		return silent(flows.ErrCancelled)
	}
	return silent(fmt.Errorf("%w", flows.ErrIncomplete))
}

// sessionEngine adapts *flows.Session to ui.Engine.
type sessionEngine struct {
	s *flows.Session
}

func (e sessionEngine) SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	return e.s.SignIn(ctx, prompt)
}

func (e sessionEngine) Admin() *flows.Admin { return e.s.Admin() }

func (e sessionEngine) Verify(ctx context.Context, app *permissions.App) (*flows.Result, error) {
	return e.s.Verify(ctx, app)
}

func (e sessionEngine) StartConsent(ctx context.Context, app *permissions.App) (ui.ConsentWaiter, error) {
	c, err := e.s.StartConsent(ctx, app)
	if err != nil {
		return nil, err
	}
	return consentWaiter{c}, nil
}

// AwaitConsent waits for consent someone else grants (a reviewer's approval) without
// opening the consent page (ui.Capabilities.AwaitConsent).
func (e sessionEngine) AwaitConsent(ctx context.Context, app *permissions.App) (ui.ConsentWaiter, error) {
	c, err := e.s.AwaitConsent(ctx, app)
	if err != nil {
		return nil, err
	}
	return consentWaiter{c}, nil
}

// consentWaiter adapts *flows.Consent (whose URL is a field) to ui.ConsentWaiter.
type consentWaiter struct {
	*flows.Consent
}

func (c consentWaiter) ConsentURL() string { return c.URL }

// browserUX decides how URL screens read: noBrowser when no browser will open (so
// they say "open this page", not "your browser should open"), and qrFirst when the
// admin's browser is on another device (SSH, a headless box). The demo decides as the
// real wizard does on the same machine, so a demo over SSH shows what an admin over SSH
// sees.
func browserUX(b browser.Browser, environ []string) (noBrowser, qrFirst bool) {
	sb, system := b.(*browser.System)
	cannotOpen := system && sb.Available() != nil // SSH, no display, no opener
	return !system || cannotOpen, cannotOpen || browser.SSHSession(environ)
}
