package e2e

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/testkit"
)

// sshEnv runs a command line as in an SSH session: the demo takes the path the real
// wizard takes there (a device code, QR codes first).
const sshEnv = "env SSH_CONNECTION='10.0.0.1 5555 10.0.0.2 22' "

// deviceCodeAt is the line that gives the device code and its page, whole.
var deviceCodeAt = regexp.MustCompile(`enter the code (\S+) at (https?://\S+)`)

// TestSSHDemo: the demo over SSH signs in with a device code and shows its QR code
// first, whole, at 80×24 and 120×40; the consent step keeps its wait and permission
// rows on screen, and r shows the consent link's QR code whole (at 80×24 on the whole
// window, the documented short link), decoding to the link; the demo runs to the
// end (exit 0) with a on every page.
func TestSSHDemo(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{80, 24}, {120, 40}} {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			t.Parallel()
			tt := tmuxSize(t, sz.w, sz.h, sshEnv+bin+" demo --scenario fresh")
			tt.waitFor("Which app")
			tt.keys("Enter")
			tt.waitFor("Review permissions")
			tt.keys("Enter")
			s := tt.waitFor("3/6 Sign in", "enter the code", "a approve in the demo browser")
			m := deviceCodeAt.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("the device code and its page are not on one line:\n%s", s)
			}
			checkQRWhole(t, s, m[2], sz.w)
			tt.keys("a")
			tt.waitFor("4/6 Current state", "Enter opens the admin consent page")
			tt.keys("Enter")
			s = tt.waitFor("5/6 Admin consent", "0/3 visible in Microsoft Graph")
			for _, row := range []string{"User.Read", "Directory.Read.All", "user_impersonation", "r QR code"} {
				if !strings.Contains(s, row) {
					t.Errorf("the consent step at %dx%d lacks %q above the fold:\n%s", sz.w, sz.h, row, s)
				}
			}
			checkConsentQR(t, tt, s, sz.w, sz.h)
			tt.keys("a")
			tt.waitFor("All 3 permissions are granted")
			tt.keys("Enter")
			tt.exited(0)
		})
	}
}

// TestSSHDemoRefusedByConditionalAccess: over SSH a Conditional Access refusal comes
// back on the device code's token poll and exits 4 with its support ids, as through
// the browser.
func TestSSHDemoRefusedByConditionalAccess(t *testing.T) {
	tt := tmuxSize(t, 100, 30, sshEnv+bin+" demo --scenario ca-blocked")
	tt.waitFor("Which app")
	tt.keys("Enter")
	tt.waitFor("Review permissions")
	tt.keys("Enter")
	tt.waitFor("enter the code", "a approve in the demo browser")
	tt.keys("a")
	tt.waitFor("AADSTS53003", "Correlation id:")
	tt.keys("q")
	after := tt.exited(4)
	for _, want := range []string{"AADSTS53003", "Correlation id:", "Trace id:"} {
		if !strings.Contains(after, want) {
			t.Errorf("%q is gone after exit:\n%s", want, after)
		}
	}
}

// checkQRWhole: screen shows url's QR code whole, every row of it in order, as the
// wizard draws it in a w-column window (termcaps.QRCode, black on white).
func checkQRWhole(t *testing.T, screen, url string, w int) {
	t.Helper()
	rows, width, err := termcaps.QRCode(url, termcaps.Unicode, termcaps.QRStyle{Color: true, DarkBackground: true})
	if err != nil || width > w {
		t.Fatalf("QR code of %s: width %d, %v", url, width, err)
	}
	lines := strings.Split(screen, "\n")
	want := make([]string, len(rows))
	for i, r := range rows {
		want[i] = strings.TrimRight(ansi.Strip(r), " ")
	}
	for i := 0; i+len(want) <= len(lines); i++ {
		match := true
		for j := range want {
			match = match && strings.TrimRight(lines[i+j], " ") == want[j]
		}
		if match {
			return
		}
	}
	t.Errorf("the QR code of %s (%d rows) is not whole on screen:\n%s", url, len(rows), screen)
}

// checkConsentQR presses r on the consent step (screen: the step) and checks the
// consent link's QR code is on screen whole and decodes to the link shown (at 80×24
// the documented short link, on a view of its own with one line under it); r goes back.
func checkConsentQR(t *testing.T, tt *tmuxTerm, screen string, w, h int) {
	t.Helper()
	link := linkOnScreen(screen, "http://127.0.0.1:", w)
	if !strings.Contains(link, "/adminconsent?client_id=") || !strings.Contains(link, "&state=") {
		t.Fatalf("no consent link on the step:\n%s", screen)
	}
	want, under, maxRows := link, "r back to the page", 0
	if h == 24 {
		want, under, maxRows = flows.ConsentLinkForAnotherDevice(link), "Consent page; result read from Graph; phone ends on app's reply page · r back", h-1
	}
	tt.keys("r")
	s := tt.waitFor(under)
	q, err := termcaps.FitQRCode(want, termcaps.Unicode, termcaps.QRStyle{Color: true, DarkBackground: true}, w, maxRows)
	if err != nil {
		t.Fatalf("the QR code of %s: %v", want, err)
	}
	var rows []string // its rows with ink, as tmux shows them
	for _, r := range q.Lines {
		if r = strings.TrimRight(ansi.Strip(r), " "); r != "" {
			rows = append(rows, r)
		}
	}
	ink := testkit.ShownQR(s)
	if !slices.Equal(ink, rows) {
		t.Errorf("at %dx%d the QR code of %s is not whole on screen (%d of %d rows):\n%s", w, h, want, len(ink), len(rows), s)
	}
	if got, err := testkit.DecodeQR(ink); err != nil || got != want {
		t.Errorf("the QR code on screen decodes to %q (%v), want %s", got, err, want)
	}
	if lines := strings.Split(strings.TrimRight(s, "\n"), "\n"); h == 24 && lines[len(lines)-1] != under {
		t.Errorf("the last line at 80×24: %q, want %q", lines[len(lines)-1], under)
	}
	tt.keys("r")
	tt.waitFor("0/3 visible in Microsoft Graph", "r QR code")
}

// linkOnScreen is the URL that starts with prefix, joined again from the lines the
// wizard cut it into at the window's edge (w columns).
func linkOnScreen(screen, prefix string, w int) string {
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		link := l
		for ; len(lines[i]) == w && i+1 < len(lines); i++ {
			link += lines[i+1]
		}
		return strings.TrimSpace(link)
	}
	return ""
}
