package flows

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// Fleet checks: one app verified across many tenants (a partner's customers), with
// one sign-in and a token per tenant. Each tenant is verified with the same
// requests and evaluation as a single verify (VerificationRequests, evaluate), plus
// /organization for the tenant's name, in one $batch: one Graph round trip per
// tenant when nothing pages or throttles.

// TenantTokens gives a Microsoft Graph access token for a tenant (id or domain).
type TenantTokens interface {
	TenantToken(ctx context.Context, tenant string) (string, error)
}

// TenantToken is a Graph token of the signed-in admin in another tenant (a customer
// tenant where they are a guest or hold GDAP roles), obtained silently: MSAL redeems
// the sign-in's refresh token at that tenant's authority.
func (s *Session) TenantToken(ctx context.Context, tenant string) (string, error) {
	t, err := s.auth.SilentTenant(ctx, tenant)
	if err != nil {
		return "", wrapAuth("getting a token for tenant "+safetext.Sanitize(tenant), err)
	}
	return t.AccessToken, nil
}

// DefaultParallel is how many tenants a fleet check verifies at once.
const DefaultParallel = 8

// MaxParallel bounds --parallel.
const MaxParallel = 64

// Outcome is a fleet row's verdict.
type Outcome string

// Row outcomes, from best to worst (see Outcome.ExitCode and WorstExitCode).
const (
	OutcomeComplete     Outcome = "complete"
	OutcomeIncomplete   Outcome = "incomplete"
	OutcomeNotConsented Outcome = "not-consented"
	// OutcomeNoAccess: the account cannot act in the tenant (AADSTS50020 and kin:
	// no guest account, no GDAP relationship, a cross-tenant access policy).
	OutcomeNoAccess Outcome = "no-access"
	// OutcomeRefused: Entra ID refused the token for another reason (consent of the
	// sign-in client missing, Conditional Access, MFA, unknown tenant…).
	OutcomeRefused Outcome = "refused"
	// OutcomeForbidden: Graph answered 403: the caller lacks a directory role
	// (delegated) or a Graph application permission (app-only).
	OutcomeForbidden Outcome = "forbidden"
	// OutcomeError: the tenant could not be checked (network, Graph failure…).
	OutcomeError Outcome = "error"
)

// ExitCode is the process exit code a row alone would give: 0 complete; 3
// incomplete or not consented; 4 refused by Entra ID or Graph (no access, refused,
// forbidden); 1 could not be checked.
func (o Outcome) ExitCode() int {
	switch o {
	case OutcomeComplete:
		return 0
	case OutcomeIncomplete, OutcomeNotConsented:
		return 3
	case OutcomeNoAccess, OutcomeRefused, OutcomeForbidden:
		return 4
	}
	return 1
}

// exitSeverity orders exit codes from best to worst: 0, 3, 5 (drift), 4, 1, 130.
// A check that could not look (1) is worse than one that was refused (4), which
// is worse than drift (5) or a known gap (3).
var exitSeverity = map[int]int{0: 0, 3: 1, 5: 2, 4: 3, 1: 4, 130: 5}

// WorstExitCode is the worst of codes by that order (0 for none).
func WorstExitCode(codes ...int) int {
	worst := 0
	for _, c := range codes {
		if exitSeverity[c] > exitSeverity[worst] {
			worst = c
		}
	}
	return worst
}

// FleetRow is one tenant of a fleet check.
type FleetRow struct {
	// Tenant is the tenant as listed (id or domain).
	Tenant string `json:"tenant"`
	// TenantID and TenantName come from Graph (/organization) when it answered.
	TenantID   string  `json:"tenantId,omitempty"`
	TenantName string  `json:"tenantName,omitempty"`
	Outcome    Outcome `json:"status"`
	// Missing lists the permissions not granted, e.g. "Dynamics CRM user_impersonation (Delegated): missing".
	Missing []string `json:"missing"`
	// Error explains why the tenant could not be checked; AADSTS is its code.
	Error  string `json:"error,omitempty"`
	AADSTS int    `json:"aadsts,omitempty"`
	// Result is the full single-tenant verification (nil when not checked).
	Result *Result `json:"-"`
	// GraphRequests counts this tenant's Graph HTTP requests.
	GraphRequests int `json:"graphRequests"`
}

// FleetConfig is what a fleet check needs.
type FleetConfig struct {
	Cloud      Cloud
	HTTPClient *http.Client
	Clock      Clock
	Logger     *slog.Logger
	Tokens     TenantTokens
	// SignedInAs names the caller in each result (the admin's UPN, or the app).
	SignedInAs string
	// AppOnly: the caller is an app identity (no /me, no role check).
	AppOnly  bool
	Parallel int
	// Progress, when set, is called after each tenant finishes (from any goroutine,
	// serialized), with the number done so far.
	Progress func(done, total int, row FleetRow)
}

// FleetResult is a finished (or cancelled) fleet check. Rows are in input order and
// hold only the tenants that finished.
type FleetResult struct {
	App        ResultApp
	Cloud      string
	CheckedAt  time.Time
	SignedInAs string
	AppOnly    bool
	Total      int
	Rows       []FleetRow
	// Cancelled is set when the check stopped before every tenant finished.
	Cancelled bool
	// Throttled counts the 429s the shared back-off absorbed.
	Throttled int64
}

// ExitCode is the worst row's exit code, or 130 when cancelled.
func (f *FleetResult) ExitCode() int {
	if f.Cancelled {
		return 130
	}
	codes := make([]int, len(f.Rows))
	for i, r := range f.Rows {
		codes[i] = r.Outcome.ExitCode()
	}
	return WorstExitCode(codes...)
}

// VerifyFleet verifies app in every tenant with at most cfg.Parallel tenants at a
// time. A tenant's failure stays in its row; the error return is only for bad
// input. When ctx ends, it returns the rows finished so far with Cancelled set.
func VerifyFleet(ctx context.Context, cfg FleetConfig, app *permissions.App, tenants []string) (*FleetResult, error) {
	if app == nil || !permissions.IsGUID(app.ClientID) {
		return nil, Usagef("no app client id to verify: pass --client-id (a GUID)")
	}
	if cfg.Tokens == nil {
		return nil, Usagef("no sign-in for the fleet check")
	}
	if len(tenants) == 0 {
		return nil, Usagef("the tenant list is empty")
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	cfg.Parallel = min(cfg.Parallel, MaxParallel, len(tenants))
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = DefaultHTTPClient()
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	gate := graph.NewGate(cfg.Clock)
	res := &FleetResult{
		App:   ResultApp{Key: app.Key, DisplayName: app.DisplayName, ClientID: app.ClientID},
		Cloud: cfg.Cloud.Name, CheckedAt: cfg.Clock.Now().UTC(), SignedInAs: cfg.SignedInAs, AppOnly: cfg.AppOnly,
		Total: len(tenants),
	}
	rows := make([]*FleetRow, len(tenants))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				row, ok := verifyRow(ctx, cfg, gate, app, tenants[i])
				if !ok {
					continue // cancelled mid-tenant: not a finished row
				}
				mu.Lock()
				rows[i] = row
				done++
				if cfg.Progress != nil {
					cfg.Progress(done, len(tenants), *row)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range tenants {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	for _, r := range rows {
		if r != nil {
			res.Rows = append(res.Rows, *r)
		}
	}
	res.Cancelled = len(res.Rows) < len(tenants)
	res.Throttled = gate.Throttles()
	return res, nil
}

// verifyRow verifies one tenant; ok is false when ctx ended before it finished.
func verifyRow(ctx context.Context, cfg FleetConfig, gate *graph.Gate, app *permissions.App, tenant string) (*FleetRow, bool) {
	row := &FleetRow{Tenant: tenant, Missing: []string{}}
	if ctx.Err() != nil {
		return nil, false
	}
	r, err := verifyTenant(ctx, cfg, gate, app, tenant)
	if ctx.Err() != nil {
		return nil, false
	}
	if err != nil {
		row.Outcome, row.Error, row.AADSTS = classify(err)
		cfg.Logger.Info("fleet tenant failed", "tenant", tenant, "outcome", row.Outcome, "err", err.Error())
		return row, true
	}
	row.Result = r
	row.TenantID, row.TenantName = r.Tenant.ID, r.Tenant.DisplayName
	cfg.Logger.Info("fleet tenant finished", "tenant", tenant, "status", r.Status, "graphRequests", r.GraphRequests)
	row.GraphRequests = r.GraphRequests
	switch r.Status {
	case StatusComplete:
		row.Outcome = OutcomeComplete
	case StatusNotConsented:
		row.Outcome = OutcomeNotConsented
	default:
		row.Outcome = OutcomeIncomplete
	}
	if sp := r.ServicePrincipal; sp != nil && !sp.AccountEnabled {
		row.Missing = append(row.Missing, "service principal disabled (accountEnabled false)")
	}
	for _, p := range r.Permissions {
		if p.Status != PermGranted {
			row.Missing = append(row.Missing, fmt.Sprintf("%s %s (%s): %s", p.API, p.Permission, p.Type, StatusLabel(p.Status)))
		}
	}
	return row, true
}

// VerifyTenant verifies app in one tenant with a token from tokens: the unattended
// (app identity) verify, and each row of a fleet check. signedInAs names the caller.
func VerifyTenant(ctx context.Context, cfg FleetConfig, app *permissions.App, tenant string) (*Result, error) {
	if app == nil || !permissions.IsGUID(app.ClientID) {
		return nil, Usagef("no app client id to verify: pass --client-id (a GUID)")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = DefaultHTTPClient()
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	return verifyTenant(ctx, cfg, graph.NewGate(cfg.Clock), app, tenant)
}

// verifyTenant is the single-tenant verification's requests and evaluation plus
// /organization, in one $batch, with a token for tenant.
func verifyTenant(ctx context.Context, cfg FleetConfig, gate *graph.Gate, app *permissions.App, tenant string) (*Result, error) {
	token := func(ctx context.Context) (string, error) { return cfg.Tokens.TenantToken(ctx, tenant) }
	g := graph.New(cfg.Cloud.GraphURL, cfg.HTTPClient, token, graph.WithClock(cfg.Clock), graph.WithGate(gate))
	reqs := append(VerificationRequests(app),
		graph.Request{ID: "org", Method: http.MethodGet, URL: "/organization?$select=id,displayName,verifiedDomains"})
	reps, err := g.BatchAll(ctx, reqs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("verifying grants: %w", context.Cause(ctx))
		}
		return nil, fmt.Errorf("verifying grants: %w", err)
	}
	r, err := evaluate(app, reps)
	if err != nil {
		return nil, fmt.Errorf("verifying grants: %w", err)
	}
	r.Cloud = cfg.Cloud.Name
	r.CheckedAt = cfg.Clock.Now().UTC()
	r.SignedInAs = cfg.SignedInAs
	r.Tenant = ResultTenant{ID: tenant}
	if org := reps["org"]; org != nil && org.Err == nil {
		for _, raw := range org.Value {
			var o orgReply
			if jsonUnmarshal(raw, &o) == nil {
				r.Tenant = ResultTenant{ID: o.ID, DisplayName: safetext.Sanitize(o.DisplayName)}
			}
			break
		}
	} else if org != nil && org.Err != nil {
		r.Warnings = append(r.Warnings, "Could not read the tenant's name (/organization): "+safetext.Sanitize(org.Err.Error()))
	}
	if cfg.AppOnly {
		r.Warnings = append(r.Warnings, "Checked with an app identity (app-only): there is no signed-in user, so no directory role was checked.")
	}
	r.GraphRequests = int(g.Requests())
	return r, nil
}

// classify turns a tenant's failure into its row's outcome, text and AADSTS code.
func classify(err error) (Outcome, string, int) {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == http.StatusForbidden {
		return OutcomeForbidden, safetext.Sanitize(err.Error()) + " — the caller lacks a directory role (delegated) or the Graph application permission Directory.Read.All (app-only)", 0
	}
	if x := explain.Explain(err); x != nil {
		text := x.Title
		if x.Code != 0 {
			text = fmt.Sprintf("AADSTS%d: %s", x.Code, x.Title)
		} else if x.OAuthError != "" {
			text = x.OAuthError + ": " + x.Title
		}
		if explain.MeansNoAccess(x.Code) {
			return OutcomeNoAccess, text, x.Code
		}
		return OutcomeRefused, text, x.Code
	}
	return OutcomeError, safetext.Sanitize(err.Error()), 0
}

// ParseTenantList reads a tenant list: one tenant id (GUID) or domain per line;
// blank lines and '#' comments (whole-line or trailing) are skipped; duplicates are
// dropped (case-insensitive). A bad line is a usage error naming its line number.
func ParseTenantList(r io.Reader, name string) ([]string, error) {
	sc := bufio.NewScanner(io.LimitReader(r, 8<<20))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var out []string
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "\uFEFF"))
		if line == "" {
			continue
		}
		if !permissions.IsGUID(line) && !isDomain(line) {
			return nil, Usagef("%s:%d: %q is neither a tenant id (GUID) nor a domain", name, n, safetext.Sanitize(line))
		}
		if k := strings.ToLower(line); !seen[k] {
			seen[k] = true
			out = append(out, strings.ToLower(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, Usagef("%s: %v", name, err)
	}
	if len(out) == 0 {
		return nil, Usagef("%s: no tenants listed (one tenant id or domain per line)", name)
	}
	return out, nil
}

// isDomain: letters, digits and hyphens in dot-separated labels, at least two labels.
func isDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
