package cli

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// Loopback defences (SECURITY.md "Sign-in and consent redirects"): the
// consent listener and the demo tenant bind 127.0.0.1 only, refuse a Host that is not
// their own address and port (DNS rebinding), a busy fixed port is one clear line,
// and a callback after consent completed finds nothing listening.

func hostGet(t *testing.T, client *http.Client, host, target string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", target, nil)
	req.Host = host
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s (Host %s): %v", target, host, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// onlyIPv4Loopback checks that port answers on 127.0.0.1 and on no other address.
func onlyIPv4Loopback(t *testing.T, what, port string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
	if err != nil {
		t.Fatalf("%s: not listening on 127.0.0.1:%s: %v", what, port, err)
	}
	c.Close()
	addrs, _ := net.InterfaceAddrs()
	addrs = append(addrs, &net.IPNet{IP: net.IPv6loopback})
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.Equal(net.IPv4(127, 0, 0, 1)) {
			continue
		}
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ipn.IP.String(), port), 300*time.Millisecond); err == nil {
			c.Close()
			t.Errorf("%s answers on %s:%s: it must bind 127.0.0.1 only", what, ipn.IP, port)
		}
	}
}

func TestEmulatorLoopbackOnly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, base := range []string{srv.GraphURL(), srv.PagesURL()} {
		u, _ := url.Parse(base)
		port := u.Port()
		onlyIPv4Loopback(t, base, port)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{RootCAs: srv.CertPool()}}}
		target := base + "/" + srv.TenantID() + "/v2.0/.well-known/openid-configuration"
		if code := hostGet(t, client, u.Host, target); code == http.StatusMisdirectedRequest {
			t.Fatalf("%s refuses its own Host", base)
		}
		for _, host := range []string{"evil.example", "evil.example:" + port, "127.0.0.1.nip.io:" + port, "127.0.0.1:1", "0.0.0.0:" + port, "[::1]:" + port} {
			if code := hostGet(t, client, host, target); code != http.StatusMisdirectedRequest {
				t.Errorf("%s answered Host %q with %d, want 421", base, host, code)
			}
		}
	}
	client := srv.HTTPClient()
	if code := hostGet(t, client, "attacker.example", srv.GraphURL()+"/v1.0/me"); code != http.StatusMisdirectedRequest {
		t.Errorf("Graph answered a rebinding Host with %d", code)
	}
}

func TestEmulatorCommandAddresses(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"emulator", "--addr", busy.Addr().String()}, 2, "address already in use"},
		{[]string{"emulator", "--pages-addr", busy.Addr().String()}, 2, "address already in use"},
		{[]string{"emulator", "--addr", "0.0.0.0:0"}, 2, "only listens on 127.0.0.1"},
		{[]string{"emulator", "--addr", "192.0.2.1:8443"}, 2, "only listens on 127.0.0.1"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out, errb lockedBuffer
		code := run(ctx, newFactory(strings.NewReader(""), &out, &errb, []string{"NO_COLOR=1"}), tc.args)
		cancel()
		msg := errb.String()
		if code != tc.code || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "goroutine") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, msg, tc.code, tc.want)
		}
		if strings.Contains(tc.want, "in use") && !strings.Contains(msg, "127.0.0.1:"+strconv.Itoa(port)) {
			t.Errorf("%v: the error does not name the port: %q", tc.args, msg)
		}
		if out.String() != "" {
			t.Errorf("%v printed endpoints although it failed: %q", tc.args, out.String())
		}
	}
}

// TestConsentListenerDefences runs a real admin consent against the demo tenant and
// attacks its loopback listener: other Hosts are refused while it waits, and once
// consent completed the port is closed — a late or replayed callback finds nothing.
func TestConsentListenerDefences(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Only apps that registered a loopback reply URL get a listener (loopback-reply).
	srv, err := emulator.Start(emulator.Options{Scenario: "loopback-reply"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	browser := &gatedBrowser{inner: &demoBrowser{ctx: context.Background(), b: srv.Browser(srv.DemoUser())}, gate: make(chan struct{}), opened: make(chan error, 1)}
	cfg := flows.Config{
		Cloud:  flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
		Tenant: srv.TenantID(), SignInClientID: srv.SignInClientID(), HTTPClient: srv.HTTPClient(),
		Browser: browser,
		// Polls happen only when the test lets them: the first at once, the next only
		// after the redirect (the poll timer never fires), so the order is fixed.
		Clock: stillClock{},
	}
	s, err := flows.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.SignIn(ctx, nil); err != nil {
		t.Fatal(err)
	}
	app, _ := srv.Catalog().App("ce")
	c, err := s.StartConsent(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ru, err := url.Parse(c.RedirectURI)
	if err != nil || ru.Hostname() != "127.0.0.1" {
		t.Fatalf("redirect URI %q: want http://127.0.0.1:PORT", c.RedirectURI)
	}
	port := ru.Port()
	plain := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	cu, _ := url.Parse(c.URL)
	state := cu.Query().Get("state")
	forged := c.RedirectURI + "?admin_consent=True&tenant=" + srv.TenantID() + "&state=" + url.QueryEscape(state)
	for _, host := range []string{"evil.example", "evil.example:" + port, "localhost:" + port, "127.0.0.1:1", "[::1]:" + port} {
		if code := hostGet(t, plain, host, forged); code != http.StatusMisdirectedRequest {
			t.Errorf("consent listener answered Host %q with %d, want 421", host, code)
		}
	}
	// First poll, before the admin answered: nothing granted, no redirect.
	first := <-c.Events()
	if first.Done || first.Redirected || first.Result == nil || first.Result.Status != flows.StatusNotConsented {
		t.Fatalf("first event %+v, want a not-consented poll before any redirect", first)
	}
	close(browser.gate) // the demo admin accepts; the browser follows the redirect to the listener
	var evs []flows.ConsentEvent
	for ev := range c.Events() {
		evs = append(evs, ev)
	}
	// Exactly one more poll, woken by the redirect, sees every grant.
	if len(evs) != 1 {
		t.Fatalf("events after accepting: %+v, want exactly the final one", evs)
	}
	if last := evs[0]; !last.Done || !last.Redirected || last.Err != nil || last.Result == nil ||
		last.Result.Status != flows.StatusComplete || last.Visible != last.Total {
		t.Fatalf("consent ended %+v, want complete after the redirect", last)
	}
	if err := <-browser.opened; err != nil {
		t.Fatalf("the demo browser: %v", err)
	}
	_ = c.Close()
	if conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		conn.Close()
		t.Fatalf("the consent listener still accepts connections after consent completed")
	}
	// The same port can be bound again at once.
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("port %s not free after consent: %v", port, err)
	}
	ln.Close()
}

// gatedBrowser opens sign-in pages at once and the admin consent page only once the
// test closes gate; the consent page's outcome arrives on opened.
type gatedBrowser struct {
	inner  *demoBrowser
	gate   chan struct{}
	opened chan error
}

func (g *gatedBrowser) Open(u string) error {
	if !strings.Contains(u, "/adminconsent") {
		return g.inner.Open(u)
	}
	<-g.gate
	err := g.inner.Open(u)
	g.opened <- err
	return err
}

func (g *gatedBrowser) OpenDeviceLogin(uri, code string) error {
	return g.inner.OpenDeviceLogin(uri, code)
}

// stillClock is the real time of day whose timers never fire: a wait ends only by
// another event (the redirect, a recheck, cancellation).
type stillClock struct{}

func (stillClock) Now() time.Time                       { return time.Now() }
func (stillClock) After(time.Duration) <-chan time.Time { return nil }
