package fleet_test

// The fixture of the fleet tests: the emulator over real HTTPS, an admin signed in
// to its home tenant with the real MSAL Go, customer tenants added as a test needs.

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// demoBrowser answers the sign-in and consent pages as the emulator's demo user.
type demoBrowser struct {
	ctx context.Context
	b   *emulator.DemoBrowser
}

func (d *demoBrowser) Open(u string) error { return d.b.Open(d.ctx, u) }
func (d *demoBrowser) OpenDeviceLogin(_, code string) error {
	return d.b.OpenDeviceLogin(d.ctx, code)
}

type fixture struct {
	srv     *emulator.Server
	session *flows.Session
	catalog *permissions.Catalog
}

func (f *fixture) app(t testing.TB, key string) *permissions.App {
	a, ok := f.catalog.App(key)
	if !ok {
		t.Fatalf("no app %s", key)
	}
	return a
}

// start runs the emulator for scenario with the fixture catalog and signs in as its
// demo user; clock, when set, is both the emulator's and the session's.
func start(t testing.TB, scenario string, clock *testkit.Clock) *fixture {
	t.Helper()
	opts := emulator.Options{Scenario: scenario, Catalog: testkit.Catalog(t)}
	if clock != nil {
		opts.Now = clock.Now
	}
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := flows.Config{
		Cloud:          flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
		SignInClientID: srv.SignInClientID(),
		HTTPClient:     srv.HTTPClient(),
		Browser:        &demoBrowser{ctx: ctx, b: srv.Browser(srv.DemoUser())},
	}
	if clock != nil {
		cfg.Clock = clock
	}
	s, err := flows.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SignIn(ctx, func(flows.SignInPrompt) {}); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	return &fixture{srv: srv, session: s, catalog: srv.Catalog()}
}

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

func fleetConfig(f *fixture, tokens flows.TenantTokens) fleet.Config {
	return fleet.Config{
		Cloud:      f.session.Config().Cloud,
		HTTPClient: f.srv.HTTPClient(),
		Tokens:     tokens,
		SignedInAs: f.srv.DemoUser(),
		// The sign-in client a signin-consent row links to.
		SignInClientID: f.srv.SignInClientID(),
	}
}

type rowView struct {
	Tenant, Name string
	Status       fleet.Status
	AADSTS       int
	Missing      []string
}

func view(rows []fleet.Row) []rowView {
	out := make([]rowView, len(rows))
	for i, r := range rows {
		out[i] = rowView{r.Tenant, r.TenantName, r.Status, r.AADSTS, r.Missing}
	}
	return out
}

// writeBaseline writes a verify JSON document where a scheduled job keeps it.
func writeBaseline(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "baseline.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// newFakeClock is the fleet tests' clock; the emulator reads the same clock
// (Retry-After).
func newFakeClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC))
}
