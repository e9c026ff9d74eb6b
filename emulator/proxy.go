package emulator

// The Microsoft-named mode (Options.Proxy): an HTTPS forward proxy on 127.0.0.1 that
// answers for the imitated cloud's sign-in host (login.microsoftonline.com), its
// Microsoft Graph host (graph.microsoft.com) and, in the global cloud, the Azure
// Resource Manager host (management.azure.com) with the demo tenant, so a client that
// cannot be given another authority (Azure CLI, CLI for Microsoft 365, MSAL Python
// with its defaults) reaches the demo tenant unmodified with HTTPS_PROXY set and the
// emulator's CA trusted. Every other host is refused: the proxy never opens a tunnel
// to the internet.
//
// A client asks for a tunnel with CONNECT (RFC 9110, section 9.3.6: "The CONNECT
// method requests that the recipient establish a tunnel to the destination origin
// server identified by the request target"; the target is authority-form,
// host:port, RFC 9112 section 3.2.3). The proxy accepts by answering 200 and then,
// instead of relaying bytes, terminates TLS itself with a leaf certificate for the
// requested name, signed by the emulator's CA (crypto.go), and serves the requests
// inside the tunnel. A refusal is a final non-2xx answer to the CONNECT (RFC 9110
// section 9.3.6: "Any response other than a successful response indicates that the
// tunnel has not yet been formed"): 403 for a host the demo tenant does not imitate,
// 502 for another Microsoft cloud's host (with the --cloud that imitates it), each
// with the reason in the body.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/d365consent/d365consent/internal/clouds"
)

// ARMHost is the Azure Resource Manager host the proxy answers for in the global cloud
// (Microsoft Learn: rest/api/resources/tenants/list, "GET
// https://management.azure.com/tenants?api-version=2022-12-01").
const ARMHost = "management.azure.com"

// proxyRole is what a proxied host is in the demo tenant.
type proxyRole int

const (
	roleLogin proxyRole = iota + 1
	roleGraph
	roleARM
)

// proxy is the forward proxy of the Microsoft-named mode.
type proxy struct {
	s     *Server
	ln    net.Listener
	srv   *http.Server // answers CONNECT (and refuses everything else)
	inner *http.Server // serves the requests inside the tunnels
	conns *connQueue   // the tunnels' TLS connections, handed to inner
	hosts map[string]proxyRole
	wg    sync.WaitGroup
	// ctx ends when the proxy closes: it bounds the TLS handshakes in the tunnels.
	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex
	leafs map[string]*tls.Certificate // by host name
}

// proxyHosts are the names the demo tenant answers for through the proxy in cloud c.
func proxyHosts(c clouds.Cloud) map[string]proxyRole {
	hosts := map[string]proxyRole{
		hostOf(c.LoginURL): roleLogin,
		hostOf(c.GraphURL): roleGraph,
	}
	if c.Name == "global" {
		hosts[ARMHost] = roleARM
	}
	return hosts
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return strings.ToLower(p.Hostname())
}

// startProxy listens on addr (loopback only) and serves CONNECT there.
func (s *Server) startProxy(addr string) (*proxy, error) {
	ln, err := listenLoopback(addr)
	if err != nil {
		return nil, err
	}
	p := &proxy{s: s, ln: ln, hosts: proxyHosts(s.cloud), leafs: map[string]*tls.Certificate{}, conns: newConnQueue()}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.srv = &http.Server{
		Handler:           http.HandlerFunc(p.serveProxy),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          quietLog(),
	}
	p.inner = &http.Server{
		Handler:           http.HandlerFunc(p.serveTunnel),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          quietLog(),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, tunnelHostKey{}, p.conns.hostOf(c))
		},
	}
	p.wg.Add(2)
	go func() { defer p.wg.Done(); _ = p.srv.Serve(ln) }()
	go func() { defer p.wg.Done(); _ = p.inner.Serve(p.conns) }()
	return p, nil
}

// URL is the proxy's address as HTTPS_PROXY takes it.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) close(ctx context.Context) error {
	p.cancel()
	err := errors.Join(shutdown(ctx, p.srv), shutdown(ctx, p.inner))
	p.conns.Close()
	p.wg.Wait()
	return err
}

// serveProxy answers what a client sends the proxy itself: CONNECT for an answered
// host opens a tunnel into the demo tenant; anything else is refused.
func (p *proxy) serveProxy(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		// An absolute-form request (RFC 9112 section 3.2.2) asks the proxy to
		// forward plain HTTP; the demo tenant is HTTPS only, and it forwards nothing.
		refuse(w, http.StatusForbidden, "this proxy only opens HTTPS tunnels (CONNECT) to the demo tenant's hosts ("+p.hostList()+")")
		return
	}
	host, port, err := net.SplitHostPort(r.Host)
	if err != nil || port != "443" {
		refuse(w, http.StatusForbidden, fmt.Sprintf("CONNECT %s: the demo tenant answers on port 443 of %s only", r.Host, p.hostList()))
		return
	}
	host = strings.ToLower(host)
	if _, ok := p.hosts[host]; !ok {
		if c, ok := cloudOfHost(host); ok {
			refuse(w, http.StatusBadGateway, fmt.Sprintf("CONNECT %s: this demo tenant imitates %s (--cloud %s); %s belongs to %s (run the emulator with --cloud %s)",
				r.Host, p.s.cloud.Title, p.s.cloud.Name, host, c.Title, c.Name))
			return
		}
		refuse(w, http.StatusForbidden, fmt.Sprintf("CONNECT %s: the demo tenant's proxy answers only for %s and opens no tunnel to the internet", r.Host, p.hostList()))
		return
	}
	leaf, err := p.leaf(host)
	if err != nil {
		refuse(w, http.StatusInternalServerError, err.Error())
		return
	}
	rc := http.NewResponseController(w)
	conn, buf, err := rc.Hijack()
	if err != nil {
		refuse(w, http.StatusInternalServerError, "the tunnel could not be opened")
		return
	}
	// RFC 9110 section 9.3.6: "A server MUST NOT send any Transfer-Encoding or
	// Content-Length header fields in a 2xx (Successful) response to CONNECT."
	if _, err := buf.WriteString("HTTP/1.1 200 Connection established\r\n\r\n"); err != nil || buf.Flush() != nil {
		conn.Close()
		return
	}
	tc := tls.Server(&bufferedConn{Conn: conn, r: buf.Reader}, &tls.Config{
		Certificates: []tls.Certificate{*leaf},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	})
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		tc.Close()
		return
	}
	// A client names the host it expects in SNI; it must be the one it asked the
	// tunnel for (no SNI: the certificate names that host anyway).
	if sni := strings.ToLower(tc.ConnectionState().ServerName); sni != "" && sni != host {
		tc.Close()
		return
	}
	p.conns.push(tc, host)
}

// hostList names the answered hosts, sorted, for refusals.
func (p *proxy) hostList() string {
	names := make([]string, 0, len(p.hosts))
	for h := range p.hosts {
		names = append(names, h)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// cloudOfHost finds the Microsoft cloud whose sign-in or Graph host is host.
func cloudOfHost(host string) (clouds.Cloud, bool) {
	for _, c := range clouds.All() {
		if hostOf(c.LoginURL) == host || hostOf(c.GraphURL) == host {
			return c, true
		}
	}
	return clouds.Cloud{}, false
}

func refuse(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Connection", "close")
	w.WriteHeader(status)
	_, _ = fmt.Fprintln(w, reason)
}

type tunnelHostKey struct{}

// serveTunnel serves one request inside a tunnel: the host it was opened to decides
// which part of the demo tenant answers. A Host header naming another host than the
// tunnel's is refused, as the loopback listeners refuse a foreign Host (hostGuard).
func (p *proxy) serveTunnel(w http.ResponseWriter, r *http.Request) {
	host, _ := r.Context().Value(tunnelHostKey{}).(string)
	reqHost := strings.ToLower(r.Host)
	if h, port, err := net.SplitHostPort(reqHost); err == nil && port == "443" {
		reqHost = h
	}
	if host == "" || reqHost != host {
		http.Error(w, "421 misdirected request: the Host header does not name the tunnel's host", http.StatusMisdirectedRequest)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	inGraph := r.URL.Path == "/v1.0" || strings.HasPrefix(r.URL.Path, "/v1.0/")
	switch p.hosts[host] {
	case roleLogin:
		if inGraph { // Graph lives on its own host
			p.s.writeOAuthError(w, &oauthError{Status: http.StatusNotFound, Code: "invalid_request", AADSTS: 90002,
				Message: "The endpoint " + r.URL.Path + " does not exist in the demo tenant."})
			return
		}
		p.s.serveHTTPS(w, r)
	case roleGraph:
		if !inGraph {
			// Graph's answer to a version it does not have (graph/versioning-and-support).
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
				"code": "BadRequest", "message": "Invalid version: the demo tenant serves Microsoft Graph v1.0 only (" + r.URL.Path + ")"}})
			return
		}
		p.s.serveHTTPS(w, r)
	case roleARM:
		p.s.serveARM(w, r)
	}
}

// leaf is the certificate the proxy presents for host, signed by the emulator's CA
// and made once per host.
func (p *proxy) leaf(host string) (*tls.Certificate, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.leafs[host]; c != nil {
		return c, nil
	}
	ca := p.s.cert.Leaf
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("emulator: certificate key for %s: %w", host, err)
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: host, Organization: []string{"d365consent emulator"}},
		NotBefore:    ca.NotBefore,
		NotAfter:     ca.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{host},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, p.s.cert.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("emulator: certificate for %s: %w", host, err)
	}
	parsed, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key, Leaf: parsed}
	p.leafs[host] = c
	return c, nil
}

// bufferedConn reads first what the CONNECT request's reader already buffered (a
// client may send its TLS ClientHello right behind the CONNECT).
type bufferedConn struct {
	net.Conn
	r interface{ Read([]byte) (int, error) }
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// connQueue is a net.Listener whose connections are the tunnels the proxy opened;
// it remembers the host each was opened to.
type connQueue struct {
	ch     chan net.Conn
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	byConn map[net.Conn]string
}

func newConnQueue() *connQueue {
	return &connQueue{ch: make(chan net.Conn), done: make(chan struct{}), byConn: map[net.Conn]string{}}
}

func (q *connQueue) push(c net.Conn, host string) {
	q.mu.Lock()
	q.byConn[c] = host
	q.mu.Unlock()
	select {
	case q.ch <- c:
	case <-q.done:
		q.hostOf(c)
		c.Close()
	}
}

// hostOf returns the host c was opened to, and forgets c.
func (q *connQueue) hostOf(c net.Conn) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	h := q.byConn[c]
	delete(q.byConn, c)
	return h
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.ch:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
