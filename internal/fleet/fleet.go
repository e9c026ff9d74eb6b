// Package fleet verifies one app across many tenants (a partner's customers) with
// one sign-in, compares verifications with a baseline (drift), and writes their
// reports (text, CSV, Markdown, the verify-many/v1 JSON document). Each tenant is
// verified by flows.VerifyTenant, the single-tenant verification; fleet adds the
// workers, the shared Graph back-off and a status per row. Exit codes are the
// command line's: cli maps each row's Status to one.
package fleet

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
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// DefaultParallel is how many tenants a fleet check verifies at once: the smallest
// of 8, 16, 32 and 64 that checks 1,000 tenants with 50 ms of latency on every
// request within 10 s (e2e BenchmarkFleet1000, emulator and CLI on one 2-core
// machine: 8 took 21.7 s, 16 11.3 s, 32 6.5 s, 64 6.1 s; peak RSS 43-45 MiB each).
const DefaultParallel = 32

// MaxParallel bounds --parallel.
const MaxParallel = 64

// Status is a row's verdict.
type Status string

// Row statuses.
const (
	StatusComplete     Status = "complete"
	StatusIncomplete   Status = "incomplete"
	StatusNotConsented Status = "not-consented"
	// StatusNoAccess: the account cannot act in the tenant (AADSTS50020 and kin:
	// no guest account, no GDAP relationship, a cross-tenant access policy).
	StatusNoAccess Status = "no-access"
	// StatusSignInConsent: the sign-in client needs consent in this tenant: Entra ID
	// answered AADSTS90099 (an app not authorised for partner delegated
	// administrators) or 65001 (nobody consented it) for the tenant's token. Row.Fix
	// has the customer admin's consent link.
	StatusSignInConsent Status = "signin-consent"
	// StatusRefused: Entra ID refused the token for another reason (Conditional
	// Access, MFA, unknown tenant…).
	StatusRefused Status = "refused"
	// StatusForbidden: Graph answered 403: the caller lacks a directory role
	// (delegated) or a Graph application permission (app-only).
	StatusForbidden Status = "forbidden"
	// StatusError: the tenant could not be checked (network, Graph failure…).
	StatusError Status = "error"
)

// Row is one tenant of a fleet check.
type Row struct {
	// Tenant is the tenant as listed (id or domain).
	Tenant string `json:"tenant"`
	// TenantID and TenantName come from Graph (/organization) when it answered.
	TenantID   string `json:"tenantId,omitempty"`
	TenantName string `json:"tenantName,omitempty"`
	Status     Status `json:"status"`
	// Missing lists the permissions not granted, e.g. "Dynamics CRM user_impersonation (Delegated): missing".
	Missing []string `json:"missing"`
	// Error explains why the tenant could not be checked; AADSTS is its code.
	Error  string `json:"error,omitempty"`
	AADSTS int    `json:"aadsts,omitempty"`
	// Fix is what clears the row, when the tool knows: for StatusSignInConsent, the
	// customer admin's consent link for the sign-in client, or Partner Center.
	Fix string `json:"fix,omitempty"`
	// Result is the full single-tenant verification (nil when not checked).
	Result *flows.Result `json:"-"`
	// GraphRequests counts this tenant's Graph HTTP requests.
	GraphRequests int `json:"graphRequests"`
	// Checked: Graph answered for this tenant (Result was set, even when
	// Config.DropResults let it go).
	Checked bool `json:"-"`
}

// Config is what a fleet check needs.
type Config struct {
	Cloud      flows.Cloud
	HTTPClient *http.Client
	Clock      flows.Clock
	Logger     *slog.Logger
	Tokens     flows.TenantTokens
	// SignInClientID is the sign-in client a delegated check uses ("" app-only): a
	// row that needs its consent links to it.
	SignInClientID string
	// SignedInAs names the caller in each result (the admin's UPN, or the app).
	SignedInAs string
	// AppOnly: the caller is an app identity (no /me, no role check).
	AppOnly  bool
	Parallel int
	// Progress, when set, is called after each tenant finishes (from any goroutine,
	// serialized), with the number done so far.
	Progress func(done, total int, row Row)
	// OnRow, when set, receives each row as soon as its tenant finishes (from any
	// goroutine, serialized, before Progress): the streaming formats write it at once.
	OnRow func(row Row)
	// DropResults: rows keep no full Result once OnRow has seen them (a streamed
	// check that needs no JSON document, report or baseline keeps its memory flat).
	DropResults bool
}

// Result is a finished (or cancelled) fleet check. Rows are in input order and hold
// only the tenants that finished.
type Result struct {
	App        flows.ResultApp
	Cloud      string
	CheckedAt  time.Time
	SignedInAs string
	AppOnly    bool
	Total      int
	Rows       []Row
	// Cancelled is set when the check stopped before every tenant finished.
	Cancelled bool
	// Throttled counts the 429s the shared back-off absorbed.
	Throttled int64
	// Pending are the tenants not finished (cancelled), in input order: what
	// --resume checks again.
	Pending []string
}

// Verify verifies app in every tenant with at most cfg.Parallel tenants at a time. A
// tenant's failure stays in its row; the error return is only for bad input. When
// ctx ends, it returns the rows finished so far with Cancelled set.
func Verify(ctx context.Context, cfg Config, app *permissions.App, tenants []string) (*Result, error) {
	if app == nil || !permissions.IsGUID(app.ClientID) {
		return nil, flows.Usagef("no app client id to verify: pass --client-id (a GUID)")
	}
	if cfg.Tokens == nil {
		return nil, flows.Usagef("no sign-in for the fleet check")
	}
	if len(tenants) == 0 {
		return nil, flows.Usagef("the tenant list is empty")
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = DefaultParallel
	}
	cfg.Parallel = min(cfg.Parallel, MaxParallel, len(tenants))
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = flows.DefaultHTTPClient()
	}
	if cfg.Clock == nil {
		cfg.Clock = flows.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	check := flows.TenantCheck{Cloud: cfg.Cloud, HTTPClient: cfg.HTTPClient, Clock: cfg.Clock, Tokens: cfg.Tokens,
		SignedInAs: cfg.SignedInAs, AppOnly: cfg.AppOnly, Gate: graph.NewGate(cfg.Clock)}
	res := &Result{
		App:   flows.ResultApp{Key: app.Key, DisplayName: app.DisplayName, ClientID: app.ClientID},
		Cloud: cfg.Cloud.Name, CheckedAt: cfg.Clock.Now().UTC(), SignedInAs: cfg.SignedInAs, AppOnly: cfg.AppOnly,
		Total: len(tenants),
	}
	rows := make([]*Row, len(tenants))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range cfg.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				row, ok := verifyRow(ctx, check, cfg.Logger, app, tenants[i])
				if !ok {
					continue // cancelled mid-tenant: not a finished row
				}
				if row.Status == StatusSignInConsent && !cfg.AppOnly {
					row.Fix = signInConsentFix(cfg, tenants[i])
				}
				mu.Lock()
				if cfg.OnRow != nil {
					cfg.OnRow(*row)
				}
				if cfg.DropResults {
					row.Checked, row.Result = row.Result != nil, nil
				}
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
	for i, r := range rows {
		if r != nil {
			res.Rows = append(res.Rows, *r)
		} else {
			res.Pending = append(res.Pending, tenants[i])
		}
	}
	res.Cancelled = len(res.Rows) < len(tenants)
	res.Throttled = check.Gate.Throttles()
	return res, nil
}

// verifyRow verifies one tenant; ok is false when ctx ended before it finished.
func verifyRow(ctx context.Context, check flows.TenantCheck, log *slog.Logger, app *permissions.App, tenant string) (*Row, bool) {
	row := &Row{Tenant: tenant, Missing: []string{}}
	if ctx.Err() != nil {
		return nil, false
	}
	r, err := flows.VerifyTenant(ctx, check, app, tenant)
	if ctx.Err() != nil {
		return nil, false
	}
	if err != nil {
		row.Status, row.Error, row.AADSTS = classify(err)
		log.Info("fleet tenant failed", "tenant", tenant, "status", row.Status, "err", err.Error())
		return row, true
	}
	row.Result, row.Checked = r, true
	row.TenantID, row.TenantName = r.Tenant.ID, r.Tenant.DisplayName
	log.Info("fleet tenant finished", "tenant", tenant, "status", r.Status, "graphRequests", r.GraphRequests)
	row.GraphRequests = r.GraphRequests
	switch r.Status {
	case flows.StatusComplete:
		row.Status = StatusComplete
	case flows.StatusNotConsented:
		row.Status = StatusNotConsented
	default:
		row.Status = StatusIncomplete
	}
	if sp := r.ServicePrincipal; sp != nil && !sp.AccountEnabled {
		row.Missing = append(row.Missing, "service principal disabled (accountEnabled false)")
	}
	for _, p := range r.Permissions {
		if p.Status != flows.PermGranted {
			row.Missing = append(row.Missing, fmt.Sprintf("%s %s (%s): %s", p.API, p.Permission, p.Type, flows.StatusLabel(p.Status)))
		}
	}
	return row, true
}

// classify turns a tenant's failure into its row's status, text and AADSTS code. The
// error's text is display-safe as it comes: Graph's and Entra ID's words were made
// safe where they entered (graph, entra), the rest is ours.
func classify(err error) (Status, string, int) {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == http.StatusForbidden {
		return StatusForbidden, err.Error() + " — the caller lacks a directory role (delegated) or the Graph application permission Directory.Read.All (app-only)", 0
	}
	if x := explain.Explain(err); x != nil {
		text := x.Title
		if x.Code != 0 {
			text = fmt.Sprintf("AADSTS%d: %s", x.Code, x.Title)
		} else if x.OAuthError != "" {
			text = x.OAuthError + ": " + x.Title
		}
		switch {
		case explain.MeansNoAccess(x.Code):
			return StatusNoAccess, text, x.Code
		case explain.NeedsSignInClientConsent(x.Code):
			return StatusSignInConsent, text, x.Code
		case explain.IsTransient(x):
			return StatusError, text + " (try again)", x.Code
		}
		return StatusRefused, text, x.Code
	}
	return StatusError, err.Error(), 0
}

// signInConsentFix is a signin-consent row's fix: the customer admin's consent link
// for the sign-in client, or the partner's pre-consent (reference-error-codes,
// AADSTS90099: "Provide pre-consent or execute the appropriate Partner Center API").
func signInConsentFix(cfg Config, tenant string) string {
	fix := "a Global Administrator of this tenant consents to the sign-in app for the organisation"
	if u, err := flows.SignInClientConsentURL(cfg.Cloud, tenant, cfg.SignInClientID); err == nil {
		fix += " at " + u
	}
	return fix + ", or the partner pre-consents it through Partner Center"
}

// ParseTenantList reads a tenant list: one tenant id (GUID) or domain per line;
// blank lines and '#' comments (whole-line or trailing) are skipped; duplicates are
// dropped (case-insensitive). A bad line is a usage error naming its line number; the
// file is an entry point, so the line is sanitized where the error quotes it.
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
			return nil, flows.Usagef("%s:%d: %q is neither a tenant id (GUID) nor a domain", name, n, safetext.Sanitize(line))
		}
		if k := strings.ToLower(line); !seen[k] {
			seen[k] = true
			out = append(out, strings.ToLower(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, flows.Usagef("%s: %v", name, err)
	}
	if len(out) == 0 {
		return nil, flows.Usagef("%s: no tenants listed (one tenant id or domain per line)", name)
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
