package doctor

import (
	"context"
	"crypto/x509"
	"math"
	"net"
	"net/url"
	"os"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/internal/testkit"
)

type stubResolver struct{}

func (stubResolver) LookupHost(context.Context, string) ([]string, error) { return nil, nil }

type stubDialer struct{}

func (stubDialer) DialContext(context.Context, string, string) (net.Conn, error) { return nil, nil }

type stubPlanner struct{}

func (stubPlanner) Plan(string) (browser.Launch, error) { return browser.Launch{}, nil }

func funcPtr(f any) uintptr { return reflect.ValueOf(f).Pointer() }

// An empty Config gets every default; a Config that sets a field keeps it.
func TestConfigDefaults(t *testing.T) {
	var empty Config
	empty.Environ = []string{"HTTPS_PROXY=http://proxy.example:8080"}
	empty.defaults()
	sb, ok := empty.Browser.(*browser.System)
	if empty.GOOS != runtime.GOOS || empty.GOARCH != runtime.GOARCH || empty.Resolver != net.DefaultResolver ||
		!ok || sb.GOOS != runtime.GOOS || !reflect.DeepEqual(sb.Environ, empty.Environ) ||
		empty.StepTimeout != 10*time.Second || empty.SignInClientID != signin.ClientID ||
		funcPtr(empty.ReadFile) != funcPtr(os.ReadFile) || funcPtr(empty.ReadDir) != funcPtr(os.ReadDir) ||
		funcPtr(empty.PublicCAs) != funcPtr(microsoftPublicCAs) || empty.Now == nil {
		t.Fatalf("defaults: %+v", empty)
	}
	if d, ok := empty.Dialer.(*net.Dialer); !ok || !reflect.DeepEqual(*d, net.Dialer{}) {
		t.Fatalf("default dialer %#v", empty.Dialer)
	}
	if p, err := empty.Proxy(&url.URL{Scheme: "https", Host: "login.microsoftonline.com"}); err != nil || p == nil || p.Host != "proxy.example:8080" {
		t.Fatalf("default proxy from Environ: %v, %v", p, err)
	}

	now := func() time.Time { return time.Unix(1, 0) }
	readFile := func(string) ([]byte, error) { return nil, nil }
	readDir := func(string) ([]os.DirEntry, error) { return nil, nil }
	proxy := func(*url.URL) (*url.URL, error) { return nil, nil }
	cas := func(string) []string { return nil }
	set := Config{GOOS: "windows", GOARCH: "arm64", Resolver: stubResolver{}, Dialer: stubDialer{}, Now: now,
		ReadFile: readFile, ReadDir: readDir, StepTimeout: 3 * time.Second, Proxy: proxy, PublicCAs: cas,
		Browser: stubPlanner{}, SignInClientID: "11111111-2222-3333-4444-555555555555", RootCAs: x509.NewCertPool()}
	set.defaults()
	if set.GOOS != "windows" || set.GOARCH != "arm64" || set.Resolver != (stubResolver{}) || set.Dialer != (stubDialer{}) ||
		funcPtr(set.Now) != funcPtr(now) || funcPtr(set.ReadFile) != funcPtr(readFile) || funcPtr(set.ReadDir) != funcPtr(readDir) ||
		set.StepTimeout != 3*time.Second || funcPtr(set.Proxy) != funcPtr(proxy) || funcPtr(set.PublicCAs) != funcPtr(cas) ||
		set.Browser != (stubPlanner{}) || set.SignInClientID != "11111111-2222-3333-4444-555555555555" {
		t.Fatalf("a set field was replaced: %+v", set)
	}
	// A negative step timeout is no timeout at all: the default.
	neg := Config{StepTimeout: -time.Second}
	neg.defaults()
	if neg.StepTimeout != 10*time.Second {
		t.Fatalf("negative step timeout became %s", neg.StepTimeout)
	}
}

// Latency is reported for network steps and timed checks only: an untimed machine
// check has none.
func TestLatencyOnlyWhereTimed(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r := Run(context.Background(), Config{Only: []string{"machine"}, GOOS: "linux", Now: func() time.Time { return fixed },
		Environ: []string{"DISPLAY=:0"}, Browser: stubPlanner{}})
	if len(r.Checks) == 0 {
		t.Fatal("no machine checks")
	}
	for _, c := range r.Checks {
		if (c.Duration > 0) != (c.LatencyMS != nil) {
			t.Errorf("%s: duration %s, latency %v", c.ID, c.Duration, c.LatencyMS)
		}
	}
}

// Every network step reports its latency, an untimed one (an IP address needs no DNS
// lookup) as 0: the duration in milliseconds, cut to a tenth.
func TestNetworkLatencyIsTheDurationInMilliseconds(t *testing.T) {
	base := "https://" + testkit.ClosedPort(t)
	r := Run(context.Background(), Config{Only: []string{"network"}, Browser: stubPlanner{},
		Cloud: flows.Cloud{Name: "test", AuthorityHost: base, GraphURL: base, GraphResource: "https://graph.microsoft.com"}})
	n := 0
	for _, c := range r.Checks {
		if c.Group != "network" {
			continue
		}
		n++
		want := math.Floor(float64(c.Duration)/float64(100*time.Microsecond)) / 10
		if c.LatencyMS == nil || *c.LatencyMS != want {
			t.Errorf("%s: duration %s, latency %v, want %v ms", c.ID, c.Duration, c.LatencyMS, want)
		}
	}
	if n < 2 {
		t.Fatalf("%d network checks: %+v", n, r.Checks)
	}
}
