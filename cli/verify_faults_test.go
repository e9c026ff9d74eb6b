package cli

import (
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/testkit"
)

type faultRun struct {
	code             int
	stdout, stderr   string
	elapsed          time.Duration
	graphRequests    int64
	faults, scenario string
}

// verifyWithFaults runs `verify --demo --scenario consented --demo-faults spec
// --timeout timeout` in-process, times it, and counts the Graph requests its demo
// tenant served.
func verifyWithFaults(t *testing.T, spec string, timeout time.Duration) faultRun {
	t.Helper()
	var srv *emulator.Server
	keep := func(f *Factory) {
		f.startEmulator = func(o emulator.Options) (*emulator.Server, error) {
			s, err := emulator.Start(o)
			srv = s
			return s, err
		}
	}
	start := time.Now()
	code, out, errOut := runFlowsCmdWith(t, keep, []string{"NO_COLOR=1", "TERM=dumb"}, "verify", "--demo", "--scenario", "consented", "--app", "ce",
		"--demo-faults", spec, "--timeout", timeout.String())
	r := faultRun{code: code, stdout: out, stderr: errOut, elapsed: time.Since(start), faults: spec}
	if srv == nil {
		t.Fatalf("no demo tenant ran with --demo-faults %q", spec)
	}
	r.graphRequests = srv.GraphRequests()
	t.Logf("--demo-faults %s --timeout %s: exit %d after %s, %d Graph requests; stderr %q",
		spec, timeout, code, r.elapsed.Round(time.Millisecond), r.graphRequests, errOut)
	return r
}

// wantTimedOut checks a run that must fail on --timeout: exit 1, one line naming the
// limit (so the limit is what ended it). The wall-clock bound only catches a hang: a
// tight one fails on a loaded machine without telling anything.
func wantTimedOut(t *testing.T, r faultRun, timeout time.Duration) {
	t.Helper()
	if r.code != exitError {
		t.Errorf("exit %d, want %d", r.code, exitError)
	}
	msg := strings.TrimSuffix(r.stderr, "\n")
	if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "d365consent: ") || !strings.Contains(msg, "--timeout "+timeout.String()) {
		t.Errorf("want one line naming --timeout %s, got %q", timeout, r.stderr)
	}
	if r.elapsed > timeout+30*time.Second {
		t.Errorf("took %s with --timeout %s: a hang", r.elapsed, timeout)
	}
}

func wantComplete(t *testing.T, r faultRun, timeout time.Duration) {
	t.Helper()
	if r.code != exitOK || !strings.Contains(r.stdout, "All 3 permissions are granted.") {
		t.Fatalf("exit %d, stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	// Exit 0 with the full checklist means it finished within --timeout: the command
	// enforces the limit itself (wantTimedOut), so no wall-clock check here.
}

// graphBudget is the --timeout of runs that must reach Graph and then time out there:
// long enough for the sign-in before it on a loaded -race run (with 2 s, a slow
// sign-in used the limit up and Graph was never asked).
const graphBudget = 8 * time.Second

// completeBudget is the --timeout of runs that must complete: a budget, not a
// measure (a loaded -race run takes seconds to sign in), so generous.
const completeBudget = 30 * time.Second

// verify is one token and one Graph round trip: /me, /organization, the
// roles and the verification in one $batch.
const cleanGraphRequests = 1

func TestVerifyFaultLatency(t *testing.T) {
	t.Run("completes", func(t *testing.T) {
		r := verifyWithFaults(t, "latency=500ms", completeBudget)
		wantComplete(t, r, completeBudget)
		if r.elapsed < 3*500*time.Millisecond { // metadata, token, Graph at least
			t.Errorf("took only %s: latency not applied", r.elapsed)
		}
		if r.graphRequests != cleanGraphRequests {
			t.Errorf("%d Graph requests, want %d", r.graphRequests, cleanGraphRequests)
		}
	})
	t.Run("beyond the timeout", func(t *testing.T) {
		r := verifyWithFaults(t, "latency=700ms,seed=1", time.Second)
		wantTimedOut(t, r, time.Second)
	})
}

// TestVerifyFaultUnavailableRate: 30 % of Graph operations answer 503 (seeded, so
// the run is the same every time); the client retries just the failed
// sub-requests with backoff and completes.
func TestVerifyFaultUnavailableRate(t *testing.T) {
	const spec = "unavailable-rate=0.3,seed=3"
	r := verifyWithFaults(t, spec, completeBudget)
	wantComplete(t, r, completeBudget)
	if r.graphRequests <= cleanGraphRequests {
		t.Errorf("%d Graph requests: no 503 was retried (pick another seed)", r.graphRequests)
	}
	if limit := int64(cleanGraphRequests * (1 + graph.DefaultMaxRetries)); r.graphRequests > limit {
		t.Errorf("%d Graph requests, more than %d", r.graphRequests, limit)
	}
}

func TestVerifyFaultThrottle(t *testing.T) {
	t.Run("Retry-After honoured", func(t *testing.T) {
		// Two throttled operations, each opening a 1 s window: sign-in's batch waits twice.
		r := verifyWithFaults(t, "throttle=2,retry-after=1s", completeBudget)
		wantComplete(t, r, completeBudget)
		if r.elapsed < 2*time.Second {
			t.Errorf("took %s: Retry-After 1s twice not waited", r.elapsed)
		}
		if r.graphRequests != cleanGraphRequests+2 {
			t.Errorf("%d Graph requests, want %d (one retry per window)", r.graphRequests, cleanGraphRequests+2)
		}
	})
	t.Run("no Retry-After: backoff", func(t *testing.T) {
		r := verifyWithFaults(t, "throttle=3", completeBudget)
		wantComplete(t, r, completeBudget)
		if r.elapsed < 500*time.Millisecond {
			t.Errorf("took %s: retried without backing off", r.elapsed)
		}
		if r.graphRequests != cleanGraphRequests+1 {
			t.Errorf("%d Graph requests, want %d", r.graphRequests, cleanGraphRequests+1)
		}
	})
	t.Run("endless burst", func(t *testing.T) {
		// Each wait is said with until when; the one that no longer fits in
		// --timeout ends the run at once, naming the wait and the time left.
		r := verifyWithFaults(t, "throttle=100000,retry-after=1s", 3*time.Second)
		wantThrottledOut(t, r, "Microsoft Graph asked us to wait 1s (HTTP 429), longer than the ")
		if !strings.Contains(r.stderr, "Microsoft Graph asked us to wait 1 s (HTTP 429); retrying at ") {
			t.Errorf("no wait said on stderr: %q", r.stderr)
		}
		if r.graphRequests > 4 { // one per Retry-After second, never a tight loop
			t.Errorf("%d Graph requests in %s: spinning", r.graphRequests, r.elapsed)
		}
	})
	t.Run("Retry-After beyond the timeout", func(t *testing.T) {
		r := verifyWithFaults(t, "throttle=1,retry-after=10m", graphBudget)
		wantThrottledOut(t, r, "Microsoft Graph asked us to wait 2m0s (HTTP 429), longer than the ")
		if r.graphRequests != 1 || strings.Contains(r.stderr, "retrying at") {
			t.Errorf("%d Graph requests, want 1 and no retry promised: %q", r.graphRequests, r.stderr)
		}
		if r.elapsed > graphBudget {
			t.Errorf("took %s: it waited for --timeout %s instead of failing at once", r.elapsed, graphBudget)
		}
	})
}

// wantThrottledOut: exit 1, the error line names Graph's wait (what) and the time
// left, and the explanation says to raise --timeout.
func wantThrottledOut(t *testing.T, r faultRun, what string) {
	t.Helper()
	if r.code != exitError {
		t.Errorf("exit %d, want %d", r.code, exitError)
	}
	if !strings.Contains(r.stderr, "d365consent: verifying grants: "+what) || !strings.Contains(r.stderr, "left: not waiting") ||
		!strings.Contains(r.stderr, "raise --timeout") {
		t.Errorf("stderr %q, want %q… left: not waiting, and the advice to raise --timeout", r.stderr, what)
	}
}

// TestVerifyFaultHang: Graph accepts the request and never answers.
func TestVerifyFaultHang(t *testing.T) {
	r := verifyWithFaults(t, "hang", graphBudget)
	wantTimedOut(t, r, graphBudget)
	if r.graphRequests != 1 {
		t.Errorf("%d Graph requests, want 1", r.graphRequests)
	}
}

// realVerify runs verify against the given endpoints (no demo tenant).
func realVerify(t *testing.T, authority, graphURL string, timeout time.Duration) faultRun {
	t.Helper()
	start := time.Now()
	code, out, errOut := runFlowsCmd(t, "verify", "--app", "ce", "--client-id", "0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11",
		"--tenant", "contoso.onmicrosoft.com", "--no-browser", "--authority-host", authority, "--graph-url", graphURL,
		"--timeout", timeout.String())
	r := faultRun{code: code, stdout: out, stderr: errOut, elapsed: time.Since(start)}
	t.Logf("exit %d after %s; stderr %q", code, r.elapsed.Round(time.Millisecond), errOut)
	return r
}

func TestVerifyConnectionRefused(t *testing.T) {
	addr := "https://" + testkit.ClosedPort(t)
	r := realVerify(t, addr, addr, 5*time.Second)
	if r.code != exitError {
		t.Errorf("exit %d, want %d", r.code, exitError)
	}
	// The doctor's verdict (cli/doctor_hook.go), its fix, the error and the doctor command.
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 4 || lines[0] != "d365consent: connection refused by "+strings.TrimPrefix(addr, "https://") ||
		!strings.HasPrefix(lines[1], "  fix:    ") ||
		!strings.HasPrefix(lines[2], "  detail: signing in: ") || !strings.Contains(lines[2], "connection refused") ||
		!strings.HasPrefix(lines[3], "  every check, for a ticket: d365consent doctor ") {
		t.Errorf("want the error saying connection refused and the doctor's verdict, got %q", r.stderr)
	}
	// The message is the refusal, not the 5 s --timeout: it did not wait for the limit.
}

// TestVerifyServerNeverAnswers: the authority accepts TCP connections and never
// says a word (not even the TLS handshake).
func TestVerifyServerNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	accepted := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			accepted++
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	addr := "https://" + ln.Addr().String()
	r := realVerify(t, addr, addr, 2*time.Second)
	wantTimedOut(t, r, 2*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if accepted == 0 || accepted > 3 {
		t.Errorf("%d connections: want a few, not none and not a loop", accepted)
	}
}

// A Retry-After that fits in --timeout is said on stderr with until when, then
// retried; one longer than what --timeout leaves fails at once (exit 1) naming the
// wait, instead of sleeping until the timeout.
func TestVerifySaysGraphsWaitAndFailsAtOnceWhenItOutlastsTheTimeout(t *testing.T) {
	code, _, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--app", "ce", "--demo-faults", "throttle=1,retry-after=1s")
	if code != 0 || !regexp.MustCompile(`Microsoft Graph asked us to wait 1 s \(HTTP 429\); retrying at \d\d:\d\d:\d\d…`).MatchString(errOut) {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	// Graph's Retry-After is capped at 2 min (graph.MaxRetryAfter), still more than 1 min.
	start := time.Now()
	code, _, errOut = runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--app", "ce", "--demo-faults", "throttle=1,retry-after=5m", "--timeout", "1m")
	if code != 1 || !strings.Contains(errOut, "wait 2m0s (HTTP 429), longer than the 1m0s left") || strings.Contains(errOut, "retrying at") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %s: it waited for the timeout", d)
	}
}
