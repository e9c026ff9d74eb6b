package cli

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// demoEnv is a running embedded demo tenant and everything needed to point the flows
// at it. The verify, consent-url and demo commands share it.
type demoEnv struct {
	Server  *emulator.Server
	Config  flows.Config
	Catalog *permissions.Catalog
	// Browser walks the tenant's sign-in and consent pages as the scenario's demo user.
	Browser *demoBrowser
}

// demoBrowser adapts the emulator's scripted browser to browser.Browser (and
// flows.DeviceLoginBrowser, so device-code sign-in completes by itself too).
type demoBrowser struct {
	ctx context.Context
	b   *emulator.DemoBrowser
}

func (d *demoBrowser) Open(url string) error { return d.b.Open(d.ctx, url) }

func (d *demoBrowser) OpenDeviceLogin(_, userCode string) error {
	return d.b.OpenDeviceLogin(d.ctx, userCode)
}

var _ flows.DeviceLoginBrowser = (*demoBrowser)(nil)

// startDemo starts the demo tenant for scenario ("" = fresh) and returns a Config
// that signs in to it as the scenario's demo user, with the shared flags that still
// make sense applied (--device-code, --timeout, --tenant). Close it when done.
func startDemo(ctx context.Context, a *Factory, scenario string) (*demoEnv, error) {
	if scenario != "" {
		known := false
		var names []string
		for _, s := range emulator.Scenarios() {
			names = append(names, s.Name)
			known = known || s.Name == scenario
		}
		if !known {
			return nil, flows.Usagef("unknown scenario %q: use one of %s", scenario, strings.Join(names, ", "))
		}
	}
	cat := (*permissions.Catalog)(nil)
	if a.opts.Catalog != "" {
		c, err := a.catalog()
		if err != nil {
			return nil, err
		}
		cat = c
	}
	// The demo tenant imitates --cloud (its Graph resource URI and token issuers) and
	// registers --signin-client-id as the admin's own sign-in app, as a real tenant
	// would have it: the fix the signin-app-blocked screen recommends works here.
	if a.opts.Cloud != "" {
		if _, err := flows.LookupCloud(a.opts.Cloud); err != nil {
			return nil, err
		}
	}
	opts := emulator.Options{Scenario: scenario, Catalog: cat, Cloud: a.opts.Cloud}
	if id := a.opts.SignInClientID; id != "" && !strings.EqualFold(id, signin.ClientID) {
		opts.SignInClientID = id
	}
	if v := a.getenv("D365CONSENT_DEMO_LATENCY"); v != "" {
		// Hidden test hook: slow every demo HTTPS request, so a test's signal lands
		// during sign-in or verification.
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, flows.Usagef("D365CONSENT_DEMO_LATENCY %q is not a duration", v)
		}
		opts.Faults.Latency = d
	}
	srv, err := a.startEmulator(opts)
	if err != nil {
		return nil, err
	}
	b := &demoBrowser{ctx: ctx, b: srv.Browser(srv.DemoUser())}
	tenant := a.opts.Tenant
	if tenant == "" {
		tenant = srv.TenantID()
	}
	// The demo tenant's scopes name Graph by the URI it reports for its cloud
	// (https://graph.microsoft.com for global), its endpoints are its own;
	// --authority-host and --graph-url are for real tenants and do not apply here.
	return &demoEnv{
		Server: srv,
		Config: a.withDebug(flows.Config{
			Cloud:          flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
			Tenant:         tenant,
			SignInClientID: srv.SignInClientID(),
			HTTPClient:     srv.HTTPClient(),
			Browser:        b,
			DeviceCode:     a.opts.DeviceCode,
			Timeout:        a.opts.Timeout,
		}),
		Catalog: demoCatalog(srv.Catalog(), a.opts.Cloud),
		Browser: b,
	}, nil
}

// demoCatalog is the demo tenant's catalog for cloud: the tenant registers each app
// under its one client id whatever cloud it imitates, so that id is the app's there.
func demoCatalog(cat *permissions.Catalog, cloud string) *permissions.Catalog {
	if cloud == "" || cloud == "global" {
		return cat
	}
	for i := range cat.Apps {
		app := &cat.Apps[i]
		ids := maps.Clone(app.ClientIDs)
		if ids == nil {
			ids = map[string]string{}
		}
		ids[cloud] = app.ClientID
		app.ClientIDs = ids
	}
	return cat
}

// Close stops the demo tenant.
func (e *demoEnv) Close() error { return e.Server.Close() }

// realConfig is the Config for the real Microsoft cloud from the shared flags.
func (a *Factory) realConfig() (flows.Config, error) {
	cloud, err := flows.LookupCloud(a.opts.Cloud)
	if err != nil {
		return flows.Config{}, err
	}
	cloud, err = cloud.WithOverrides(a.opts.AuthorityHost, a.opts.GraphURL)
	if err != nil {
		return flows.Config{}, err
	}
	cfg := flows.Config{
		Cloud:          cloud,
		Tenant:         a.opts.Tenant,
		SignInClientID: a.opts.SignInClientID,
		HTTPClient:     a.httpClient(),
		Clock:          a.clock,
		Timeout:        a.opts.Timeout,
	}
	a.chooseSignIn(&cfg)
	if a.opts.Remember {
		a.remember(context.Background(), &cfg)
	}
	return a.withDebug(cfg), nil
}

// chooseSignIn sets how the wizard signs in and opens pages on this machine, for the
// real cloud and the demo alike: the pages open in the system browser unless
// --no-browser, and over SSH or without a display (flows.ChooseSignIn) the sign-in
// uses a device code, with the reason shown, because the browser sign-in returns to
// http://localhost here, out of reach of a browser elsewhere.
func (a *Factory) chooseSignIn(cfg *flows.Config) {
	choice := flows.ChooseSignIn(a.opts.DeviceCode, a.browser)
	cfg.DeviceCode, cfg.DeviceCodeReason = choice.DeviceCode, choice.Reason
	cfg.Browser = nil
	if !a.opts.NoBrowser {
		cfg.Browser = a.browser
	}
}
