package cli

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/flows"
	"github.com/d365consent/d365consent/permissions"
	"github.com/d365consent/d365consent/termcaps"
	"github.com/d365consent/d365consent/ui"
)

// wizardRunE is the root command's RunE: the wizard against the real Microsoft cloud.
func wizardRunE(a *app) func(*cobra.Command, []string) error {
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
	approver ui.Approver // demo only
	demo     bool
	urlFile  string // hidden --url-file: every browser URL the wizard shows (tests)
}

// terminalCheck is isTerminal; in-process tests of the whole wizard (accessible mode)
// replace it.
var terminalCheck = isTerminal

// requireTerminal: the wizard needs a terminal on stdin and stdout; scripts get one
// line pointing at the non-interactive commands (exit 2).
func (a *app) requireTerminal() error {
	if terminalCheck(a.stdin) && terminalCheck(a.stdout) {
		return nil
	}
	fmt.Fprintln(a.errOut(), "d365consent: the wizard needs a terminal; in scripts use 'd365consent permissions' and 'd365consent verify' (see --help).")
	return silent(flows.ErrNotTerminal)
}

// runWizard runs the wizard (full screen, or line by line with --accessible) and maps
// how it ended to an error (and so an exit code).
func (a *app) runWizard(ctx context.Context, t wizardTarget) error {
	sess, err := flows.NewSession(t.cfg)
	if err != nil {
		return err
	}
	caps := termcaps.Detect(a.environ, runtime.GOOS)
	opts := ui.Options{
		Engine:   sessionEngine{s: sess},
		Approver: t.approver,
		Catalog:  t.catalog,
		ClientID: a.opts.ClientID,
		Demo:     t.demo,
		NoColor:  a.noColor() || !caps.Color,
		Glyphs:   caps.Glyphs,
	}
	opts.NoBrowser, opts.QRFirst = browserUX(t.cfg.Browser, a.environ, t.demo)
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
	var out ui.Outcome
	if a.opts.Accessible {
		out, err = ui.RunAccessible(ctx, opts, a.stdin, a.out())
	} else {
		out, err = ui.Run(ctx, opts, a.stdin, a.stdout, a.environ)
	}
	if err != nil {
		return fmt.Errorf("running the wizard: %w", err)
	}
	return a.wizardOutcome(out)
}

// wizardOutcome prints one line about how the wizard ended (the full-screen view is
// gone once it exits) and returns the error that gives the exit code.
func (a *app) wizardOutcome(out ui.Outcome) error {
	w := a.out()
	if out.Err != nil {
		return out.Err
	}
	r := out.Result
	if r == nil {
		return flows.ErrCancelled
	}
	if !a.opts.Accessible {
		fmt.Fprintln(w, flows.Sanitize(flows.Summary(r)))
	}
	if r.Status != flows.StatusComplete {
		return silent(fmt.Errorf("%w", flows.ErrIncomplete))
	}
	if r.NextStep != "" && !a.opts.Accessible {
		fmt.Fprintln(w, "Next step: "+flows.Sanitize(r.NextStep))
	}
	return nil
}

// sessionEngine adapts *flows.Session to ui.Engine.
type sessionEngine struct {
	s *flows.Session
}

func (e sessionEngine) SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	return e.s.SignIn(ctx, prompt)
}

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

// consentWaiter adapts *flows.Consent (whose URL is a field) to ui.ConsentWaiter.
type consentWaiter struct {
	*flows.Consent
}

func (c consentWaiter) ConsentURL() string { return c.URL }

// browserUX decides how URL screens read: noBrowser when no browser will open (so
// they say "open this page", not "your browser should open"), and qrFirst when the
// admin's browser is on another device (SSH, a headless box) — not in the demo, whose
// pages live on this machine's loopback, out of a phone's reach.
func browserUX(b flows.Browser, environ []string, demo bool) (noBrowser, qrFirst bool) {
	sb, system := b.(*flows.SystemBrowser)
	cannotOpen := system && sb.Available() != nil // SSH, no display, no opener
	return !system || cannotOpen, !demo && (cannotOpen || flows.SSHSession(environ))
}
