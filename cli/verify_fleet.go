package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/textwrap"
	"github.com/d365consent/d365consent/permissions"
)

// verify's fleet and unattended options: --tenants FILE, --parallel, --auth with an
// app identity, --baseline.
type fleetFlags struct {
	Tenants          string
	Parallel         int
	Auth             string
	Certificate      string
	IdentityClientID string
	Baseline         string
	// Resume is --resume REPORT.json: check only the tenants that report did not finish.
	Resume string
}

func addFleetFlags(f *pflag.FlagSet, o *fleetFlags) {
	f.StringVar(&o.Tenants, "tenants", "", "verify every tenant listed in FILE (one id or domain per line, # comments; - = stdin)")
	f.IntVar(&o.Parallel, "parallel", fleet.DefaultParallel, "with --tenants: how many tenants to verify at once")
	f.StringVar(&o.Auth, "auth", "interactive", "how to sign in: interactive, device-code, or an app identity: certificate, secret, workload-identity")
	f.StringVar(&o.Certificate, "certificate", "", "with --auth certificate: the app's certificate and key (PEM, or PKCS#12 with its password in "+flows.EnvCertificatePassword+")")
	f.StringVar(&o.IdentityClientID, "identity-client-id", "", "with an app identity: its application (client) id (default: "+flows.EnvAzureClientID+")")
	f.StringVar(&o.Baseline, "baseline", "", "compare with an earlier verify --format json FILE and report drift (exit 5)")
	f.StringVar(&o.Resume, "resume", "", "continue an interrupted fleet check: keep the rows its --format json REPORT.json finished, check the rest (its tenants, or --tenants FILE)")
}

// fleetCheck reports whether verify checks a tenant list (--tenants or --resume).
func (o fleetFlags) fleetCheck() bool { return o.Tenants != "" || o.Resume != "" }

func (o fleetFlags) appAuth() bool {
	switch flows.AppAuth(o.Auth) {
	case flows.AuthCertificate, flows.AuthSecret, flows.AuthWorkloadIdentity:
		return true
	}
	return false
}

// checkVerifyFlags validates the format and the fleet flags.
func checkVerifyFlags(o verifyOptions) error {
	formats := []string{"text", "json", "markdown"}
	if o.Fleet.fleetCheck() {
		formats = append(formats, "csv", "ndjson")
	}
	if err := enumFlag("format", o.Format, formats...); err != nil {
		if o.Format == "csv" || o.Format == "ndjson" {
			return flows.Usagef("--format %s needs --tenants (one line per tenant)", o.Format)
		}
		return err
	}
	if err := enumFlag("auth", o.Fleet.Auth, "interactive", "device-code", "certificate", "secret", "workload-identity"); err != nil {
		return err
	}
	if o.Fleet.Certificate != "" && o.Fleet.Auth != string(flows.AuthCertificate) {
		return flows.Usagef("--certificate is for --auth certificate")
	}
	if o.Fleet.IdentityClientID != "" && !o.Fleet.appAuth() {
		return flows.Usagef("--identity-client-id is for --auth certificate, secret or workload-identity")
	}
	if o.Fleet.Parallel < 1 || o.Fleet.Parallel > fleet.MaxParallel {
		return flows.Usagef("--parallel must be between 1 and %d, got %d", fleet.MaxParallel, o.Fleet.Parallel)
	}
	return nil
}

// readTenants reads --tenants FILE, or stdin for "-".
func (a *Factory) readTenants(name string) ([]string, error) {
	if name == "-" {
		return fleet.ParseTenantList(a.stdin, "stdin")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, flows.Usagef("--tenants: %v", err)
	}
	defer f.Close()
	return fleet.ParseTenantList(f, name)
}

// runVerifyMany is verify with --tenants, or with an app identity.
func runVerifyMany(ctx context.Context, a *Factory, o verifyOptions) error {
	if err := checkDemoFaults(o); err != nil {
		return err
	}
	in, err := loadFleetInputs(a, o)
	if err != nil {
		return err
	}
	tenants, resume, baseline := in.tenants, in.resume, in.baseline
	ctx, cancel := withCommandTimeout(ctx, a.opts.Timeout)
	defer cancel()
	t, err := a.target(ctx, o.Demo, o.Scenario)
	if err != nil {
		return err
	}
	defer t.Close()
	t.signInWithDeviceCode(o.DeviceCode)
	demoMonitor := ""
	if t.demo != nil {
		if o.Fleet.fleetCheck() {
			customers, err := t.demo.Server.AddDemoCustomers()
			if err != nil {
				return err
			}
			if in.demoFleet && tenants == nil {
				tenants = demoFleetTenants(a.errOut(), a.widthOf(a.stderr), o.Fleet.Tenants, customers)
			}
		}
		if o.Fleet.appAuth() {
			if demoMonitor, err = t.demo.Server.RegisterDemoMonitor(); err != nil {
				return err
			}
		}
		if err := t.applyDemoFaults(o.DemoFaults); err != nil {
			return err
		}
	}
	app, err := a.pickApp(t.catalog, t.defaultApp(o.App))
	if err != nil {
		return err
	}
	if baseline != nil {
		if err := baseline.CheckApp(flows.ResultApp{Key: app.Key, ClientID: app.ClientID}); err != nil {
			return err
		}
	}
	if resume != nil {
		if err := resume.CheckApp(flows.ResultApp{Key: app.Key, ClientID: app.ClientID}); err != nil {
			return err
		}
	}
	cfg := t.cfg
	fc := fleet.Config{Cloud: cfg.Cloud, HTTPClient: cfg.HTTPClient, Clock: cfg.Clock, Logger: cfg.Logger, Parallel: o.Fleet.Parallel}
	if tenants, err = fleetSignIn(ctx, a, o, t, &fc, demoMonitor, tenants); err != nil {
		return err
	}
	if !o.Fleet.fleetCheck() {
		// One tenant, unattended: the single-tenant output and exit codes.
		r, err := flows.VerifyTenant(ctx, flows.TenantCheck{Cloud: fc.Cloud, HTTPClient: fc.HTTPClient, Clock: fc.Clock,
			Tokens: fc.Tokens, SignedInAs: fc.SignedInAs, AppOnly: fc.AppOnly}, app, tenants[0])
		if err != nil {
			return reportFlowError(a, a.withDiagnosis(ctx, o.Demo, err))
		}
		return a.emitVerify(o, r, baseline, t)
	}
	return runFleetCheck(ctx, a, o, fc, app, tenants, resume, baseline)
}

// fleetInputs are the files a fleet check reads before it signs in.
type fleetInputs struct {
	tenants []string
	// demoFleet: --demo with a --tenants file that does not exist: the demo partner
	// fleet's customers are checked (a newcomer runs the README's line as printed).
	demoFleet bool
	resume    *fleet.Resume
	baseline  *fleet.Baseline
}

// demoFleetTenants are the demo partner fleet's customer domains, for a --tenants
// file that does not exist; the note on w says so, wrapped at words to width, and
// how to write that file: a command on one line, however long.
func demoFleetTenants(w io.Writer, width int, name string, customers []emulator.TenantInfo) []string {
	domains := make([]string, len(customers))
	for i, c := range customers {
		domains[i] = c.Domain
	}
	note := fmt.Sprintf("%s does not exist: checking the demo partner fleet's %d customers. To edit the list, write them to the file first:", name, len(domains))
	fmt.Fprintf(w, "%s\n  printf '%%s\\n' %s > %s\n", textwrap.Wrap(note, width), strings.Join(domains, " "), name)
	return domains
}

// loadFleetInputs reads --tenants, --resume and --baseline: bad input stops the
// command before any sign-in.
func loadFleetInputs(a *Factory, o verifyOptions) (fleetInputs, error) {
	var tenants []string
	demoFleet := false
	if o.Demo && o.Fleet.Tenants != "-" && o.Fleet.Tenants != "" {
		_, err := os.Stat(o.Fleet.Tenants)
		demoFleet = errors.Is(err, fs.ErrNotExist)
	}
	if o.Fleet.Tenants != "" && !demoFleet {
		var err error
		if tenants, err = a.readTenants(o.Fleet.Tenants); err != nil {
			return fleetInputs{}, err
		}
	}
	var resume *fleet.Resume
	if o.Fleet.Resume != "" {
		var err error
		if resume, err = fleet.LoadResume(o.Fleet.Resume); err != nil {
			return fleetInputs{}, err
		}
		if tenants == nil {
			tenants = resume.Tenants
		}
		if len(tenants) == 0 {
			return fleetInputs{}, flows.Usagef("--resume %s lists no tenants", o.Fleet.Resume)
		}
	}
	var baseline *fleet.Baseline
	if o.Fleet.Baseline != "" {
		var err error
		if baseline, err = fleet.LoadBaseline(o.Fleet.Baseline); err != nil {
			return fleetInputs{}, err
		}
	}
	return fleetInputs{tenants, demoFleet, resume, baseline}, nil
}

// fleetSignIn signs in once for the whole fleet, as the app identity (--auth
// certificate|secret|workload-identity) or as the admin, and sets fc's tokens.
func fleetSignIn(ctx context.Context, a *Factory, o verifyOptions, t *commandTarget, fc *fleet.Config, demoMonitor string, tenants []string) ([]string, error) {
	cfg := t.cfg
	if o.Fleet.appAuth() {
		clientID, tenant := o.Fleet.IdentityClientID, a.opts.Tenant
		if t.demo != nil {
			if clientID == "" && a.getenv(flows.EnvAzureClientID) == "" {
				clientID = demoMonitor
			}
			if tenant == "" && a.getenv(flows.EnvAzureTenantID) == "" {
				tenant = t.demo.Server.TenantID()
			}
		}
		id, err := flows.AppIdentityFromEnv(flows.AppAuth(o.Fleet.Auth), clientID, tenant, o.Fleet.Certificate, a.getenv)
		if err != nil {
			return nil, err
		}
		s, err := flows.NewAppSession(cfg, id)
		if err != nil {
			return nil, err
		}
		if err := s.SignIn(ctx); err != nil {
			return nil, reportFlowError(a, a.withDiagnosis(ctx, o.Demo, err))
		}
		fc.Tokens, fc.SignedInAs, fc.AppOnly = s, s.SignedInAs(), true
		if tenants == nil {
			tenants = []string{id.Tenant}
		}
	} else {
		if o.Fleet.Auth == "device-code" {
			cfg.DeviceCode = true
		}
		s, err := flows.NewSession(cfg)
		if err != nil {
			return nil, err
		}
		admin, err := s.SignIn(ctx, signInPrompter(a.errOut(), o.Demo))
		if err != nil {
			return nil, reportFlowError(a, a.withDiagnosis(ctx, o.Demo, err))
		}
		fc.Tokens, fc.SignedInAs, fc.SignInClientID = s, admin.UPN, cfg.SignInClientID
	}
	return tenants, nil
}

// runFleetCheck checks the tenants with a progress line on a terminal, streams or
// prints the rows, compares them with the baseline and returns the worst row's code.
func runFleetCheck(ctx context.Context, a *Factory, o verifyOptions, fc fleet.Config, app *permissions.App, tenants []string, resume *fleet.Resume, baseline *fleet.Baseline) error {
	if a.isTerminal(a.stderr) {
		w := a.stderr
		fc.Progress = func(done, total int, _ fleet.Row) {
			fmt.Fprintf(w, "\r%s ", fleet.ProgressLine(done, total, 30))
		}
		fmt.Fprintf(w, "\r%s ", fleet.ProgressLine(0, len(tenants), 30))
	}
	// csv and ndjson stream each row as its tenant finishes; a row the stream has
	// written needs its full result only for a JSON report or a baseline.
	stream, err := fleet.NewStream(a.stdout, o.Format)
	if err != nil {
		return err
	}
	if stream != nil {
		fc.OnRow = func(r fleet.Row) { _ = stream.Row(r) }
		fc.DropResults = o.Report == "" && baseline == nil
	}
	res, err := verifyFleet(ctx, fc, app, tenants, resume, stream)
	if fc.Progress != nil {
		fmt.Fprintf(a.stderr, "\r%s\r", strings.Repeat(" ", 60))
	}
	if err != nil {
		return err
	}
	var drift *fleet.Drift
	if baseline != nil && !res.Cancelled {
		var rs []*flows.Result
		for _, r := range res.Rows {
			rs = append(rs, r.Result)
		}
		drift = baseline.Compare(rs...)
	}
	code := fleetExit(res, drift)
	if err := a.emitFleet(o, res, drift, code); err != nil {
		return err
	}
	if res.Cancelled {
		if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("the fleet check ran out of time (--timeout %s): %d of %d tenants not checked", a.opts.Timeout, res.Total-len(res.Rows), res.Total)
		}
		// Ctrl+C or SIGTERM: the rows finished so far are printed; run maps the
		// cancellation cause to 130 (or 143).
		return silent(fmt.Errorf("cancelled after %d of %d tenants: %w", len(res.Rows), res.Total, flows.ErrCancelled))
	}
	return withCode(code, fleet.SummaryLine(res, drift))
}

// verifyFleet checks tenants, or with resume only those the report did not finish
// (its finished rows streamed first, then kept in input order).
func verifyFleet(ctx context.Context, fc fleet.Config, app *permissions.App, tenants []string, resume *fleet.Resume, stream fleet.Stream) (*fleet.Result, error) {
	if resume == nil {
		return fleet.Verify(ctx, fc, app, tenants)
	}
	kept, check := resume.Split(tenants)
	if stream != nil {
		for _, t := range tenants {
			if row, ok := kept[strings.ToLower(t)]; ok {
				_ = stream.Row(row)
			}
		}
	}
	now := &fleet.Result{App: flows.ResultApp{Key: app.Key, DisplayName: app.DisplayName, ClientID: app.ClientID},
		Cloud: fc.Cloud.Name, CheckedAt: time.Now().UTC(), SignedInAs: fc.SignedInAs, AppOnly: fc.AppOnly}
	if fc.Clock != nil {
		now.CheckedAt = fc.Clock.Now().UTC()
	}
	if len(check) > 0 {
		var err error
		if now, err = fleet.Verify(ctx, fc, app, check); err != nil {
			return nil, err
		}
	}
	return fleet.Merge(tenants, kept, now), nil
}

// emitFleet prints a fleet check in --format, and --report FILE when asked; code is
// the check's exit code, which the JSON document's summary carries.
func (a *Factory) emitFleet(o verifyOptions, res *fleet.Result, drift *fleet.Drift, code int) error {
	var err error
	switch o.Format {
	case "json":
		var data []byte
		if data, err = fleet.JSON(res, drift, code); err == nil {
			_, err = a.stdout.Write(data)
		}
	case "csv", "ndjson":
		// Streamed row by row as each tenant finished (verifyFleet).
	case "markdown":
		err = fleet.WriteMarkdown(a.stdout, res, drift)
	default:
		err = fleet.WriteTableWidth(a.out(), res, drift, a.termWidth())
	}
	if err != nil || o.Report == "" {
		return err
	}
	var data []byte
	switch strings.ToLower(filepath.Ext(o.Report)) {
	case ".json":
		data, err = fleet.JSON(res, drift, code)
	default:
		var b strings.Builder
		err = fleet.WriteMarkdown(&b, res, drift)
		data = []byte(b.String())
	}
	if err == nil {
		err = os.WriteFile(o.Report, data, 0o644)
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if o.Format == "text" {
		fmt.Fprintf(a.out(), "Report saved to %s\n", o.Report)
	}
	return nil
}

// emitVerify prints one tenant's result in --format (with drift from baseline, if
// any), saves --report, and returns the exit: 0 complete, 3 incomplete, 5 drift
// (drift wins over incomplete).
func (a *Factory) emitVerify(o verifyOptions, r *flows.Result, baseline *fleet.Baseline, t *commandTarget) error {
	if a.opts.AuthorityHost != "" || a.opts.GraphURL != "" {
		// Not the named cloud's endpoints: never claim "global".
		r.Cloud = "custom"
	}
	var drift *fleet.Drift
	if baseline != nil {
		drift = baseline.Compare(r)
	}
	switch o.Format {
	case "json":
		doc := any(r)
		if drift != nil {
			doc = struct {
				*flows.Result
				Drift *fleet.Drift `json:"drift"`
			}{r, drift}
		}
		data, err := jsonIndent(doc)
		if err != nil {
			return err
		}
		if _, err := a.stdout.Write(data); err != nil {
			return err
		}
	case "markdown":
		if _, err := a.stdout.Write(flows.MarkdownReport(r)); err != nil {
			return err
		}
		fleet.WriteDriftText(a.stdout, drift)
	default:
		w := a.out()
		writeChecklist(w, r, a.nextCommands(r, t, o))
		fleet.WriteDriftText(w, drift)
	}
	if o.Report != "" {
		if err := flows.WriteReport(o.Report, r); err != nil {
			return err
		}
		if o.Format == "text" {
			fmt.Fprintf(a.out(), "\nReport saved to %s\n", o.Report)
		} else {
			fmt.Fprintf(a.errOut(), "Report saved to %s\n", o.Report)
		}
	}
	code := outcomeExit(r, nil)
	if drift.Drifted() {
		code = worstExit(code, exitDrift)
	}
	switch code {
	case exitOK:
		return nil
	case exitIncomplete:
		return silent(fmt.Errorf("%s: %w", flows.Summary(r), flows.ErrIncomplete))
	}
	return withCode(code, fmt.Sprintf("%d change(s) since the baseline", len(drift.Changes)))
}

func jsonIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// consentURLs prints one admin consent link per tenant (consent-url --tenants).
func consentURLs(w io.Writer, link func(tenant string) (string, error), tenants []string, format string) error {
	type line struct{ tenant, url string }
	var lines []line
	for _, t := range tenants {
		u, err := link(t)
		if err != nil {
			return err
		}
		lines = append(lines, line{t, u})
	}
	if format == "csv" {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"tenant", "consent_url"})
		for _, l := range lines {
			_ = cw.Write([]string{l.tenant, l.url})
		}
		cw.Flush()
		return cw.Error()
	}
	width := len("TENANT")
	for _, l := range lines {
		width = max(width, len(l.tenant))
	}
	fmt.Fprintf(w, "%-*s  %s\n", width, "TENANT", "CONSENT URL")
	for _, l := range lines {
		fmt.Fprintf(w, "%-*s  %s\n", width, l.tenant, l.url)
	}
	return nil
}
