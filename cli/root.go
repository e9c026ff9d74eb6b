package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// Factory is what every command is built from (cli/cli's cmdutil.Factory): the
// process's streams and environment, the pieces that reach outside the process
// (terminal, browser, clock, HTTP client, demo tenant, build info, exit), the shared
// flags and the --debug log. Main builds the real one with newFactory; a test builds
// one the same way and replaces the fields it fakes. Commands read these, never os.*,
// so tests run them in-process.
type Factory struct {
	args    []string // the command line, for the debug log
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	environ []string

	// isTerminal reports whether a stream is a terminal.
	isTerminal func(any) bool
	// browser opens the real cloud's sign-in and consent pages on this machine, and
	// says when it cannot (SSH, no display).
	browser *browser.System
	// clock times retries, polling and the doctor's clock check.
	clock flows.Clock
	// httpClient makes sign-in and Graph requests against the real cloud.
	httpClient func() *http.Client
	// startEmulator starts an embedded demo tenant (demo, verify --demo, consent-url --demo).
	startEmulator func(emulator.Options) (*emulator.Server, error)
	// stamp is what a release build's -ldflags stamped, and buildInfo what the Go
	// toolchain recorded in the binary (the version command).
	stamp     releaseStamp
	buildInfo func() (*debug.BuildInfo, bool)
	// rootCAs are the roots the doctor trusts (nil = the system's), and publicCAs
	// what a host's certificate chain normally ends in (nil = DigiCert / Microsoft
	// for Microsoft's hosts): a chain ending elsewhere is TLS inspection.
	rootCAs   *x509.CertPool
	publicCAs func(host string) []string
	// exit ends the process when a command does not stop after a signal.
	exit func(code int)
	// secrets is the credential store that keeps --remember's key, and cacheDir the
	// directory of its encrypted cache files (os.UserCacheDir).
	secrets  credstore.Secrets
	cacheDir func() (string, error)

	opts sharedOptions

	debugFile *os.File     // --debug FILE, opened by validateShared
	debugLog  *slog.Logger // nil without --debug
}

// newFactory is the Factory of a real run over the given streams and environment.
func newFactory(stdin io.Reader, stdout, stderr io.Writer, environ []string) *Factory {
	return &Factory{
		stdin: stdin, stdout: stdout, stderr: stderr, environ: environ,
		isTerminal:    isTerminal,
		browser:       browser.NewSystem(environ),
		clock:         flows.SystemClock{},
		httpClient:    flows.DefaultHTTPClient,
		startEmulator: emulator.Start,
		stamp:         releaseStamp{version, commit, date},
		buildInfo:     debug.ReadBuildInfo,
		exit:          os.Exit,
		secrets:       credstore.Keyring{},
		cacheDir:      os.UserCacheDir,
	}
}

// sharedOptions are the flags every command accepts.
type sharedOptions struct {
	Tenant         string
	Cloud          string
	AuthorityHost  string
	GraphURL       string
	ClientID       string
	SignInClientID string
	DeviceCode     bool
	NoBrowser      bool
	Accessible     bool
	NoColor        bool
	Timeout        time.Duration
	Catalog        string
	Debug          string
	// Remember is --remember (the wizard, verify, consent-url).
	Remember bool
}

// exampleClientID stands in for the AvePoint app's client id in help examples
// (AvePoint does not publish it); any GUID makes the example run as printed.
const exampleClientID = "11111111-2222-3333-4444-555555555555"

// exampleIdentityID stands in for the client id of a customer's own app identity
// (--identity-client-id) in help examples.
const exampleIdentityID = "22222222-3333-4444-5555-666666666666"

// getenv reads the command's environment (not the process's, for tests).
func (a *Factory) getenv(key string) string {
	for i := len(a.environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(a.environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// noColor reports whether colour and every other escape sequence is off for text output.
func (a *Factory) noColor() bool {
	return a.opts.NoColor || a.getenv("NO_COLOR") != ""
}

// out returns a writer for text output that carries escape sequences only when the
// destination is a terminal that wants them: `> file`, pipes, NO_COLOR and
// --no-color get plain text.
func (a *Factory) out() io.Writer { return a.profileWriter(a.stdout) }

// errOut is out for stderr.
func (a *Factory) errOut() io.Writer { return a.profileWriter(a.stderr) }

func (a *Factory) profileWriter(w io.Writer) *colorprofile.Writer {
	pw := colorprofile.NewWriter(w, a.environ)
	if a.noColor() {
		pw.Profile = colorprofile.NoTTY
	}
	return pw
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// termWidth is the width text on stdout is wrapped to; see widthOf.
func (a *Factory) termWidth() int { return a.widthOf(a.stdout) }

// widthOf is the width text written to w is wrapped to: the terminal's when w is a
// terminal whose size can be read, else COLUMNS when set (a pipe wrapped on
// purpose; the in-process tests), else 80 for a terminal whose size cannot be read,
// else 0: a pipe or file gets full lines.
func (a *Factory) widthOf(w io.Writer) int {
	f, ok := w.(*os.File)
	tty := ok && a.isTerminal(f)
	if tty {
		if w, _, err := termSize(f); err == nil && w > 0 {
			return w
		}
	}
	if v := a.getenv("COLUMNS"); v != "" {
		var n int
		if _, err := fmt.Sscanf(v, "%d", &n); err == nil && n > 0 {
			return n
		}
	}
	if tty {
		return 80
	}
	return 0
}

// catalog returns the embedded catalog, or the one named by --catalog.
func (a *Factory) catalog() (*permissions.Catalog, error) {
	if a.opts.Catalog == "" {
		return permissions.Embedded(), nil
	}
	c, err := permissions.LoadFile(a.opts.Catalog)
	if err != nil {
		return nil, &flows.UsageError{Msg: err.Error()}
	}
	return c, nil
}

// printError prints err as one line a person can act on (no usage dump, no stack).
func (a *Factory) printError(err error) {
	fmt.Fprintf(a.errOut(), "d365consent: %s\n", safetext.Sanitize(err.Error()))
}

// newRootCmd is the command tree: the root (the wizard) and every command.
func newRootCmd(a *Factory) *cobra.Command {
	root := newRootOnly(a, nil)
	root.AddCommand(
		newCompletionCmd(a),
		newConsentURLCmd(a, nil),
		newDemoCmd(a, nil),
		newDoctorCmd(a, nil),
		newEmulatorCmd(a, nil),
		newLogoutCmd(a, nil),
		newPermissionsCmd(a, nil),
		newStatusCmd(a, nil),
		newVerifyCmd(a, nil),
		newVersionCmd(a, nil),
	)
	if completing(a.args) {
		registerFlagCompletions(root)
	}
	return root
}

// newRootOnly is the root command without its commands: the shared flags, their
// check before any command runs, and the wizard as its own run. runF, when not nil,
// runs instead of the wizard with the shared options (tests of the wizard's flags).
func newRootOnly(a *Factory, runF func(context.Context, *sharedOptions) error) *cobra.Command {
	root := &cobra.Command{
		Use:   "d365consent",
		Short: "Grant and verify admin consent for Cloud Backup for Dynamics 365",
		Long: `d365consent takes a Microsoft Entra ID tenant admin through granting admin consent to the
app behind Cloud Backup for Dynamics 365 (Customer Engagement or Unified Operations), then
proves from Microsoft Graph that every required permission is in place.

Run without a command it starts the wizard against the real Microsoft cloud.`,
		Example: `  d365consent                               # the wizard, against your tenant
  d365consent demo                          # the wizard against the embedded demo tenant
  d365consent permissions --app uo          # what the UO app needs, and why
  d365consent consent-url --app ce --tenant contoso.onmicrosoft.com --client-id ` + exampleClientID + ` --qr
  d365consent verify --app ce --tenant contoso.onmicrosoft.com --client-id ` + exampleClientID + ` --format json
  d365consent doctor --tenant contoso.onmicrosoft.com   # why sign-in would fail (no sign-in)`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.validateShared()
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetHelpFunc(a.helpFunc(root.HelpFunc()))
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &flows.UsageError{Msg: err.Error() + " (see '" + cmd.CommandPath() + " --help')"}
	})

	f := root.PersistentFlags()
	f.StringVar(&a.opts.Tenant, "tenant", "", "tenant id or domain (e.g. contoso.onmicrosoft.com); default: the signed-in admin's")
	f.StringVar(&a.opts.Cloud, "cloud", "global", "Microsoft cloud: "+clouds.NameList())
	f.StringVar(&a.opts.AuthorityHost, "authority-host", "", "override the cloud's sign-in endpoint (base URL, e.g. https://127.0.0.1:8443)")
	f.StringVar(&a.opts.GraphURL, "graph-url", "", "override the cloud's Microsoft Graph endpoint (base URL); the scopes stay the cloud's (e.g. https://graph.microsoft.us/User.Read for --cloud usgov)")
	f.StringVar(&a.opts.ClientID, "client-id", "", "client id of the AvePoint app, when the catalog has none")
	f.StringVar(&a.opts.SignInClientID, "signin-client-id", signin.ClientID, "client id the wizard signs in with (the public Microsoft Graph Command Line Tools client)")
	f.BoolVar(&a.opts.DeviceCode, "device-code", false, "sign in with a device code (SSH and headless machines)")
	f.BoolVar(&a.opts.NoBrowser, "no-browser", false, "never open a browser; only show the URL")
	f.BoolVar(&a.opts.Accessible, "accessible", false, "plain line prompts and text, no full-screen interface (screen readers)")
	f.BoolVar(&a.opts.NoColor, "no-color", false, "no colour or other escape sequences (also NO_COLOR)")
	f.DurationVar(&a.opts.Timeout, "timeout", 10*time.Minute, "give up waiting for sign-in or consent after this long")
	f.StringVar(&a.opts.Catalog, "catalog", "", "read the app catalog from this JSON file instead of the built-in one")
	f.StringVar(&a.opts.Debug, "debug", "", "append a debug log to FILE (JSON lines: requests, ids, timings; tokens redacted)")

	addRememberFlag(root.Flags(), &a.opts.Remember)
	root.RunE = wizardRunE(a)
	if runF != nil {
		root.RunE = func(cmd *cobra.Command, _ []string) error { return runF(cmd.Context(), &a.opts) }
	}
	root.Version = a.versionString()
	return root
}

// validateShared checks the shared flags before any command runs.
func (a *Factory) validateShared() error {
	if c, ok := clouds.Lookup(a.opts.Cloud); !ok || c.Name != a.opts.Cloud {
		return flows.Usagef("unknown cloud %q: use %s", a.opts.Cloud, clouds.NameList())
	}
	if a.opts.ClientID != "" {
		// A GUID, or a pasted AOS consent link (its client_id and redirect_uri).
		if _, _, err := flows.ParseClientIDInput(a.opts.ClientID); err != nil {
			return flows.Usagef("--client-id %q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) nor an AOS consent link", safetext.Sanitize(a.opts.ClientID))
		}
	}
	// These are printed back in the commands the wizard and verify show: a value a
	// terminal would act on is refused here, where it enters, not cleaned where shown.
	for _, f := range [][2]string{{"--tenant", a.opts.Tenant}, {"--authority-host", a.opts.AuthorityHost}, {"--graph-url", a.opts.GraphURL}} {
		if safetext.Sanitize(f[1]) != f[1] {
			return flows.Usagef("%s %q holds a control character, an escape sequence or a bidirectional control: give it as plain text", f[0], f[1])
		}
	}
	if !permissions.IsGUID(a.opts.SignInClientID) {
		return flows.Usagef("--signin-client-id %q is not a GUID", a.opts.SignInClientID)
	}
	if a.opts.Timeout <= 0 {
		return flows.Usagef("--timeout must be positive, got %s", a.opts.Timeout)
	}
	return a.openDebugLog()
}

// openDebugLog opens --debug FILE for appending, readable by its owner only (it names
// hosts, tenant ids and request ids, never a token: flows.NewDebugLogger redacts).
func (a *Factory) openDebugLog() error {
	if a.opts.Debug == "" || a.debugFile != nil {
		return nil
	}
	f, err := os.OpenFile(a.opts.Debug, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return flows.Usagef("--debug: %v", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return flows.Usagef("--debug: %v", err)
	}
	a.debugFile = f
	a.debugLog = flows.NewDebugLogger(f)
	a.debugLog.Info("d365consent started", "version", a.versionString(), "args", strings.Join(a.args, " "))
	return nil
}

// closeDebugLog flushes and closes the debug log, if any.
func (a *Factory) closeDebugLog() {
	if a.debugFile != nil {
		a.debugLog.Info("d365consent finished")
		_ = a.debugFile.Close()
		a.debugFile, a.debugLog = nil, nil
	}
}

// withDebug returns cfg logging to --debug FILE: flows events through Config.Logger
// and every HTTP request (method, redacted URL, status, timing, request ids) through
// a wrapped transport. Without --debug it returns cfg unchanged.
func (a *Factory) withDebug(cfg flows.Config) flows.Config {
	if a.debugLog == nil {
		return cfg
	}
	cfg.Logger = a.debugLog
	base := cfg.HTTPClient
	if base == nil {
		base = a.httpClient()
	}
	c := *base
	c.Transport = flows.DebugTransport(base.Transport, a.debugLog)
	cfg.HTTPClient = &c
	return cfg
}

// enumFlag validates a flag against its allowed values.
func enumFlag(name, value string, allowed ...string) error {
	for _, v := range allowed {
		if value == v {
			return nil
		}
	}
	return flows.Usagef("--%s %q is not one of: %s", name, value, strings.Join(allowed, ", "))
}
