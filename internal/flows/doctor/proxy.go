package doctor

// The proxy rules of net/http's ProxyFromEnvironment, for an environment passed in
// rather than the process's. Adapted from golang.org/x/net/http/httpproxy
// (Copyright 2017 The Go Authors; BSD-style licence, as Go's), which net/http
// itself vendors. Not that package itself: it links golang.org/x/net/idna and
// golang.org/x/text's Unicode tables, about 200 KB of the binary and their
// initialisation at every start of every command (issue 13), for one case the
// doctor does not meet: internationalised host names. Here a host name with
// non-ASCII characters is compared as written (lower-cased), where net/http
// converts it to punycode first. TestProxyMatchesHTTPProxy compares the two on
// every other input.

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// proxySettings are the proxy variables of an environment: HTTPS_PROXY,
// HTTP_PROXY, NO_PROXY, and whether REQUEST_METHOD (CGI) is set.
type proxySettings struct {
	HTTPProxy  string
	HTTPSProxy string
	NoProxy    string
	CGI        bool
}

// proxyRules are proxySettings parsed.
type proxyRules struct {
	proxySettings
	httpsProxy, httpProxy *url.URL
	ipMatchers            []proxyMatcher
	domainMatchers        []proxyMatcher
}

// ProxyFunc returns the function that picks the proxy for a request URL: nil for a
// direct connection.
func (s proxySettings) ProxyFunc() func(*url.URL) (*url.URL, error) {
	r := &proxyRules{proxySettings: s}
	r.init()
	return r.proxyForURL
}

func (r *proxyRules) proxyForURL(reqURL *url.URL) (*url.URL, error) {
	var proxy *url.URL
	if reqURL.Scheme == "https" {
		proxy = r.httpsProxy
	} else if reqURL.Scheme == "http" {
		proxy = r.httpProxy
		if proxy != nil && r.CGI {
			return nil, errors.New("refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy")
		}
	}
	if proxy == nil {
		return nil, nil
	}
	if !r.useProxy(canonicalAddr(reqURL)) {
		return nil, nil
	}
	return proxy, nil
}

func parseProxy(proxy string) (*url.URL, error) {
	if proxy == "" {
		return nil, nil
	}
	proxyURL, err := url.Parse(proxy)
	if err != nil || proxyURL.Scheme == "" || proxyURL.Host == "" {
		// proxy was bogus. Try prepending "http://" to it and see if that
		// parses correctly. If not, we fall through and complain about the
		// original one.
		if proxyURL, err := url.Parse("http://" + proxy); err == nil {
			return proxyURL, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("invalid proxy address %q: %v", proxy, err)
	}
	return proxyURL, nil
}

// useProxy reports whether requests to addr (host:port) should use a proxy: not
// for localhost, loopback addresses, or what NO_PROXY lists.
func (r *proxyRules) useProxy(addr string) bool {
	if len(addr) == 0 {
		return true
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return false
	}
	nip, err := netip.ParseAddr(host)
	var ip net.IP
	if err == nil {
		ip = net.IP(nip.AsSlice())
		if ip.IsLoopback() {
			return false
		}
	}
	addr = strings.ToLower(strings.TrimSpace(host))
	if ip != nil {
		for _, m := range r.ipMatchers {
			if m.match(addr, port, ip) {
				return false
			}
		}
	}
	for _, m := range r.domainMatchers {
		if m.match(addr, port, ip) {
			return false
		}
	}
	return true
}

func (r *proxyRules) init() {
	if parsed, err := parseProxy(r.HTTPProxy); err == nil {
		r.httpProxy = parsed
	}
	if parsed, err := parseProxy(r.HTTPSProxy); err == nil {
		r.httpsProxy = parsed
	}
	for _, p := range strings.Split(r.NoProxy, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if len(p) == 0 {
			continue
		}
		if p == "*" {
			r.ipMatchers = []proxyMatcher{allMatch{}}
			r.domainMatchers = []proxyMatcher{allMatch{}}
			return
		}
		// IPv4/CIDR, IPv6/CIDR
		if _, pnet, err := net.ParseCIDR(p); err == nil {
			r.ipMatchers = append(r.ipMatchers, cidrMatch{cidr: pnet})
			continue
		}
		// IPv4:port, [IPv6]:port
		phost, pport, err := net.SplitHostPort(p)
		if err == nil {
			if len(phost) == 0 {
				// There is no host part, likely the entry is malformed; ignore.
				continue
			}
			// (x/net/http/httpproxy strips brackets from phost here; SplitHostPort
			// has already removed them and refuses a host holding '[', so that code
			// never runs and is left out.)
		} else {
			phost = p
		}
		// IPv4, IPv6
		if pip := net.ParseIP(phost); pip != nil {
			r.ipMatchers = append(r.ipMatchers, ipMatch{ip: pip, port: pport})
			continue
		}
		if len(phost) == 0 {
			// There is no host part, likely the entry is malformed; ignore.
			continue
		}
		// domain.com or domain.com:80
		// foo.com matches bar.foo.com
		// .domain.com or .domain.com:port
		// *.domain.com or *.domain.com:port
		if strings.HasPrefix(phost, "*.") {
			phost = phost[1:]
		}
		matchHost := false
		if phost[0] != '.' {
			matchHost = true
			phost = "." + phost
		}
		r.domainMatchers = append(r.domainMatchers, domainMatch{host: phost, port: pport, matchHost: matchHost})
	}
}

var portMap = map[string]string{
	"http":   "80",
	"https":  "443",
	"socks5": "1080",
}

// canonicalAddr returns url.Host with the scheme's default port when it has none.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = portMap[u.Scheme]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

type proxyMatcher interface {
	// match reports whether the host, port or IP address matches.
	match(host, port string, ip net.IP) bool
}

// allMatch matches on all possible inputs.
type allMatch struct{}

func (allMatch) match(host, port string, ip net.IP) bool { return true }

type cidrMatch struct{ cidr *net.IPNet }

func (m cidrMatch) match(host, port string, ip net.IP) bool { return m.cidr.Contains(ip) }

type ipMatch struct {
	ip   net.IP
	port string
}

func (m ipMatch) match(host, port string, ip net.IP) bool {
	if m.ip.Equal(ip) {
		return m.port == "" || m.port == port
	}
	return false
}

type domainMatch struct {
	host string
	port string
	// matchHost: the entry had no leading dot, so the host itself matches too.
	matchHost bool
}

func (m domainMatch) match(host, port string, ip net.IP) bool {
	if ip != nil {
		return false
	}
	if strings.HasSuffix(host, m.host) || (m.matchHost && host == m.host[1:]) {
		return m.port == "" || m.port == port
	}
	return false
}
