package doctor

import (
	"net/url"
	"testing"
)

// A NO_PROXY IP entry with a port exempts only that port; one without exempts them all.
func TestNoProxyIPPort(t *testing.T) {
	proxy := proxyFromEnviron([]string{"HTTPS_PROXY=http://proxy.example:3128", "NO_PROXY=10.0.0.1:8443,10.0.0.2"}, "linux")
	for target, direct := range map[string]bool{
		"https://10.0.0.1:8443/": true,
		"https://10.0.0.1/":      false,
		"https://10.0.0.2:9999/": true,
		"https://10.0.0.2/":      true,
		"https://10.0.0.3/":      false,
	} {
		u, _ := url.Parse(target)
		p, err := proxy(u)
		if err != nil || (p == nil) != direct {
			t.Errorf("%s: proxy %v, %v; want direct %v", target, p, err, direct)
		}
	}
}

// Under CGI (REQUEST_METHOD set) HTTP_PROXY is refused, as net/http refuses it
// (httpoxy); otherwise it is used.
func TestProxyIgnoresHTTPProxyUnderCGI(t *testing.T) {
	u, _ := url.Parse("http://example.com/")
	p, err := proxyFromEnviron([]string{"HTTP_PROXY=http://proxy.example:3128"}, "linux")(u)
	if err != nil || p == nil || p.Host != "proxy.example:3128" {
		t.Errorf("not CGI: proxy %v, %v", p, err)
	}
	p, err = proxyFromEnviron([]string{"HTTP_PROXY=http://proxy.example:3128", "REQUEST_METHOD=GET"}, "linux")(u)
	if want := "refusing to use HTTP_PROXY value in CGI environment; see golang.org/s/cgihttpproxy"; p != nil || err == nil || err.Error() != want {
		t.Errorf("CGI: proxy %v, %v; want %q", p, err, want)
	}
}

// The proxy variables are read as net/http reads them from the process environment:
// upper case before lower case, the first mention of a name, and on Windows names
// in any case; the report names the variable each value came from.
func TestProxyConfigReadsTheVariablesGoReads(t *testing.T) {
	for _, tc := range []struct {
		name            string
		environ         []string
		goos            string
		https, http, no string
		httpsKey, noKey string
		cgi             bool
	}{
		{"upper case first", []string{"https_proxy=http://lower:1", "HTTPS_PROXY=http://upper:1", "no_proxy=a"}, "linux",
			"http://upper:1", "", "a", "HTTPS_PROXY", "no_proxy", false},
		{"first mention wins", []string{"HTTPS_PROXY=http://first:1", "HTTPS_PROXY=http://second:1", "HTTP_PROXY=http://p:2"}, "linux",
			"http://first:1", "http://p:2", "", "HTTPS_PROXY", "", false},
		{"names are case-sensitive off Windows", []string{"Https_Proxy=http://mixed:1", "REQUEST_METHOD=GET"}, "linux",
			"", "", "", "", "", true},
		{"any case on Windows", []string{"Https_Proxy=http://mixed:1", "No_Proxy=b"}, "windows",
			"http://mixed:1", "", "b", "HTTPS_PROXY", "NO_PROXY", false},
	} {
		cfg, keys := proxyConfig(tc.environ, tc.goos)
		if cfg.HTTPSProxy != tc.https || cfg.HTTPProxy != tc.http || cfg.NoProxy != tc.no || cfg.CGI != tc.cgi ||
			keys["https"] != tc.httpsKey || keys["no"] != tc.noKey {
			t.Errorf("%s: %+v %v", tc.name, cfg, keys)
		}
	}
}
