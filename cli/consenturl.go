package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/permissions"
)

type consentURLOptions struct {
	App      string
	QR       bool
	Demo     bool
	Scenario string
	// Tenants is --tenants FILE: one link per tenant; Format is table or csv.
	Tenants string
	Format  string
	// SignInClient prints the sign-in app's admin consent links instead of the
	// AvePoint app's (a partner's customers that answer AADSTS90099 or 65001).
	SignInClient bool
}

// newConsentURLCmd is the consent-url command; runF, when not nil, runs instead of
// runConsentURL with the options the command line gave (tests of the flags).
func newConsentURLCmd(a *Factory, runF func(context.Context, *consentURLOptions) error) *cobra.Command {
	var o consentURLOptions
	cmd := &cobra.Command{
		Use:   "consent-url --app ce|uo --tenant T | --tenants FILE",
		Short: "Print the admin consent link for an app (and a QR code of it)",
		Long: `consent-url prints the admin consent URL a Global Administrator or Privileged Role
Administrator of the tenant opens to grant the app its permissions. No sign-in is needed;
the tenant may be its id or one of its domains. --qr also draws the link as a QR code.
--signin-client prints instead the link that consents, for the customer's organisation,
to the app d365consent signs in with (Microsoft Graph Command Line Tools unless
--signin-client-id): what a partner's customer tenant needs before verify --tenants can
read it (a row "signin-consent", AADSTS90099 or 65001).`,
		Example: `  d365consent consent-url --app ce --tenant contoso.onmicrosoft.com --client-id ` + exampleClientID + `
  d365consent consent-url --app ce --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --client-id ` + exampleClientID + ` --qr
  d365consent consent-url --app ce --client-id ` + exampleClientID + ` --tenants customers.txt --format csv
  d365consent consent-url --signin-client --tenants customers.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runConsentURL(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.App, "app", "", "the app: ce or uo (required; ce by default with --demo)")
	f.BoolVar(&o.QR, "qr", false, "also draw the URL as a QR code")
	f.BoolVar(&o.Demo, "demo", false, "use the embedded demo tenant")
	f.StringVar(&o.Scenario, "scenario", "", "demo tenant scenario (with --demo)")
	f.StringVar(&o.Tenants, "tenants", "", "one link per tenant listed in FILE (one id or domain per line, # comments; - = stdin)")
	f.StringVar(&o.Format, "format", "table", "with --tenants: table or csv")
	f.BoolVar(&o.SignInClient, "signin-client", false, "print the sign-in app's admin consent link (a partner's customers answering AADSTS90099 or 65001)")
	addRememberFlag(f, &a.opts.Remember)
	return cmd
}

func runConsentURL(ctx context.Context, a *Factory, o consentURLOptions) error {
	t, err := a.target(ctx, o.Demo, o.Scenario)
	if err != nil {
		return err
	}
	defer t.Close()
	link := func(tenant string) (string, error) {
		return flows.SignInClientConsentURL(t.cfg.Cloud, tenant, t.cfg.SignInClientID)
	}
	var app *permissions.App
	if !o.SignInClient {
		if app, err = a.pickApp(t.catalog, t.defaultApp(o.App)); err != nil {
			return err
		}
		link = func(tenant string) (string, error) {
			return flows.AdminConsentURL(t.cfg.Cloud, tenant, app.ClientID, flows.NewState(), app.RedirectURI)
		}
	} else if o.App != "" {
		return flows.Usagef("--signin-client prints the sign-in app's link: drop --app")
	}
	if o.Tenants != "" {
		if o.QR || a.opts.Tenant != "" {
			return flows.Usagef("--tenants cannot be combined with --tenant or --qr")
		}
		if err := enumFlag("format", o.Format, "table", "csv"); err != nil {
			return err
		}
		tenants, err := a.readTenants(o.Tenants)
		if err != nil {
			return err
		}
		if app != nil && app.ReauthorizeOnly {
			fmt.Fprintf(a.errOut(), "Note: %s can only be re-authorized in tenants where it already exists.\n", app.DisplayName)
		}
		return consentURLs(a.stdout, link, tenants, o.Format)
	}
	if o.Format != "table" {
		return flows.Usagef("--format is for --tenants")
	}
	tenant := t.cfg.Tenant
	if tenant == "" && t.cfg.Remember != nil {
		// The tenant the remembered sign-in used last: no sign-in, no network.
		if acc, ok := t.cfg.Remember.Account(); ok {
			tenant = acc.LastTenant()
		}
	}
	if tenant == "" {
		return flows.Usagef("--tenant is required: the tenant's id or a domain such as contoso.onmicrosoft.com")
	}
	if app != nil && app.ReauthorizeOnly {
		fmt.Fprintf(a.errOut(), "Note: %s can only be re-authorized in tenants where it already exists.\n", app.DisplayName)
	}
	u, err := link(tenant)
	if err != nil {
		return err
	}
	if t.demo != nil {
		// The demo tenant lives as long as this command: say so before its link.
		fmt.Fprintln(a.errOut(), "Note: this link points at a demo tenant that stops when this command ends, so it shows the link's shape only; for a live one, run: d365consent demo")
	}
	fmt.Fprintln(a.stdout, u)
	if o.QR {
		tty := a.isTerminal(a.stdout)
		qr, encoded, err := drawQR(u, a.environ, tty && !a.noColor(), tty, a.widthOf(a.stdout), a.heightOf(a.stdout))
		if big := (*termcaps.QRTooLargeError)(nil); errors.As(err, &big) {
			return fmt.Errorf("the QR code needs %d lines and %d columns, more than this terminal shows at once: enlarge the window and run this again, or open the link above by hand", big.Rows+1, big.Width)
		}
		if err != nil {
			return err
		}
		if encoded != u {
			fmt.Fprintln(a.errOut(), qrShortLinkNote)
		}
		fmt.Fprint(a.stdout, qr)
	}
	return nil
}

// qrShortLinkNote says, when the QR code holds the link for another device, what it
// opens and where its browser ends.
const qrShortLinkNote = "Note: to fit this terminal, the QR code holds Microsoft's short admin consent link: " +
	"the same consent page, without this machine's state or return address; the browser that opens it ends on the app's own reply page."

// heightOf is the number of lines of the terminal w is, else LINES when set (the
// in-process tests), else 0: a pipe or file has no height.
func (a *Factory) heightOf(w io.Writer) int {
	if f, ok := w.(*os.File); ok && a.isTerminal(f) {
		if _, h, err := termSize(f); err == nil && h > 0 {
			return h
		}
	}
	if n, err := strconv.Atoi(a.getenv("LINES")); err == nil && n > 0 {
		return n
	}
	return 0
}

// drawQR renders u as a QR code with termcaps.FitQRCode, exactly as the wizard
// draws it: black on white where colour is on (a terminal without NO_COLOR), else
// plain glyphs, dark ink in a file or pipe. On a terminal of width×height (0: no
// limit) the code must be seen whole, with the shell's prompt under it: level M
// where it fits, else level L, else, for an admin consent link, the link for another
// device (flows.ConsentLinkForAnotherDevice: the documented short link, the same
// consent page without the state and a loopback redirect_uri, which name this machine;
// nothing reads the state of a link this command prints). encoded is the link the
// code holds; a *termcaps.QRTooLargeError when no code fits.
func drawQR(u string, environ []string, color, toTerminal bool, width, height int) (qr, encoded string, err error) {
	caps := termcaps.Detect(environ, runtime.GOOS)
	st := termcaps.QRStyle{Color: color && caps.Color, DarkBackground: toTerminal}
	rows := 0
	if height > 0 {
		rows = max(height-1, 1)
	}
	links := []string{u}
	if short := flows.ConsentLinkForAnotherDevice(u); short != u {
		links = append(links, short)
	}
	for _, link := range links {
		var q termcaps.QR
		if q, err = termcaps.FitQRCode(link, caps.Glyphs, st, width, rows); err == nil {
			return strings.Join(q.Lines, "\n") + "\n", link, nil
		}
		if !errors.As(err, new(*termcaps.QRTooLargeError)) {
			return "", "", err
		}
	}
	return "", "", err
}
