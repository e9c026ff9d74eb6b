package flows_test

// The consent wait on the production path: tolerance of replication and
// failures, early ends for states consent cannot fix, paste-back — real MSAL Go and
// the emulator over loopback.

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/testkit"
)

// scriptedTransport fails Graph $batch calls as its script says, once armed:
// "net" = a network error, "503" = a 503 envelope, "" = pass through.
type scriptedTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	on   bool
	// script is consumed one entry per $batch call; when empty, always is used.
	script []string
	always string
	calls  int
}

func (s *scriptedTransport) arm(script []string, always string) {
	s.mu.Lock()
	s.on, s.script, s.always = true, script, always
	s.mu.Unlock()
}

func (s *scriptedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	act := ""
	if s.on && strings.HasSuffix(r.URL.Path, "/$batch") {
		s.calls++
		act = s.always
		if len(s.script) > 0 {
			act, s.script = s.script[0], s.script[1:]
		}
	}
	s.mu.Unlock()
	switch act {
	case "net":
		return nil, errors.New("read tcp 127.0.0.1: connection reset by peer")
	case "claims":
		// A Conditional Access claims challenge (continuous access evaluation).
		return &http.Response{StatusCode: 401, Request: r, Header: http.Header{
			"Content-Type":     {"application/json"},
			"Www-Authenticate": {`Bearer realm="", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="`}},
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"InvalidAuthenticationToken","message":"claims"}}`))}, nil
	case "503":
		return &http.Response{StatusCode: 503, Header: http.Header{"Content-Type": {"application/json"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"serviceNotAvailable","message":"try later"}}`))}, nil
	}
	return s.base.RoundTrip(r)
}

func flaky(tr *scriptedTransport) func(*flows.Config) {
	return func(c *flows.Config) {
		tr.base = c.HTTPClient.Transport
		c.HTTPClient = &http.Client{Transport: tr}
	}
}

// lastEvent waits for the wait's end (as waitAll) and returns its last event.
func lastEvent(t *testing.T, c *flows.Consent) flows.ConsentEvent {
	t.Helper()
	all := waitAll(t, c)
	if len(all) == 0 {
		t.Fatal("the wait ended without an event")
	}
	return all[len(all)-1]
}

// startPasteConsent starts admin consent as production does for app key "ce" (the
// real apps have no loopback reply URL: the admin pastes the address the browser
// ended on; the demo browser is away, so nothing else answers) and returns the wait
// and the request's state.
func startPasteConsent(t *testing.T, f *fixture) (*flows.Consent, string) {
	t.Helper()
	f.browser.away = true
	app := *f.app(t, "ce")
	app.RedirectURI = ""
	c, err := f.session.StartConsent(context.Background(), &app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	u, err := url.Parse(c.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c, u.Query().Get("state")
}

func waitAll(t *testing.T, c *flows.Consent) []flows.ConsentEvent {
	t.Helper()
	var all []flows.ConsentEvent
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return all
			}
			all = append(all, ev)
		case <-timeout:
			t.Fatalf("the wait did not end; events %+v", all)
		}
	}
}

// Network errors and 5xx during the wait are "not visible yet": counted, logged, never
// the end of the wait.
func TestConsentWaitToleratesFailures(t *testing.T) {
	tr := &scriptedTransport{}
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, flaky(tr))
	// Poll 1: a network error, through every resend of the read. Poll 2: 503 on
	// the envelope, through every retry. Poll 3: a network error again. Poll 4 goes
	// through.
	var script []string
	for i := 0; i <= graph.MaxResends; i++ {
		script = append(script, "net")
	}
	for i := 0; i <= graph.DefaultMaxRetries; i++ { // the first try and every retry
		script = append(script, "503")
	}
	for i := 0; i <= graph.MaxResends; i++ {
		script = append(script, "net")
	}
	tr.arm(script, "")
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := waitAll(t, c)
	var nv []int
	for _, ev := range evs {
		nv = append(nv, ev.NotVisible)
	}
	last := evs[len(evs)-1]
	if !last.Done || last.Err != nil || last.Result == nil || last.Result.Status != flows.StatusComplete {
		t.Fatalf("final %+v", last)
	}
	if len(evs) != 4 || nv[0] != 1 || nv[1] != 2 || nv[2] != 3 || nv[3] != 0 {
		t.Fatalf("not-visible counts %v over %d events, want [1 2 3 0]", nv, len(evs))
	}
	if evs[1].LastNotVisible == nil || !strings.Contains(evs[1].LastNotVisible.Error(), "503") {
		t.Fatalf("second failure %v", evs[1].LastNotVisible)
	}
}

// The tolerance is bounded: Graph failing poll after poll ends the wait with the
// failure, long before the timeout.
func TestConsentWaitToleranceIsBounded(t *testing.T) {
	tr := &scriptedTransport{}
	clock := newFakeClock(true)
	f := start(t, "consented", emulator.Faults{}, clock, flaky(tr))
	tr.arm(nil, "net")
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := waitAll(t, c)
	last := evs[len(evs)-1]
	if !last.Done || last.Err == nil || errors.Is(last.Err, flows.ErrIncomplete) || last.NotVisible != flows.MaxNotVisible+1 ||
		!strings.Contains(last.Err.Error(), "failed 31 polls in a row") {
		t.Fatalf("final %+v", last)
	}
	if last.Elapsed >= flows.DefaultTimeout {
		t.Fatalf("ended at the timeout (%s), not by the bound", last.Elapsed)
	}
}

// States consent cannot fix end the wait at once (first poll, no wait), with the cause.
func TestConsentWaitEndsAtOnceWhenConsentCannotFix(t *testing.T) {
	for _, tc := range []struct {
		scenario, app string
		reason        flows.BlockReason
	}{
		{"disabled", "ce", flows.BlockDisabled},
		{"no-dynamics", "ce", flows.BlockResourceMissing},
		{"no-dynamics", "uo", flows.BlockResourceMissing},
		{"uo-new", "uo", flows.BlockReauthorizeOnly},
	} {
		t.Run(tc.scenario+"/"+tc.app, func(t *testing.T) {
			clock := newFakeClock(false)
			f := start(t, tc.scenario, emulator.Faults{}, clock, nil)
			f.browser.away = true
			c, err := f.session.StartConsent(context.Background(), f.app(t, tc.app))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			evs := waitAll(t, c)
			last := evs[len(evs)-1]
			var b *flows.BlockedError
			if len(evs) != 1 || !errors.As(last.Err, &b) || b.Reason != tc.reason || last.Elapsed != 0 || len(clock.waits) != 0 {
				t.Fatalf("events %+v, waits %v", evs, clock.waits)
			}
			if b.Cause == "" || b.NextStep == "" || !errors.Is(last.Err, flows.ErrCannotFix) {
				t.Fatalf("%+v", b)
			}
		})
	}
}

// Production: no redirect_uri, nothing comes back; the admin pastes the address the
// browser ended on (or the AADSTS code), which ends the wait with its explanation.
func TestConsentPasteBack(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "fresh", emulator.Faults{}, clock, nil)
	c, _ := startPasteConsent(t, f)
	u, _ := url.Parse(c.URL)
	if u.Query().Has("redirect_uri") || c.RedirectURI != "" {
		t.Fatalf("production consent URL carries a redirect_uri: %s", c.URL)
	}
	if ev := <-c.Events(); ev.Done || ev.Redirected {
		t.Fatalf("first event %+v", ev)
	}
	for _, bad := range []string{"https://www.avepointonlineservices.com/", "?admin_consent=True&state=not-ours",
		"https://x.example/?error=access_denied&tenant=00000000-0000-0000-0000-000000000001"} {
		if err := c.Paste(bad); !errors.Is(err, flows.ErrUsage) {
			t.Errorf("paste %q: %v, want a usage error", bad, err)
		}
	}
	state := u.Query().Get("state")
	if err := c.Paste("https://www.avepointonlineservices.com/?error=access_denied&error_description=AADSTS90094%3a+The+grant+requires+admin+permission.&state=" + state); err != nil {
		t.Fatal(err)
	}
	evs := waitAll(t, c)
	last := evs[len(evs)-1]
	x := explain.Explain(last.Err)
	if !last.Done || !last.Redirected || !errors.Is(last.Err, flows.ErrRefused) || x == nil || x.Code != 90094 {
		t.Fatalf("final %+v (%+v)", last, x)
	}
}

// A pasted admin_consent=True marks consent as recorded and the wait goes on until
// Graph shows every grant; a paste after the end is refused.
func TestConsentPasteGranted(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "fresh", emulator.Faults{}, clock, nil)
	c, state := startPasteConsent(t, f)
	if ev := <-c.Events(); ev.Done || ev.Visible != 0 {
		t.Fatalf("first event %+v", ev)
	}
	// The admin accepts in their browser, which lands on the publisher's page.
	if err := f.browser.b.Open(context.Background(), c.URL); err != nil {
		t.Logf("demo browser: %v", err)
	}
	if err := c.Paste("https://www.avepointonlineservices.com/?admin_consent=True&tenant=" + f.srv.TenantID() + "&state=" + state); err != nil {
		t.Fatal(err)
	}
	evs := waitAll(t, c)
	last := evs[len(evs)-1]
	if !last.Done || last.Err != nil || !last.Redirected || last.Result.Status != flows.StatusComplete || last.Elapsed != 0 {
		t.Fatalf("final %+v", last)
	}
	if err := c.Paste("admin_consent=True"); !errors.Is(err, flows.ErrUsage) {
		t.Fatalf("paste after the end: %v", err)
	}
}

// Re-authorization: the app is found in the tenant by its catalog name; the guard
// stops consent for a client id that is another app (here Microsoft Graph's own).
func TestFindAppsAndGuard(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	ce := f.app(t, "ce")
	got, err := f.session.FindApps(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].AppID != strings.ToLower(ce.ClientID) || got[0].DisplayName != ce.DisplayName || got[0].AppOwnerOrganizationID == "" {
		t.Fatalf("candidates %+v", got)
	}
	// servicePrincipal documents no creation date; the first app permission grant
	// (appRoleAssignment.createdDateTime, documented) stands in for it.
	// The demo tenant consented on 2021-04-01 09:30 UTC.
	if consented := time.Date(2021, 4, 1, 9, 30, 0, 0, time.UTC); !got[0].CreatedDateTime.IsZero() || !got[0].FirstGranted.Equal(consented) {
		t.Fatalf("created %v, first granted %v, want %v", got[0].CreatedDateTime, got[0].FirstGranted, consented)
	}
	if err := f.session.CheckConsentTarget(context.Background(), ce); err != nil {
		t.Fatalf("the right app refused: %v", err)
	}
	wrong := *ce
	wrong.ClientID = "00000003-0000-0000-c000-000000000000"
	f.srv.ResetGraphRequests()
	c, err := f.session.StartConsent(context.Background(), &wrong)
	var w *flows.WrongAppError
	if c != nil || !errors.As(err, &w) || w.Found != "Microsoft Graph" {
		t.Fatalf("consent %v, err %v", c, err)
	}
	if f.srv.GraphRequests() != 1 {
		t.Fatalf("%d Graph requests, want the one guard read", f.srv.GraphRequests())
	}
}

// The app list tells a disabled service principal apart (accountEnabled false), so the
// pick-app step can warn that consent will not enable it; an enabled one reads enabled.
func TestFindAppsSaysWhichAreDisabled(t *testing.T) {
	for scenario, enabled := range map[string]bool{"disabled": false, "consented": true} {
		f := start(t, scenario, emulator.Faults{}, nil, nil)
		ce := f.app(t, "ce")
		got, err := f.session.FindApps(context.Background(), ce)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].AppID != strings.ToLower(ce.ClientID) || got[0].AccountEnabled != enabled {
			t.Fatalf("%s: candidates %+v, want one %s with AccountEnabled %t", scenario, got, ce.ClientID, enabled)
		}
	}
}

// "Sign in as someone else": the account is forgotten, the browser sign-in asks to
// pick an account (prompt=select_account) and the session is the new account's.
func TestSignInAgainAsSomeoneElse(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, func(c *flows.Config) { c.DeviceCodeReason = "unused" })
	other := ""
	for _, u := range f.srv.Users() {
		if u.UPN != f.srv.DemoUser() {
			other = u.UPN
			break
		}
	}
	f.browser.b = f.srv.Browser(other)
	var prompts []flows.SignInPrompt
	a, err := f.session.SignInAgain(context.Background(), func(p flows.SignInPrompt) { prompts = append(prompts, p) })
	if err != nil {
		t.Fatal(err)
	}
	if a.UPN != other || f.session.Admin().UPN != other {
		t.Fatalf("signed in as %q, want %q", a.UPN, other)
	}
	u, _ := url.Parse(prompts[0].URL)
	if len(prompts) != 1 || u.Query().Get("prompt") != "select_account" {
		t.Fatalf("prompts %+v", prompts)
	}
}

// The device code flow chosen for a reason shows it with the code.
func TestDeviceCodePromptCarriesReason(t *testing.T) {
	var got []flows.SignInPrompt
	srvStart := func(c *flows.Config) {
		c.DeviceCode, c.DeviceCodeReason = true, flows.ChooseSignIn(false, &browser.System{Environ: []string{"SSH_CONNECTION=1 2 3 4"}, GOOS: "linux"}).Reason
	}
	f := start(t, "consented", emulator.Faults{}, nil, srvStart)
	_, err := f.session.SignInAgain(context.Background(), func(p flows.SignInPrompt) { got = append(got, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].DeviceCode || got[0].UserCode == "" || !strings.Contains(got[0].Reason, "SSH session") {
		t.Fatalf("%+v", got)
	}
}

// verify costs one token and one Graph round trip: /me, /organization, the roles and
// the verification in one $batch; the role verdict never changes the result.
func TestVerifyWithAdminIsOneRoundTrip(t *testing.T) {
	for _, scenario := range []string{"consented", "partial", "non-admin"} {
		t.Run(scenario, func(t *testing.T) {
			srv, err := emulator.Start(emulator.Options{Scenario: scenario, Catalog: testkit.Catalog(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ctx := context.Background()
			b := &demoBrowser{ctx: ctx, b: srv.Browser(srv.DemoUser())}
			s, err := flows.NewSession(flows.Config{
				Cloud:          flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
				SignInClientID: srv.SignInClientID(), HTTPClient: srv.HTTPClient(), Browser: b,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Authenticate(ctx, nil); err != nil {
				t.Fatal(err)
			}
			app, _ := srv.Catalog().App("ce")
			srv.ResetGraphRequests()
			admin, r, err := s.VerifyWithAdmin(ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			if srv.GraphRequests() != 1 || r.GraphRequests != 1 {
				t.Fatalf("%d Graph requests", srv.GraphRequests())
			}
			if admin.UPN != srv.DemoUser() || admin.TenantID != srv.TenantID() || r.SignedInAs != admin.UPN || r.Tenant.ID != srv.TenantID() {
				t.Fatalf("admin %+v result tenant %+v", admin, r.Tenant)
			}
			plain, err := s.Verify(ctx, app)
			if err != nil {
				t.Fatal(err)
			}
			if plain.Status != r.Status || plain.Granted() != r.Granted() {
				t.Fatalf("role check changed the verdict: %s/%d vs %s/%d", r.Status, r.Granted(), plain.Status, plain.Granted())
			}
		})
	}
}

// A claims challenge from Graph (MFA / Conditional Access) prompts the admin again
// with the claims, instead of failing: real MSAL against the emulator.
func TestClaimsChallengePromptsAgain(t *testing.T) {
	tr := &scriptedTransport{}
	var prompts []flows.SignInPrompt
	f := start(t, "consented", emulator.Faults{}, nil, flaky(tr))
	// The fixture signed in with its own prompt; sign in once more to capture ours.
	if _, err := f.session.SignIn(context.Background(), func(p flows.SignInPrompt) { prompts = append(prompts, p) }); err != nil {
		t.Fatal(err)
	}
	tr.arm([]string{"claims"}, "")
	r, err := f.session.Verify(context.Background(), f.app(t, "ce"))
	if err != nil || r.Status != flows.StatusComplete {
		t.Fatalf("%v %v", r, err)
	}
	if len(prompts) != 2 || prompts[0].Claims || !prompts[1].Claims {
		t.Fatalf("prompts %+v: want the second one to answer the claims challenge", prompts)
	}
	if u, _ := url.Parse(prompts[1].URL); !strings.Contains(u.Query().Get("claims"), "nbf") {
		t.Fatalf("the sign-in URL carries no claims: %s", prompts[1].URL)
	}
}

// registration-behind: the app registration does not request a newly required
// permission, so consent "succeeds" and the row stays missing. Once consent is known
// to have happened (here: the pasted address) and the rest stayed granted for
// RegistrationSettle, the wait ends with the cause and the next step (re-authorize in
// AOS after AvePoint updates the app), not at the timeout.
func TestConsentRegistrationBehindEndsTheWait(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "registration-behind", emulator.Faults{}, clock, nil)
	app := f.app(t, "uo")
	c, err := f.session.StartConsent(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := <-c.Events()
	if first.Done || first.Visible != first.Total-1 {
		t.Fatalf("first event %+v", first)
	}
	u, _ := url.Parse(c.URL)
	if err := c.Paste("https://www.avepointonlineservices.com/?admin_consent=True&tenant=" + f.srv.TenantID() + "&state=" + u.Query().Get("state")); err != nil {
		t.Fatal(err)
	}
	evs := drainAfter(t, c, clock, 1, func(flows.ConsentEvent) bool { return true })
	last := evs[len(evs)-1]
	var b *flows.BlockedError
	if !errors.As(last.Err, &b) || b.Reason != flows.BlockRegistrationBehind || len(b.Rows) != 1 || !strings.Contains(b.Rows[0], "Odata.FullAccess") {
		t.Fatalf("final %+v (%+v)", last, b)
	}
	if last.Elapsed < flows.RegistrationSettle || last.Elapsed > flows.RegistrationSettle+flows.PollFast {
		t.Fatalf("ended at %s, want within one poll after %s", last.Elapsed, flows.RegistrationSettle)
	}
}

// A pasted success without state is no proof of consent: it cannot be matched to the
// request, Graph is read instead, and the wait does not say consent was recorded.
func TestConsentPasteWithoutStateIsNoProof(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "fresh", emulator.Faults{}, clock, nil)
	c, _ := startPasteConsent(t, f)
	if ev := <-c.Events(); ev.Done || ev.Visible != 0 {
		t.Fatalf("first event %+v", ev)
	}
	if err := c.Paste("https://www.avepointonlineservices.com/?admin_consent=True&tenant=" + f.srv.TenantID()); !errors.Is(err, flows.ErrPasteUnmatched) {
		t.Fatalf("paste without state: %v", err)
	}
	ev := <-c.Events() // the poll the paste asked for
	if ev.Redirected || ev.Done || ev.Visible != 0 {
		t.Fatalf("after the paste %+v", ev)
	}
	_ = c.Close()
}
