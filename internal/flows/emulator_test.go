package flows_test

// Tests and benchmarks against the emulator over real HTTP(S), with the real MSAL Go.

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// fakeClock is a manual clock: After registers a timer that fires when the test
// advances time past it. The emulator reads the same clock (propagation, throttling).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []fakeTimer
	waits   []time.Duration
	added   chan struct{}
	autoAdv bool // After advances time itself and fires at once
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(auto bool) *fakeClock {
	return &fakeClock{now: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC), added: make(chan struct{}, 1000), autoAdv: auto}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	ch := make(chan time.Time, 1)
	if c.autoAdv {
		c.now = c.now.Add(d)
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	c.added <- struct{}{}
	return ch
}

// advanceToNext waits until the code under test has asked for its k-th timer, then
// moves time to the earliest pending one and fires every timer due. Waiting for the
// k-th registration matters: a timer a select abandoned (the redirect won) is still
// pending, and firing only it while the next wait is not yet registered would leave
// the clock standing still for ever.
func (c *fakeClock) advanceToNext(t testing.TB, k int) {
	t.Helper()
	for {
		c.mu.Lock()
		if len(c.waits) >= k && len(c.timers) > 0 {
			sort.Slice(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
			if c.timers[0].at.After(c.now) {
				c.now = c.timers[0].at
			}
			var keep []fakeTimer
			for _, tm := range c.timers {
				if !tm.at.After(c.now) {
					tm.ch <- c.now
				} else {
					keep = append(keep, tm)
				}
			}
			c.timers = keep
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		select {
		case <-c.added:
		case <-time.After(10 * time.Second):
			t.Fatal("no timer registered")
		}
	}
}

type demoBrowser struct {
	ctx context.Context
	b   *emulator.DemoBrowser
	// away: the user never answers (Open does nothing).
	away bool
}

func (d *demoBrowser) Open(u string) error {
	if d.away {
		return nil
	}
	return d.b.Open(d.ctx, u)
}
func (d *demoBrowser) OpenDeviceLogin(_, code string) error {
	return d.b.OpenDeviceLogin(d.ctx, code)
}

type fixture struct {
	srv     *emulator.Server
	session *flows.Session
	browser *demoBrowser
	clock   *fakeClock
	catalog *permissions.Catalog
}

func (f *fixture) app(t testing.TB, key string) *permissions.App {
	a, ok := f.catalog.App(key)
	if !ok {
		t.Fatalf("no app %s", key)
	}
	return a
}

// openSession runs the emulator with opts (the fixture catalog unless opts names one) and opens a session on its tenant (the
// demo browser signs in as the scenario's demo user), without signing in yet.
func openSession(t testing.TB, opts emulator.Options, clock *fakeClock, mut func(*flows.Config)) (*emulator.Server, *flows.Session, *demoBrowser) {
	t.Helper()
	if clock != nil {
		opts.Now = clock.Now
	}
	if opts.Catalog == nil {
		opts.Catalog = testkit.Catalog(t)
	}
	srv, err := emulator.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b := &demoBrowser{ctx: ctx, b: srv.Browser(srv.DemoUser())}
	cfg := flows.Config{
		Cloud:          flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
		SignInClientID: srv.SignInClientID(),
		HTTPClient:     srv.HTTPClient(),
		Browser:        b,
	}
	if clock != nil {
		cfg.Clock = clock
	}
	if mut != nil {
		mut(&cfg)
	}
	s, err := flows.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv, s, b
}

// start runs the emulator for scenario and signs in as its demo user.
func start(t testing.TB, scenario string, faults emulator.Faults, clock *fakeClock, mut func(*flows.Config)) *fixture {
	t.Helper()
	srv, s, b := openSession(t, emulator.Options{Scenario: scenario, Faults: faults}, clock, mut)
	ctx := b.ctx
	var prompts []flows.SignInPrompt
	if _, err := s.SignIn(ctx, func(p flows.SignInPrompt) { prompts = append(prompts, p) }); err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if len(prompts) != 1 || prompts[0].URL == "" || prompts[0].Consent != "" {
		t.Fatalf("prompts %+v: the URL must be shown before the browser opens it", prompts)
	}
	// Ready to read grants: a sign-in client not consented yet asks for
	// Directory.Read.All now, with the reason on screen.
	if err := s.EnsureGrantRead(ctx); err != nil {
		t.Fatalf("asking to read the grants: %v", err)
	}
	for _, p := range prompts[1:] {
		if p.URL == "" || p.Consent == "" {
			t.Fatalf("prompt %+v: a sign-in for more permissions must say why", p)
		}
	}
	return &fixture{srv: srv, session: s, browser: b, clock: clock, catalog: srv.Catalog()}
}

func TestSignInReadsAdminAndRoles(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	a := f.session.Admin()
	if a.TenantID != f.srv.TenantID() || a.TenantName != f.srv.TenantName() || a.UPN != f.srv.DemoUser() || !a.CanConsent || a.RoleWarning != "" {
		t.Fatalf("%+v", a)
	}
	if c := a.RoleCheck(f.app(t, "ce")); c.Verdict != flows.RoleCanGrantAll || strings.Join(a.Roles, ",") != "Global Administrator" {
		t.Fatalf("admin role check %+v, roles %q", c, a.Roles)
	}
	n := start(t, "non-admin", emulator.Faults{}, nil, nil).session.Admin()
	if n.CanConsent || n.RoleWarning == "" || n.RolesErr != nil || n.RoleCheck(nil).Verdict != flows.RoleNone {
		t.Fatalf("non-admin: %+v", n)
	}
}

func TestDeviceCodeSignIn(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, func(c *flows.Config) { c.DeviceCode = true })
	if f.session.Admin().UPN != f.srv.DemoUser() {
		t.Fatal(f.session.Admin())
	}
}

func TestVerifyIsOneGraphRequest(t *testing.T) {
	for _, key := range []string{"ce", "uo"} {
		f := start(t, "consented", emulator.Faults{}, nil, nil)
		f.srv.ResetGraphRequests()
		r, err := f.session.Verify(context.Background(), f.app(t, key))
		if err != nil {
			t.Fatal(err)
		}
		if got := f.srv.GraphRequests(); got != 1 || r.GraphRequests != 1 {
			t.Fatalf("%s: %d Graph requests at the emulator (%d counted), want 1", key, got, r.GraphRequests)
		}
		if r.Status != flows.StatusComplete {
			t.Fatalf("%s: %s", key, r.Status)
		}
	}
}

func TestVerifyFollowsPaging(t *testing.T) {
	f := start(t, "consented", emulator.Faults{PageSize: 1}, nil, nil)
	r, err := f.session.Verify(context.Background(), f.app(t, "uo"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != flows.StatusComplete || r.GraphRequests < 2 {
		t.Fatalf("status %s after %d requests", r.Status, r.GraphRequests)
	}
}

func TestVerifyThrottledHonoursRetryAfter(t *testing.T) {
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, nil)
	f.srv.SetFaults(emulator.Faults{Throttle: 2, RetryAfter: 7 * time.Second})
	f.srv.ResetGraphRequests()
	r, err := f.session.Verify(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != flows.StatusComplete {
		t.Fatalf("status %s", r.Status)
	}
	// The emulator throttles every sub-request for Retry-After after each of the 2
	// throttled operations, and again if we come back before it elapsed: one $batch
	// plus two retries of the throttled sub-requests, each exactly Retry-After later.
	if got := f.srv.GraphRequests(); got != 3 {
		t.Fatalf("%d Graph requests, want 3", got)
	}
	if len(clock.waits) != 2 || clock.waits[0] != 7*time.Second || clock.waits[1] != 7*time.Second {
		t.Fatalf("waits %v, want [7s 7s]", clock.waits)
	}
}

func TestVerifyUnavailableRetriedWithBackoff(t *testing.T) {
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, nil)
	f.srv.SetFaults(emulator.Faults{Unavailable: 1})
	r, err := f.session.Verify(context.Background(), f.app(t, "ce"))
	if err != nil || r.Status != flows.StatusComplete {
		t.Fatalf("%v %v", r, err)
	}
	if len(clock.waits) != 1 || clock.waits[0] < 500*time.Millisecond || clock.waits[0] >= time.Second {
		t.Fatalf("waits %v, want one jittered backoff in [0.5s, 1s)", clock.waits)
	}
}

// events reads a consent's events, advancing the fake clock between them once
// advance says so, until the final one.
func drain(t *testing.T, c *flows.Consent, clock *fakeClock, advance func(flows.ConsentEvent) bool) (all []flows.ConsentEvent) {
	t.Helper()
	return drainAfter(t, c, clock, 0, advance)
}

// drainAfter is drain when the test already read `read` events itself: each of them was
// followed by a wait too, so the clock moves only once the wait after the latest event
// is registered (not on an earlier, abandoned one).
func drainAfter(t *testing.T, c *flows.Consent, clock *fakeClock, read int, advance func(flows.ConsentEvent) bool) (all []flows.ConsentEvent) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return all
			}
			all = append(all, ev)
			if !ev.Done && advance(ev) {
				clock.advanceToNext(t, read+len(all)) // each event but the last is followed by one wait
			}
		case <-timeout:
			t.Fatalf("consent did not finish; events %+v", all)
		}
	}
}

func TestConsentSlowPropagationDetectedWithinOnePollInterval(t *testing.T) {
	const delay = 25 * time.Second
	clock := newFakeClock(false)
	// About the redirect (the clock stands still until it arrives): the demo apps
	// registered a loopback reply URL only in loopback-reply.
	f := start(t, "loopback-reply", emulator.Faults{PropagationDelay: delay}, clock, nil)
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if u, _ := url.Parse(c.URL); u.Query().Get("redirect_uri") != c.RedirectURI || len(u.Query().Get("state")) < 40 {
		t.Fatalf("consent URL %s", c.URL)
	}
	redirected := false
	evs := drain(t, c, clock, func(ev flows.ConsentEvent) bool {
		if ev.Redirected && !redirected {
			redirected = true
			if ev.Elapsed != 0 || ev.Visible != 0 {
				t.Errorf("redirect seen at %s with %d visible; want 0 s, 0 (propagating)", ev.Elapsed, ev.Visible)
			}
		}
		return redirected // the clock stands still until the admin has accepted
	})
	last := evs[len(evs)-1]
	if !last.Done || last.Err != nil || last.Result.Status != flows.StatusComplete || last.Visible != last.Total || !last.Redirected {
		t.Fatalf("final %+v", last)
	}
	if last.Elapsed < delay || last.Elapsed > delay+flows.PollMax {
		t.Fatalf("grants visible at %s, detected at %s: more than one poll interval (%s) late", delay, last.Elapsed, flows.PollMax)
	}
	for i := 1; i < len(evs); i++ {
		if gap := evs[i].Elapsed - evs[i-1].Elapsed; gap > flows.PollMax {
			t.Errorf("poll gap %s > %s", gap, flows.PollMax)
		}
	}
}

func TestConsentTimeoutEndsWithLastState(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "partial", emulator.Faults{}, clock, func(c *flows.Config) { c.Timeout = 3 * time.Minute })
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := drain(t, c, clock, func(flows.ConsentEvent) bool { return true })
	last := evs[len(evs)-1]
	if !last.Done || !errors.Is(last.Err, flows.ErrIncomplete) || last.Result == nil || last.Result.Status != flows.StatusIncomplete ||
		last.Visible != 2 || last.Total != 3 || last.Elapsed != 3*time.Minute || last.Redirected {
		t.Fatalf("final %+v", last)
	}
	// Every 2 s for the first 2 minutes, then 4, 8, 10 s…, cut at the deadline.
	var want []time.Duration
	for i := 0; i < 60; i++ {
		want = append(want, 2)
	}
	want = append(want, 4, 8, 10, 10, 10, 10, 8)
	if len(clock.waits) != len(want) {
		t.Fatalf("waits %v", clock.waits)
	}
	for i, w := range want {
		if clock.waits[i] != w*time.Second {
			t.Fatalf("waits %v, want %v s", clock.waits, want)
		}
	}
	if _, ok := <-c.Events(); ok {
		t.Fatal("events not closed after the final one")
	}
}

func TestConsentRecheckPollsNow(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "partial", emulator.Faults{}, clock, nil)
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Events()
	f.srv.ResetGraphRequests()
	c.Recheck()
	ev := <-c.Events()
	if ev.Elapsed != 0 || f.srv.GraphRequests() != 1 {
		t.Fatalf("recheck: %+v after %d requests", ev, f.srv.GraphRequests())
	}
}

func TestConsentDeclinedIsRefused(t *testing.T) {
	f := start(t, "loopback-reply", emulator.Faults{}, nil, nil) // the refusal comes back by the redirect
	f.browser.b.Decline = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	last := lastEvent(t, c)
	x := explain.Explain(last.Err)
	if !last.Done || !last.Redirected || !errors.Is(last.Err, flows.ErrRefused) || x == nil || x.Code != 65004 || x.OAuthError != "access_denied" {
		t.Fatalf("final %+v, explanation %+v", last, x)
	}
	// The redirect carries Entra's support ids in its description; they reach the
	// explanation, and the description proper stops before them.
	if x.CorrelationID == "" || x.TraceID == "" || x.Timestamp == "" || strings.Contains(x.Description, "Trace ID") {
		t.Fatalf("support ids not extracted from the consent redirect: %+v", x)
	}
}

func TestConsentCloseFreesPortAndGoroutines(t *testing.T) {
	f := start(t, "loopback-reply", emulator.Faults{}, nil, nil) // the listener's port
	f.browser.away = true
	ignore := goleak.IgnoreCurrent()
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	<-c.Events()
	u, _ := url.Parse(c.RedirectURI)
	if u.Hostname() != "127.0.0.1" || u.Port() == "" {
		t.Fatalf("redirect %s", c.RedirectURI)
	}
	c.Close()
	c.Close() // idempotent
	ln, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatalf("port still taken after Close: %v", err)
	}
	ln.Close()
	f.srv.HTTPClient().CloseIdleConnections()
	goleak.VerifyNone(t, ignore,
		// keep-alive connections to the emulator belong to the HTTP client and server
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

func TestConsentCancelledByContext(t *testing.T) {
	f := start(t, "fresh", emulator.Faults{}, nil, nil)
	f.browser.away = true
	ctx, cancel := context.WithCancel(context.Background())
	c, err := f.session.StartConsent(ctx, f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Events()
	cancel()
	last := lastEvent(t, c)
	if !last.Done || !errors.Is(last.Err, flows.ErrCancelled) {
		t.Fatalf("final %+v", last)
	}
}

// BenchmarkVerify measures one verification against the emulator over real HTTPS
// (token from MSAL's cache), reporting Graph requests per verify.
func BenchmarkVerify(b *testing.B) {
	for _, key := range []string{"ce", "uo"} {
		b.Run(key, func(b *testing.B) {
			f := start(b, "consented", emulator.Faults{}, nil, nil)
			app := f.app(b, key)
			ctx := context.Background()
			f.srv.ResetGraphRequests()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r, err := f.session.Verify(ctx, app)
				if err != nil || r.Status != flows.StatusComplete {
					b.Fatal(r, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(f.srv.GraphRequests())/float64(b.N), "requests/op")
		})
	}
}
