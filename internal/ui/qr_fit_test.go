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
)

// Over SSH (QR codes first, no browser, the demo's a) the device code step and the
// consent step fit the window at 80×24 and 120×40: the device code and its page on
// one unbroken line, the QR code whole or not at all (on a view of its own when it
// does not fit beside the rest, the key that toggles it on screen), and on the consent
// step the wait's status and the permission rows above the fold.
func TestSSHScreensFitTheWindow(t *testing.T) {
	const (
		deviceURL = "https://microsoft.com/devicelogin"
		userCode  = "GQ7WZ2K8N"
		// An admin consent link as long as the demo tenant's.
		consentURL = "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient +
			"&state=alrAodKur3SHROB2JqaxKX5vBLYtctTrKCtBfCHwfLQ"
	)
	ssh := func(o *Options) {
		o.QRFirst, o.NoBrowser, o.Approver = true, true, &fakeApprover{}
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
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

			// The device code: first the QR code, whole, with the code and its page on
			// one line and the wait; r shows the page, r the QR code again.
			qr := qrRows(deviceURL, size.w)
			view := s.waitFor(userCode)
			checkFits(t, view, size.w, size.h)
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
			if ownView != (size.h == 24) {
				t.Errorf("the QR code on a view of its own: %v at %dx%d:\n%s", ownView, size.w, size.h, view)
			}
			s.keys("r")
			view = waitView(t, s, func(v string) bool { return qrRowsShown(v, qr) == 0 })
			checkFits(t, view, size.w, size.h)
			if n := qrRowsShown(view, qr); n != 0 || !hasLineWith(view, codeLine) || !strings.Contains(view, "r QR code") {
				t.Errorf("after r: %d QR rows, code line %v:\n%s", n, hasLineWith(view, codeLine), view)
			}
			s.keys("r")
			waitView(t, s, func(v string) bool { return qrRowsShown(v, qr) == len(qr) })
			close(eng.release)

			// The consent: the status and every permission row above the fold; the
			// link's QR code whole when asked for, or not at all.
			s.waitFor("Enter opens the admin consent page")
			s.keys("enter")
			view = s.waitFor("0/3 visible")
			checkFits(t, view, size.w, size.h)
			for _, row := range []string{"Waiting for consent · 0/3 visible in Microsoft Graph", "Microsoft Graph · User.Read",
				"Microsoft Graph · Directory.Read.All", "Dynamics CRM · user_impersonation"} {
				if !strings.Contains(view, row) {
					t.Errorf("consent step at %dx%d: %q is not above the fold:\n%s", size.w, size.h, row, view)
				}
			}
			cqr := qrRows(consentURL, size.w)
			if n := qrRowsShown(view, cqr); n != 0 {
				t.Errorf("the consent link's QR code pushed into the step (%d rows):\n%s", n, view)
			}
			hint := map[int]string{24: "The QR code does not fit this window: enlarge it, or run: d365consent consent-url --app ce --tenant " + testTenant + " --qr",
				40: "The QR code does not fit beside the rest of this step: r shows it on a view of its own."}[size.h]
			if !strings.Contains(strings.Join(strings.Fields(view), " "), hint) {
				t.Errorf("no line says how to get the QR code (%q):\n%s", hint, view)
			}
			s.keys("r")
			if size.h == 24 { // 80×24 cannot hold the link's QR code: never half of it
				view = s.waitFor("The QR code does not fit this window")
				if n := qrRowsShown(view, cqr); n != 0 {
					t.Errorf("%d rows of a QR code that does not fit:\n%s", n, view)
				}
				return
			}
			view = waitView(t, s, func(v string) bool { return qrRowsShown(v, cqr) > 0 })
			checkFits(t, view, size.w, size.h)
			if n := qrRowsShown(view, cqr); n != len(cqr) || !strings.Contains(view, "0/3 visible") || !strings.Contains(view, "r back to the page") {
				t.Errorf("r on the consent step: %d of %d QR rows:\n%s", n, len(cqr), view)
			}
		})
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
