package ui

// What each screen says: the truth at every step (spinners that tick, waits that say
// what they do, ids and URLs kept whole, consent offered only when it helps).

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/explain"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/wizard"
)

// TestSpinnerAndClockTick: while the wizard waits, the spinner turns and the elapsed
// clock ticks every second, with no event from the flow (the tick chain used to stop
// after its first frame, so the screen changed only when a poll answered).
func TestSpinnerAndClockTick(t *testing.T) {
	// A clock that moves only when the wizard reads it (each read: +10 ms), so only
	// frames drawn by the tick chain can move it: no race with the real clock under load.
	var reads atomic.Int64
	now := func() time.Time { return fixedNow.Add(time.Duration(reads.Add(1)) * 10 * time.Millisecond) }
	eng := &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}, waiter: newFakeWaiter("https://login.example/adminconsent")}
	s := startSession(t, eng, 100, 30, func(o *Options) { o.App = "ce"; o.Now = now })
	s.waitFor("read-only scopes")
	s.keys("enter") // sign in: the fake signs in at once
	s.waitFor("Enter opens the admin consent page")
	s.keys("enter")
	// Every frame drawn until the clock shows 0:03: the spinner must have turned.
	frames, clocks := map[string]bool{}, map[string]bool{}
	frame := regexp.MustCompile(`(\S) (0:0\d) Waiting for consent`)
	for deadline := time.Now().Add(20 * time.Second); !clocks["0:03"]; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the clock never reached 0:03 (seen %v, frames %v); last view:\n%s", clocks, frames, s.view())
		}
		if m := frame.FindStringSubmatch(s.view()); m != nil {
			frames[m[1]], clocks[m[2]] = true, true
		}
	}
	if !clocks["0:01"] || !clocks["0:02"] {
		t.Errorf("the clock skipped seconds: %v", clocks)
	}
	if len(frames) < 2 {
		t.Errorf("the spinner stood still: frames %v", frames)
	}
	s.keys("esc")
	s.keys("q")
	s.finish()
}

// progressEngine reports what it is doing through flows.Progress, as the real flows do.
type progressEngine struct {
	fakeEngine
	gate chan struct{}
}

func (p *progressEngine) SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	prompt(flows.SignInPrompt{URL: "https://login.example/authorize"})
	flows.Progress(ctx, "Signed in; reading your account and roles from Microsoft Graph…")
	<-p.gate
	return p.admin, nil
}

// TestWaitSaysWhatItDoes: a waiting screen says what the program is doing now, not
// "waiting for you to sign in" after the sign-in finished.
func TestWaitSaysWhatItDoes(t *testing.T) {
	eng := &progressEngine{fakeEngine: fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}}, gate: make(chan struct{})}
	s := startSession(t, eng, 100, 30, func(o *Options) { o.App = "ce" })
	s.waitFor("read-only scopes")
	s.keys("enter")
	text := s.waitFor("reading your account and roles")
	if strings.Contains(text, "Waiting for you to sign in") {
		t.Errorf("still says waiting for the sign-in:\n%s", text)
	}
	close(eng.gate)
	s.waitFor("Enter opens the admin consent page")
	s.keys("q")
	s.finish()
}

// TestGraphRetryNoticeShown: Graph's Retry-After reaches the screen in words.
func TestGraphRetryNoticeShown(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepState)
	m.Update(testkit.Key("esc"))
	m.Update(testkit.Key("enter")) // the state read anew
	m.Update(progressMsg{attempt: m.attempt, text: "Microsoft Graph asked us to wait 2 s (429); retrying then…"})
	if text := m.Text(); !strings.Contains(text, "Microsoft Graph asked us to wait 2 s (429)") {
		t.Errorf("no retry notice:\n%s", text)
	}
}

// TestReviewTableIsTheVendors: the seed's columns, Purpose wrapped and whole, No/Yes,
// and at 80 columns every word that tells the rows apart (the friendly names too).
func TestReviewTableIsTheVendors(t *testing.T) {
	for _, w := range []int{80, 100, 160} {
		m := newTestModel(t, &fakeEngine{})
		m.choose.cursor = 1 // UO: the longest names
		m.Update(testkit.Key("enter"))
		m.Update(tea.WindowSizeMsg{Width: w, Height: 200})
		text := m.Text()
		header := "" // two lines: "Newly required" wraps in its narrow column
		lines := strings.Split(text, "\n")
		for i, l := range lines {
			if strings.Contains(l, "Permission") && i+1 < len(lines) {
				header = l + "\n" + lines[i+1]
				break
			}
		}
		if strings.Contains(header, "New?") {
			t.Errorf("%d columns: the header says New? (read as new to the tenant)", w)
		}
		for _, h := range []string{"API", "Permission", "Type", "Purpose", "Newly", "required"} {
			if !strings.Contains(header, h) {
				t.Errorf("%d columns: header lacks %q:\n%s", w, h, text)
			}
		}
		flat := strings.Join(strings.Fields(text), " ")
		for _, p := range m.flow.App().Permissions {
			for _, want := range append([]string{p.Value}, strings.Fields(p.API)...) {
				if !strings.Contains(flat, want) {
					t.Errorf("%d columns: %q cut", w, want)
				}
			}
			for _, word := range strings.Fields(p.FriendlyName + " " + p.Purpose) {
				if !strings.Contains(flat, strings.Trim(word, "()")) {
					t.Errorf("%d columns: word %q of %s cut", w, word, p.Value)
				}
			}
		}
		if strings.Contains(text, "…") {
			t.Errorf("%d columns: something is cut with an ellipsis:\n%s", w, text)
		}
		if !regexp.MustCompile(`(?m)Delegated\s+.*\s+No$`).MatchString(text) {
			t.Errorf("%d columns: the New? column does not say No:\n%s", w, text)
		}
	}
	// 60 columns: cards, each led by its API.
	m := newTestModel(t, &fakeEngine{})
	m.choose.cursor = 1
	m.Update(testkit.Key("enter"))
	m.Update(tea.WindowSizeMsg{Width: 60, Height: 200})
	text := m.Text()
	for _, p := range m.flow.App().Permissions {
		if !strings.Contains(text, p.API+" · "+p.Value) {
			t.Errorf("60 columns: no %q card:\n%s", p.API+" · "+p.Value, text)
		}
	}
}

// TestReviewSelectionStaysOnScreen: a table taller than the window scrolls with the
// selected row.
func TestReviewSelectionStaysOnScreen(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	m.choose.cursor = 1
	m.Update(testkit.Key("enter"))
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for i := 0; i < len(m.flow.App().Permissions); i++ {
		text := m.Text()
		if !strings.Contains(text, "› "+strings.Fields(m.flow.App().Permissions[i].API)[0]) {
			t.Fatalf("row %d (%s) not on screen:\n%s", i, m.flow.App().Permissions[i].Value, text)
		}
		m.Update(testkit.Key("down"))
	}
}

var guidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// TestSupportIDsWhole: the error screen never breaks an id across lines, at any width
// where a GUID fits.
func TestSupportIDsWhole(t *testing.T) {
	x := &explain.Explanation{Code: 90094, OAuthError: "access_denied", Title: "Admin approval is required",
		Meaning: "The account cannot grant it.", Fix: "Sign in as an admin.",
		Description:   "AADSTS90094: The grant requires admin permission. Trace ID: 9a8b7c6d-0000-1111-2222-333344445555",
		CorrelationID: "0f2a7d3c-1111-2222-3333-444455556666", TraceID: "9a8b7c6d-0000-1111-2222-333344445555",
		Timestamp: "2026-03-01 09:30:00Z", Link: "https://login.microsoftonline.com/error?code=90094"}
	for w := 40; w <= 120; w++ {
		m := newTestModel(t, &fakeEngine{})
		at(m, stepSignIn)
		failSignIn(m, &explain.AuthError{Op: "admin consent", Explanation: x, Err: errBoom})
		m.errs.expl = x
		m.Update(tea.WindowSizeMsg{Width: w, Height: 60})
		text := m.Text()
		for _, id := range []string{x.CorrelationID, x.TraceID, "AADSTS90094", x.Timestamp} {
			if !strings.Contains(text, id) {
				t.Fatalf("%d columns: %q broken or missing:\n%s", w, id, text)
			}
		}
	}
}

// TestURLWholeAndLinked: a URL is on lines of its own, its pieces join to the whole
// URL, and each piece is an OSC 8 hyperlink to the whole URL.
func TestURLWholeAndLinked(t *testing.T) {
	url := "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient + "&state=Zm9vYmFyYmF6cXV4cXV1eA-abc_def"
	for _, w := range []int{50, 80, 200} {
		m := newTestModel(t, &fakeEngine{})
		at(m, stepConsent)
		m.consent.url = url
		m.Update(tea.WindowSizeMsg{Width: w, Height: 40})
		lines := strings.Split(m.Text(), "\n")
		start := -1
		for i, l := range lines {
			if strings.HasPrefix(l, "https://") {
				start = i
				break
			}
		}
		if start < 0 {
			t.Fatalf("%d columns: no URL line", w)
		}
		joined := ""
		for i := start; i < len(lines) && strings.TrimSpace(lines[i]) != "" && len(joined) < len(url); i++ {
			joined += strings.TrimRight(lines[i], " ")
		}
		if joined != url {
			t.Errorf("%d columns: URL lines join to\n%q\nwant\n%q", w, joined, url)
		}
		raw := m.render()
		if n := strings.Count(raw, ansi.SetHyperlink(url)); n != (len(url)+w-1)/w {
			t.Errorf("%d columns: %d OSC 8 links to the whole URL, want one per piece (%d)", w, n, (len(url)+w-1)/w)
		}
	}
}

// TestCopySaysRequested: OSC 52 cannot be confirmed, so the flash never says "Copied".
func TestCopySaysRequested(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepConsent)
	m.Update(testkit.Key("c"))
	text := m.Text()
	if strings.Contains(text, "Copied") || !strings.Contains(text, "Copy requested") {
		t.Errorf("copy flash:\n%s", text)
	}
}

// TestQRNeverHalf: a QR code asked for is drawn whole or not at all: under the link
// where the step fits with it, on a view that takes the whole window where only that
// fits (the link for another device, at 120×24), at level M where it fits, else L;
// else one line says how to get it, with a command that runs as printed.
func TestQRNeverHalf(t *testing.T) {
	url := "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient + "&state=Zm9vYmFy"
	short := flows.ConsentLinkForAnotherDevice(url)
	for _, tc := range []struct {
		h    int
		link string // the link the QR code shown encodes; "" none
		low  bool   // drawn at level L: M does not fit
	}{{20, "", false}, {24, short, true}, {40, url, true}, {80, url, false}} {
		m := newTestModel(t, &fakeEngine{})
		at(m, stepConsent)
		m.consent.url = url
		m.qr = qrAsked
		m.Update(tea.WindowSizeMsg{Width: 120, Height: tc.h})
		text := m.Text()
		shown := testkit.ShownQR(text)
		if tc.link == "" {
			if len(shown) != 0 || !strings.Contains(text, "d365consent consent-url --app ce --tenant "+testTenant+" --qr") {
				t.Errorf("height %d: %d QR rows, or no hint:\n%s", tc.h, len(shown), text)
			}
			continue
		}
		style := termcaps.QRStyle{Color: true, DarkBackground: true}
		q, err := termcaps.FitQRCode(tc.link, termcaps.Unicode, style, 0, 0) // level M
		if tc.low {
			q, err = termcaps.FitQRCode(tc.link, termcaps.Unicode, style, 0, len(q.Lines)-1)
		}
		if err != nil || q.Low != tc.low {
			t.Fatalf("the QR code of %s: low %v, %v", tc.link, q.Low, err)
		}
		if raw := m.render(); !strings.Contains(raw, strings.Join(q.Lines, "\n")) {
			t.Errorf("height %d: the QR code of %s is not whole on screen, as termcaps draws it:\n%s", tc.h, tc.link, text)
		}
		if got, err := testkit.DecodeQR(shown); err != nil || got != tc.link {
			t.Errorf("height %d: the QR code decodes to %q (%v), want %s", tc.h, got, err, tc.link)
		}
	}
}

// TestConsentOnlyWhenItHelps: a disabled service principal or an absent resource is
// not fixed by consent: the current state says what will fix it, Enter does not start
// consent, and the summary names the cause.
func TestConsentOnlyWhenItHelps(t *testing.T) {
	disabled := result("ce", true, nil)
	disabled.Status = flows.StatusIncomplete
	disabled.ServicePrincipal.AccountEnabled = false
	noDyn := result("ce", false, nil)
	noDyn.Permissions[2].Status = flows.PermResourceMissing
	// As flows.Verify words them: the warning says cause and fix already.
	warned := result("ce", true, nil)
	warned.Status = flows.StatusIncomplete
	warned.ServicePrincipal.AccountEnabled = false
	warned.Warnings = []string{"The service principal of X is disabled (accountEnabled = false): nobody can sign in to it. " +
		"Enable it in Entra admin center > Enterprise applications > the app > Properties > 'Enabled for users to sign-in?'."}
	for _, tc := range []struct {
		name     string
		r        *flows.Result
		fix, why string
	}{
		{"disabled", disabled, "Enable the app's service principal", "service principal is disabled"},
		{"disabled, warned", warned, "Enable it in", "is disabled"},
		{"no-dynamics", noDyn, "The tenant needs Dynamics CRM first", "no Dynamics CRM service principal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{tc.r}}
			m := newTestModel(t, eng)
			at(m, stepState)
			reread(m, tc.r)
			m.Update(tea.WindowSizeMsg{Width: 100, Height: 40})
			text := m.Text()
			if !strings.Contains(text, tc.fix) || strings.Contains(text, "Enter opens the admin consent page") {
				t.Errorf("current state:\n%s", text)
			}
			m.Update(testkit.Key("enter"))
			if m.step() != stepSummary || eng.consents != 0 {
				t.Fatalf("enter went to %s with %d consents", m.step(), eng.consents)
			}
			text = m.Text()
			if !strings.Contains(text, tc.why) || !strings.Contains(text, "d365consent verify --app ce --tenant "+testTenant) {
				t.Errorf("summary does not name the cause:\n%s", text)
			}
			if strings.Contains(text, "consent again") {
				t.Errorf("summary advises consent:\n%s", text)
			}
			if n := strings.Count(text, "Properties >"); n > 1 {
				t.Errorf("the same advice %d times (no advice twice):\n%s", n, text)
			}
		})
	}
}

// TestSummaryWhoAndCommand: the summary shows the account and the tenant id, and its
// verify command carries --app, --tenant, --client-id when the catalog has none, and
// the target's flags.
func TestSummaryWhoAndCommand(t *testing.T) {
	m := newTestModel(t, &fakeEngine{}, func(o *Options) {
		o.Catalog.Apps[0].ClientID = ""
		o.ClientID = testCEClient
		o.CommandFlags = []string{"--cloud", "usgov"}
	})
	at(m, stepSummary)
	r := result("ce", true, map[string]flows.PermStatus{"User.Read": flows.PermMissing})
	r.SignedInAs = "admin@contoso.onmicrosoft.com"
	m.Update(testkit.Key("esc"))
	reread(m, result("ce", false, nil))
	m.Update(testkit.Key("enter"))
	m.Update(consentStartedMsg{attempt: m.attempt, waiter: newFakeWaiter("https://login.example/adminconsent")})
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Done: true, Result: r}})
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 40})
	text := m.Text()
	for _, want := range []string{"Signed in as admin@contoso.onmicrosoft.com", testTenant,
		"d365consent verify --app ce --tenant " + testTenant + " --client-id " + testCEClient + " --cloud usgov"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

// TestQuitConfirmKeys: the quit question lists only the keys that work there.
func TestQuitConfirmKeys(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepConsent)
	m.Update(testkit.Key("q"))
	text := m.Text()
	foot := strings.Split(text, "\n")
	last := foot[len(foot)-1]
	if strings.Contains(last, "help") || strings.Contains(last, "q quit") || !strings.Contains(last, "y quit anyway") {
		t.Errorf("quit-confirm footer %q", last)
	}
	m.Update(testkit.Key("?")) // does nothing here
	if !m.confirmQuit {
		t.Error("? left the question")
	}
}

// TestStaleLinesLeave: a flash of one step is gone on the next.
func TestStaleLinesLeave(t *testing.T) {
	ap := &fakeApprover{}
	w := newFakeWaiter("https://login.example/adminconsent")
	m := newTestModel(t, &fakeEngine{verify: []*flows.Result{result("ce", true, nil)}}, func(o *Options) { o.Approver = ap })
	at(m, stepConsent)
	useWaiter(m, w)
	m.Update(approvedMsg{attempt: m.attempt})
	if text := m.Text(); !strings.Contains(text, "as admin@contoso.onmicrosoft.com") || strings.Contains(text, "demo admin") {
		t.Errorf("approve flash:\n%s", text)
	}
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Done: true, Visible: 3, Total: 3, Result: result("ce", true, nil)}})
	if m.step() != stepSummary {
		t.Fatalf("step %s", m.step())
	}
	if text := m.Text(); strings.Contains(text, "Answered the consent page") {
		t.Errorf("stale line on the summary:\n%s", text)
	}
}

// TestDemoApproveFailsAsEntra: in the demo, `a` acts as the signed-in account: when
// Entra refuses it (a non-admin), the error screen explains it, with no "approved".
func TestDemoApproveFailsAsEntra(t *testing.T) {
	refused := &explain.AuthError{Op: "admin consent", Err: errBoom, Explanation: &explain.Explanation{Code: 90094, Title: "Admin approval is required"}}
	ap := &fakeApprover{err: refused}
	m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.Approver = ap })
	at(m, stepConsent)
	m.Update(approvedMsg{attempt: m.attempt, err: refused})
	text := m.Text()
	if m.step() != stepError || !strings.Contains(text, "AADSTS90094") || strings.Contains(strings.ToLower(text), "approved") {
		t.Errorf("step %s:\n%s", m.step(), text)
	}
}

// TestSaveErrorReport: s on the error screen writes a redacted report to an absolute
// path and shows the path.
func TestSaveErrorReport(t *testing.T) {
	var mu sync.Mutex
	files := map[string]string{}
	m := newTestModel(t, &fakeEngine{}, func(o *Options) {
		o.ReportDir = "reports"
		o.WriteFile = func(p string, d []byte) error {
			mu.Lock()
			defer mu.Unlock()
			files[p] = string(d)
			return nil
		}
	})
	at(m, stepState)
	x := &explain.Explanation{Code: 50076, Title: "MFA required", CorrelationID: "0f2a7d3c-1111-2222-3333-444455556666",
		TraceID: "9a8b7c6d-0000-1111-2222-333344445555", Timestamp: "2026-03-01 09:30:00Z",
		Description: "AADSTS50076: see https://login.example/cb?code=SECRETCODE&state=abc"}
	m.Update(verifiedMsg{attempt: m.attempt, err: &explain.AuthError{Op: "signing in", Explanation: x, Err: errors.New("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig")}})
	m.errs.expl = x
	cmd := m.handleKey(testkit.Key("s"))
	m.Update(cmd())
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	for p, d := range files {
		if !strings.HasPrefix(p, "/") || !strings.Contains(m.Text(), p) {
			t.Errorf("path %q not absolute or not shown:\n%s", p, m.Text())
		}
		for _, want := range []string{"AADSTS50076", x.CorrelationID, x.TraceID, x.Timestamp, testTenant, "[redacted]@contoso.onmicrosoft.com"} {
			if !strings.Contains(d, want) {
				t.Errorf("report lacks %q:\n%s", want, d)
			}
		}
		for _, bad := range []string{"SECRETCODE", "eyJhbGciOiJub25lIn0", "admin@"} {
			if strings.Contains(d, bad) {
				t.Errorf("report leaks %q:\n%s", bad, d)
			}
		}
	}
}

// TestASCIIEverywhere: with ASCII glyphs (TERM=dumb, no UTF-8), no screen has a
// non-ASCII character, the key help included.
func TestASCIIEverywhere(t *testing.T) {
	for _, st := range []wizard.Step{stepChoose, stepReview, stepSignIn, stepState, stepConsent, stepSummary, stepError} {
		m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.Glyphs = termcaps.ASCII; o.NoColor = true })
		at(m, st)
		if st == stepSignIn {
			m.signIn.prompt = &flows.SignInPrompt{URL: "https://login.example/authorize"}
		}
		m.Update(tea.WindowSizeMsg{Width: 100, Height: 60})
		text := m.Text()
		for i, r := range text {
			if r > 127 {
				t.Errorf("%s: non-ASCII %q at %d:\n%s", st, r, i, text)
				break
			}
		}
	}
}
