package doctor

// The test harness: everything a doctor run talks to, on 127.0.0.1. A fake DNS
// server (the injected net.Resolver dials it whatever nameserver resolv.conf names),
// a dialer that refuses any address off the loopback interface, a private PKI (a
// "public" root standing in for DigiCert, and a "Contoso TLS Inspection CA"), fake
// Microsoft hosts, CONNECT proxies and a server that accepts and never answers.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
)

// ---- PKI ----

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// newCA is a self-signed root; org "" gives it no organization at all.
func newCA(t *testing.T, cn, org string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	if org != "" {
		tmpl.Subject.Organization = []string{org}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key}
}

// crossSign is root's certificate (its name and key) issued by ca instead of by
// itself, as an old root cross-signs a new one (DER).
func (ca *testCA) crossSign(t *testing.T, root *testCA) []byte {
	t.Helper()
	tmpl := *root.cert
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, root.cert.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// leaf issues a server certificate for names.
func (ca *testCA) leaf(t *testing.T, names ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func pool(cas ...*testCA) *x509.CertPool {
	p := x509.NewCertPool()
	for _, ca := range cas {
		p.AddCert(ca.cert)
	}
	return p
}

// ---- DNS ----

// fakeDNS answers A queries from names (fully qualified, lower case, without the
// final dot; the value is one address or several, comma-separated, answered in that
// order) and NXDOMAIN for every other name.
type fakeDNS struct {
	pc    net.PacketConn
	names map[string]string
	mu    sync.Mutex
	asked []string
}

func startDNS(t *testing.T, names map[string]string) *fakeDNS {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{pc: pc, names: names}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out := d.answer(buf[:n]); out != nil {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	t.Cleanup(func() { pc.Close(); <-done })
	return d
}

func (d *fakeDNS) answer(msg []byte) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil
	}
	q, err := p.Question()
	if err != nil {
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(q.Name.String(), "."))
	d.mu.Lock()
	d.asked = append(d.asked, name)
	d.mu.Unlock()
	ip, ok := d.names[name]
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !ok {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	_ = b.StartAnswers()
	if ok && q.Type == dnsmessage.TypeA {
		for _, ip := range strings.Split(ip, ",") {
			var a [4]byte
			copy(a[:], net.ParseIP(ip).To4())
			_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a})
		}
	}
	out, _ := b.Finish()
	return out
}

// resolver is a net.Resolver whose every query goes to d, never to the system's DNS.
func (d *fakeDNS) resolver() *net.Resolver {
	addr := d.pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", addr)
	}}
}

// ---- dialer ----

// loopbackDialer dials like net.Dialer but refuses any address off the loopback
// interface, so a test cannot send a packet off the machine by mistake.
type loopbackDialer struct{ t *testing.T }

func (l loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		l.t.Errorf("dial of %s: a test must stay on the loopback interface", addr)
		return nil, fmt.Errorf("test dialer: %s is not a loopback address", addr)
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// ---- fake Microsoft hosts ----

type fakeHostOpts struct {
	cert      tls.Certificate
	dateShift time.Duration // added to the Date header
	// disabledClient answers AADSTS7000112 to a device-code start for this client.
	disabledClient string
	// openIDError, when set, is the 400 answer (JSON) to every OpenID configuration.
	openIDError string
	// stallOpenID sends the OpenID configuration's headers (Content-Length 4096) and
	// the start of its body, then nothing more, ever: when the client goes away the
	// connection is closed without the rest (a body that ended cleanly could not be
	// told from a short document).
	stallOpenID bool
	// silentOpenID reads the OpenID configuration request and never answers it, not
	// even its headers, until the client closes the connection.
	silentOpenID bool
}

// startFakeHost serves the sign-in and Graph paths the doctor asks for, over TLS.
func startFakeHost(t *testing.T, o fakeHostOpts) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.dateShift != 0 {
			w.Header().Set("Date", time.Now().Add(o.dateShift).UTC().Format(http.TimeFormat))
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration") && o.openIDError != "":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, o.openIDError)
		case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration") && o.stallOpenID:
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"+`{"issuer":"https://login.doctor.test/`)
			_ = buf.Flush()
			_, _ = io.Copy(io.Discard, conn) // until the client closes
		case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration") && o.silentOpenID:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = io.Copy(io.Discard, conn) // until the client closes
		case strings.HasSuffix(r.URL.Path, "/v2.0/.well-known/openid-configuration"):
			fmt.Fprint(w, `{"issuer":"https://login.doctor.test/`+testTenantID+`/v2.0","cloud_instance_name":"microsoftonline.com","tenant_region_scope":"EU"}`)
		case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/devicecode"):
			_ = r.ParseForm()
			if r.PostForm.Get("client_id") == o.disabledClient {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"error":"unauthorized_client","error_description":"AADSTS7000112: Application is disabled.","error_codes":[7000112]}`)
				return
			}
			fmt.Fprint(w, `{"device_code":"secret-device-code","user_code":"ABCDEFGHJ","verification_uri":"https://login.doctor.test/devicelogin","expires_in":900,"interval":5}`)
		case r.URL.Path == "/v1.0/organization":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty."}}`)
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{o.cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

const testTenantID = "0b5e1a1e-7d3c-4c55-9a0e-6d2f1a8c4b11"

// ---- proxies ----

type proxyMode int

const (
	proxyOK        proxyMode = iota // opens the tunnel
	proxyRefuse                     // 403 to every CONNECT
	proxyAuth                       // 407 unless Basic user:secret
	proxyAuthBlank                  // 407 naming Basic, after a blank Proxy-Authenticate
)

// startProxy is an HTTP CONNECT proxy; routes maps the requested host:port to the
// loopback address that serves it (the proxy "resolves" names itself).
func startProxy(t *testing.T, mode proxyMode, routes map[string]string) (addr string, connects func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	var wg sync.WaitGroup
	conns := map[net.Conn]bool{}
	serve := func(c net.Conn) {
		defer wg.Done()
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil || req.Method != http.MethodConnect {
			return
		}
		mu.Lock()
		seen = append(seen, req.Host)
		mu.Unlock()
		switch mode {
		case proxyRefuse:
			io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
			return
		case proxyAuth:
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:secret"))
			if req.Header.Get("Proxy-Authorization") != want {
				io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n")
				return
			}
		case proxyAuthBlank:
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate:  \r\nProxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0\r\n\r\n")
			return
		}
		to, ok := routes[req.Host]
		if !ok {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		up, err := net.Dial("tcp", to)
		if err != nil {
			io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
			return
		}
		defer up.Close()
		mu.Lock()
		conns[up] = true
		mu.Unlock()
		io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
		done := make(chan struct{})
		go func() { _, _ = io.Copy(up, br); up.Close(); close(done) }()
		_, _ = io.Copy(c, up)
		c.Close()
		<-done
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// startSilent accepts connections and never answers until the test ends.
func startSilent(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// ---- config ----

type fakeBrowser struct{ err error }

func (b fakeBrowser) Plan(string) (browser.Launch, error) {
	if b.err != nil {
		return browser.Launch{}, b.err
	}
	return browser.Launch{Method: browser.LaunchPkgBrowser, Reason: "graphical display"}, nil
}

// testConfig is a run against login and graph base URLs, with the harness's
// resolver and dialer, trusting roots, and publicCA as the hosts' usual CA.
func testConfig(t *testing.T, dns *fakeDNS, login, graph string, roots *x509.CertPool, publicCA ...string) Config {
	return Config{
		Version:     "v9.9.9-test",
		Cloud:       flows.Cloud{Name: "global", AuthorityHost: login, GraphURL: graph},
		Environ:     []string{"LANG=C.UTF-8", "DISPLAY=:0", "HOME=/home/alice"},
		GOOS:        "linux",
		GOARCH:      "amd64",
		Browser:     fakeBrowser{},
		Resolver:    dns.resolver(),
		Dialer:      loopbackDialer{t},
		RootCAs:     roots,
		PublicCAs:   func(string) []string { return publicCA },
		StepTimeout: 5 * time.Second,
	}
}

// portOf is the port of a host:port.
func portOf(hp string) string {
	_, p, _ := net.SplitHostPort(hp)
	return p
}
