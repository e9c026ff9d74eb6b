// Package doctor finds out why sign-in or consent will fail, before it does: the
// machine (terminal, browser, proxy, trust store), the network to the cloud's sign-in
// and Graph hosts (DNS, TCP, proxy CONNECT, TLS with inspection detection, HTTP),
// the clock against the servers' Date headers, the tenant's OpenID configuration and
// whether the sign-in client can start a sign-in there. Nothing here signs in.
//
// Every outside look-up is injected (resolver, dialer, clock, environment, proxy,
// trust roots), so each verdict is testable on one machine without a packet leaving it.
// There is no UI here: Run returns a Report, which the writers in render.go print.
package doctor

import (
	"context"
	"crypto/x509"
	"net"
	"net/url"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/signin"
)

// Schema names the JSON report's contract (README "doctor").
const Schema = "d365consent.doctor/v1"

// Status is a check's verdict.
type Status string

// Verdicts: OK (✓), Warn (!: works, but worth knowing), Fail (✗: sign-in or
// consent will fail), Skip (not checked: a step it depends on failed, or nothing to check).
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check is one verdict with one line of evidence and, unless it is OK, one line of fix.
type Check struct {
	// ID is stable across versions ("network.login.tls"); scripts may match on it.
	ID string `json:"id"`
	// Group is machine, network, clock, tenant or signin.
	Group  string `json:"group"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Summary is the verdict in a few words, for an error screen ("TLS inspection by
	// 'Contoso Proxy CA' detected"); set on Warn and Fail.
	Summary  string `json:"summary,omitempty"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix,omitempty"`
	// Duration is how long the step took (network steps only).
	Duration time.Duration `json:"-"`
	// LatencyMS is Duration in milliseconds in the JSON report (network steps only).
	LatencyMS *float64 `json:"latencyMs,omitempty"`
}

// Tenant is what the tenant's OpenID configuration said.
type Tenant struct {
	// Query is --tenant as given (a domain or id).
	Query          string `json:"query"`
	ID             string `json:"id,omitempty"`
	CloudInstance  string `json:"cloudInstance,omitempty"`
	RegionScope    string `json:"regionScope,omitempty"`
	RegionSubScope string `json:"regionSubScope,omitempty"`
	// Cloud is the --cloud this tenant belongs to ("" when unknown).
	Cloud string `json:"cloud,omitempty"`
}

// Report is a whole run. It names no user and holds no token: safe to attach to a ticket.
type Report struct {
	Schema        string    `json:"schema"`
	Version       string    `json:"version"`
	Cloud         string    `json:"cloud"`
	AuthorityHost string    `json:"authorityHost"`
	GraphURL      string    `json:"graphUrl"`
	Tenant        *Tenant   `json:"tenant,omitempty"`
	CheckedAt     time.Time `json:"checkedAt"`
	// Status is "ok" (all ✓), "warnings" (some !, no ✗) or "problems" (some ✗).
	Status string  `json:"status"`
	Checks []Check `json:"checks"`
}

// Failed reports whether some check is ✗.
func (r *Report) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return true
		}
	}
	return false
}

// Check returns the check with the given id, or nil.
func (r *Report) Check(id string) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// Resolver looks host names up (*net.Resolver is one).
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Dialer opens connections (*net.Dialer is one).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// BrowserPlanner decides how a URL would be opened (*browser.System is one).
type BrowserPlanner interface {
	Plan(rawURL string) (browser.Launch, error)
}

// Terminal is what the command knows about its output.
type Terminal struct {
	// IsTerminal: stdout is a terminal.
	IsTerminal    bool
	Width, Height int
	// Profile is the colour profile's name (colorprofile), e.g. "TrueColor", "NoTTY".
	Profile string
}

// Event is progress: a check started (Check.Status == "") or finished.
type Event struct {
	Check Check
}

// Config is one doctor run.
type Config struct {
	// Version is d365consent's version string.
	Version string
	// Cloud is the cloud with --authority-host/--graph-url applied; CloudName its name.
	Cloud flows.Cloud
	// Tenant is --tenant ("" = none: the tenant and sign-in client checks use organizations).
	Tenant string
	// SignInClientID is the client the wizard signs in with.
	SignInClientID string
	// DeviceCode and NoBrowser are the --device-code and --no-browser flags.
	DeviceCode, NoBrowser bool

	// Environ is the command's environment (os.Environ form), never the process's.
	Environ []string
	// GOOS and GOARCH: "" = runtime's.
	GOOS, GOARCH string
	Terminal     Terminal
	// Browser decides which browser would open; nil = browser.System over Environ.
	Browser BrowserPlanner

	// Resolver, Dialer: nil = net.DefaultResolver, a net.Dialer.
	Resolver Resolver
	Dialer   Dialer
	// Proxy picks the proxy for a request URL; nil = the HTTPS_PROXY/HTTP_PROXY/NO_PROXY
	// of Environ with net/http's rules (golang.org/x/net/http/httpproxy).
	Proxy func(*url.URL) (*url.URL, error)
	// RootCAs are the trusted roots; nil = the system's (SSL_CERT_FILE/SSL_CERT_DIR apply).
	RootCAs *x509.CertPool
	// PublicCAs are what a host's certificate chain normally ends in (matched against
	// the top issuer's organization and common name, case-insensitively); a chain
	// ending elsewhere means TLS inspection. nil = DigiCert / Microsoft for
	// Microsoft's hosts, and no judgement for other hosts (--authority-host).
	PublicCAs func(host string) []string
	// Now is the clock; nil = time.Now.
	Now func() time.Time
	// ReadFile and ReadDir read SSL_CERT_FILE / SSL_CERT_DIR; nil = os's.
	ReadFile func(name string) ([]byte, error)
	ReadDir  func(name string) ([]os.DirEntry, error)

	// StepTimeout bounds each network step (DNS, connect, CONNECT, TLS, HTTP); 0 = 10 s.
	// The whole run is bounded by the caller's context (--timeout).
	StepTimeout time.Duration
	// Progress, when set, is called as each check starts and ends (from several
	// goroutines, one call at a time).
	Progress func(Event)
	// Only limits the run to these groups ("machine", "network", "clock", "tenant",
	// "signin"); nil = all. Diagnose uses it.
	Only []string
}

func (c *Config) defaults() {
	if c.GOOS == "" {
		c.GOOS = runtime.GOOS
	}
	if c.GOARCH == "" {
		c.GOARCH = runtime.GOARCH
	}
	if c.Resolver == nil {
		c.Resolver = net.DefaultResolver
	}
	if c.Dialer == nil {
		c.Dialer = &net.Dialer{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadFile == nil {
		c.ReadFile = os.ReadFile
	}
	if c.ReadDir == nil {
		c.ReadDir = os.ReadDir
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = 10 * time.Second
	}
	if c.Proxy == nil {
		c.Proxy = proxyFromEnviron(c.Environ, c.GOOS)
	}
	if c.PublicCAs == nil {
		c.PublicCAs = microsoftPublicCAs
	}
	if c.Browser == nil {
		c.Browser = &browser.System{Environ: append([]string{}, c.Environ...), GOOS: c.GOOS}
	}
	if c.SignInClientID == "" {
		c.SignInClientID = signin.ClientID
	}
}

func (c *Config) wants(group string) bool {
	if c.Only == nil {
		return true
	}
	for _, g := range c.Only {
		if g == group {
			return true
		}
	}
	return false
}

// progress serializes Config.Progress.
type progress struct {
	mu sync.Mutex
	f  func(Event)
}

func (p *progress) emit(c Check) {
	if p == nil || p.f == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.f(Event{Check: displaySafe(c)})
}

// displaySafe is c with display-safe text. A check's words are assembled from what
// the network and the machine said (certificate names, error texts, proxy and file
// names): each check is cleaned here, once, as it leaves the doctor — in a progress
// event and in the report.
func displaySafe(c Check) Check {
	c.Title, c.Summary, c.Evidence, c.Fix = safetext.Sanitize(c.Title), safetext.Sanitize(c.Summary), safetext.Sanitize(c.Evidence), safetext.Sanitize(c.Fix)
	return c
}

// Run runs every check and returns the report. ctx bounds the whole run.
func Run(ctx context.Context, cfg Config) *Report {
	cfg.defaults()
	p := &progress{f: cfg.Progress}
	r := &Report{
		Schema:        Schema,
		Version:       cfg.Version,
		Cloud:         cfg.Cloud.Name,
		AuthorityHost: cfg.Cloud.AuthorityHost,
		GraphURL:      cfg.Cloud.GraphURL,
		CheckedAt:     cfg.Now().UTC().Truncate(time.Second),
	}
	var machine []Check
	if cfg.wants("machine") {
		machine = machineChecks(&cfg)
		for _, c := range machine {
			p.emit(c)
		}
	}
	pr := runProbes(ctx, &cfg, p)
	login, graph := pr.login, pr.graph
	tenant, signin, tenantInfo := pr.tenant, pr.signin, pr.tenantInfo

	r.Checks = append(r.Checks, machine...)
	if cfg.wants("network") {
		r.Checks = append(r.Checks, login.checks...)
		r.Checks = append(r.Checks, graph.checks...)
	}
	if cfg.wants("clock") {
		c := clockCheck(&cfg, login, graph)
		p.emit(c)
		r.Checks = append(r.Checks, c)
	}
	r.Checks = append(r.Checks, tenant...)
	r.Checks = append(r.Checks, signin...)
	r.Tenant = tenantInfo
	for i := range r.Checks {
		r.Checks[i] = displaySafe(r.Checks[i])
	}
	for i := range r.Checks {
		if c := &r.Checks[i]; c.Duration > 0 || c.Group == "network" && c.Status != Skip {
			ms := float64(c.Duration.Microseconds()/100) / 10
			c.LatencyMS = &ms
		}
	}
	r.Status = overall(r.Checks)
	return r
}

// probes are the network, tenant and sign-in client checks of one run.
type probes struct {
	login, graph   hostResult
	tenant, signin []Check
	tenantInfo     *Tenant
}

// runProbes probes the Graph host and the sign-in host at once; the tenant and sign-in
// client checks follow the sign-in host's probe (when it cannot be reached their ✗
// would only repeat the network's).
func runProbes(ctx context.Context, cfg *Config, p *progress) probes {
	var (
		pr                 probes
		wg                 sync.WaitGroup
		netOn              = cfg.wants("network") || cfg.wants("clock")
		tenantOn, clientOn = cfg.wants("tenant"), cfg.wants("signin")
	)
	if netOn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr.graph = probeHost(ctx, cfg, p, "graph", "Graph", cfg.Cloud.GraphURL, graphProbePath(cfg.Cloud.GraphURL))
		}()
	}
	if netOn {
		pr.login = probeHost(ctx, cfg, p, "login", "sign-in", cfg.Cloud.AuthorityHost, loginProbePath(cfg.Cloud.AuthorityHost))
	}
	blocked := ""
	if pr.login.failed() {
		blocked = "HTTPS to " + hostOf(cfg.Cloud.AuthorityHost) + " fails (see the network checks above)"
	}
	if tenantOn {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pr.tenant, pr.tenantInfo = tenantChecks(ctx, cfg, p, blocked)
		}()
	}
	if clientOn {
		pr.signin = signinChecks(ctx, cfg, p, blocked)
	}
	wg.Wait()
	return pr
}

func overall(checks []Check) string {
	s := "ok"
	for _, c := range checks {
		switch c.Status {
		case Fail:
			return "problems"
		case Warn:
			s = "warnings"
		}
	}
	return s
}

// hostOf is the host name (without port) of a base URL.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Hostname()
}

// hostPortOf is host:port of a base URL (port 443 when absent for https).
func hostPortOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	if u.Port() != "" {
		return u.Host
	}
	if u.Scheme == "http" {
		return net.JoinHostPort(u.Hostname(), "80")
	}
	return net.JoinHostPort(u.Hostname(), "443")
}
