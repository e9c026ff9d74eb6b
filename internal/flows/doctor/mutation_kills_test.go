package doctor

import (
	"crypto/x509"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// Mutants gremlins found alive (BENCHMARKS.md "Mutation testing"), each killed by an
// exact outcome here.

// An expired certificate is a clock problem; any other invalid certificate is TLS.
func TestClassifyCertificateReasons(t *testing.T) {
	if got := Classify(x509.CertificateInvalidError{Reason: x509.Expired}); got != Clock {
		t.Errorf("expired certificate: %v, want Clock", got)
	}
	if got := Classify(x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}); got != TLS {
		t.Errorf("certificate not authorized to sign: %v, want TLS", got)
	}
}

// The verdict is the first failing check's summary, or its title and evidence when it
// has none; else a TLS or clock warning; other warnings are no verdict.
func TestVerdictOfPicks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		checks  []Check
		verdict string
		found   bool
	}{
		{"failure without summary", []Check{{ID: "network.login.tcp", Status: Fail, Title: "Connect login:443", Evidence: "refused", Fix: "f"}},
			"Connect login:443: refused", true},
		{"failure with summary", []Check{{ID: "network.login.tcp", Status: Fail, Title: "T", Summary: "cannot connect", Evidence: "e"}},
			"cannot connect", true},
		{"TLS warning", []Check{{ID: "machine.proxy", Status: Warn, Summary: "proxy"}, {ID: "network.login.tls", Status: Warn, Summary: "inspected"}},
			"inspected", true},
		{"clock warning", []Check{{ID: "clock.skew", Status: Warn, Summary: "two minutes off"}},
			"two minutes off", true},
		{"other warnings only", []Check{{ID: "machine.proxy", Status: Warn, Summary: "proxy"}, {ID: "network.login.http", Status: Warn, Summary: "slow"}},
			"no network, TLS or clock problem found now (DNS, connect, TLS, HTTP and clock all pass)", false},
	} {
		d := verdictOf(&Report{Checks: tc.checks}, Network)
		if d.Verdict != tc.verdict || d.Found != tc.found {
			t.Errorf("%s: verdict %q found %v, want %q %v", tc.name, d.Verdict, d.Found, tc.verdict, tc.found)
		}
	}
}

// host:port of a base URL: its port, else 80 for http and 443 otherwise.
func TestHostPortOf(t *testing.T) {
	for in, want := range map[string]string{
		"https://login.microsoftonline.com":   "login.microsoftonline.com:443",
		"http://localhost":                    "localhost:80",
		"https://127.0.0.1:8443":              "127.0.0.1:8443",
		"http://[::1]":                        "[::1]:80",
		"https://graph.microsoft.us/v1.0?x=1": "graph.microsoft.us:443",
		"::not a url":                         "::not a url",
	} {
		if got := hostPortOf(in); got != want {
			t.Errorf("hostPortOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// A failing clock check comes first when the error was about time, and only then.
func TestVerdictOfClockFirstForClockErrors(t *testing.T) {
	tcp := Check{ID: "network.login.tcp", Status: Fail, Summary: "cannot connect"}
	for _, tc := range []struct {
		name  string
		class Class
		clock Status
		want  string
	}{
		{"clock error, clock fails", Clock, Fail, "clock off"},
		{"clock error, clock fine", Clock, OK, "cannot connect"},
		{"network error, clock fails", Network, Fail, "cannot connect"},
	} {
		r := &Report{Checks: []Check{tcp, {ID: "clock.skew", Status: tc.clock, Summary: "clock off"}}}
		if d := verdictOf(r, tc.class); d.Verdict != tc.want {
			t.Errorf("%s: verdict %q, want %q", tc.name, d.Verdict, tc.want)
		}
	}
	// No clock check at all (a run without the clock group).
	if d := verdictOf(&Report{Checks: []Check{tcp}}, Clock); d.Verdict != "cannot connect" {
		t.Errorf("no clock check: %q", d.Verdict)
	}
}

// The text report shows a timed step's latency after its title, an untimed one's
// none, and none at all with NoLatency.
func TestWriteTextLatency(t *testing.T) {
	r := &Report{Cloud: "global", AuthorityHost: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com",
		Checks: []Check{
			{ID: "network.login.dns", Group: "network", Status: OK, Title: "DNS login", Evidence: "ip", Duration: 12 * time.Millisecond},
			{ID: "network.login.tcp", Group: "network", Status: OK, Title: "Connect login", Evidence: "ok"},
		}}
	for _, tc := range []struct {
		noLatency bool
		dns       string
	}{{false, "  ok DNS login  (12 ms)\n"}, {true, "  ok DNS login\n"}} {
		var b strings.Builder
		if err := WriteText(&b, r, TextOptions{NoLatency: tc.noLatency}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, tc.dns) || !strings.Contains(out, "  ok Connect login\n") {
			t.Errorf("NoLatency %v:\n%s", tc.noLatency, out)
		}
	}
}

// The Markdown report names the tenant (and its id when known), groups the checks,
// and gives a fix only for a check that is not OK.
func TestWriteMarkdownExact(t *testing.T) {
	r := &Report{Version: "1.2.3", Cloud: "global", AuthorityHost: "https://login", GraphURL: "https://graph",
		CheckedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Checks: []Check{
			{ID: "machine.proxy", Group: "machine", Status: OK, Title: "Proxy", Evidence: "none", Fix: "unused fix"},
			{ID: "network.login.tcp", Group: "network", Status: Fail, Title: "Connect", Evidence: "refused", Fix: "open port 443", Duration: 3 * time.Millisecond},
		}}
	for _, tc := range []struct {
		tenant *Tenant
		line   string
	}{
		{nil, ""},
		{&Tenant{Query: "contoso.com"}, "- Tenant: contoso.com\n"},
		{&Tenant{Query: "contoso.com", ID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, "- Tenant: contoso.com (72f988bf-86f1-41af-91ab-2d7cd011db47)\n"},
	} {
		r.Tenant = tc.tenant
		var b strings.Builder
		if err := WriteMarkdown(&b, r); err != nil {
			t.Fatal(err)
		}
		want := "# d365consent doctor\n\n- Version: 1.2.3\n- Cloud: global (https://login, https://graph)\n" + tc.line +
			"- Checked at: 2026-01-02T03:04:05Z\n- " + ResultLine(r) + "\n" +
			"\n## Machine\n\n| | Check | Evidence | Fix | Latency |\n|---|---|---|---|---|\n" +
			"| " + Glyph(OK, termcaps.Unicode) + " | Proxy | none |  |  |\n" +
			"\n## Network\n\n| | Check | Evidence | Fix | Latency |\n|---|---|---|---|---|\n" +
			"| " + Glyph(Fail, termcaps.Unicode) + " | Connect | refused | open port 443 | 3 ms |\n"
		if got := b.String(); got != want {
			t.Errorf("tenant %+v:\n%s\nwant\n%s", tc.tenant, got, want)
		}
	}
}

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

// A terminal whose size is unknown (0) says so rather than "0x0".
func TestTerminalCheckUnknownSize(t *testing.T) {
	for _, tc := range []struct {
		width, height int
		want          string
	}{{0, 0, "size unknown"}, {1, 1, "1x1"}, {120, 40, "120x40"}} {
		cfg := Config{GOOS: "linux", Terminal: Terminal{IsTerminal: true, Width: tc.width, Height: tc.height}}
		if c := terminalCheck(&cfg); !strings.Contains(c.Evidence, tc.want) {
			t.Errorf("%dx%d: evidence %q, want %q in it", tc.width, tc.height, c.Evidence, tc.want)
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
