package doctor

import (
	"fmt"
	"net/url"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/http/httpproxy"
)

// same compares proxy.go with golang.org/x/net/http/httpproxy (what net/http
// vendors) for one environment and request URL.
func same(t *testing.T, s proxySettings, rawURL string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		return
	}
	want, wantErr := (&httpproxy.Config{HTTPProxy: s.HTTPProxy, HTTPSProxy: s.HTTPSProxy, NoProxy: s.NoProxy, CGI: s.CGI}).ProxyFunc()(u)
	got, gotErr := s.ProxyFunc()(u)
	if fmt.Sprint(got) != fmt.Sprint(want) || (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%+v %q: proxy %v (err %v), net/http's rules give %v (err %v)", s, rawURL, got, gotErr, want, wantErr)
	}
}

func TestProxyMatchesHTTPProxy(t *testing.T) {
	proxies := []string{"", "http://proxy.example:8080", "proxy.example:3128", "https://u:p@p.example", "::bad", "socks5://s.example"}
	noProxies := []string{"", "*", "example.com", ".example.com", "*.example.com", "example.com:443", "login.microsoftonline.com,graph.microsoft.com",
		"10.0.0.0/8", "127.0.0.1", "192.168.1.1:8443", "[::1]:443", "2001:db8::/32", " Example.COM , , foo ", ":80", "[]:1", "microsoftonline.com:80"}
	urls := []string{"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0", "http://login.microsoftonline.com/",
		"https://a.example.com:8443/x", "https://example.com/", "http://example.com:443/", "https://10.1.2.3/", "https://127.0.0.1:8443/",
		"https://localhost/", "https://[::1]:443/", "https://[2001:db8::1]/", "https://192.168.1.1:8443/", "ftp://example.com/", "https:///nohost"}
	for _, hp := range proxies {
		for _, np := range noProxies {
			for _, u := range urls {
				for _, cgi := range []bool{false, true} {
					same(t, proxySettings{HTTPProxy: hp, HTTPSProxy: hp, NoProxy: np, CGI: cgi}, u)
				}
			}
		}
	}
}

// FuzzProxy: for ASCII host names (proxy.go does not convert internationalised
// names to punycode), the rules give what net/http's give.
func FuzzProxy(f *testing.F) {
	f.Add("http://proxy:8080", "example.com,10.0.0.0/8", "https://a.example.com/", false)
	f.Add("p:1", "*.b.c:443", "http://x.b.c:443/", true)
	f.Fuzz(func(t *testing.T, proxy, noProxy, rawURL string, cgi bool) {
		u, err := url.Parse(rawURL)
		if err != nil {
			return
		}
		if h := u.Hostname(); !isASCII(h) || !utf8.ValidString(noProxy) || !isASCII(noProxy) {
			return
		}
		same(t, proxySettings{HTTPProxy: proxy, HTTPSProxy: proxy, NoProxy: noProxy, CGI: cgi}, rawURL)
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
