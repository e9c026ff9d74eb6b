package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/internal/wizard"
	"github.com/d365consent/d365consent/permissions"
)

type verifyOptions struct {
	App      string
	Format   string
	Report   string
	Demo     bool
	Scenario string
	// DemoFaults is the hidden --demo-faults (network-fault tests).
	DemoFaults string
	// Fleet: --tenants, --parallel, --auth, --certificate, --identity-client-id, --baseline (verify_fleet.go).
	Fleet fleetFlags
	// DeviceCode is sign-in with a device code: --device-code, or --auth device-code.
	DeviceCode bool
}

// newVerifyCmd is the verify command; runF, when not nil, runs instead of runVerify
// with the options the command line gave (tests of the flags).
func newVerifyCmd(a *Factory, runF func(context.Context, *verifyOptions) error) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify --app ce|uo",
		Short: "Check from Microsoft Graph which permissions of an app are granted",
		Long: `verify signs you in (read-only: ` + signin.List() + `) and checks, in one Microsoft
Graph round trip, which of the app's required permissions are granted tenant-wide.

With --tenants FILE (one tenant id or domain per line) it signs in once and checks every tenant,
--parallel at a time, one row each. With --auth certificate|secret|workload-identity it signs in
as an app identity (secrets only from the environment: D365CONSENT_CLIENT_SECRET,
D365CONSENT_CERTIFICATE_PASSWORD, AZURE_FEDERATED_TOKEN_FILE). --baseline FILE.json reports drift
from an earlier --format json result.

Exit status: 0 every permission granted; 3 consent incomplete or absent; 4 sign-in refused (or
Graph 403); 5 drift from --baseline; 2 bad input; 1 other errors; with --tenants the worst row
(0 < 3 < 5 < 4 < 1); 130 cancelled. --format json prints the d365consent.verify/v1 document
(d365consent.verify-many/v1 with --tenants); a check that could not be made prints one too, its
status forbidden, refused, no-access or error and its "error" the explanation.`,
		Example: `  d365consent verify --app ce --tenant contoso.onmicrosoft.com --client-id ` + exampleClientID + `
  d365consent verify --app uo --client-id ` + exampleClientID + ` --format json --report check.md
  d365consent verify --demo --scenario partial --format markdown
  d365consent verify --demo --tenants customers.txt --format csv
  d365consent verify --app ce --client-id ` + exampleClientID + ` --auth certificate --certificate monitor.pem --identity-client-id ` + exampleIdentityID + ` --tenant contoso.onmicrosoft.com --baseline baseline.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.DeviceCode = a.opts.DeviceCode || o.Fleet.Auth == "device-code"
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runVerify(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.App, "app", "", "the app to check: ce or uo (required; ce by default with --demo)")
	f.StringVar(&o.Format, "format", "text", "output: text (a checklist; a table with --tenants), json (the verify contract; verify-many with --tenants), markdown, or csv (with --tenants)")
	f.StringVar(&o.Report, "report", "", "also save the result to FILE (.md or .json)")
	f.BoolVar(&o.Demo, "demo", false, "run against the embedded demo tenant")
	f.StringVar(&o.Scenario, "scenario", "", "demo tenant scenario (with --demo), e.g. partial")
	addDemoFaultsFlag(f, &o.DemoFaults) // hidden, tests only (verify_faults.go)
	addFleetFlags(f, &o.Fleet)
	addRememberFlag(f, &a.opts.Remember)
	annotateValues(cmd, "auth", "interactive", "device-code", "certificate", "secret", "workload-identity")
	return cmd
}

// commandTarget is where a command runs: the real cloud or the demo tenant.
type commandTarget struct {
	cfg     flows.Config
	catalog *permissions.Catalog
	demo    *demoEnv
	// closeRemembered writes the remembered sign-in (--remember) at the end.
	closeRemembered func()
}

// defaultApp is --app, or "ce" against the demo tenant (so `verify --demo` just works).
func (t *commandTarget) defaultApp(key string) string {
	if key == "" && t.demo != nil {
		return "ce"
	}
	return key
}

// signInWithDeviceCode makes the target's sign-in use a device code when on (the
// command's own flags chose it); off, the shared flags and the machine decide.
func (t *commandTarget) signInWithDeviceCode(on bool) {
	if on && !t.cfg.DeviceCode {
		t.cfg.DeviceCode, t.cfg.DeviceCodeReason = true, ""
	}
}

func (t *commandTarget) Close() {
	if t.demo != nil {
		_ = t.demo.Close()
	}
	if t.closeRemembered != nil {
		t.closeRemembered()
	}
}

func (a *Factory) target(ctx context.Context, demo bool, scenario string) (*commandTarget, error) {
	if scenario != "" && !demo {
		return nil, flows.Usagef("--scenario needs --demo")
	}
	if demo && a.opts.Remember {
		return nil, flows.Usagef("--remember keeps a real sign-in: the demo tenant needs none")
	}
	if demo {
		env, err := startDemo(ctx, a, scenario)
		if err != nil {
			return nil, err
		}
		return &commandTarget{cfg: env.Config, catalog: env.Catalog, demo: env}, nil
	}
	cfg, err := a.realConfig()
	if err != nil {
		return nil, err
	}
	cat, err := a.catalog()
	if err != nil {
		return nil, err
	}
	return &commandTarget{cfg: cfg, catalog: cat, closeRemembered: func() { a.closeRemembered(cfg) }}, nil
}

// pickApp finds --app in the catalog and applies --client-id.
func (a *Factory) pickApp(cat *permissions.Catalog, key string) (*permissions.App, error) {
	if key == "" {
		return nil, flows.Usagef("--app is required: one of %s", strings.Join(cat.Keys(), ", "))
	}
	if err := enumFlag("app", key, cat.Keys()...); err != nil {
		return nil, err
	}
	cloned, _ := cat.App(key)
	// The catalog's client id for this cloud, then --client-id (a GUID or a pasted
	// AOS consent link), resolved as the wizard resolves them.
	app, err := wizard.ResolveApp(cloned, a.opts.Cloud, a.opts.ClientID)
	if err != nil {
		return nil, err
	}
	if app.ClientID == "" {
		return nil, flows.Usagef("the catalog has no client id for %s: pass --client-id (the app's application id, a GUID)", app.DisplayName)
	}
	return app, nil
}

func runVerify(ctx context.Context, a *Factory, o verifyOptions) error {
	if err := checkVerifyFlags(o); err != nil {
		return err
	}
	if o.Report != "" {
		// Checked before sign-in: a bad path is a usage error up front, never after the work.
		p, err := checkReportPath(o.Report)
		if err != nil {
			return err
		}
		o.Report = p
	}
	if err := checkDemoFaults(o); err != nil {
		return err
	}
	if o.Fleet.fleetCheck() || o.Fleet.appAuth() {
		return runVerifyMany(ctx, a, o) // many tenants, or an app identity (verify_fleet.go)
	}
	var baseline *fleet.Baseline
	if o.Fleet.Baseline != "" {
		var err error
		if baseline, err = fleet.LoadBaseline(o.Fleet.Baseline); err != nil {
			return err
		}
	}
	// --timeout bounds the whole check, sign-in and Graph: verify never hangs.
	ctx, cancel := withCommandTimeout(ctx, a.opts.Timeout)
	defer cancel()
	// A retry Graph asks us to wait for is said on stderr, with until when.
	ctx = graph.WithRetryNotice(ctx, func(wait time.Duration, status int) {
		fmt.Fprintln(a.errOut(), flows.RetryNotice(wait, status, a.clock.Now()))
	})
	t, err := a.target(ctx, o.Demo, o.Scenario)
	if err != nil {
		return err
	}
	defer t.Close()
	t.signInWithDeviceCode(o.DeviceCode)
	if err := t.applyDemoFaults(o.DemoFaults); err != nil {
		return err
	}
	app, err := a.pickApp(t.catalog, t.defaultApp(o.App))
	if err != nil {
		return err
	}
	s, err := flows.NewSession(t.cfg)
	if err != nil {
		return err
	}
	if baseline != nil {
		if err := baseline.CheckApp(flows.ResultApp{Key: app.Key, ClientID: app.ClientID}); err != nil {
			return err
		}
	}
	// One token and one Graph round trip: /me, /organization, the roles and the
	// verification requests in one $batch.
	if err := s.Authenticate(ctx, signInPrompter(a.errOut(), o.Demo)); err != nil {
		a.writeVerifyFailure(o, t, app, err)
		return reportFlowError(a, a.withDiagnosis(ctx, o.Demo, err))
	}
	admin, r, err := s.VerifyWithAdmin(ctx, app)
	if err != nil {
		a.writeVerifyFailure(o, t, app, err)
		return reportFlowError(a, a.withDiagnosis(ctx, o.Demo, err))
	}
	// The role check is advice: it never changes the verdict or the exit code.
	if c := admin.RoleCheck(app); o.Format == "text" && !c.CanGrantAll() {
		fmt.Fprintf(a.errOut(), "Warning: %s\n\n", c.Message)
	}
	// Output, --report, drift from --baseline and the exit code: verify_fleet.go.
	return a.emitVerify(o, r, baseline, t)
}

// signInPrompter shows what the user needs to sign in, on stderr so stdout stays
// clean for --format json. The demo tenant signs in by itself: nothing to show.
func signInPrompter(w io.Writer, demo bool) func(flows.SignInPrompt) {
	return func(p flows.SignInPrompt) {
		if demo {
			return
		}
		if p.Consent != "" {
			fmt.Fprintln(w, p.Consent)
		}
		if p.Remembered != "" {
			fmt.Fprintln(w, p.Remembered)
		}
		if p.DeviceCode {
			if p.Reason != "" {
				fmt.Fprintln(w, p.Reason)
			}
			if p.Message != "" {
				fmt.Fprintln(w, p.Message)
			} else {
				fmt.Fprintf(w, "To sign in, open %s and enter the code %s\n", p.URL, p.UserCode)
			}
			return
		}
		fmt.Fprintf(w, "Sign in as a tenant admin at (opening your browser if it can):\n  %s\n", p.URL)
	}
}

// reportFlowError prints an Entra ID refusal in plain words with its ids, once.
func reportFlowError(a *Factory, err error) error {
	x := explain.Explain(err)
	if x == nil {
		// Not an Entra ID refusal: the raw line first (it names the limit of a
		// timeout), then plain words for a network or TLS failure.
		x = explain.Describe(err)
		var printed *silentErr // the doctor's verdict already said it (doctor_hook.go)
		if x == nil || errors.As(err, &printed) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, flows.ErrCancelled) {
			return err
		}
		w := a.errOut()
		// err's text may carry anything a caller wrapped into it (a file name, a flag).
		fmt.Fprintf(w, "d365consent: %s\n", safetext.Sanitize(err.Error()))
		fmt.Fprintf(w, "  %s: %s\n", x.Title, x.Meaning)
		fmt.Fprintf(w, "  What to do: %s\n", x.Fix)
		return silent(err)
	}
	w := a.errOut()
	head := x.Title
	if x.Code != 0 {
		head = fmt.Sprintf("AADSTS%d: %s", x.Code, x.Title)
	} else if x.OAuthError != "" {
		head = x.OAuthError + ": " + x.Title
	}
	fmt.Fprintf(w, "d365consent: %s\n", head)
	if x.Meaning != "" {
		fmt.Fprintf(w, "  What happened: %s\n", x.Meaning)
	}
	if x.Fix != "" {
		fmt.Fprintf(w, "  What to do:    %s\n", x.Fix)
	}
	if x.Description != "" && x.Description != x.Meaning {
		fmt.Fprintf(w, "  Entra ID said: %s\n", strings.ReplaceAll(x.Description, "\n", " "))
	}
	for _, kv := range [][2]string{{"Correlation ID", x.CorrelationID}, {"Trace ID", x.TraceID}, {"Timestamp", x.Timestamp}, {"More", x.Link}} {
		if kv[1] != "" {
			fmt.Fprintf(w, "  %-14s %s\n", kv[0]+":", kv[1])
		}
	}
	return silent(err)
}

// nextStep is what verify prints after a result that is not complete: the commands
// that get it done, each runnable as printed against the same target.
type nextStep struct {
	consentURL, wizard, verify string
	reauthorize                bool // the app can only be re-authorized (UO)
	// demoNote says that the demo wizard starts a fresh demo tenant ("" off the demo).
	demoNote string
}

// nextCommands builds r's next-step commands for verify's target.
func (a *Factory) nextCommands(r *flows.Result, t *commandTarget, o verifyOptions) (next nextStep) {
	if app, ok := t.catalog.App(r.App.Key); ok {
		defer func() { next.reauthorize = app.ReauthorizeOnly }()
	}
	var flags []string
	if t.demo != nil {
		// A demo tenant lives as long as its command: its consent link would be dead.
		scen := o.Scenario
		if scen == "" {
			scen = "fresh"
		}
		return nextStep{
			wizard:   "d365consent demo --scenario " + scen,
			verify:   "d365consent verify --demo --scenario " + scen + " --app " + r.App.Key,
			demoNote: wizard.Target{Demo: true}.CommandNote(),
		}
	}
	if a.opts.Cloud != "" && a.opts.Cloud != "global" {
		flags = append(flags, "--cloud", a.opts.Cloud)
	}
	if a.opts.AuthorityHost != "" {
		flags = append(flags, "--authority-host", a.opts.AuthorityHost)
	}
	if a.opts.GraphURL != "" {
		flags = append(flags, "--graph-url", a.opts.GraphURL)
	}
	if a.opts.Catalog != "" {
		flags = append(flags, "--catalog", a.opts.Catalog)
	}
	ids := []string{"--app", r.App.Key}
	if r.Tenant.ID != "" {
		ids = append(ids, "--tenant", r.Tenant.ID)
	}
	if app, ok := t.catalog.App(r.App.Key); a.opts.ClientID != "" || !ok || app.ClientID == "" {
		ids = append(ids, "--client-id", r.App.ClientID)
	}
	// A tenant reached through overridden endpoints with a certificate trusted through
	// SSL_CERT_FILE (the standalone emulator's CA) needs it again in the commands that
	// connect, or they fail on an unknown authority.
	var trust []string
	if ca := a.getenv("SSL_CERT_FILE"); ca != "" && (a.opts.AuthorityHost != "" || a.opts.GraphURL != "") {
		trust = []string{"SSL_CERT_FILE=" + ca}
	}
	join := func(sub string, extra ...string) string {
		return strings.Join(append(append(append([]string{"d365consent", sub}, ids...), flags...), extra...), " ")
	}
	return nextStep{
		consentURL: join("consent-url"),
		wizard:     strings.Join(append(append(trust, "d365consent"), flags...), " "),
		verify:     strings.Join(append(trust, join("verify")), " "),
	}
}

// cloudLabel names where r was checked: the cloud, or the overridden endpoints.
func cloudLabel(r *flows.Result) string {
	if r.Cloud == "custom" {
		return "custom endpoints (--authority-host/--graph-url)"
	}
	return "cloud " + r.Cloud
}

// writeChecklist prints a Result as a readable checklist, and what to do next.
func writeChecklist(w io.Writer, r *flows.Result, next nextStep) {
	fmt.Fprintf(w, "%s (%s)\n", r.App.DisplayName, r.App.Key)
	fmt.Fprintf(w, "Tenant %s (%s) · signed in as %s · %s · %s\n", r.Tenant.DisplayName, r.Tenant.ID, r.SignedInAs, cloudLabel(r), r.CheckedAt.Format(time.RFC3339))
	fmt.Fprintf(w, "Client id %s", r.App.ClientID)
	if sp := r.ServicePrincipal; sp != nil {
		state := "enabled"
		if !sp.AccountEnabled {
			state = "DISABLED"
		}
		fmt.Fprintf(w, " · service principal %s (%s)", sp.ID, state)
	} else {
		fmt.Fprint(w, " · no service principal in this tenant")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	for _, p := range r.Permissions {
		name := p.Permission
		if p.FriendlyName != "" {
			name += " (" + p.FriendlyName + ")"
		}
		line := fmt.Sprintf("  %s %s · %s · %s — %s", flows.StatusSymbol(p.Status), p.API, name, p.Type, flows.StatusLabel(p.Status))
		if p.NewlyRequired {
			line += " · newly required"
		}
		fmt.Fprintln(w, line)
	}
	if len(r.Extra) > 0 {
		fmt.Fprintln(w, "\nAlso granted (beyond what the app needs):")
		for _, e := range r.Extra {
			fmt.Fprintf(w, "  + %s · %s · %s\n", e.API, e.Permission, e.Type)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings:")
		for _, x := range r.Warnings {
			fmt.Fprintf(w, "  ! %s\n", x)
		}
	}
	fmt.Fprintf(w, "\n%s\n", flows.Summary(r))
	blockers := flows.Blockers(r)
	switch {
	case r.Status == flows.StatusComplete && r.NextStep != "":
		fmt.Fprintf(w, "Next step: %s\n", r.NextStep)
	case len(blockers) > 0:
		for _, b := range blockers {
			if !b.CauseShown {
				fmt.Fprintf(w, "Why: %s\n", b.Cause)
			}
			if !b.FixShown {
				fmt.Fprintf(w, "What will fix it: %s\n", b.Fix)
			}
		}
		if flows.ConsentCanHelp(r) {
			writeConsentSteps(w, r, next)
		} else if r.Status != flows.StatusComplete && !r.ReauthorizeOnlyBlocked {
			fmt.Fprintf(w, "Then check again:\n  %s\n", next.verify)
		}
	case r.Status != flows.StatusComplete:
		writeConsentSteps(w, r, next)
	}
}

// writeConsentSteps says how to grant (or, for a re-authorize-only app, re-authorize)
// what is missing, with commands that run as printed.
func writeConsentSteps(w io.Writer, r *flows.Result, next nextStep) {
	verb := "Grant admin consent"
	if next.reauthorize {
		verb = "Re-authorize the app (admin consent to its new permissions)"
	}
	if next.consentURL == "" { // the demo tenant: its links die with the command
		// No "then check with" verify: it would start a fresh demo tenant again and
		// send the admin back here. The wizard checks the grants itself.
		fmt.Fprintf(w, "%s in the demo wizard, which then checks the grants itself:\n  %s\n%s\n", verb, next.wizard, next.demoNote)
		return
	}
	fmt.Fprintf(w, "%s as a Global Administrator or Privileged Role Administrator: run the wizard\n  %s\nor open the link that this prints:\n  %s\nthen check again:\n  %s\n", verb, next.wizard, next.consentURL, next.verify)
}

// checkReportPath checks --report before any work: a .md or .json name in a directory
// that exists. It returns the path made absolute, as it is printed.
func checkReportPath(p string) (string, error) {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".md", ".markdown", ".json":
	default:
		return "", flows.Usagef("--report %q: use a .md or .json file name", p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", flows.Usagef("--report %q: %v", p, err)
	}
	dir := filepath.Dir(abs)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return "", flows.Usagef("--report %q: the directory %s does not exist", p, dir)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return "", flows.Usagef("--report %q is a directory: name a .md or .json file", p)
	}
	return abs, nil
}
