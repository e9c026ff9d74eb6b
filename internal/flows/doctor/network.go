package doctor

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
)

// hostResult is what probing one host found.
type hostResult struct {
	host   string
	checks []Check
	fail   bool
	// date is the server's Date header and recv this machine's time when it arrived.
	date, recv time.Time
}

func (h hostResult) failed() bool { return h.fail }

// microsoftHostSuffixes are the domains of the clouds' sign-in and Graph hosts.
var microsoftHostSuffixes = []string{
	".microsoftonline.com", ".microsoft.com", ".microsoftonline.us", ".microsoft.us",
	".microsoftonline.cn", ".chinacloudapi.cn",
}

// microsoftPublicCAs: Microsoft's sign-in and Graph certificates chain to DigiCert
// roots (through Microsoft's issuing CAs). Other hosts (--authority-host) are not judged.
func microsoftPublicCAs(host string) []string {
	h := "." + strings.ToLower(strings.TrimSuffix(host, "."))
	for _, s := range microsoftHostSuffixes {
		if strings.HasSuffix(h, s) {
			return []string{"DigiCert", "Microsoft"}
		}
	}
	return nil
}

func loginProbePath(base string) string {
	return "/organizations/v2.0/.well-known/openid-configuration"
}

// graphProbePath is a small Graph request that answers 401 without a token.
func graphProbePath(base string) string { return "/v1.0/organization" }

// stepCtx is ctx bounded by the step timeout.
func (c *Config) stepCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.StepTimeout)
}

// limit says what bounded a step that timed out: its own timeout, or the run's.
func (c *Config) limit(ctx context.Context) string {
	if ctx.Err() != nil {
		return "before the run's --timeout"
	}
	return "within " + seconds(c.StepTimeout)
}

// bindConn makes ctx's end interrupt I/O on conn (deadlines), until stop is called.
func bindConn(ctx context.Context, conn net.Conn) (stop func() bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
}

// probeHost checks one host step by step: DNS, TCP connect, proxy CONNECT, TLS, HTTP.
// A failed step ends the probe; the steps after it are not listed.
func probeHost(ctx context.Context, cfg *Config, p *progress, key, label, base, path string) hostResult {
	host, hp := hostOf(base), hostPortOf(base)
	pr := &hostProbe{ctx: ctx, cfg: cfg, p: p, res: hostResult{host: host}, idp: "network." + key + ".", host: host, hp: hp}
	u, err := url.Parse(base + path)
	if err != nil {
		pr.add(Check{ID: pr.idp + "dns", Title: "DNS " + host, Status: Fail, Evidence: err.Error(), Fix: "Check --authority-host / --graph-url."})
		return pr.res
	}
	dialHP, ok := pr.route(u)
	if !ok {
		return pr.res
	}
	dialHost, dialPort, _ := net.SplitHostPort(dialHP)
	addrs, ok := pr.resolve(dialHost)
	if !ok {
		return pr.res
	}
	conn, ok := pr.connect(addrs, dialHost, dialPort)
	if !ok {
		return pr.res
	}
	defer conn.Close()
	if pr.proxy != nil {
		if conn, ok = pr.tunnel(conn); !ok {
			return pr.res
		}
	}
	if u.Scheme != "https" {
		pr.res.httpStep(ctx, cfg, p, pr.add, pr.idp, conn, u, host, false)
		return pr.res
	}
	tconn, trusted, ok := pr.handshake(conn)
	if !ok {
		return pr.res
	}
	pr.res.httpStep(ctx, cfg, p, pr.add, pr.idp, tconn, u, host, !trusted)
	return pr.res
}

// hostProbe is one host's probe in progress: each step adds its check and says
// whether the next step can run.
type hostProbe struct {
	ctx      context.Context
	cfg      *Config
	p        *progress
	res      hostResult
	idp      string // check id prefix: "network.<key>."
	host, hp string // the host, and host:port of the endpoint
	proxy    *url.URL
	viaProxy string // " (proxy)" when the connection goes through one
}

func (pr *hostProbe) add(c Check) {
	c.Group = "network"
	if c.Status == Fail {
		pr.res.fail = true
	}
	pr.res.checks = append(pr.res.checks, c)
	pr.p.emit(c)
}

func (pr *hostProbe) start(id, title string) {
	pr.p.emit(Check{ID: pr.idp + id, Group: "network", Title: title})
}

// route is the host:port to dial for u: the endpoint, or the proxy that the
// environment names for it.
func (pr *hostProbe) route(u *url.URL) (string, bool) {
	proxy, err := pr.cfg.Proxy(u)
	if err != nil {
		pr.add(Check{ID: pr.idp + "proxy", Title: "Proxy for " + pr.host, Status: Fail, Summary: "proxy setting is not a valid URL",
			Evidence: "the proxy setting is not a URL Go can use (see Proxy above)",
			Fix:      "Set HTTPS_PROXY to the proxy's address, e.g. http://proxy.example.com:8080, or unset it."})
		return "", false
	}
	if proxy == nil {
		return pr.hp, true
	}
	switch proxy.Scheme {
	case "http", "https":
	default:
		pr.add(Check{ID: pr.idp + "proxy", Title: "Proxy for " + pr.host, Status: Warn,
			Summary:  "proxy not checked step by step",
			Evidence: "connections to " + pr.host + " go through " + redactURL(proxy) + ", which this check does not speak",
			Fix:      "Use an http:// proxy in HTTPS_PROXY if sign-in fails through this one."})
		return "", false
	}
	pr.proxy, pr.viaProxy = proxy, " (proxy)"
	if proxy.Port() != "" {
		return proxy.Host, true
	}
	port := "80"
	if proxy.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(proxy.Hostname(), port), true
}

// resolve looks dialHost up (an IP address needs no lookup).
func (pr *hostProbe) resolve(dialHost string) ([]string, bool) {
	title := "DNS " + dialHost + pr.viaProxy
	pr.start("dns", title)
	if ip := net.ParseIP(dialHost); ip != nil {
		pr.add(Check{ID: pr.idp + "dns", Title: title, Status: OK, Evidence: "an IP address: no lookup needed"})
		return []string{dialHost}, true
	}
	sctx, cancel := pr.cfg.stepCtx(pr.ctx)
	t0 := time.Now()
	addrs, err := pr.cfg.Resolver.LookupHost(sctx, dialHost)
	d := time.Since(t0)
	cancel()
	c := Check{ID: pr.idp + "dns", Title: title, Duration: d}
	if err != nil || len(addrs) == 0 {
		c.Status, c.Summary = Fail, "DNS cannot resolve "+dialHost
		c.Evidence = dialHost + ": " + dnsErrorText(err, pr.cfg.limit(pr.ctx))
		if pr.proxy != nil {
			c.Fix = "The proxy's name in HTTPS_PROXY does not resolve: check HTTPS_PROXY with the network team, or unset it if this network needs no proxy."
		} else {
			c.Fix = "This machine's DNS cannot resolve " + dialHost + ": check the network connection and DNS server, or set HTTPS_PROXY if the web goes through a proxy here."
		}
		pr.add(c)
		return nil, false
	}
	c.Status = OK
	shown := addrs
	more := ""
	if len(shown) > 3 {
		shown, more = shown[:3], fmt.Sprintf(" (+%d more)", len(addrs)-3)
	}
	c.Evidence = dialHost + " → " + strings.Join(shown, ", ") + more
	pr.add(c)
	return addrs, true
}

// connect dials the first of up to three addresses that answers.
func (pr *hostProbe) connect(addrs []string, dialHost, dialPort string) (net.Conn, bool) {
	title := "Connect " + net.JoinHostPort(dialHost, dialPort) + pr.viaProxy
	pr.start("tcp", title)
	var conn net.Conn
	var addr string
	var err error
	t0 := time.Now()
	for i, a := range addrs {
		if i == 3 {
			break
		}
		addr = net.JoinHostPort(a, dialPort)
		sctx, cancel := pr.cfg.stepCtx(pr.ctx)
		conn, err = pr.cfg.Dialer.DialContext(sctx, "tcp", addr)
		cancel()
		if err == nil {
			break
		}
	}
	c := Check{ID: pr.idp + "tcp", Title: title, Duration: time.Since(t0)}
	if err != nil {
		c.Status = Fail
		c.Summary, c.Evidence = dialErrorText(err, addr, pr.cfg.limit(pr.ctx))
		if pr.proxy != nil {
			c.Fix = "Nothing accepts connections at the proxy address in HTTPS_PROXY: check it with the network team, or unset HTTPS_PROXY if this network needs no proxy."
		} else {
			c.Fix = "Ask the network team to allow outbound HTTPS (TCP " + dialPort + ") to " + pr.host + ", or set HTTPS_PROXY if the web goes through a proxy here."
		}
		pr.add(c)
		return nil, false
	}
	c.Status, c.Evidence = OK, "connected to "+addr
	pr.add(c)
	return conn, true
}

// tunnel asks the proxy on conn for a CONNECT tunnel to the endpoint.
func (pr *hostProbe) tunnel(conn net.Conn) (net.Conn, bool) {
	host, hp, proxy := pr.host, pr.hp, pr.proxy
	title := "Proxy CONNECT " + hp
	pr.start("proxy", title)
	t0 := time.Now()
	sctx, cancel := pr.cfg.stepCtx(pr.ctx)
	pc, status, hdr, err := connectTunnel(sctx, pr.cfg, conn, proxy, hp)
	cancel()
	c := Check{ID: pr.idp + "proxy", Title: title, Duration: time.Since(t0)}
	proxyShown := redactURL(proxy)
	switch {
	case err != nil:
		c.Status, c.Summary = Fail, "proxy did not answer CONNECT"
		c.Evidence = proxyShown + ": " + ioErrorText(err, pr.cfg.limit(pr.ctx))
		c.Fix = "Ask the network team whether " + proxyShown + " is the proxy to use for HTTPS, and to allow CONNECT to " + hp + "."
	case status == http.StatusProxyAuthRequired:
		c.Status, c.Summary = Fail, "proxy wants authentication (407)"
		c.Evidence = fmt.Sprintf("%s answered 407 Proxy Authentication Required (wants %s)", proxyShown, schemesOf(hdr))
		if proxy.User != nil {
			c.Fix = "The proxy refused the user name and password in HTTPS_PROXY (Go sends them as Basic): check them, or ask the network team to let " + host + " through without proxy sign-in."
		} else {
			c.Fix = "Ask the network team to let " + host + " through the proxy without sign-in, or put Basic credentials in HTTPS_PROXY (http://user:password@proxy:port)."
		}
	case status != http.StatusOK:
		c.Status, c.Summary = Fail, fmt.Sprintf("proxy refused CONNECT (%d)", status)
		c.Evidence = fmt.Sprintf("%s refused CONNECT %s: %d %s", proxyShown, hp, status, http.StatusText(status))
		c.Fix = "Ask the network team to allow HTTPS (CONNECT) to " + hp + " through the proxy."
	default:
		c.Status = OK
		c.Evidence = proxyShown + " opened a tunnel to " + hp + " (the proxy resolves " + host + ")"
	}
	pr.add(c)
	return pc, c.Status == OK
}

// handshake runs TLS on conn and judges the chain; trusted is false when the chain
// is one Go would refuse (named, not fatal: TLS inspection).
func (pr *hostProbe) handshake(conn net.Conn) (tconn *tls.Conn, trusted, ok bool) {
	title := "TLS " + pr.host
	pr.start("tls", title)
	t0 := time.Now()
	// The chain is verified below, by hand, so that a chain Go would refuse can still
	// be named (TLS inspection); nothing is sent on the connection before that
	// verification except the probe request, which carries no credential.
	tconn = tls.Client(conn, &tls.Config{ServerName: pr.host, InsecureSkipVerify: true}) //nolint:gosec // verified by hand below
	sctx, cancel := pr.cfg.stepCtx(pr.ctx)
	err := tconn.HandshakeContext(sctx)
	cancel()
	c := Check{ID: pr.idp + "tls", Title: title, Duration: time.Since(t0)}
	if err != nil {
		c.Status = Fail
		c.Summary = "TLS handshake with " + pr.host + " failed"
		c.Evidence = "connected, but " + tlsErrorText(err, pr.cfg.limit(pr.ctx))
		c.Fix = "Something between here and " + pr.host + " (a firewall or proxy) breaks HTTPS: ask the network team to allow HTTPS to " + pr.host + " unmodified."
		pr.add(c)
		return nil, false, false
	}
	trusted = judgeChain(pr.cfg, &c, pr.host, tconn.ConnectionState())
	pr.add(c)
	return tconn, trusted, true
}

// httpStep sends the probe request on conn and records the answer and its Date.
func (res *hostResult) httpStep(ctx context.Context, cfg *Config, p *progress, add func(Check), idp string, conn net.Conn, u *url.URL, host string, untrusted bool) {
	title := "HTTPS " + host
	if u.Scheme == "http" {
		title = "HTTP " + host
	}
	if !untrusted {
		p.emit(Check{ID: idp + "http", Group: "network", Title: title})
	}
	sctx, cancel := cfg.stepCtx(ctx)
	defer cancel()
	stop := bindConn(sctx, conn)
	defer stop()
	t0 := time.Now()
	req, _ := http.NewRequestWithContext(sctx, http.MethodGet, u.String(), nil)
	req.Header.Set("User-Agent", "d365consent-doctor")
	req.Close = true
	var resp *http.Response
	err := req.Write(conn)
	if err == nil {
		resp, err = http.ReadResponse(bufio.NewReader(conn), req)
	}
	c := Check{ID: idp + "http", Title: title, Duration: time.Since(t0)}
	if err == nil {
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		if d, perr := http.ParseTime(resp.Header.Get("Date")); perr == nil {
			res.date, res.recv = d, cfg.Now()
		}
	}
	if untrusted {
		// Go would have refused the certificate: the request only served the clock check.
		return
	}
	switch {
	case err != nil:
		c.Status, c.Summary = Fail, "no HTTP answer from "+host
		c.Evidence = ioErrorText(err, cfg.limit(ctx))
		c.Fix = "Something between here and " + host + " swallows HTTPS requests: ask the network team to allow HTTPS to " + host + "."
	case resp.StatusCode == http.StatusProxyAuthRequired:
		c.Status, c.Summary = Fail, "a proxy wants authentication (407)"
		c.Evidence = fmt.Sprintf("answered 407 Proxy Authentication Required (wants %s): a transparent proxy", schemesOf(resp.Header))
		c.Fix = "Ask the network team to let " + host + " through the proxy without sign-in."
	case resp.StatusCode >= 500:
		c.Status, c.Summary = Warn, fmt.Sprintf("%s answered %d", host, resp.StatusCode)
		c.Evidence = fmt.Sprintf("answered HTTP %d %s: the service, or a device in between, has a problem", resp.StatusCode, http.StatusText(resp.StatusCode))
		c.Fix = "Try again in a few minutes; if it lasts, check Microsoft 365 service health or ask the network team."
	default:
		c.Status = OK
		c.Evidence = fmt.Sprintf("answered HTTP %d %s (any answer proves the way is open)", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	add(c)
}

// connectTunnel asks the proxy on conn for a tunnel to hp, as net/http does
// (Basic credentials from the proxy URL). An https:// proxy is spoken to over TLS.
func connectTunnel(ctx context.Context, cfg *Config, conn net.Conn, proxy *url.URL, hp string) (net.Conn, int, http.Header, error) {
	stop := bindConn(ctx, conn)
	defer stop()
	if proxy.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: proxy.Hostname(), RootCAs: cfg.RootCAs})
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, 0, nil, err
		}
		conn = tc
	}
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: hp}, Host: hp, Header: http.Header{}}
	req.Header.Set("User-Agent", "d365consent-doctor")
	if u := proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		return nil, 0, nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, 0, nil, err
	}
	_ = resp.Body.Close()
	_ = conn.SetDeadline(time.Time{})
	if br.Buffered() > 0 {
		return nil, 0, nil, errors.New("the proxy sent data before the tunnel was open")
	}
	return conn, resp.StatusCode, resp.Header, nil
}

// schemesOf lists the authentication schemes of Proxy-Authenticate.
func schemesOf(h http.Header) string {
	var s []string
	for _, v := range h.Values("Proxy-Authenticate") {
		if f := strings.Fields(v); len(f) > 0 {
			s = append(s, strings.TrimSuffix(f[0], ","))
		}
	}
	if len(s) == 0 {
		return "no scheme named"
	}
	return strings.Join(s, ", ")
}

// judgeChain fills c from the handshake: the protocol, the chain's issuer, TLS
// inspection and whether Go trusts it. It reports whether Go would accept the chain.
func judgeChain(cfg *Config, c *Check, host string, st tls.ConnectionState) bool {
	certs := st.PeerCertificates
	version := tls.VersionName(st.Version)
	if len(certs) == 0 {
		c.Status, c.Summary = Fail, "no certificate from "+host
		c.Evidence = version + ", but the server sent no certificate"
		c.Fix = "Ask the network team what answers for " + host + " here."
		return false
	}
	inter := x509.NewCertPool()
	for _, ic := range certs[1:] {
		inter.AddCert(ic)
	}
	chains, verr := certs[0].Verify(x509.VerifyOptions{
		DNSName: host, Roots: cfg.RootCAs, Intermediates: inter, CurrentTime: cfg.Now(),
	})
	// The top of the chain: the root of the first chain when it verifies (Verify then
	// returns one or more, each ending in a root), else the last certificate's issuer.
	top := certs[len(certs)-1].Issuer
	if verr == nil {
		top = chains[0][len(chains[0])-1].Subject
	}
	topName := caName(top)
	leafIssuer := caName(certs[0].Issuer)
	expected := cfg.PublicCAs(host)
	inspected := len(expected) > 0 && !nameMatches(top, expected)
	usual := strings.Join(expected, " or ")
	switch {
	case inspected && verr == nil:
		c.Status = Warn
		c.Summary = "TLS inspection by '" + top.CommonName + "' detected"
		c.Evidence = fmt.Sprintf("%s, chain ends in %s, not %s: TLS inspection (this machine trusts it)", version, topName, usual)
		c.Fix = "Works while this machine trusts that CA; if sign-in still fails, ask the network team to exempt " + host + " from TLS inspection."
	case inspected:
		c.Status = Fail
		c.Summary = "TLS inspection by '" + top.CommonName + "' detected"
		c.Evidence = fmt.Sprintf("%s, certificate for %s issued by %s, not %s: TLS inspection, by a CA this machine does not trust", version, host, topName, usual)
		c.Fix = "Ask the network team to exempt " + host + " from TLS inspection, or for the '" + top.CommonName + "' root certificate to add to this machine's trust store."
	case verr == nil:
		c.Status = OK
		if leafIssuer == topName {
			c.Evidence = fmt.Sprintf("%s, certificate issued by %s", version, topName)
		} else {
			c.Evidence = fmt.Sprintf("%s, certificate issued by %s, chain ends in %s", version, leafIssuer, topName)
		}
		return true
	default:
		c.Status = Fail
		var hn x509.HostnameError
		var ci x509.CertificateInvalidError
		var ua x509.UnknownAuthorityError
		switch {
		case errors.As(verr, &ci) && ci.Reason == x509.Expired:
			c.Summary = "certificate not valid at this machine's time"
			c.Evidence = fmt.Sprintf("%s, certificate issued by %s is not valid at this machine's time (%s)", version, leafIssuer, cfg.Now().UTC().Format(time.RFC3339))
			c.Fix = "Set this machine's clock right (turn on automatic time / NTP); a wrong clock makes valid certificates look expired."
		case errors.As(verr, &hn):
			c.Summary = "certificate is for another name than " + host
			c.Evidence = fmt.Sprintf("%s, certificate issued by %s is not for %s", version, leafIssuer, host)
			c.Fix = "Something between here and " + host + " answers in its place (a proxy or captive portal): ask the network team."
		case errors.As(verr, &ua):
			c.Summary = "this machine does not trust " + topName
			c.Evidence = fmt.Sprintf("%s, chain ends in %s, which this machine does not trust", version, topName)
			c.Fix = "Update the system's CA certificates (e.g. the ca-certificates package); if SSL_CERT_FILE is set, it must hold that root too."
		default:
			c.Summary = "certificate refused"
			c.Evidence = version + ", " + verr.Error()
			c.Fix = "Ask the network team what answers for " + host + " here."
		}
	}
	return verr == nil
}

// caName is "'CN' (O)" for a CA's name.
func caName(n pkix.Name) string {
	s := "'" + n.CommonName + "'"
	if len(n.Organization) > 0 && n.Organization[0] != n.CommonName {
		s += " (" + n.Organization[0] + ")"
	}
	return s
}

func nameMatches(n pkix.Name, want []string) bool {
	hay := strings.ToLower(n.CommonName + " " + strings.Join(n.Organization, " "))
	for _, w := range want {
		if w != "" && strings.Contains(hay, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func seconds(d time.Duration) string {
	if d < time.Second {
		return d.String()
	}
	return fmt.Sprintf("%gs", math.Round(d.Seconds()*10)/10)
}

func dnsErrorText(err error, limit string) string {
	var de *net.DNSError
	switch {
	case err == nil:
		return "no address"
	case errors.As(err, &de) && de.IsNotFound:
		return "no such host"
	case isTimeout(err):
		return "no answer from the DNS server " + limit
	case errors.As(err, &de):
		return "lookup failed: " + de.Err
	}
	return err.Error()
}

// dialErrorText is a summary and evidence for a failed connect.
func dialErrorText(err error, addr string, limit string) (string, string) {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), strings.Contains(err.Error(), "actively refused"): // the latter: Windows' WSAECONNREFUSED
		return "connection refused by " + addr, "connection refused by " + addr
	case isTimeout(err):
		return "no answer from " + addr, "no answer from " + addr + " " + limit + " (dropped by a firewall?)"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to " + addr, "no route to " + addr + " from this machine"
	}
	return "cannot connect to " + addr, err.Error()
}

func ioErrorText(err error, limit string) string {
	switch {
	case isTimeout(err):
		return "no answer " + limit + " (the connection was accepted, then silence)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed without an answer"
	}
	return err.Error()
}

func tlsErrorText(err error, limit string) string {
	var ae tls.AlertError
	switch {
	case isTimeout(err):
		return "no TLS answer " + limit + " (the connection was accepted, then silence)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed during the TLS handshake"
	case errors.As(err, &ae):
		return "the server refused the TLS handshake: " + err.Error()
	}
	return "the TLS handshake failed: " + err.Error()
}
