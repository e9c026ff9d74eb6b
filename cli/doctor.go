package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/doctor"
	"github.com/d365consent/d365consent/internal/termcaps"
)

type doctorOptions struct {
	Format string
	Report string
}

// newDoctorCmd is the doctor command; runF, when not nil, runs instead of runDoctor
// with the options the command line gave (tests of the flags).
func newDoctorCmd(a *Factory, runF func(context.Context, *doctorOptions) error) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Find out why sign-in or consent would fail: machine, network, TLS, clock, tenant",
		Long: `doctor checks, without signing in, everything sign-in and consent need from this machine and
its network: the terminal and browser (SSH, WSL, no display: device-code sign-in), the proxy
settings as Go uses them (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), SSL_CERT_FILE/SSL_CERT_DIR; then,
for the cloud's sign-in and Graph hosts: DNS, TCP connect, the proxy's CONNECT, the TLS
handshake (a chain not ending in DigiCert/Microsoft means TLS inspection: the issuing CA is
named), an HTTP answer and the latency of each step; the clock against the servers' Date
headers (over 5 minutes off breaks tokens); with --tenant, the tenant's OpenID configuration
(its id and cloud: a tenant in another cloud names the --cloud to use); and whether the
sign-in client can start a sign-in there (a device-code start, never completed).

Each check is ✓ (fine), ! (works, worth knowing) or ✗ (will fail), with its evidence and fix.
The report names no user and holds no token: attach it to a support ticket.

Exit status: 0 nothing is ✗; 1 something is ✗; 2 bad input.
--format json prints the d365consent.doctor/v1 document.`,
		Example: `  d365consent doctor
  d365consent doctor --tenant contoso.onmicrosoft.com
  d365consent doctor --cloud usgov --tenant contoso.onmicrosoft.us --format json
  d365consent doctor --tenant contoso.onmicrosoft.com --report doctor.md`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runDoctor(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Format, "format", "text", "output: text, json (the doctor contract) or markdown")
	f.StringVar(&o.Report, "report", "", "also save the report to FILE (.md, .json or .txt; otherwise in --format)")
	annotateValues(cmd, "format", "text", "json", "markdown")
	_ = cmd.RegisterFlagCompletionFunc("report", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"md", "json", "txt"}, cobra.ShellCompDirectiveFilterFileExt
	})
	return cmd
}

// doctorConfig is a doctor run for the command's flags and environment.
func (a *Factory) doctorConfig() (doctor.Config, error) {
	cloud, err := flows.LookupCloud(a.opts.Cloud)
	if err != nil {
		return doctor.Config{}, err
	}
	if cloud, err = cloud.WithOverrides(a.opts.AuthorityHost, a.opts.GraphURL); err != nil {
		return doctor.Config{}, err
	}
	cfg := doctor.Config{
		Version:        a.versionString(),
		Cloud:          cloud,
		Tenant:         a.opts.Tenant,
		SignInClientID: a.opts.SignInClientID,
		DeviceCode:     a.opts.DeviceCode,
		NoBrowser:      a.opts.NoBrowser,
		Environ:        append([]string(nil), a.environ...),
		Browser:        a.browser,
		Now:            a.clock.Now,
		RootCAs:        a.rootCAs,
		PublicCAs:      a.publicCAs,
	}
	if f, ok := a.stdout.(*os.File); ok && a.isTerminal(f) {
		cfg.Terminal.IsTerminal = true
		cfg.Terminal.Width, cfg.Terminal.Height, _ = termSize(f)
		cfg.Terminal.Profile = colorprofile.Detect(f, a.environ).String()
		if a.noColor() {
			cfg.Terminal.Profile = colorprofile.NoTTY.String()
		}
	}
	return cfg, nil
}

// doctorFormat is the format of --report FILE: from its extension, else --format.
func doctorFormat(path, format string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".json":
		return "json"
	case ".md", ".markdown":
		return "markdown"
	case ".txt", ".text", ".log":
		return "text"
	}
	return format
}

func runDoctor(ctx context.Context, a *Factory, o doctorOptions) error {
	if err := enumFlag("format", o.Format, "text", "json", "markdown"); err != nil {
		return err
	}
	cfg, err := a.doctorConfig()
	if err != nil {
		return err
	}
	ctx, cancel := withCommandTimeout(ctx, a.opts.Timeout)
	defer cancel()
	caps := termcaps.Detect(a.environ, runtime.GOOS)
	var prog *progressLine
	if f, ok := a.stderr.(*os.File); ok && a.isTerminal(f) {
		prog = &progressLine{w: f, glyphs: caps.Glyphs}
		cfg.Progress = prog.event
	}
	r := doctor.Run(ctx, cfg)
	prog.clear()

	text := doctor.TextOptions{Glyphs: caps.Glyphs, Color: true, Width: a.termWidth()}
	switch o.Format {
	case "json":
		err = doctor.WriteJSON(a.stdout, r)
	case "markdown":
		err = doctor.WriteMarkdown(a.stdout, r)
	default:
		err = doctor.WriteText(a.out(), r, text)
	}
	if err != nil {
		return err
	}
	if o.Report != "" {
		var buf bytes.Buffer
		switch doctorFormat(o.Report, o.Format) {
		case "json":
			err = doctor.WriteJSON(&buf, r)
		case "markdown":
			err = doctor.WriteMarkdown(&buf, r)
		default:
			text.Color, text.Width = false, 0
			err = doctor.WriteText(&buf, r, text)
		}
		if err == nil {
			err = os.WriteFile(o.Report, buf.Bytes(), 0o600)
		}
		if err != nil {
			return fmt.Errorf("--report: %w", err)
		}
		if o.Format == "text" {
			fmt.Fprintf(a.out(), "Report saved to %s\n", o.Report)
		}
	}
	if r.Failed() {
		return silent(fmt.Errorf("doctor: %s", doctor.ResultLine(r)))
	}
	return nil
}

// progressLine shows, on a terminal's stderr, the check running now, on one line
// rewritten in place with a carriage return (no escape sequence), cleared at the end.
type progressLine struct {
	mu     sync.Mutex
	w      io.Writer
	glyphs termcaps.Glyphs
	width  int
	done   int
}

func (p *progressLine) event(e doctor.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Check.Status != "" {
		p.done++
		return
	}
	line := fmt.Sprintf("%s [%d done] checking %s", p.glyphs.Ellipsis, p.done, e.Check.Title)
	if n := len([]rune(line)); n > 78 {
		line = string([]rune(line)[:78])
	}
	p.write(line)
}

func (p *progressLine) write(line string) {
	pad := p.width - len([]rune(line))
	if pad < 0 {
		pad = 0
	}
	fmt.Fprint(p.w, "\r"+line+strings.Repeat(" ", pad))
	p.width = len([]rune(line))
}

func (p *progressLine) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.width > 0 {
		p.write("")
		fmt.Fprint(p.w, "\r")
	}
}
