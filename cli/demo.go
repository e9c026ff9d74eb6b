package cli

import (
	"context"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
)

type demoOptions struct {
	Scenario string
	// URLFile is the hidden --url-file: every browser URL the wizard shows (tests).
	URLFile string
}

// newDemoCmd is the demo command; runF, when not nil, runs instead of runDemo with
// the options the command line gave (tests of the flags).
func newDemoCmd(a *Factory, runF func(context.Context, *demoOptions) error) *cobra.Command {
	var o demoOptions
	names, list := scenarioHelp()
	cmd := &cobra.Command{
		Use:   "demo [--scenario S]",
		Short: "Run the wizard against the embedded demo tenant (no account, no network)",
		Long: `demo starts an embedded Entra ID + Microsoft Graph tenant on 127.0.0.1 and runs the same
wizard against it. It signs in as the real wizard would on this machine: through your browser
when one can be opened, and over SSH or without a display with a device code and QR codes
first. On every browser step and on the device code, the a key answers the page through the
demo's own browser as the scenario's demo user (the account that signs in; in non-admin that
is an ordinary user, and Entra refuses the consent as it would), so the whole demo also runs
in a bare terminal or over SSH. --no-browser opens no browser and changes nothing else, as in
the real wizard.

Scenarios:
` + strings.TrimRight(list, "\n"),
		Example: `  d365consent demo
  d365consent demo --scenario partial --no-browser`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runDemo(cmd.Context(), a, o)
		},
	}
	cmd.Flags().StringVar(&o.Scenario, "scenario", "fresh", "demo tenant scenario: "+strings.Join(names, ", "))
	cmd.Flags().StringVar(&o.URLFile, "url-file", "", "append every browser URL the wizard shows to FILE (for tests)")
	_ = cmd.Flags().MarkHidden("url-file")
	return cmd
}

func runDemo(ctx context.Context, a *Factory, o demoOptions) error {
	names, _ := scenarioHelp()
	if err := enumFlag("scenario", o.Scenario, names...); err != nil {
		return err
	}
	if err := a.requireTerminal(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	env, err := startDemo(ctx, a, o.Scenario)
	if err != nil {
		return err
	}
	defer env.Close()
	return a.runWizard(ctx, wizardTarget{
		cfg:      a.demoWizardConfig(env),
		catalog:  env.Catalog,
		approver: &demoApprover{env},
		demo:     true,
		scenario: o.Scenario,
		urlFile:  o.URLFile,
	})
}

// demoWizardConfig is the demo wizard's config: it signs in and opens pages as the
// real wizard would on this machine (Factory.chooseSignIn: a device code and QR codes
// first over SSH or without a display), so a demo shows the path an admin there takes.
// The demo pages open in the real browser when one can be opened; the scripted demo
// browser acts only when the admin presses a, on the device code's step too.
func (a *Factory) demoWizardConfig(env *demoEnv) flows.Config {
	cfg := env.Config
	a.chooseSignIn(&cfg)
	return cfg
}

// demoApprover walks a demo page (sign-in, admin consent or device login) through the
// emulator's scripted browser as the scenario's demo user.
type demoApprover struct{ env *demoEnv }

func (d demoApprover) Approve(ctx context.Context, url string) error {
	_, err := d.ApproveConsent(ctx, url)
	return err
}

// ApproveConsent walks the page like Approve and returns the address the browser ended
// on when that is the publisher's landing page (the production path: the AvePoint apps'
// reply URLs are AvePoint's), for the wizard to hand to the consent wait as a paste.
func (d demoApprover) ApproveConsent(ctx context.Context, url string) (string, error) {
	b := d.env.Server.Browser(d.env.Server.DemoUser())
	if err := b.Open(ctx, url); err != nil {
		err = fmt.Errorf("approving in the demo browser: %w", withoutURL(err))
		if x := explain.Explain(err); errors.Is(err, emulator.ErrPageError) && x != nil && x.Code != 0 {
			// The page refused the signed-in account as Entra would (AADSTS90094 for
			// a non-admin): a refusal, exit 4, like the real consent page's.
			return "", &explain.AuthError{Op: "admin consent in the demo browser", Explanation: x, Err: err}
		}
		// The page's words are the demo tenant's (its names are the scenario's).
		return "", safetext.WrapError(err)
	}
	return b.LandedOn(), nil
}

// withoutURL drops the request URL from a net/http error: it is long, it is already
// on screen, and its query can carry another party's text (an error description).
func withoutURL(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}

// ApproveDevice enters the code and signs in at the device login page. An error the
// page shows (Conditional Access, a refused account) is not returned: as in
// production, where that page is on another device, the wizard learns it from the
// token poll, with the code and support ids Entra ID sends there.
func (d demoApprover) ApproveDevice(ctx context.Context, userCode string) error {
	err := d.env.Server.Browser(d.env.Server.DemoUser()).OpenDeviceLogin(ctx, userCode)
	if errors.Is(err, emulator.ErrPageError) {
		return nil
	}
	return safetext.WrapError(err)
}

// scenarioHelp lists the demo tenant's scenarios: their names, and one line per
// scenario ("  name  description") for the help of demo and emulator.
func scenarioHelp() (names []string, help string) {
	var b strings.Builder
	col := 0
	for _, s := range emulator.Scenarios() {
		col = max(col, len(s.Name)+2)
	}
	for _, s := range emulator.Scenarios() {
		names = append(names, s.Name)
		b.WriteString("  ")
		b.WriteString(s.Name)
		b.WriteString(strings.Repeat(" ", col-len(s.Name)))
		b.WriteString(s.Description)
		b.WriteString("\n")
	}
	return names, b.String()
}
