package fleet_test

// Fleet checks (many tenants, one sign-in, delegated or app-only) against the
// emulator, with the real MSAL Go public and confidential clients over loopback
// HTTPS.

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// TestFleetIsolatesEachTenantsFailure: one sign-in in the partner's home tenant,
// then customers that are complete, partial, not consented, without access
// (AADSTS50020), without consent for the sign-in client (AADSTS65001), without
// Dynamics, and a tenant that does not exist: every failure stays in its own row,
// the others are checked in full, and the summary counts each status.
func TestFleetIsolatesEachTenantsFailure(t *testing.T) {
	f := start(t, "consented", nil)
	tenants := customers(t, f,
		emulator.CustomerTenant{Name: "Fabrikam", Scenario: "consented", Access: emulator.AccessGuest},
		emulator.CustomerTenant{Name: "Northwind", Scenario: "partial", Access: emulator.AccessGDAP},
		emulator.CustomerTenant{Name: "Tailspin", Scenario: "fresh", Access: emulator.AccessGuest},
		emulator.CustomerTenant{Name: "Woodgrove", Scenario: "consented", Access: emulator.AccessNone},
		emulator.CustomerTenant{Name: "Litware", Scenario: "consented", Access: emulator.AccessGDAP, NoSignInConsent: true},
		emulator.CustomerTenant{Name: "Adatum", Scenario: "no-dynamics", Access: emulator.AccessGuest},
	)
	tenants = append(tenants, "nosuchtenant.onmicrosoft.com")
	f.srv.ResetGraphRequests()
	res, err := fleet.Verify(context.Background(), fleetConfig(f, f.session), f.app(t, "ce"), tenants)
	if err != nil {
		t.Fatal(err)
	}
	want := []rowView{
		{"fabrikam.onmicrosoft.com", "Fabrikam", fleet.StatusComplete, 0, []string{}},
		{"northwind.onmicrosoft.com", "Northwind", fleet.StatusIncomplete, 0, []string{"Dynamics CRM user_impersonation (Delegated): missing"}},
		{"tailspin.onmicrosoft.com", "Tailspin", fleet.StatusNotConsented, 0, []string{
			"Microsoft Graph User.Read (Delegated): missing", "Microsoft Graph Directory.Read.All (Application): missing",
			"Dynamics CRM user_impersonation (Delegated): missing"}},
		{"woodgrove.onmicrosoft.com", "", fleet.StatusNoAccess, 50020, []string{}},
		{"litware.onmicrosoft.com", "", fleet.StatusSignInConsent, 90099, []string{}},
		{"adatum.onmicrosoft.com", "Adatum", fleet.StatusNotConsented, 0, []string{
			"Microsoft Graph User.Read (Delegated): missing", "Microsoft Graph Directory.Read.All (Application): missing",
			"Dynamics CRM user_impersonation (Delegated): resource missing in the tenant"}},
		{"nosuchtenant.onmicrosoft.com", "", fleet.StatusRefused, 90002, []string{}},
	}
	if got := view(res.Rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
	if res.Cancelled || res.Total != 7 {
		t.Fatalf("cancelled %v total %d", res.Cancelled, res.Total)
	}
	// Each checked tenant's result names the tenant Graph answered for, not the home tenant.
	for _, r := range res.Rows {
		if r.Result != nil {
			if r.Result.Tenant.ID == f.srv.TenantID() || r.Result.SignedInAs != f.srv.DemoUser() || r.GraphRequests != 1 {
				t.Fatalf("%s: tenant %+v signed in as %q, %d Graph requests", r.Tenant, r.Result.Tenant, r.Result.SignedInAs, r.GraphRequests)
			}
		}
	}
	// One Graph round trip per checked tenant, none for the three without a token.
	if got := f.srv.GraphRequests(); got != 4 {
		t.Fatalf("%d Graph requests, want 4", got)
	}
	if !strings.Contains(res.Rows[3].Error, "AADSTS50020") {
		t.Fatalf("no-access row error %q", res.Rows[3].Error)
	}
	// The GDAP customer without the sign-in client: the row's fix is the customer
	// admin's consent link for the sign-in client, or Partner Center.
	wantLink, err := flows.SignInClientConsentURL(f.session.Config().Cloud, "litware.onmicrosoft.com", f.srv.SignInClientID())
	if err != nil {
		t.Fatal(err)
	}
	if fix := res.Rows[4].Fix; !strings.Contains(fix, " at "+wantLink+",") || !strings.Contains(fix, "Partner Center") {
		t.Fatalf("signin-consent row fix %q, want the link %s", fix, wantLink)
	}
	for i, r := range res.Rows {
		if i != 4 && r.Fix != "" {
			t.Errorf("%s has a fix %q", r.Tenant, r.Fix)
		}
	}
	// The summary counts these rows: four tenants checked (a result each), three not.
	wantSummary := fleet.Summary{Tenants: 7, Checked: 4, Complete: 1, Incomplete: 1, NotConsented: 2, NoAccess: 1, SignInConsent: 1, Refused: 1}
	if got := res.Summary(nil); got != wantSummary {
		t.Fatalf("summary\n got %+v\nwant %+v", got, wantSummary)
	}
	if got, want := fleet.SummaryLine(res, nil), "7 of 7 tenants: 1 complete, 1 incomplete, 2 not consented, 1 no access, 1 sign-in app needs consent, 1 refused."; got != want {
		t.Fatalf("summary line %q, want %q", got, want)
	}
}

// TestFleetCancelKeepsFinishedRows: cancelling after the third tenant leaves only
// finished rows (three, or four when the other worker's tenant finished just before
// the cancel), complete and in input order, marked cancelled; the tenant
// in flight is dropped, not reported as an error.
func TestFleetCancelKeepsFinishedRows(t *testing.T) {
	f := start(t, "consented", nil)
	var cs []emulator.CustomerTenant
	for _, n := range []string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"} {
		cs = append(cs, emulator.CustomerTenant{Name: "Customer " + n, Scenario: "consented"})
	}
	tenants := customers(t, f, cs...)
	// Two at a time and every request slowed: when the third tenant finishes, the
	// other worker is in the middle of a tenant, which must not become a row.
	f.srv.SetFaults(emulator.Faults{Latency: 30 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := fleetConfig(f, f.session)
	cfg.Parallel = 2
	var seen []int
	cfg.Progress = func(done, total int, row fleet.Row) {
		seen = append(seen, done)
		if done == 3 {
			cancel()
		}
	}
	res, err := fleet.Verify(ctx, cfg, f.app(t, "ce"), tenants)
	if err != nil {
		t.Fatal(err)
	}
	// The other worker may have finished its tenant just before the cancel: then
	// that row is kept too (it is finished), never a half-checked one.
	n := len(res.Rows)
	if !res.Cancelled || n < 3 || n > 4 || !reflect.DeepEqual(seen, []int{1, 2, 3, 4}[:n]) {
		t.Fatalf("cancelled %v rows %d progress %v", res.Cancelled, len(res.Rows), seen)
	}
	last := -1
	for i, r := range res.Rows {
		idx := slices.Index(tenants, r.Tenant)
		if idx <= last || r.Status != fleet.StatusComplete {
			t.Fatalf("row %d: %+v (rows must be finished tenants, in input order)", i, r)
		}
		last = idx
	}
}

// TestFleetSharedBackOff: Graph throttles; every tenant still finishes complete, the
// throttling was absorbed by the shared gate, and the waits honoured Retry-After.
func TestFleetSharedBackOff(t *testing.T) {
	clock := newFakeClock()
	f := start(t, "consented", clock)
	var cs []emulator.CustomerTenant
	for _, n := range []string{"A", "B", "C", "D", "E", "F"} {
		cs = append(cs, emulator.CustomerTenant{Name: "Throttled " + n, Scenario: "consented"})
	}
	tenants := customers(t, f, cs...)
	f.srv.SetFaults(emulator.Faults{Throttle: 2, RetryAfter: 3 * time.Second})
	cfg := fleetConfig(f, f.session)
	cfg.Clock = clock
	cfg.Parallel = 3
	res, err := fleet.Verify(context.Background(), cfg, f.app(t, "ce"), tenants)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		if r.Status != fleet.StatusComplete {
			t.Fatalf("%s: %s %s", r.Tenant, r.Status, r.Error)
		}
	}
	if len(res.Rows) != 6 || res.Throttled == 0 || res.Cancelled {
		t.Fatalf("rows %d throttled %d cancelled %v", len(res.Rows), res.Throttled, res.Cancelled)
	}
	found := false
	for _, w := range clock.Waits() {
		found = found || w == 3*time.Second
	}
	if !found {
		t.Fatalf("no 3 s wait among %v", clock.Waits())
	}
}

func TestParseTenantList(t *testing.T) {
	in := "# partner customers\n\uFEFFfabrikam.onmicrosoft.com\n\n  3F6D2C1A-8B4E-4F7A-9C2D-5E1B0A7D9C44  # Contoso\nFabrikam.onmicrosoft.com\n"
	got, err := fleet.ParseTenantList(strings.NewReader(in), "tenants.txt")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fabrikam.onmicrosoft.com", "3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
	for in, msg := range map[string]string{
		"fabrikam.onmicrosoft.com\nhttps://evil\n": `tenants.txt:2: "https://evil" is neither a tenant id (GUID) nor a domain`,
		"# nothing\n\n":                "tenants.txt: no tenants listed (one tenant id or domain per line)",
		"a.com\nb.com\nnot a domain\n": `tenants.txt:3: "not a domain" is neither a tenant id (GUID) nor a domain`,
	} {
		_, err := fleet.ParseTenantList(strings.NewReader(in), "tenants.txt")
		if !errors.Is(err, flows.ErrUsage) || err.Error() != msg {
			t.Fatalf("%q: %v", in, err)
		}
	}
}

// TestParseTenantListDomainShapes: a domain is dot-separated labels of ASCII letters,
// digits and inner hyphens, each label at most 63 characters and the name at most
// 253 (RFC 1035 §2.3.4); every letter and digit is taken, from a to z, A to Z, 0 to
// 9, and the characters just outside those ranges are not.
func TestParseTenantListDomainShapes(t *testing.T) {
	label := func(n int) string { return strings.Repeat("x", n) }
	long253 := label(63) + "." + label(63) + "." + label(63) + "." + label(61)
	for _, in := range []string{
		"xn--bcher-kva.example", "azure-09.onmicrosoft.com", "AZ.Contoso.com", "09.az",
		label(63) + ".com", long253,
	} {
		got, err := fleet.ParseTenantList(strings.NewReader(in+"\n"), "tenants.txt")
		if err != nil || !reflect.DeepEqual(got, []string{strings.ToLower(in)}) {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{
		label(64) + ".com", long253 + "x", "localhost", "contoso..com", "-contoso.com", "contoso-.com",
		"contoso_corp.com", "contoso.com:443", "admin@contoso.com", "contoso.com/", "con`toso.com",
		"con{toso.com", "con[toso.com", "con~toso.com", "contoso.c m",
	} {
		_, err := fleet.ParseTenantList(strings.NewReader(in+"\n"), "tenants.txt")
		want := `tenants.txt:1: "` + in + `" is neither a tenant id (GUID) nor a domain`
		if !errors.Is(err, flows.ErrUsage) || err.Error() != want {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// appOnly registers a monitoring app holding the Graph application permissions
// roles in srv's home tenant and in tenants, and signs it in with its secret (the
// secret from the environment, as --auth secret reads it).
func appOnly(t *testing.T, srv *emulator.Server, roles []string, tenants ...string) (*flows.AppSession, flows.Cloud) {
	t.Helper()
	reg := emulator.AppRegistration{DisplayName: "Partner Monitor", Secret: "env-only", GraphRoles: roles}
	if len(tenants) > 0 {
		reg.Tenants = append([]string{srv.TenantID()}, tenants...)
	}
	id, err := srv.RegisterApp(reg)
	if err != nil {
		t.Fatal(err)
	}
	cloud := flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()}
	ident, err := flows.AppIdentityFromEnv(flows.AuthSecret, id, srv.TenantID(), "", func(k string) string {
		return map[string]string{flows.EnvClientSecret: "env-only"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := flows.NewAppSession(flows.Config{Cloud: cloud, HTTPClient: srv.HTTPClient()}, ident)
	if err != nil {
		t.Fatal(err)
	}
	return s, cloud
}

// TestAppIdentityMissingRole: a token is issued without the Graph application
// permission, and Graph refuses the reads with 403: the row says forbidden and why.
// Application.Read.All alone is not enough either: listing delegated grants needs
// Directory.Read.All.
func TestAppIdentityMissingRole(t *testing.T) {
	for _, roles := range [][]string{nil, {"Application.Read.All"}} {
		srv, err := emulator.Start(emulator.Options{Scenario: "consented", Catalog: testkit.Catalog(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		s, cloud := appOnly(t, srv, roles)
		cat := srv.Catalog()
		app, _ := cat.App("ce")
		res, err := fleet.Verify(context.Background(), fleet.Config{Cloud: cloud, HTTPClient: srv.HTTPClient(), Tokens: s, AppOnly: true},
			app, []string{srv.TenantID()})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Rows[0]
		if r.Status != fleet.StatusForbidden || !strings.Contains(r.Error, "HTTP 403 Authorization_RequestDenied") || r.Result != nil {
			t.Fatalf("roles %v: %s %q", roles, r.Status, r.Error)
		}
		if !strings.Contains(r.Error, "lacks a directory role (delegated) or the Graph application permission Directory.Read.All (app-only)") {
			t.Fatalf("roles %v: the error does not say why: %q", roles, r.Error)
		}
	}
}

// TestAppIdentityFleetIsolation: app-only across tenants: where the monitoring app
// is consented the tenant is checked, where it has no service principal the row is
// Entra's AADSTS700016, and an unknown tenant AADSTS90002; no row spoils another.
func TestAppIdentityFleetIsolation(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented", Catalog: testkit.Catalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	fab, err := srv.AddCustomerTenant(emulator.CustomerTenant{Name: "Fabrikam", Scenario: "partial"})
	if err != nil {
		t.Fatal(err)
	}
	wood, err := srv.AddCustomerTenant(emulator.CustomerTenant{Name: "Woodgrove", Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	s, cloud := appOnly(t, srv, []string{"Directory.Read.All"}, fab.ID)
	cat := srv.Catalog()
	app, _ := cat.App("ce")
	res, err := fleet.Verify(context.Background(), fleet.Config{Cloud: cloud, HTTPClient: srv.HTTPClient(), Tokens: s, AppOnly: true},
		app, []string{srv.TenantDomain(), fab.Domain, wood.Domain, "nosuch.onmicrosoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := []rowView{
		{srv.TenantDomain(), srv.TenantName(), fleet.StatusComplete, 0, []string{}},
		{fab.Domain, "Fabrikam", fleet.StatusIncomplete, 0, []string{"Dynamics CRM user_impersonation (Delegated): missing"}},
		{wood.Domain, "", fleet.StatusRefused, 700016, []string{}},
		{"nosuch.onmicrosoft.com", "", fleet.StatusRefused, 90002, []string{}},
	}
	if got := view(res.Rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
	if res.Cancelled || !res.AppOnly {
		t.Fatalf("cancelled %v, app-only %v", res.Cancelled, res.AppOnly)
	}
}

// TestFleetHostileTenantName: a customer tenant whose name carries terminal escape
// sequences and C1/bidi controls reaches no writer (table, CSV, Markdown, JSON) raw.
func TestFleetHostileTenantName(t *testing.T) {
	f := start(t, "consented", nil)
	tenants := customers(t, f, emulator.CustomerTenant{Name: "Evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202e\u009b31m Corp", Scenario: "partial"})
	res, err := fleet.Verify(context.Background(), fleetConfig(f, f.session), f.app(t, "ce"), tenants)
	if err != nil || len(res.Rows) != 1 || res.Rows[0].Status != fleet.StatusIncomplete {
		t.Fatalf("%v %+v", err, res.Rows)
	}
	var b strings.Builder
	if err := fleet.WriteTable(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	if err := fleet.WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := fleet.WriteMarkdown(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	data, err := fleet.JSON(res, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	b.Write(data)
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u009b"} {
		if strings.Contains(b.String(), bad) {
			t.Fatalf("%q reached the output:\n%q", bad, b.String())
		}
	}
	if !strings.Contains(b.String(), "Evil") || !strings.Contains(b.String(), "Corp") {
		t.Fatalf("the name is gone:\n%s", b.String())
	}
}
