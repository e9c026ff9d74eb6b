package flows_test

// Fleet checks (many tenants, one sign-in) and unattended verification (app
// identities) against the emulator, with the real MSAL Go public and confidential
// clients over loopback HTTPS.

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/entra"
)

// customers adds customer tenants to f's emulator and returns their domains in order.
func customers(t testing.TB, f *fixture, cs ...emulator.CustomerTenant) []string {
	t.Helper()
	var out []string
	for _, c := range cs {
		info, err := f.srv.AddCustomerTenant(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, info.Domain)
	}
	return out
}

func fleetConfig(f *fixture, tokens flows.TenantTokens) flows.FleetConfig {
	return flows.FleetConfig{
		Cloud:      f.session.Config().Cloud,
		HTTPClient: f.srv.HTTPClient(),
		Tokens:     tokens,
		SignedInAs: f.srv.DemoUser(),
	}
}

type rowView struct {
	Tenant, Name string
	Outcome      flows.Outcome
	AADSTS       int
	Missing      []string
}

func view(rows []flows.FleetRow) []rowView {
	out := make([]rowView, len(rows))
	for i, r := range rows {
		out[i] = rowView{r.Tenant, r.TenantName, r.Outcome, r.AADSTS, r.Missing}
	}
	return out
}

// TestFleetIsolatesEachTenantsFailure: one sign-in in the partner's home tenant,
// then customers that are complete, partial, not consented, without access
// (AADSTS50020), without consent for the sign-in client (AADSTS65001), without
// Dynamics, and a tenant that does not exist: every failure stays in its own row,
// the others are checked in full, and the exit code is the worst row's.
func TestFleetIsolatesEachTenantsFailure(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
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
	res, err := flows.VerifyFleet(context.Background(), fleetConfig(f, f.session), f.app(t, "ce"), tenants)
	if err != nil {
		t.Fatal(err)
	}
	want := []rowView{
		{"fabrikam.onmicrosoft.com", "Fabrikam", flows.OutcomeComplete, 0, []string{}},
		{"northwind.onmicrosoft.com", "Northwind", flows.OutcomeIncomplete, 0, []string{"Dynamics CRM user_impersonation (Delegated): missing"}},
		{"tailspin.onmicrosoft.com", "Tailspin", flows.OutcomeNotConsented, 0, []string{
			"Microsoft Graph User.Read (Delegated): missing", "Microsoft Graph Directory.Read.All (Application): missing",
			"Dynamics CRM user_impersonation (Delegated): missing"}},
		{"woodgrove.onmicrosoft.com", "", flows.OutcomeNoAccess, 50020, []string{}},
		{"litware.onmicrosoft.com", "", flows.OutcomeRefused, 65001, []string{}},
		{"adatum.onmicrosoft.com", "Adatum", flows.OutcomeNotConsented, 0, []string{
			"Microsoft Graph User.Read (Delegated): missing", "Microsoft Graph Directory.Read.All (Application): missing",
			"Dynamics CRM user_impersonation (Delegated): resource missing in the tenant"}},
		{"nosuchtenant.onmicrosoft.com", "", flows.OutcomeRefused, 90002, []string{}},
	}
	if got := view(res.Rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
	if res.Cancelled || res.Total != 7 || res.ExitCode() != 4 {
		t.Fatalf("cancelled %v total %d exit %d", res.Cancelled, res.Total, res.ExitCode())
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
	// The summary counts these rows: four tenants checked (a result each), three not.
	wantSummary := flows.FleetSummary{Tenants: 7, Checked: 4, Complete: 1, Incomplete: 1, NotConsented: 2, NoAccess: 1, Refused: 2, ExitCode: 4}
	if got := res.Summary(nil); got != wantSummary {
		t.Fatalf("summary\n got %+v\nwant %+v", got, wantSummary)
	}
	if got, want := flows.FleetSummaryLine(res, nil), "7 of 7 tenants: 1 complete, 1 incomplete, 2 not consented, 1 no access, 2 refused."; got != want {
		t.Fatalf("summary line %q, want %q", got, want)
	}
}

// TestFleetCancelKeepsFinishedRows: cancelling after the third tenant leaves only
// finished rows (three, or four when the other worker's tenant finished just before
// the cancel), complete and in input order, marked cancelled (exit 130); the tenant
// in flight is dropped, not reported as an error.
func TestFleetCancelKeepsFinishedRows(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
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
	cfg.Progress = func(done, total int, row flows.FleetRow) {
		seen = append(seen, done)
		if done == 3 {
			cancel()
		}
	}
	res, err := flows.VerifyFleet(ctx, cfg, f.app(t, "ce"), tenants)
	if err != nil {
		t.Fatal(err)
	}
	// The other worker may have finished its tenant just before the cancel: then
	// that row is kept too (it is finished), never a half-checked one.
	n := len(res.Rows)
	if !res.Cancelled || res.ExitCode() != 130 || n < 3 || n > 4 || !reflect.DeepEqual(seen, []int{1, 2, 3, 4}[:n]) {
		t.Fatalf("cancelled %v exit %d rows %d progress %v", res.Cancelled, res.ExitCode(), len(res.Rows), seen)
	}
	last := -1
	for i, r := range res.Rows {
		idx := slices.Index(tenants, r.Tenant)
		if idx <= last || r.Outcome != flows.OutcomeComplete {
			t.Fatalf("row %d: %+v (rows must be finished tenants, in input order)", i, r)
		}
		last = idx
	}
}

// TestFleetSharedBackOff: Graph throttles; every tenant still finishes complete, the
// throttling was absorbed by the shared gate, and the waits honoured Retry-After.
func TestFleetSharedBackOff(t *testing.T) {
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, func(c *flows.Config) { c.Clock = clock })
	var cs []emulator.CustomerTenant
	for _, n := range []string{"A", "B", "C", "D", "E", "F"} {
		cs = append(cs, emulator.CustomerTenant{Name: "Throttled " + n, Scenario: "consented"})
	}
	tenants := customers(t, f, cs...)
	f.srv.SetFaults(emulator.Faults{Throttle: 2, RetryAfter: 3 * time.Second})
	cfg := fleetConfig(f, f.session)
	cfg.Clock = clock
	cfg.Parallel = 3
	res, err := flows.VerifyFleet(context.Background(), cfg, f.app(t, "ce"), tenants)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res.Rows {
		if r.Outcome != flows.OutcomeComplete {
			t.Fatalf("%s: %s %s", r.Tenant, r.Outcome, r.Error)
		}
	}
	if len(res.Rows) != 6 || res.Throttled == 0 || res.ExitCode() != 0 {
		t.Fatalf("rows %d throttled %d exit %d", len(res.Rows), res.Throttled, res.ExitCode())
	}
	clock.mu.Lock()
	defer clock.mu.Unlock()
	found := false
	for _, w := range clock.waits {
		found = found || w == 3*time.Second
	}
	if !found {
		t.Fatalf("no 3 s wait among %v", clock.waits)
	}
}

func TestParseTenantList(t *testing.T) {
	in := "# partner customers\n\uFEFFfabrikam.onmicrosoft.com\n\n  3F6D2C1A-8B4E-4F7A-9C2D-5E1B0A7D9C44  # Contoso\nFabrikam.onmicrosoft.com\n"
	got, err := flows.ParseTenantList(strings.NewReader(in), "tenants.txt")
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
		_, err := flows.ParseTenantList(strings.NewReader(in), "tenants.txt")
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
		got, err := flows.ParseTenantList(strings.NewReader(in+"\n"), "tenants.txt")
		if err != nil || !reflect.DeepEqual(got, []string{strings.ToLower(in)}) {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, in := range []string{
		label(64) + ".com", long253 + "x", "localhost", "contoso..com", "-contoso.com", "contoso-.com",
		"contoso_corp.com", "contoso.com:443", "admin@contoso.com", "contoso.com/", "con`toso.com",
		"con{toso.com", "con[toso.com", "con~toso.com", "contoso.c m",
	} {
		_, err := flows.ParseTenantList(strings.NewReader(in+"\n"), "tenants.txt")
		want := `tenants.txt:1: "` + in + `" is neither a tenant id (GUID) nor a domain`
		if !errors.Is(err, flows.ErrUsage) || err.Error() != want {
			t.Errorf("%q: %v", in, err)
		}
	}
}

// --- unattended verification with an app identity ---

func appcert(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "appcert", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readCert(t testing.TB, name, password string) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(appcert(t, name))
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := entra.ParseCertificate(data, password)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*rsa.PrivateKey)
}

// monitoringApp registers the test monitoring app (its certificate, a secret and a
// federated credential for a Kubernetes service account) with roles in the demo tenant.
func monitoringApp(t testing.TB, srv *emulator.Server, roles []string, issuerKey crypto.PublicKey) string {
	t.Helper()
	data, err := os.ReadFile(appcert(t, "monitor.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certs, _, err := entra.ParseCertificate(data, "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.RegisterApp(emulator.AppRegistration{
		DisplayName: "Contoso Consent Monitor", Secret: "s3cret-value~only-in-env", Certificates: certs, GraphRoles: roles,
		Federated: []emulator.FederatedCredential{{Issuer: "https://oidc.cluster.example", Subject: "system:serviceaccount:backup:d365consent", IssuerKey: issuerKey}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type appFixture struct {
	srv      *emulator.Server
	clientID string
	cloud    flows.Cloud
	issuer   *rsa.PrivateKey
}

func startApp(t testing.TB, scenario string, roles []string, now func() time.Time) *appFixture {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: scenario, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	issuer := readCert(t, "other.pem", "") // the cluster's token signing key
	return &appFixture{srv: srv, clientID: monitoringApp(t, srv, roles, &issuer.PublicKey), issuer: issuer,
		cloud: flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()}}
}

// federatedToken is a service account token as a Kubernetes cluster projects it.
func (a *appFixture) federatedToken(t testing.TB, subject string, exp time.Time) string {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "cluster-1"})
	body, _ := json.Marshal(map[string]any{"iss": "https://oidc.cluster.example", "sub": subject, "aud": []string{emulator.TokenExchangeAudience},
		"iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(), "exp": exp.Unix()})
	signed := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.issuer, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + enc.EncodeToString(sig)
}

func (a *appFixture) session(t testing.TB, auth flows.AppAuth, cert string, env map[string]string) (*flows.AppSession, error) {
	t.Helper()
	id, err := flows.AppIdentityFromEnv(auth, a.clientID, a.srv.TenantID(), cert, func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	return flows.NewAppSession(flows.Config{Cloud: a.cloud, HTTPClient: a.srv.HTTPClient()}, id)
}

func (a *appFixture) verify(t testing.TB, s *flows.AppSession) (*flows.Result, error) {
	t.Helper()
	cat := a.srv.Catalog()
	app, _ := cat.App("ce")
	if err := s.SignIn(context.Background()); err != nil {
		return nil, err
	}
	return flows.VerifyTenant(context.Background(), flows.FleetConfig{Cloud: a.cloud, HTTPClient: a.srv.HTTPClient(), Tokens: s,
		SignedInAs: s.SignedInAs(), AppOnly: true}, app, a.srv.TenantID())
}

func aadsts(err error) int {
	if x := explain.Explain(err); x != nil {
		return x.Code
	}
	return 0
}

// TestAppIdentityModes: each --auth mode, good and bad, with MSAL Go's confidential
// client against the emulator's token endpoint; a good credential verifies the
// tenant app-only, a bad one fails with Entra's own AADSTS code.
func TestAppIdentityModes(t *testing.T) {
	a := startApp(t, "consented", []string{"Directory.Read.All"}, nil)
	tokenFile := filepath.Join(t.TempDir(), "token")
	good := func(t *testing.T, s *flows.AppSession, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.verify(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != flows.StatusComplete || r.SignedInAs != "app Contoso Consent Monitor ("+a.clientID+")" ||
			r.Tenant.ID != a.srv.TenantID() || r.Tenant.DisplayName != a.srv.TenantName() {
			t.Fatalf("%s as %q in %+v", r.Status, r.SignedInAs, r.Tenant)
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "no directory role was checked") {
			t.Fatalf("warnings %q", r.Warnings)
		}
	}
	bad := func(t *testing.T, s *flows.AppSession, err error, code int) {
		t.Helper()
		if err == nil {
			_, err = a.verify(t, s)
		}
		if !errors.Is(err, flows.ErrRefused) || aadsts(err) != code {
			t.Fatalf("want AADSTS%d, got %v", code, err)
		}
	}
	t.Run("secret", func(t *testing.T) {
		s, err := a.session(t, flows.AuthSecret, "", map[string]string{flows.EnvClientSecret: "s3cret-value~only-in-env"})
		good(t, s, err)
	})
	t.Run("secret wrong", func(t *testing.T) {
		s, err := a.session(t, flows.AuthSecret, "", map[string]string{flows.EnvClientSecret: "not-the-secret"})
		bad(t, s, err, 7000215)
	})
	t.Run("secret unset", func(t *testing.T) {
		_, err := a.session(t, flows.AuthSecret, "", nil)
		if !errors.Is(err, flows.ErrUsage) || !strings.Contains(err.Error(), flows.EnvClientSecret) {
			t.Fatal(err)
		}
	})
	t.Run("certificate PEM", func(t *testing.T) {
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.pem"), nil)
		good(t, s, err)
	})
	t.Run("certificate PKCS#12", func(t *testing.T) {
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.p12"), map[string]string{flows.EnvCertificatePassword: "test-only-password"})
		good(t, s, err)
	})
	t.Run("certificate PKCS#12 wrong password", func(t *testing.T) {
		_, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.p12"), map[string]string{flows.EnvCertificatePassword: "nope"})
		if !errors.Is(err, flows.ErrUsage) || !strings.Contains(err.Error(), "wrong password") {
			t.Fatal(err)
		}
	})
	t.Run("certificate PKCS#12 AES", func(t *testing.T) {
		_, err := a.session(t, flows.AuthCertificate, appcert(t, "modern.p12"), map[string]string{flows.EnvCertificatePassword: "test-only-password"})
		if !errors.Is(err, flows.ErrUsage) || !strings.Contains(err.Error(), "PKCS#12") {
			t.Fatal(err)
		}
	})
	t.Run("certificate not registered", func(t *testing.T) {
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "other.pem"), nil)
		bad(t, s, err, 700027)
	})
	t.Run("workload identity", func(t *testing.T) {
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:backup:d365consent", time.Now().Add(time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := a.session(t, flows.AuthWorkloadIdentity, "", map[string]string{flows.EnvAzureFederatedTokenFile: tokenFile})
		good(t, s, err)
	})
	t.Run("workload identity wrong subject, then the rotated file", func(t *testing.T) {
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:default:other", time.Now().Add(time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := a.session(t, flows.AuthWorkloadIdentity, "", map[string]string{flows.EnvAzureFederatedTokenFile: tokenFile})
		bad(t, s, err, 700213)
		// The cluster rotates the token: the next request reads the file again.
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:backup:d365consent", time.Now().Add(time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		good(t, s, nil)
	})
	t.Run("workload identity expired token", func(t *testing.T) {
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:backup:d365consent", time.Now().Add(-time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := a.session(t, flows.AuthWorkloadIdentity, "", map[string]string{flows.EnvAzureFederatedTokenFile: tokenFile})
		bad(t, s, err, 700024)
	})
}

// TestAppIdentityExpiredAssertion: the emulator's clock is an hour ahead of this
// machine's, so MSAL's certificate assertion (valid ten minutes from now) has
// expired when it arrives: AADSTS700024, the clock-skew failure of a real box.
func TestAppIdentityExpiredAssertion(t *testing.T) {
	a := startApp(t, "consented", []string{"Directory.Read.All"}, func() time.Time { return time.Now().Add(time.Hour) })
	s, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.verify(t, s); aadsts(err) != 700024 {
		t.Fatalf("want AADSTS700024, got %v", err)
	}
}

// TestAppIdentityMissingRole: a token is issued without the Graph application
// permission, and Graph refuses the reads with 403: the row says forbidden and why.
// Application.Read.All alone is not enough either: listing delegated grants needs
// Directory.Read.All.
func TestAppIdentityMissingRole(t *testing.T) {
	for _, roles := range [][]string{nil, {"Application.Read.All"}} {
		a := startApp(t, "consented", roles, nil)
		s, err := a.session(t, flows.AuthSecret, "", map[string]string{flows.EnvClientSecret: "s3cret-value~only-in-env"})
		if err != nil {
			t.Fatal(err)
		}
		cat := a.srv.Catalog()
		app, _ := cat.App("ce")
		res, err := flows.VerifyFleet(context.Background(), flows.FleetConfig{Cloud: a.cloud, HTTPClient: a.srv.HTTPClient(), Tokens: s, AppOnly: true},
			app, []string{a.srv.TenantID()})
		if err != nil {
			t.Fatal(err)
		}
		r := res.Rows[0]
		if r.Outcome != flows.OutcomeForbidden || !strings.Contains(r.Error, "HTTP 403 Authorization_RequestDenied") || res.ExitCode() != 4 {
			t.Fatalf("roles %v: %s %q exit %d", roles, r.Outcome, r.Error, res.ExitCode())
		}
	}
}

// TestAppIdentityFleetIsolation: app-only across tenants: where the monitoring app
// is consented the tenant is checked, where it has no service principal the row is
// Entra's AADSTS700016, and an unknown tenant AADSTS90002; no row spoils another.
func TestAppIdentityFleetIsolation(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
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
	id, err := srv.RegisterApp(emulator.AppRegistration{DisplayName: "Partner Monitor", Secret: "env-only",
		GraphRoles: []string{"Directory.Read.All"}, Tenants: []string{srv.TenantID(), fab.ID}})
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
	cat := srv.Catalog()
	app, _ := cat.App("ce")
	res, err := flows.VerifyFleet(context.Background(), flows.FleetConfig{Cloud: cloud, HTTPClient: srv.HTTPClient(), Tokens: s, AppOnly: true},
		app, []string{srv.TenantDomain(), fab.Domain, wood.Domain, "nosuch.onmicrosoft.com"})
	if err != nil {
		t.Fatal(err)
	}
	want := []rowView{
		{srv.TenantDomain(), srv.TenantName(), flows.OutcomeComplete, 0, []string{}},
		{fab.Domain, "Fabrikam", flows.OutcomeIncomplete, 0, []string{"Dynamics CRM user_impersonation (Delegated): missing"}},
		{wood.Domain, "", flows.OutcomeRefused, 700016, []string{}},
		{"nosuch.onmicrosoft.com", "", flows.OutcomeRefused, 90002, []string{}},
	}
	if got := view(res.Rows); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
	if res.ExitCode() != 4 || !res.AppOnly {
		t.Fatalf("exit %d", res.ExitCode())
	}
}

// TestFleetHostileTenantName: a customer tenant whose name carries terminal escape
// sequences and C1/bidi controls reaches no writer (table, CSV, Markdown, JSON) raw.
func TestFleetHostileTenantName(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	tenants := customers(t, f, emulator.CustomerTenant{Name: "Evil\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\u202e\u009b31m Corp", Scenario: "partial"})
	res, err := flows.VerifyFleet(context.Background(), fleetConfig(f, f.session), f.app(t, "ce"), tenants)
	if err != nil || len(res.Rows) != 1 || res.Rows[0].Outcome != flows.OutcomeIncomplete {
		t.Fatalf("%v %+v", err, res.Rows)
	}
	var b strings.Builder
	if err := flows.WriteFleetTable(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	if err := flows.WriteFleetCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	if err := flows.WriteFleetMarkdown(&b, res, nil); err != nil {
		t.Fatal(err)
	}
	data, err := flows.FleetJSON(res, nil)
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
