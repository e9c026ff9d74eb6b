package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/testkit"
)

// Over SSH (QR codes first, no browser, the demo's a) the device code step and the
// consent step fit the window at 80×24 and 120×40: the device code and its page on
// one unbroken line, the QR code whole or not at all (on a view of its own when it
// does not fit beside the rest, the key that toggles it on screen), and on the consent
// step the wait's status and the permission rows above the fold. Asked for with r,
// the consent link's QR code is shown whole: at 120×40 on a view under the header
// with the wait; at 80×24, where no code of the whole link fits, on a view that takes
// the whole window, encoding the link for another device (at level L), with one line
// under it. Both for a link shaped as production's and as the demo tenant's.
func TestSSHScreensFitTheWindow(t *testing.T) {
	const (
		deviceURL = "https://microsoft.com/devicelogin"
		userCode  = "GQ7WZ2K8N"
	)
	links := map[string]string{
		// A tenant id, the app's client id and a state of 43 characters: 180 characters.
		"production": "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient +
			"&state=alrAodKur3SHROB2JqaxKX5vBLYtctTrKCtBfCHwfLQ",
		// The demo tenant's pages are on this machine's loopback.
		"demo": "http://127.0.0.1:40855/" + testTenant + "/adminconsent?client_id=" + testCEClient +
			"&state=8ZTGsBqWp2_vHnlT8VbP5c08rp5HkVz35BkZPWu4jGw",
	}
	ssh := func(o *Options) {
		o.QRFirst, o.NoBrowser, o.Approver = true, true, &fakeApprover{}
	}
	for _, shape := range []string{"production", "demo"} {
		for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", shape, size.w, size.h), func(t *testing.T) {
				consentURL := links[shape]
				w := newFakeWaiter(consentURL)
				eng := &fakeEngine{
					prompt: &flows.SignInPrompt{URL: deviceURL, UserCode: userCode, DeviceCode: true,
						Reason: flows.ChooseSignIn(false, sshSystem()).Reason},
					release: make(chan struct{}),
					admin:   testAdmin(true),
					verify:  []*flows.Result{verified(t, "fresh", "ce")},
					waiter:  w,
				}
				s := startSession(t, eng, size.w, size.h, ssh)
				s.waitFor("Which app")
				s.keys("enter")
				s.waitFor("Review permissions")
				s.keys("enter")
				checkDeviceCodeFits(t, s, deviceURL, userCode, size.w, size.h)
				close(eng.release)
				checkConsentQRFits(t, s, consentURL, size.w, size.h)
			})
		}
	}
}

// checkDeviceCodeFits: the device code step shows first the QR code, whole, with the
// code and its page on one line and the wait; r shows the page, r the QR code again.
func checkDeviceCodeFits(t *testing.T, s *session, deviceURL, userCode string, w, h int) {
	t.Helper()
	qr := qrRows(deviceURL, w)
	view := s.waitFor(userCode)
	checkFits(t, view, w, h)
	codeLine := "enter the code " + userCode + " at " + deviceURL
	if !hasLineWith(view, codeLine) {
		t.Errorf("no line %q:\n%s", codeLine, view)
	}
	if n := qrRowsShown(view, qr); n != len(qr) {
		t.Errorf("device code step, QR first: %d of the QR code's %d rows on screen:\n%s", n, len(qr), view)
	}
	for _, want := range []string{"Waiting for you to enter the code and sign in…", "a approve in the demo browser"} {
		if !strings.Contains(view, want) {
			t.Errorf("device code step lacks %q:\n%s", want, view)
		}
	}
	if !strings.Contains(view, "r back to the page") && !strings.Contains(view, "r QR code") {
		t.Errorf("the key that toggles the QR code is not on screen:\n%s", view)
	}
	ownView := !strings.Contains(view, "First sign-in in this tenant?")
	if ownView != (h == 24) {
		t.Errorf("the QR code on a view of its own: %v at %dx%d:\n%s", ownView, w, h, view)
	}
	s.keys("r")
	view = waitView(t, s, func(v string) bool { return qrRowsShown(v, qr) == 0 })
	checkFits(t, view, w, h)
	if n := qrRowsShown(view, qr); n != 0 || !hasLineWith(view, codeLine) || !strings.Contains(view, "r QR code") {
		t.Errorf("after r: %d QR rows, code line %v:\n%s", n, hasLineWith(view, codeLine), view)
	}
	s.keys("r")
	waitView(t, s, func(v string) bool { return qrRowsShown(v, qr) == len(qr) })
}

// checkConsentQRFits: the consent step keeps its status and every permission row
// above the fold, a line says r shows the link's QR code; r shows it whole (see
// TestSSHScreensFitTheWindow), decoding to the link it encodes; r goes back.
func checkConsentQRFits(t *testing.T, s *session, consentURL string, w, h int) {
	t.Helper()
	s.waitFor("Enter opens the admin consent page")
	s.keys("enter")
	view := s.waitFor("0/3 visible")
	checkFits(t, view, w, h)
	rows := []string{"Waiting for consent · 0/3 visible in Microsoft Graph", "Microsoft Graph · User.Read",
		"Microsoft Graph · Directory.Read.All", "Dynamics CRM · user_impersonation"}
	for _, row := range rows {
		if !strings.Contains(view, row) {
			t.Errorf("consent step at %dx%d: %q is not above the fold:\n%s", w, h, row, view)
		}
	}
	if n := len(testkit.ShownQR(view)); n != 0 {
		t.Errorf("the consent link's QR code pushed into the step (%d rows):\n%s", n, view)
	}
	hint := "The QR code does not fit beside the rest of this step: r shows it on a view of its own."
	if !strings.Contains(strings.Join(strings.Fields(view), " "), hint) {
		t.Errorf("no line says how to get the QR code (%q):\n%s", hint, view)
	}

	s.keys("r")
	link, maxRows := consentURL, 0 // 120×40: the whole link, level M
	if h == 24 {
		link, maxRows = flows.ConsentLinkForAnotherDevice(consentURL), h-1 // one line under it
	}
	q, err := termcaps.FitQRCode(link, termcaps.Unicode, termcaps.QRStyle{Color: true, DarkBackground: true}, w, maxRows)
	if err != nil || q.Low != (h == 24) {
		t.Fatalf("the QR code of %s in %d×%d: low %v, %v", link, w, maxRows, q.Low, err)
	}
	want := make([]string, len(q.Lines))
	for i, l := range q.Lines {
		want[i] = ansi.Strip(l)
	}
	view = waitView(t, s, func(v string) bool { return qrRowsShown(v, want) > 0 })
	checkFits(t, view, w, h)
	if n := qrRowsShown(view, want); n != len(want) {
		t.Errorf("r on the consent step: %d of the QR code's %d rows:\n%s", n, len(want), view)
	}
	if got, err := testkit.DecodeQR(testkit.ShownQR(view)); err != nil || got != link {
		t.Errorf("the QR code shown decodes to %q (%v), want %s", got, err, link)
	}
	lines := strings.Split(view, "\n")
	if h == 24 {
		// The whole window: the code and one line under it, no header.
		under := "Consent page; result read from Graph; phone ends on app's reply page · r back"
		if len(lines) != h || lines[h-1] != under || strings.Contains(view, "d365consent") {
			t.Errorf("the QR code's own view at 80×24: %d lines, last %q; want %d, %q:\n%s", len(lines), lines[len(lines)-1], h, under, view)
		}
	} else if !strings.Contains(view, "0/3 visible") || !strings.Contains(view, "r back to the page") || !hasLineWith(view, "Admin consent") {
		t.Errorf("the QR code's own view at %dx%d lacks the header, the wait or r:\n%s", w, h, view)
	}

	s.keys("r")
	view = waitView(t, s, func(v string) bool { return strings.Contains(v, "0/3 visible") && qrRowsShown(v, want) == 0 })
	if !strings.Contains(view, rows[len(rows)-1]) || !strings.Contains(view, "r QR code") {
		t.Errorf("r back from the QR code:\n%s", view)
	}
}

// sshSystem is the system browser of an SSH session.
func sshSystem() *browser.System {
	return &browser.System{Environ: []string{"SSH_CONNECTION=10.0.0.1 5555 10.0.0.2 22"}, GOOS: "linux"}
}

// qrRows are the rows of url's QR code as the wizard draws it in a w-column window
// (colour on, dark background, Unicode), without escape sequences.
func qrRows(url string, w int) []string {
	return strings.Split(ansi.Strip(renderQR(url, w, true, true, termcaps.Unicode)), "\n")
}

// waitView waits until the view satisfies ok and returns it.
func waitView(t *testing.T, s *session, ok func(view string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // a bound on failure, not a sync
	for {
		v := s.view()
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("the view never changed as expected; last view:\n%s", v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// qrRowsShown is len(qr) when the view shows every row of qr in order, else how many
// of its rows with ink the view shows anywhere (0: none of it).
func qrRowsShown(view string, qr []string) int {
	lines := strings.Split(view, "\n")
	for i := 0; i+len(qr) <= len(lines); i++ {
		if slices.Equal(lines[i:i+len(qr)], qr) {
			return len(qr)
		}
	}
	n := 0
	for _, r := range qr {
		if strings.TrimSpace(r) != "" && slices.Contains(lines, r) {
			n++
		}
	}
	return n
}

// checkFits: the view is at most h lines, none wider than w.
func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%d lines in a %d-line window", len(lines), h)
	}
	for _, l := range lines {
		if ansi.StringWidth(l) > w {
			t.Errorf("a line wider than %d columns: %q", w, l)
		}
	}
}

// hasLineWith: a line of view contains want whole.
func hasLineWith(view, want string) bool {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, want) {
			return true
		}
	}
	return false
}

// On the view that takes the whole window (80×24: the short link's code and one line
// under it), the line under the code says what the code opens until the consent wait
// has news, then the news, cut to one line of at most 80 columns so the code keeps its
// place: the demo browser's answer (a), permissions becoming visible in Graph, the
// browser's result recorded.
func TestWholeWindowQRLineFollowsTheWait(t *testing.T) {
	const w, h = 80, 24
	link := "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient +
		"&state=alrAodKur3SHROB2JqaxKX5vBLYtctTrKCtBfCHwfLQ"
	short := "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient
	waiter := newFakeWaiter(link)
	eng := &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{verified(t, "fresh", "ce")}, waiter: waiter}
	s := startSession(t, eng, w, h, func(o *Options) { o.Approver = &fakeApprover{} })
	s.waitFor("Which app")
	s.keys("enter")
	s.waitFor("Review permissions")
	s.keys("enter")
	s.waitFor("Enter opens the admin consent page")
	s.keys("enter")
	s.waitFor("0/3 visible")
	s.keys("r")

	lastLine := func(want string) {
		t.Helper()
		view := waitView(t, s, func(v string) bool {
			lines := strings.Split(v, "\n")
			return len(testkit.ShownQR(v)) > 0 && lines[len(lines)-1] == want
		})
		checkFits(t, view, w, h)
		if lines := strings.Split(view, "\n"); len(lines) != h {
			t.Errorf("%d lines, want the whole window's %d:\n%s", len(lines), h, view)
		}
		if got, err := testkit.DecodeQR(testkit.ShownQR(view)); err != nil || got != short {
			t.Errorf("the QR code decodes to %q (%v), want %s", got, err, short)
		}
	}
	lastLine("Consent page; result read from Graph; phone ends on app's reply page · r back")
	s.keys("a")
	lastLine("Waiting for consent · 0/3 visible · Answered the consent page in the d… · r back")
	waiter.ch <- flows.ConsentEvent{Visible: 1, Total: 3}
	lastLine("Waiting for consent · 1/3 visible · Answered the consent page in the d… · r back")
	s.keys("r", "r") // back to the page and to the code: a key clears the flash
	lastLine("Waiting for consent · 1/3 visible in Microsoft Graph · r back")
	waiter.ch <- flows.ConsentEvent{Visible: 2, Total: 3, Redirected: true}
	lastLine("✓ Consent recorded · 2/3 visible in Microsoft Graph · r back")
}
