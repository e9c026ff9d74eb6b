package doctor

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/internal/testkit"
)

func run(t *testing.T, cfg Config) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Run(ctx, cfg)
}

// want asserts one check's exact verdict, evidence and fix ("" = not asserted for
// evidence; fix is always asserted).
func want(t *testing.T, r *Report, id string, status Status, evidence, fix string) *Check {
	t.Helper()
	c := r.Check(id)
	if c == nil {
		t.Fatalf("no check %s; have:\n%s", id, dump(r))
	}
	if c.Status != status {
		t.Errorf("%s: status %s, want %s\n%s", id, c.Status, status, dump(r))
	}
	if evidence != "" && c.Evidence != evidence {
		t.Errorf("%s: evidence\n got %q\nwant %q", id, c.Evidence, evidence)
	}
	if c.Fix != fix {
		t.Errorf("%s: fix\n got %q\nwant %q", id, c.Fix, fix)
	}
	return c
}

func dump(r *Report) string {
	var b strings.Builder
	for _, c := range r.Checks {
		b.WriteString("  " + c.ID + " " + string(c.Status) + ": " + c.Evidence + " | " + c.Fix + "\n")
	}
	return b.String()
}

func ids(r *Report) []string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, c.ID)
	}
	return out
}

// startEmulator starts a demo tenant; its sign-in and Graph URLs use the name
// localhost, so the DNS step has a name to resolve.
func startEmulator(t *testing.T, opts emulator.Options) (*emulator.Server, string) {
	t.Helper()
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, strings.Replace(srv.AuthorityHost(), "127.0.0.1", "localhost", 1)
}

func emulatorConfig(t *testing.T, srv *emulator.Server, base string) Config {
	dns := startDNS(t, map[string]string{"localhost": "127.0.0.1"})
	cfg := testConfig(t, dns, base, base, srv.CertPool(), "d365consent emulator")
	cfg.Tenant = srv.TenantDomain()
	cfg.SignInClientID = srv.SignInClientID()
	return cfg
}

// TestHealthyEmulator: against the demo tenant every check is ✓ and the exit code is 0.
func TestHealthyEmulator(t *testing.T) {
	srv, base := startEmulator(t, emulator.Options{})
	cfg := emulatorConfig(t, srv, base)
	var mu sync.Mutex
	started, finished := map[string]bool{}, map[string]bool{}
	cfg.Progress = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		if e.Check.Status == "" {
			started[e.Check.ID] = true
		} else {
			finished[e.Check.ID] = true
		}
	}
	r := run(t, cfg)
	for _, c := range r.Checks {
		if c.Status != OK {
			t.Errorf("%s is %s: %s | %s", c.ID, c.Status, c.Evidence, c.Fix)
		}
		if !finished[c.ID] {
			t.Errorf("no progress event for %s", c.ID)
		}
	}
	for id := range started {
		if !finished[id] {
			t.Errorf("%s started but never finished", id)
		}
	}
	wantIDs := []string{"machine.version", "machine.terminal", "machine.session", "machine.browser", "machine.proxy", "machine.certs",
		"network.login.dns", "network.login.tcp", "network.login.tls", "network.login.http",
		"network.graph.dns", "network.graph.tcp", "network.graph.tls", "network.graph.http",
		"clock.skew", "tenant.openid", "signin.client"}
	if got := strings.Join(ids(r), " "); got != strings.Join(wantIDs, " ") {
		t.Errorf("checks\n got %s\nwant %s", got, strings.Join(wantIDs, " "))
	}
	if r.Failed() || r.Status != "ok" || r.Schema != "d365consent.doctor/v1" {
		t.Errorf("failed %v, status %s, schema %s", r.Failed(), r.Status, r.Schema)
	}
	port := portOf(strings.TrimPrefix(base, "https://"))
	want(t, r, "network.login.dns", OK, "localhost → 127.0.0.1", "")
	want(t, r, "network.login.tcp", OK, "connected to 127.0.0.1:"+port, "")
	want(t, r, "network.login.tls", OK, "TLS 1.3, certificate issued by 'd365consent demo tenant' (d365consent emulator)", "")
	want(t, r, "network.login.http", OK, "answered HTTP 200 OK (any answer proves the way is open)", "")
	want(t, r, "network.graph.http", OK, "answered HTTP 401 Unauthorized (any answer proves the way is open)", "")
	want(t, r, "clock.skew", OK, "within a minute of localhost's clock (Date header)", "")
	want(t, r, "tenant.openid", OK, "tenant id "+srv.TenantID()+", cloud_instance_name microsoftonline.com, tenant_region_scope WW", "")
	want(t, r, "signin.client", OK, "'Microsoft Graph Command Line Tools' ("+srv.SignInClientID()+") can start a sign-in in tenant "+srv.TenantDomain()+" (device-code start; nothing signed in)", "")
	if r.Tenant == nil || r.Tenant.ID != srv.TenantID() || r.Tenant.Cloud != "global" {
		t.Errorf("tenant %+v", r.Tenant)
	}
	for _, c := range r.Checks {
		if c.Group == "network" && c.LatencyMS == nil {
			t.Errorf("%s has no latency", c.ID)
		}
	}
}

// TestTLSInspection: a chain issued by an inspection CA is named — ✗ when this
// machine does not trust that CA, ! when it does.
func TestTLSInspection(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	contoso := newCA(t, "Contoso TLS Inspection CA", "Contoso Ltd")
	srv := startFakeHost(t, fakeHostOpts{cert: contoso.leaf(t, "login.doctor.test", "graph.doctor.test")})
	port := portOf(srv.Listener.Addr().String())
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1", "graph.doctor.test": "127.0.0.1"})
	login, graph := "https://login.doctor.test:"+port, "https://graph.doctor.test:"+port

	t.Run("untrusted", func(t *testing.T) {
		r := run(t, testConfig(t, dns, login, graph, pool(public), "Doctor Test Public Root"))
		c := want(t, r, "network.login.tls", Fail,
			"TLS 1.3, certificate for login.doctor.test issued by 'Contoso TLS Inspection CA' (Contoso Ltd), not Doctor Test Public Root: TLS inspection, by a CA this machine does not trust",
			"Ask the network team to exempt login.doctor.test from TLS inspection, or for the 'Contoso TLS Inspection CA' root certificate to add to this machine's trust store.")
		if c.Summary != "TLS inspection by 'Contoso TLS Inspection CA' detected" {
			t.Errorf("summary %q", c.Summary)
		}
		want(t, r, "network.graph.tls", Fail, "", "Ask the network team to exempt graph.doctor.test from TLS inspection, or for the 'Contoso TLS Inspection CA' root certificate to add to this machine's trust store.")
		if r.Check("network.login.http") != nil {
			t.Error("an HTTP verdict over a chain Go refuses")
		}
		if !r.Failed() {
			t.Errorf("a failed check does not fail the report")
		}
	})
	t.Run("trusted", func(t *testing.T) {
		r := run(t, testConfig(t, dns, login, graph, pool(public, contoso), "Doctor Test Public Root"))
		want(t, r, "network.login.tls", Warn,
			"TLS 1.3, chain ends in 'Contoso TLS Inspection CA' (Contoso Ltd), not Doctor Test Public Root: TLS inspection (this machine trusts it)",
			"Works while this machine trusts that CA; if sign-in still fails, ask the network team to exempt login.doctor.test from TLS inspection.")
		want(t, r, "network.login.http", OK, "", "")
		if r.Failed() {
			t.Errorf("report failed:\n%s", dump(r))
		}
	})
	t.Run("public chain", func(t *testing.T) {
		srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test")})
		login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
		r := run(t, testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root"))
		want(t, r, "network.login.tls", OK, "TLS 1.3, certificate issued by 'Doctor Test Public Root' (Doctor Test PKI)", "")
	})
	t.Run("untrusted public root", func(t *testing.T) {
		srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test")})
		login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
		r := run(t, testConfig(t, dns, login, login, pool(contoso), "Doctor Test Public Root"))
		want(t, r, "network.login.tls", Fail, "TLS 1.3, chain ends in 'Doctor Test Public Root' (Doctor Test PKI), which this machine does not trust",
			"Update the system's CA certificates (e.g. the ca-certificates package); if SSL_CERT_FILE is set, it must hold that root too.")
	})
}

// TestClockSkew: a Date header 7 minutes off is a ✗, in either direction.
func TestClockSkew(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	for _, tc := range []struct {
		shift time.Duration
		dir   string
	}{{7 * time.Minute, "behind"}, {-7 * time.Minute, "ahead of"}} {
		srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test"), dateShift: tc.shift})
		login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
		r := run(t, testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root"))
		c := want(t, r, "clock.skew", Fail, "this machine's clock is 7 min "+tc.dir+" login.doctor.test's (Date header)",
			"Set this machine's clock right (turn on automatic time / NTP): tokens are refused when it is more than 5 minutes off.")
		if c.Summary != "clock is 7 min off" || !r.Failed() {
			t.Errorf("summary %q, failed %v", c.Summary, r.Failed())
		}
	}
}

// TestProxy: HTTPS_PROXY from the command's environment, as net/http would use it:
// a proxy that tunnels, one that refuses, one that wants authentication.
func TestProxy(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test", "graph.doctor.test")})
	port := portOf(srv.Listener.Addr().String())
	login, graph := "https://login.doctor.test:"+port, "https://graph.doctor.test:"+port
	routes := map[string]string{"login.doctor.test:" + port: srv.Listener.Addr().String(), "graph.doctor.test:" + port: srv.Listener.Addr().String()}
	// No DNS entry for the hosts: through a proxy, the proxy resolves them.
	dns := startDNS(t, map[string]string{})
	cfgWith := func(proxyURL string) Config {
		cfg := testConfig(t, dns, login, graph, pool(public), "Doctor Test Public Root")
		cfg.Environ = append(cfg.Environ, "HTTPS_PROXY="+proxyURL)
		cfg.Tenant = "contoso.onmicrosoft.com"
		return cfg
	}

	t.Run("tunnels", func(t *testing.T) {
		addr, connects := startProxy(t, proxyOK, routes)
		r := run(t, cfgWith("http://"+addr))
		for _, c := range r.Checks {
			if c.Status != OK {
				t.Errorf("%s is %s: %s | %s", c.ID, c.Status, c.Evidence, c.Fix)
			}
		}
		want(t, r, "machine.proxy", OK, "login.doctor.test via http://"+addr+", graph.doctor.test via http://"+addr+" (from HTTPS_PROXY)", "")
		want(t, r, "network.login.dns", OK, "an IP address: no lookup needed", "")
		want(t, r, "network.login.proxy", OK, "http://"+addr+" opened a tunnel to login.doctor.test:"+port+" (the proxy resolves login.doctor.test)", "")
		want(t, r, "tenant.openid", OK, "tenant id "+testTenantID+", cloud_instance_name microsoftonline.com, tenant_region_scope EU", "")
		want(t, r, "signin.client", OK, "", "")
		// The probes, the tenant look-up and the device-code start all went through it.
		if n := len(connects()); n != 4 {
			t.Errorf("%d CONNECTs (%v), want 4", n, connects())
		}
	})
	t.Run("refuses", func(t *testing.T) {
		addr, _ := startProxy(t, proxyRefuse, routes)
		r := run(t, cfgWith("http://"+addr))
		want(t, r, "network.login.proxy", Fail, "http://"+addr+" refused CONNECT login.doctor.test:"+port+": 403 Forbidden",
			"Ask the network team to allow HTTPS (CONNECT) to login.doctor.test:"+port+" through the proxy.")
		want(t, r, "tenant.openid", Skip, "not checked: HTTPS to login.doctor.test fails (see the network checks above)", "")
		if !r.Failed() {
			t.Errorf("a failed check does not fail the report")
		}
	})
	t.Run("wants authentication", func(t *testing.T) {
		addr, _ := startProxy(t, proxyAuth, routes)
		r := run(t, cfgWith("http://"+addr))
		c := want(t, r, "network.login.proxy", Fail, "http://"+addr+" answered 407 Proxy Authentication Required (wants Negotiate, NTLM)",
			"Ask the network team to let login.doctor.test through the proxy without sign-in, or put Basic credentials in HTTPS_PROXY (http://user:password@proxy:port).")
		if c.Summary != "proxy wants authentication (407)" {
			t.Errorf("summary %q", c.Summary)
		}
		r = run(t, cfgWith("http://user:wrong@"+addr))
		want(t, r, "network.login.proxy", Fail, "http://***@"+addr+" answered 407 Proxy Authentication Required (wants Negotiate, NTLM)",
			"The proxy refused the user name and password in HTTPS_PROXY (Go sends them as Basic): check them, or ask the network team to let login.doctor.test through without proxy sign-in.")
		r = run(t, cfgWith("http://user:secret@"+addr))
		want(t, r, "network.login.proxy", OK, "http://***@"+addr+" opened a tunnel to login.doctor.test:"+port+" (the proxy resolves login.doctor.test)", "")
		want(t, r, "signin.client", OK, "", "")
		if strings.Contains(dump(r), "secret") {
			t.Errorf("the proxy password is in the report:\n%s", dump(r))
		}
	})
	t.Run("not listening", func(t *testing.T) {
		addr := testkit.ClosedPort(t)
		r := run(t, cfgWith("http://"+addr))
		want(t, r, "network.login.tcp", Fail, "connection refused by "+addr,
			"Nothing accepts connections at the proxy address in HTTPS_PROXY: check it with the network team, or unset HTTPS_PROXY if this network needs no proxy.")
	})
}

// TestTenantInOtherCloud: a tenant whose OpenID configuration names another cloud
// instance is a ✗ that names the --cloud to use.
func TestTenantInOtherCloud(t *testing.T) {
	srv, base := startEmulator(t, emulator.Options{CloudInstance: emulator.CloudInstance{Name: "microsoftonline.us", RegionScope: "USGov", RegionSubScope: "DODCON"}})
	r := run(t, emulatorConfig(t, srv, base))
	c := want(t, r, "tenant.openid", Fail,
		"tenant id "+srv.TenantID()+", cloud_instance_name microsoftonline.us, tenant_region_scope USGov, tenant_region_sub_scope DODCON: the tenant lives in US Government (GCC High), not the global cloud",
		"Use --cloud usgov with every command: d365consent doctor --cloud usgov --tenant "+srv.TenantDomain())
	if c.Summary != "tenant is in US Government (GCC High): use --cloud usgov" || r.Tenant.Cloud != "usgov" || !r.Failed() {
		t.Errorf("summary %q, cloud %q, failed %v", c.Summary, r.Tenant.Cloud, r.Failed())
	}

	srv, base = startEmulator(t, emulator.Options{CloudInstance: emulator.CloudInstance{Name: "microsoftonline.us", RegionScope: "USGov", RegionSubScope: "DOD"}})
	r = run(t, emulatorConfig(t, srv, base))
	want(t, r, "tenant.openid", Fail, "", "Use --cloud usgov-dod with every command: d365consent doctor --cloud usgov-dod --tenant "+srv.TenantDomain())
}

// TestUnknownTenant: AADSTS90002 is a clear ✗.
func TestUnknownTenant(t *testing.T) {
	srv, base := startEmulator(t, emulator.Options{})
	cfg := emulatorConfig(t, srv, base)
	cfg.Tenant = "nosuch.onmicrosoft.com"
	r := run(t, cfg)
	c := want(t, r, "tenant.openid", Fail, "AADSTS90002: localhost knows no tenant 'nosuch.onmicrosoft.com'",
		"Check the tenant's domain or id (Entra admin center > Overview); a US Government or China tenant needs --cloud usgov or --cloud china.")
	if c.Summary != "tenant 'nosuch.onmicrosoft.com' not found in the global cloud" {
		t.Errorf("summary %q", c.Summary)
	}
	want(t, r, "signin.client", Fail, "AADSTS90002: localhost knows no tenant nosuch.onmicrosoft.com", "See the tenant check above.")
}

// TestSignInClient: an unknown client (AADSTS700016) and a disabled one (AADSTS7000112).
func TestSignInClient(t *testing.T) {
	srv, base := startEmulator(t, emulator.Options{})
	cfg := emulatorConfig(t, srv, base)
	cfg.SignInClientID = "11111111-2222-3333-4444-555555555555"
	r := run(t, cfg)
	want(t, r, "signin.client", Fail, "AADSTS700016: tenant "+srv.TenantDomain()+" does not know the application 11111111-2222-3333-4444-555555555555",
		"Pass --signin-client-id with an app registered for sign-in in this tenant, or ask an admin why 11111111-2222-3333-4444-555555555555 is not available.")

	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	fake := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test"), disabledClient: signin.ClientID})
	login := "https://login.doctor.test:" + portOf(fake.Listener.Addr().String())
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	cfg = testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
	cfg.Tenant = "contoso.onmicrosoft.com"
	r = run(t, cfg)
	want(t, r, "signin.client", Fail, "AADSTS7000112: 'Microsoft Graph Command Line Tools' ("+signin.ClientID+") is disabled in tenant contoso.onmicrosoft.com",
		"An admin can enable it (Entra admin center > Enterprise applications > the app > Properties > Enabled for users to sign in), or pass --signin-client-id.")
	if strings.Contains(dump(r), "secret-device-code") || strings.Contains(dump(r), "ABCDEFGHJ") {
		t.Error("a device code reached the report")
	}
}

// TestNetworkFailures: DNS failure, connection refused, a server that accepts and
// never answers.
func TestNetworkFailures(t *testing.T) {
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	t.Run("dns", func(t *testing.T) {
		cfg := testConfig(t, dns, "https://nowhere.doctor.test", "https://nowhere.doctor.test", nil)
		cfg.Tenant = "contoso.onmicrosoft.com"
		r := run(t, cfg)
		c := want(t, r, "network.login.dns", Fail, "nowhere.doctor.test: no such host",
			"This machine's DNS cannot resolve nowhere.doctor.test: check the network connection and DNS server, or set HTTPS_PROXY if the web goes through a proxy here.")
		if c.Summary != "DNS cannot resolve nowhere.doctor.test" {
			t.Errorf("summary %q", c.Summary)
		}
		want(t, r, "tenant.openid", Skip, "not checked: HTTPS to nowhere.doctor.test fails (see the network checks above)", "")
		want(t, r, "signin.client", Skip, "not checked: HTTPS to nowhere.doctor.test fails (see the network checks above)", "")
		want(t, r, "clock.skew", Skip, "not checked: no server answered with a Date header", "")
		if r.Check("network.login.tcp") != nil || !r.Failed() {
			t.Errorf("steps after a failed one, or failed %v:\n%s", r.Failed(), dump(r))
		}
	})
	t.Run("refused", func(t *testing.T) {
		addr := testkit.ClosedPort(t)
		u := "https://login.doctor.test:" + portOf(addr)
		r := run(t, testConfig(t, dns, u, u, nil))
		want(t, r, "network.login.tcp", Fail, "connection refused by "+addr,
			"Ask the network team to allow outbound HTTPS (TCP "+portOf(addr)+") to login.doctor.test, or set HTTPS_PROXY if the web goes through a proxy here.")
	})
	t.Run("silent", func(t *testing.T) {
		addr := startSilent(t)
		u := "https://login.doctor.test:" + portOf(addr)
		cfg := testConfig(t, dns, u, u, nil)
		cfg.StepTimeout = 300 * time.Millisecond
		r := run(t, cfg)
		c := want(t, r, "network.login.tls", Fail, "connected, but no TLS answer within 300ms (the connection was accepted, then silence)",
			"Something between here and login.doctor.test (a firewall or proxy) breaks HTTPS: ask the network team to allow HTTPS to login.doctor.test unmodified.")
		if c.Summary != "TLS handshake with login.doctor.test failed" {
			t.Errorf("summary %q", c.Summary)
		}
	})
	t.Run("whole run bounded", func(t *testing.T) {
		addr := startSilent(t)
		u := "https://login.doctor.test:" + portOf(addr)
		cfg := testConfig(t, dns, u, u, nil)
		cfg.StepTimeout = time.Hour
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		r := Run(ctx, cfg)
		want(t, r, "network.login.tls", Fail, "connected, but no TLS answer before the run's --timeout (the connection was accepted, then silence)", "Something between here and login.doctor.test (a firewall or proxy) breaks HTTPS: ask the network team to allow HTTPS to login.doctor.test unmodified.")
	})
}

// TestMachine: the machine checks from the command's environment alone.
func TestMachine(t *testing.T) {
	base := func(env ...string) Config {
		cfg := Config{Version: "v1", Cloud: flows.Cloud{Name: "global", AuthorityHost: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com"},
			Environ: append([]string{"HOME=/home/alice"}, env...), GOOS: "linux", GOARCH: "amd64"}
		cfg.defaults()
		return cfg
	}
	find := func(cs []Check, id string) Check {
		for _, c := range cs {
			if c.ID == id {
				return c
			}
		}
		t.Fatalf("no %s", id)
		return Check{}
	}
	check := func(t *testing.T, c Check, status Status, evidence, fix string) {
		t.Helper()
		if c.Status != status || c.Evidence != evidence || c.Fix != fix {
			t.Errorf("%s:\n got %s %q | %q\nwant %s %q | %q", c.ID, c.Status, c.Evidence, c.Fix, status, evidence, fix)
		}
	}
	t.Run("ssh: device code", func(t *testing.T) {
		cfg := base("SSH_CONNECTION=10.0.0.1 22 10.0.0.2 22", "LANG=C.UTF-8")
		cs := machineChecks(&cfg)
		check(t, find(cs, "machine.browser"), Warn, "no browser can open here (SSH session): sign-in will use a device code",
			"Enter the code the wizard shows at the device-login page on any device; if Conditional Access blocks device-code sign-in, run d365consent on a machine with a browser.")
		check(t, find(cs, "machine.session"), OK, "SSH session, no graphical display (DISPLAY, WAYLAND_DISPLAY unset)", "")
	})
	t.Run("display: xdg-open", func(t *testing.T) {
		cfg := base("DISPLAY=:0")
		cfg.Browser = &browser.System{Environ: cfg.Environ, GOOS: "linux", LookPath: func(f string) (string, error) { return "/usr/bin/" + f, nil },
			ReadFile: func(string) ([]byte, error) { return nil, errors.New("none") }}
		cs := machineChecks(&cfg)
		check(t, find(cs, "machine.browser"), OK, "sign-in opens the default browser via xdg-open (graphical display), with a redirect back to localhost", "")
		check(t, find(cs, "machine.session"), OK, "local session, display DISPLAY=:0", "")
	})
	t.Run("wsl", func(t *testing.T) {
		cfg := base("WSL_DISTRO_NAME=Ubuntu")
		cfg.Browser = &browser.System{Environ: cfg.Environ, GOOS: "linux", LookPath: func(f string) (string, error) {
			if f == "wslview" {
				return "/usr/bin/wslview", nil
			}
			return "", errors.New("no")
		}}
		cs := machineChecks(&cfg)
		check(t, find(cs, "machine.browser"), OK, "sign-in opens the Windows browser through wslview (WSL (WSL_DISTRO_NAME)), with a redirect back to localhost", "")
	})
	t.Run("device-code flag", func(t *testing.T) {
		cfg := base()
		cfg.DeviceCode = true
		check(t, find(machineChecks(&cfg), "machine.browser"), OK, "--device-code: sign-in uses a device code, entered on any device", "")
	})
	t.Run("proxy: NO_PROXY, lower case, redaction", func(t *testing.T) {
		cfg := base("https_proxy=http://bob:pw@proxy.contoso.com:8080", "NO_PROXY=graph.microsoft.com")
		check(t, find(machineChecks(&cfg), "machine.proxy"), OK,
			"login.microsoftonline.com via http://***@proxy.contoso.com:8080, graph.microsoft.com direct (from https_proxy, NO_PROXY)", "")
	})
	t.Run("proxy: HTTP_PROXY only", func(t *testing.T) {
		cfg := base("HTTP_PROXY=http://proxy.contoso.com:8080")
		check(t, find(machineChecks(&cfg), "machine.proxy"), Warn,
			"HTTP_PROXY is set, but Go uses HTTPS_PROXY for https:// addresses: login.microsoftonline.com direct, graph.microsoft.com direct",
			`If this network only lets the web out through the proxy, set HTTPS_PROXY too: export HTTPS_PROXY="$HTTP_PROXY"`)
	})
	t.Run("proxy: not a URL", func(t *testing.T) {
		cfg := base("HTTPS_PROXY=%zz")
		check(t, find(machineChecks(&cfg), "machine.proxy"), Warn,
			"HTTPS_PROXY is not a valid URL, so Go ignores it: login.microsoftonline.com direct, graph.microsoft.com direct",
			"Set HTTPS_PROXY to the proxy's address, e.g. http://proxy.example.com:8080, or unset it.")
	})
	t.Run("proxy: port typed twice", func(t *testing.T) {
		// Parses as scheme "proxy.contoso.com" with no host, and with http:// in
		// front its port is not a number: net/http keeps the first reading and every
		// request fails ("proxyconnect tcp: dial tcp :0: connect: connection refused").
		cfg := base("HTTPS_PROXY=proxy.contoso.com:8080:8080")
		check(t, find(machineChecks(&cfg), "machine.proxy"), Fail,
			"HTTPS_PROXY is a URL without a host (a port typed twice?), and Go does not ignore it: every HTTPS connection goes to that proxy and fails (proxyconnect tcp :0): "+
				"login.microsoftonline.com via an address without a host, graph.microsoft.com via an address without a host",
			"Set HTTPS_PROXY to the proxy's address, e.g. http://proxy.example.com:8080, or unset it.")
		// With credentials the same typo reads as scheme "alice", opaque "s3cret@…":
		// nothing of it reaches the report.
		cfg = base("HTTPS_PROXY=alice:s3cret@proxy.contoso.com:8080:8080")
		c := find(machineChecks(&cfg), "machine.proxy")
		if c.Status != Fail || strings.Contains(c.Evidence+c.Summary+c.Fix, "s3cret") {
			t.Fatalf("credentials in a host-less proxy value: %s %q %q", c.Status, c.Summary, c.Evidence)
		}
	})
	t.Run("no proxy", func(t *testing.T) {
		cfg := base()
		check(t, find(machineChecks(&cfg), "machine.proxy"), OK, "HTTPS_PROXY and HTTP_PROXY unset: login.microsoftonline.com direct, graph.microsoft.com direct", "")
	})
	t.Run("SSL_CERT_FILE", func(t *testing.T) {
		cfg := base("SSL_CERT_FILE=/home/alice/ca.pem")
		cfg.ReadFile = func(string) ([]byte, error) {
			return nil, &fs.PathError{Op: "open", Path: "/home/alice/ca.pem", Err: fs.ErrNotExist}
		}
		check(t, find(machineChecks(&cfg), "machine.certs"), Fail, "SSL_CERT_FILE=~/ca.pem: no such file or directory",
			"Point SSL_CERT_FILE at a PEM file of CA certificates, or unset it to use the system trust store.")
		cfg.ReadFile = func(string) ([]byte, error) { return []byte("not pem"), nil }
		check(t, find(machineChecks(&cfg), "machine.certs"), Fail, "SSL_CERT_FILE=~/ca.pem: no PEM certificate in it",
			"Point SSL_CERT_FILE at a PEM file of CA certificates (-----BEGIN CERTIFICATE-----), or unset it.")
		srv, err := emulator.Start(emulator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		cfg.ReadFile = func(string) ([]byte, error) { return srv.CACertPEM(), nil }
		check(t, find(machineChecks(&cfg), "machine.certs"), OK, "SSL_CERT_FILE=~/ca.pem (1 certificate, instead of the system's file)", "")
		cfg.GOOS = "windows"
		check(t, find(machineChecks(&cfg), "machine.certs"), Warn, "SSL_CERT_FILE/SSL_CERT_DIR are set, but on windows Go trusts the system's certificate store only",
			"Add the CA certificate to the system's certificate store (Windows: certlm.msc, Trusted Root Certification Authorities; macOS: Keychain Access, System).")
	})
	t.Run("SSL_CERT_FILE: home shown as ~ only at a path boundary", func(t *testing.T) {
		srv, err := emulator.Start(emulator.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		pem := func(string) ([]byte, error) { return srv.CACertPEM(), nil }
		for _, tc := range []struct {
			name    string
			environ []string
			shown   string
		}{
			{"home itself", []string{"HOME=/home/alice", "SSL_CERT_FILE=/home/alice/ca.pem"}, "~/ca.pem"},
			{"home with a trailing slash", []string{"HOME=/home/alice/", "SSL_CERT_FILE=/home/alice/ca.pem"}, "~/ca.pem"},
			{"another user whose name starts the same", []string{"HOME=/home/al", "SSL_CERT_FILE=/home/alice/ca.pem"}, "/home/alice/ca.pem"},
			{"home is /", []string{"HOME=/", "SSL_CERT_FILE=/etc/ssl/ca.pem"}, "/etc/ssl/ca.pem"},
			{"no home", []string{"SSL_CERT_FILE=/etc/ssl/ca.pem"}, "/etc/ssl/ca.pem"},
			// Go keeps the first of duplicate variables (syscall.copyenv), so does the doctor.
			{"duplicate HOME: the first counts", []string{"HOME=/home/alice", "HOME=/root", "SSL_CERT_FILE=/home/alice/ca.pem"}, "~/ca.pem"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				cfg := Config{Version: "v1", Environ: tc.environ, GOOS: "linux", GOARCH: "amd64", ReadFile: pem}
				cfg.defaults()
				check(t, find(machineChecks(&cfg), "machine.certs"), OK, "SSL_CERT_FILE="+tc.shown+" (1 certificate, instead of the system's file)", "")
			})
		}
	})
	t.Run("SSL_CERT_DIR", func(t *testing.T) {
		cfg := base("SSL_CERT_DIR=/etc/ssl/certs:/home/alice/certs::/missing")
		cfg.ReadDir = func(name string) ([]os.DirEntry, error) {
			if name == "/missing" {
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
			}
			return nil, nil
		}
		check(t, find(machineChecks(&cfg), "machine.certs"), Warn,
			"SSL_CERT_DIR /missing: no such file or directory; SSL_CERT_DIR=/etc/ssl/certs:~/certs (instead of the system's directories)",
			"Fix or remove that directory in SSL_CERT_DIR.")
		cfg = base("SSL_CERT_DIR=/etc/ssl/certs")
		cfg.ReadDir = func(string) ([]os.DirEntry, error) { return nil, nil }
		check(t, find(machineChecks(&cfg), "machine.certs"), OK, "SSL_CERT_DIR=/etc/ssl/certs (instead of the system's directories)", "")
	})
	t.Run("terminal", func(t *testing.T) {
		cfg := base("LANG=C")
		cfg.Terminal = Terminal{IsTerminal: true, Width: 120, Height: 40, Profile: "ANSI256"}
		check(t, find(machineChecks(&cfg), "machine.terminal"), Warn, "120x40, colour (ANSI256), ASCII only (LANG=C (not UTF-8))",
			"Everything works in ASCII; for ✓/✗ and a scannable QR code use a UTF-8 locale (LANG=C.UTF-8) or Windows Terminal.")
		cfg = base("LANG=C.UTF-8", "NO_COLOR=1")
		cfg.Terminal = Terminal{IsTerminal: true, Width: 120, Height: 40, Profile: "ANSI256"}
		check(t, find(machineChecks(&cfg), "machine.terminal"), OK, "120x40, no colour, Unicode (LANG=C.UTF-8)", "")
		cfg.Terminal = Terminal{}
		check(t, find(machineChecks(&cfg), "machine.terminal"), OK, "output is not a terminal (piped or redirected): plain text, no colour", "")
	})
}

// TestHostileNames: a certificate's names reach the report and the progress events
// sanitized (an escape sequence in a CA name would otherwise run on the support
// engineer's terminal).
func TestHostileNames(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	evil := newCA(t, "Evil\x1b]0;pwned\x07 CA", "Bad\x1b[2J Org")
	srv := startFakeHost(t, fakeHostOpts{cert: evil.leaf(t, "login.doctor.test")})
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
	cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
	var events []Event
	cfg.Progress = func(e Event) { events = append(events, e) } // progress serializes calls
	r := run(t, cfg)
	tlsEvents := 0
	for _, e := range events {
		for _, s := range []string{e.Check.Title, e.Check.Summary, e.Check.Evidence, e.Check.Fix} {
			testkit.CheckInert(t, "progress event "+e.Check.ID, s)
		}
		if e.Check.ID == "network.login.tls" && strings.Contains(e.Check.Evidence, "'Evil CA' (Bad Org)") {
			tlsEvents++
		}
	}
	if tlsEvents != 1 {
		t.Errorf("%d progress events for the TLS check with the cleaned names, want 1", tlsEvents)
	}
	c := want(t, r, "network.login.tls", Fail,
		"TLS 1.3, certificate for login.doctor.test issued by 'Evil CA' (Bad Org), not Doctor Test Public Root: TLS inspection, by a CA this machine does not trust",
		"Ask the network team to exempt login.doctor.test from TLS inspection, or for the 'Evil CA' root certificate to add to this machine's trust store.")
	if c.Summary != "TLS inspection by 'Evil CA' detected" {
		t.Errorf("summary %q", c.Summary)
	}
}

// TestClockWarning: 1 to 5 minutes off is a ! (works, will not for long).
func TestClockWarning(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test"), dateShift: 3 * time.Minute})
	login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
	r := run(t, testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root"))
	want(t, r, "clock.skew", Warn, "this machine's clock is 3 min behind login.doctor.test's (Date header)",
		"Set this machine's clock right (turn on automatic time / NTP) before it drifts past 5 minutes, where tokens are refused.")
	// No --tenant: the tenant is not checked, and says how to check it.
	want(t, r, "tenant.openid", Skip, "no --tenant given: the tenant is not checked",
		"Add --tenant with your tenant's domain or id (e.g. --tenant contoso.onmicrosoft.com) to check it.")
	want(t, r, "signin.client", OK, "'Microsoft Graph Command Line Tools' ("+signin.ClientID+") can start a sign-in in work or school accounts (no --tenant) (device-code start; nothing signed in)", "")
	if r.Failed() || r.Status != "warnings" {
		t.Errorf("failed %v, status %s", r.Failed(), r.Status)
	}
}

// TestSocksProxy: a proxy this check does not speak is a !, never a dial elsewhere.
func TestSocksProxy(t *testing.T) {
	dns := startDNS(t, map[string]string{})
	cfg := testConfig(t, dns, "https://login.doctor.test", "https://login.doctor.test", nil)
	cfg.Environ = append(cfg.Environ, "HTTPS_PROXY=socks5://127.0.0.1:1080")
	cfg.Only = []string{"network"}
	r := run(t, cfg)
	want(t, r, "network.login.proxy", Warn, "connections to login.doctor.test go through socks5://127.0.0.1:1080, which this check does not speak",
		"Use an http:// proxy in HTTPS_PROXY if sign-in fails through this one.")
}

func TestPublicCAsAndClouds(t *testing.T) {
	for host, want := range map[string]string{
		"login.microsoftonline.com": "DigiCert Microsoft", "graph.microsoft.com": "DigiCert Microsoft",
		"login.microsoftonline.us": "DigiCert Microsoft", "dod-graph.microsoft.us": "DigiCert Microsoft",
		"login.partner.microsoftonline.cn": "DigiCert Microsoft", "microsoftgraph.chinacloudapi.cn": "DigiCert Microsoft",
		"127.0.0.1": "", "login.microsoftonline.com.evil.example": "", "notmicrosoft.com": "",
	} {
		if got := strings.Join(microsoftPublicCAs(host), " "); got != want {
			t.Errorf("%s: %q, want %q", host, got, want)
		}
	}
	for _, tc := range []struct{ instance, sub, want string }{
		{"microsoftonline.com", "", "global"}, {"microsoftonline.com", "GCC", "global"},
		{"microsoftonline.us", "DODCON", "usgov"}, {"microsoftonline.us", "DOD", "usgov-dod"},
		{"partner.microsoftonline.cn", "", "china"}, {"", "", ""}, {"example.org", "", ""},
	} {
		if got := cloudFor(tc.instance, tc.sub); got != tc.want {
			t.Errorf("cloudFor(%q, %q) = %q, want %q", tc.instance, tc.sub, got, tc.want)
		}
	}
}
