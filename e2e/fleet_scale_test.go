package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
)

// fleetScale is a home tenant with n customer tenants (guest and GDAP access
// alternating, every one consented) and their list as a --tenants file.
type fleetScale struct {
	srv     *emulator.Server
	ca      string
	tenants string
	n       int
}

func newFleetScale(tb testing.TB, n int) *fleetScale {
	tb.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = srv.Close() })
	var list strings.Builder
	for i := range n {
		access := emulator.AccessGuest
		if i%2 == 1 {
			access = emulator.AccessGDAP
		}
		info, err := srv.AddCustomerTenant(emulator.CustomerTenant{Name: fmt.Sprintf("Customer %04d", i), Scenario: "consented", Access: access})
		if err != nil {
			tb.Fatal(err)
		}
		list.WriteString(info.Domain + "\n")
	}
	dir := tb.TempDir()
	f := &fleetScale{srv: srv, ca: filepath.Join(dir, "ca.pem"), tenants: filepath.Join(dir, "tenants.txt"), n: n}
	if err := os.WriteFile(f.ca, srv.CACertPEM(), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(f.tenants, []byte(list.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return f
}

// fleetRun is one `verify --tenants` process: its output, wall time and peak RSS.
type fleetRun struct {
	code      int
	stdout    string
	stderr    string
	wall      time.Duration
	peakRSSKB int64
}

var peakRSS = regexp.MustCompile(`"msg":"exit".*"peakRSSKiB":(\d+)`)

// run runs `verify --remember --tenants FILE ARGS` (signed in already: the
// remembered account) and measures it from process start to exit.
func (f *fleetScale) run(tb testing.TB, env []string, args ...string) fleetRun {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The process's own peak RSS (VmHWM), from its --debug log: rusage's maxrss of
	// a child of os/exec (vfork) starts at this benchmark's own high-water mark.
	logPath := filepath.Join(tb.TempDir(), "debug.log")
	full := append([]string{"verify", "--remember", "--debug", logPath, "--app", "ce", "--client-id", f.srv.Catalog().Apps[0].ClientID,
		"--tenants", f.tenants, "--signin-client-id", f.srv.SignInClientID(), "--authority-host", f.srv.AuthorityHost(),
		"--graph-url", f.srv.GraphURL(), "--device-code", "--no-browser", "--timeout", "2m"}, args...)
	cmd := exec.CommandContext(ctx, bin, full...)
	cmd.Env = append(env, "NO_COLOR=1", "TERM=dumb", "SSL_CERT_FILE="+f.ca)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	_ = cmd.Run()
	r := fleetRun{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String(), wall: time.Since(start)}
	log, err := os.ReadFile(logPath)
	m := peakRSS.FindSubmatch(log)
	if err != nil || m == nil {
		tb.Fatalf("no peak RSS in the debug log: %v", err)
	}
	r.peakRSSKB, _ = strconv.ParseInt(string(m[1]), 10, 64)
	return r
}

// signIn remembers the demo admin's sign-in (a device code, once) and returns a
// copy of the cache file as it is then: restoring it makes the next run start with
// the sign-in only, no customer tenant's token.
func (f *fleetScale) signIn(tb testing.TB, env []string) (restore func()) {
	tb.Helper()
	code, out, errOut := rememberVerify(tb, f.srv, f.ca, env, f.srv.TenantID())
	if code != 0 {
		tb.Fatalf("sign-in: exit %d\n%s%s", code, out, errOut)
	}
	home := strings.TrimPrefix(env[indexOfPrefix(env, "XDG_CACHE_HOME=")], "XDG_CACHE_HOME=")
	files, _ := filepath.Glob(filepath.Join(home, "d365consent", "signin-*.cache"))
	if len(files) != 1 {
		tb.Fatalf("cache files %v", files)
	}
	saved, err := os.ReadFile(files[0])
	if err != nil {
		tb.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(files[0], saved, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkFleet1000 runs `d365consent verify --remember --tenants FILE --format
// ndjson` as its own process against the emulator serving 1,000 customer tenants,
// 50 ms of latency injected into every request it serves (OpenID metadata, token,
// Graph), for several --parallel values. Each iteration starts from a remembered
// sign-in with no customer token, so every tenant costs its one token refresh.
// Metrics: wall time of the whole process (ns/op), its peak RSS, token requests
// per tenant. The emulator runs in the benchmark's process, on the same 2 cores.
//
//	go test -run '^$' -bench BenchmarkFleet1000 -benchtime 1x ./e2e
func BenchmarkFleet1000(b *testing.B) {
	env := secretService(b)
	f := newFleetScale(b, 1000)
	restore := f.signIn(b, env)
	for _, parallel := range []int{8, 16, 32, 64} {
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			var rss int64
			var tokenReqs int64
			for range b.N {
				b.StopTimer()
				restore()
				f.srv.SetFaults(emulator.Faults{Latency: 50 * time.Millisecond})
				before := f.srv.TokenRequests()
				b.StartTimer()
				r := f.run(b, env, "--format", "ndjson", "--parallel", fmt.Sprint(parallel))
				b.StopTimer()
				f.srv.SetFaults(emulator.Faults{})
				tokenReqs += f.srv.TokenRequests() - before
				if r.code != 0 || strings.Count(r.stdout, "\n") != f.n {
					b.Fatalf("exit %d, %d lines\n%.2000s", r.code, strings.Count(r.stdout, "\n"), r.stderr)
				}
				rss = max(rss, r.peakRSSKB)
				b.StartTimer()
			}
			b.ReportMetric(float64(rss)/1024, "peak-rss-MiB")
			b.ReportMetric(float64(tokenReqs)/float64(b.N*f.n), "token-requests/tenant")
		})
	}
}

// BenchmarkVerifyRemembered runs `d365consent verify --remember` as its own process
// (process start to exit) against the emulator: "remembered" with the sign-in
// already remembered (silent: a cached token, one Graph round trip), "fresh" after
// logout --all (a device-code sign-in, its code entered at once on the emulator's
// device login page, and a new key in the Secret Service).
//
//	go test -run '^$' -bench BenchmarkVerifyRemembered -benchtime 20x ./e2e
func BenchmarkVerifyRemembered(b *testing.B) {
	env := secretService(b)
	f := newFleetScale(b, 0)
	if code, out, errOut := rememberVerify(b, f.srv, f.ca, env, f.srv.TenantID()); code != 0 {
		b.Fatalf("sign-in: exit %d\n%s%s", code, out, errOut)
	}
	b.Run("remembered", func(b *testing.B) {
		before := f.srv.SignIns()
		for range b.N {
			if code, out, errOut := rememberVerify(b, f.srv, f.ca, env, f.srv.TenantID()); code != 0 {
				b.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
		}
		if f.srv.SignIns() != before {
			b.Fatal("a remembered run signed in")
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if code, _, errOut := runWithEnv(b, env, []string{"logout", "--all"}, func(context.Context, string) {}); code != 0 {
				b.Fatalf("logout: %s", errOut)
			}
			before := f.srv.SignIns()
			b.StartTimer()
			if code, out, errOut := rememberVerify(b, f.srv, f.ca, env, f.srv.TenantID()); code != 0 {
				b.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if f.srv.SignIns() != before+1 {
				b.Fatal("a fresh run did not sign in")
			}
		}
	})
}
