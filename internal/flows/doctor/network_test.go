package doctor

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The DNS step shows the first three addresses a name resolves to and counts the rest.
func TestDNSEvidenceShowsThreeAddressesAndCountsTheRest(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test")})
	port := portOf(srv.Listener.Addr().String())
	login := "https://login.doctor.test:" + port
	for _, tc := range []struct{ addrs, evidence string }{
		{"127.0.0.1", "login.doctor.test → 127.0.0.1"},
		{"127.0.0.1,127.0.0.2,127.0.0.3", "login.doctor.test → 127.0.0.1, 127.0.0.2, 127.0.0.3"},
		{"127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4", "login.doctor.test → 127.0.0.1, 127.0.0.2, 127.0.0.3 (+1 more)"},
		{"127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5", "login.doctor.test → 127.0.0.1, 127.0.0.2, 127.0.0.3 (+2 more)"},
	} {
		dns := startDNS(t, map[string]string{"login.doctor.test": tc.addrs})
		cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
		cfg.Only = []string{"network"}
		r := run(t, cfg)
		want(t, r, "network.login.dns", OK, tc.evidence, "")
		want(t, r, "network.login.tcp", OK, "connected to 127.0.0.1:"+port, "")
	}
}

// An address that refuses the connection is passed over for the next one the name
// resolves to; the first that accepts is used, and the probe goes on through it.
func TestConnectMovesOnToTheNextAddress(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test")})
	port := portOf(srv.Listener.Addr().String())
	// Nothing listens on 127.0.0.2 at the server's port: binding 127.0.0.1 at that
	// port would have failed against a listener on every address.
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.2,127.0.0.1"})
	login := "https://login.doctor.test:" + port
	cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
	cfg.Only = []string{"network"}
	r := run(t, cfg)
	want(t, r, "network.login.dns", OK, "login.doctor.test → 127.0.0.2, 127.0.0.1", "")
	c := want(t, r, "network.login.tcp", OK, "connected to 127.0.0.1:"+port, "")
	if c.Title != "Connect login.doctor.test:"+port {
		t.Errorf("title %q", c.Title)
	}
	want(t, r, "network.login.tls", OK, "TLS 1.3, certificate issued by 'Doctor Test Public Root' (Doctor Test PKI)", "")
	want(t, r, "network.login.http", OK, "answered HTTP 200 OK (any answer proves the way is open)", "")
}

// The HTTP step's title names the scheme the probe used: HTTP for an http:// base,
// HTTPS for an https:// one.
func TestHTTPStepTitleNamesTheScheme(t *testing.T) {
	plain := httptest.NewUnstartedServer(http.NotFoundHandler())
	plain.Config.ErrorLog = log.New(io.Discard, "", 0)
	plain.Start()
	t.Cleanup(plain.Close)
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	secure := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test")})
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	for _, tc := range []struct{ base, title, evidence string }{
		{"http://login.doctor.test:" + portOf(plain.Listener.Addr().String()), "HTTP login.doctor.test", "answered HTTP 404 Not Found (any answer proves the way is open)"},
		{"https://login.doctor.test:" + portOf(secure.Listener.Addr().String()), "HTTPS login.doctor.test", "answered HTTP 200 OK (any answer proves the way is open)"},
	} {
		cfg := testConfig(t, dns, tc.base, tc.base, pool(public), "Doctor Test Public Root")
		cfg.Only = []string{"network"}
		r := run(t, cfg)
		if c := want(t, r, "network.login.http", OK, tc.evidence, ""); c.Title != tc.title {
			t.Errorf("%s: title %q, want %q", tc.base, c.Title, tc.title)
		}
	}
}

// A blank Proxy-Authenticate header names no scheme: the 407's evidence lists only
// the schemes the proxy did name.
func TestProxyAuthenticateBlankHeaderIsSkipped(t *testing.T) {
	addr, _ := startProxy(t, proxyAuthBlank, nil)
	dns := startDNS(t, map[string]string{})
	cfg := testConfig(t, dns, "https://login.doctor.test", "https://login.doctor.test", nil)
	cfg.Environ = append(cfg.Environ, "HTTPS_PROXY=http://"+addr)
	cfg.Only = []string{"network"}
	r := run(t, cfg)
	want(t, r, "network.login.proxy", Fail, "http://"+addr+" answered 407 Proxy Authentication Required (wants Basic)",
		"Ask the network team to let login.doctor.test through the proxy without sign-in, or put Basic credentials in HTTPS_PROXY (http://user:password@proxy:port).")
}

// The chain's top is the root Go verified the chain to, not the issuer of the last
// certificate the server sent: a server that also sends its root cross-signed by an
// older root (as Let's Encrypt did with DST Root CA X3) is not TLS inspection.
func TestChainTopIsTheVerifiedRoot(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	old := newCA(t, "Doctor Test Legacy Root", "Doctor Test Legacy PKI")
	cert := public.leaf(t, "login.doctor.test")
	cert.Certificate = append(cert.Certificate, old.crossSign(t, public))
	srv := startFakeHost(t, fakeHostOpts{cert: cert})
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
	cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
	cfg.Only = []string{"network"}
	r := run(t, cfg)
	want(t, r, "network.login.tls", OK, "TLS 1.3, certificate issued by 'Doctor Test Public Root' (Doctor Test PKI)", "")
	want(t, r, "network.login.http", OK, "answered HTTP 200 OK (any answer proves the way is open)", "")
}

// A host with no usual CA (an --authority-host that is not Microsoft's) is never
// judged for TLS inspection: its chain is named, trusted or not.
func TestHostWithoutUsualCAIsNotJudgedForInspection(t *testing.T) {
	private := newCA(t, "Contoso Private Root", "Contoso Ltd")
	srv := startFakeHost(t, fakeHostOpts{cert: private.leaf(t, "login.doctor.test")})
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())

	cfg := testConfig(t, dns, login, login, pool(private)) // no usual CA
	cfg.Only = []string{"network"}
	r := run(t, cfg)
	want(t, r, "network.login.tls", OK, "TLS 1.3, certificate issued by 'Contoso Private Root' (Contoso Ltd)", "")

	cfg = testConfig(t, dns, login, login, pool(newCA(t, "Doctor Test Public Root", "Doctor Test PKI")))
	cfg.Only = []string{"network"}
	r = run(t, cfg)
	c := want(t, r, "network.login.tls", Fail, "TLS 1.3, chain ends in 'Contoso Private Root' (Contoso Ltd), which this machine does not trust",
		"Update the system's CA certificates (e.g. the ca-certificates package); if SSL_CERT_FILE is set, it must hold that root too.")
	if c.Summary != "this machine does not trust 'Contoso Private Root' (Contoso Ltd)" {
		t.Errorf("summary %q", c.Summary)
	}
}

// A CA is named by its common name, with its organization in brackets when it has
// one that says something more.
func TestCANameOrganization(t *testing.T) {
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	for _, tc := range []struct{ cn, org, evidence string }{
		{"Doctor Test Bare Root", "", "TLS 1.3, certificate issued by 'Doctor Test Bare Root'"},
		{"Doctor Test Root", "Doctor Test Root", "TLS 1.3, certificate issued by 'Doctor Test Root'"},
		{"Doctor Test Root", "Doctor Test PKI", "TLS 1.3, certificate issued by 'Doctor Test Root' (Doctor Test PKI)"},
	} {
		ca := newCA(t, tc.cn, tc.org)
		srv := startFakeHost(t, fakeHostOpts{cert: ca.leaf(t, "login.doctor.test")})
		login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
		cfg := testConfig(t, dns, login, login, pool(ca), tc.cn)
		cfg.Only = []string{"network"}
		want(t, run(t, cfg), "network.login.tls", OK, tc.evidence, "")
	}
}

// A step that timed out names its bound: the step timeout, in milliseconds below a
// second and in seconds to a tenth from one second up, or the run's --timeout.
func TestTimeoutLimitText(t *testing.T) {
	for _, tc := range []struct {
		step time.Duration
		want string
	}{
		{300 * time.Millisecond, "within 300ms"},
		{999 * time.Millisecond, "within 999ms"},
		{time.Second, "within 1s"},
		{1500 * time.Millisecond, "within 1.5s"},
		{1249 * time.Millisecond, "within 1.2s"},
		{2750 * time.Millisecond, "within 2.8s"},
		{10 * time.Second, "within 10s"},
		{90 * time.Second, "within 90s"},
	} {
		cfg := Config{StepTimeout: tc.step}
		if got := cfg.limit(context.Background()); got != tc.want {
			t.Errorf("step timeout %s: %q, want %q", tc.step, got, tc.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{StepTimeout: time.Second}
	if got := cfg.limit(ctx); got != "before the run's --timeout" {
		t.Errorf("run over: %q", got)
	}
}
