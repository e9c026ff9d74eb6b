package cli

import (
	"net/url"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/testkit"
)

// consent-url --qr draws a code the terminal shows whole with the prompt under it:
// the whole link at level M where it fits; at 24 lines, the documented short link
// (no state) at level L, which a note says; at 20 lines no code, and an error that names the
// ways out. The link printed is always the whole one. Without a height (a pipe) the
// whole link at level M.
func TestConsentURLQRFitsTheTerminal(t *testing.T) {
	const tenant, id = "72f988bf-86f1-41af-91ab-2d7cd011db47", "11111111-2222-3333-4444-555555555555"
	for _, tc := range []struct {
		lines     string // LINES; "" none
		rows      int    // lines of the code; 0 none
		stateless bool
	}{{"", 29, false}, {"40", 29, false}, {"24", 23, true}, {"20", 0, false}} {
		t.Run("LINES="+tc.lines, func(t *testing.T) {
			env := []string{"NO_COLOR=1", "TERM=xterm-256color", "LANG=en_US.UTF-8", "COLUMNS=80"}
			if tc.lines != "" {
				env = append(env, "LINES="+tc.lines)
			}
			code, out, errOut := runFlowsCmdEnv(t, env, "consent-url", "--app", "ce", "--tenant", tenant, "--client-id", id, "--qr")
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			link := lines[0]
			if !strings.HasPrefix(link, "https://login.microsoftonline.com/"+tenant+"/adminconsent?client_id="+id+"&state=") || len(link) != 180 {
				t.Fatalf("exit %d; the link printed: %q\n%s", code, link, errOut)
			}
			if tc.rows == 0 {
				want := "the QR code needs 24 lines and 45 columns, more than this terminal shows at once: enlarge the window and run this again, or open the link above by hand"
				if code != 1 || len(lines) != 1 || !strings.Contains(errOut, want) {
					t.Errorf("exit %d, %d lines on stdout, stderr %q; want 1, the link alone, %q", code, len(lines), errOut, want)
				}
				return
			}
			qr := lines[1:]
			want := link
			if tc.stateless {
				want = "https://login.microsoftonline.com/" + tenant + "/adminconsent?client_id=" + id
			}
			if got, err := testkit.DecodeQR(qr); code != 0 || len(qr) != tc.rows || err != nil || got != want {
				t.Errorf("exit %d; a code of %d lines decoding to %q (%v); want %d lines, %s", code, len(qr), got, err, tc.rows, want)
			}
			if strings.Contains(errOut, qrShortLinkNote) != tc.stateless {
				t.Errorf("note %v, want %v: %s", !tc.stateless, tc.stateless, errOut)
			}
		})
	}
}

// In the demo scenario whose apps registered a loopback reply URL, the link printed
// carries redirect_uri=http://127.0.0.1 and a state: at 80×24 no code of it fits, so
// the code holds the documented short link, https://{host}/{tenant}/adminconsent?client_id={id}
// (the loopback address would name the phone that scans it), seen whole with the
// prompt under it (23 lines, none wider than 80 columns), and the note says so.
func TestConsentURLQRLoopbackReplyAt80x24(t *testing.T) {
	env := []string{"NO_COLOR=1", "TERM=xterm-256color", "LANG=en_US.UTF-8", "COLUMNS=80", "LINES=24"}
	code, out, errOut := runFlowsCmdEnv(t, env, "consent-url", "--demo", "--scenario", "loopback-reply", "--app", "ce", "--qr")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	u, err := url.Parse(lines[0])
	if code != 0 || err != nil || u.Query().Get("redirect_uri") != "http://127.0.0.1" || !u.Query().Has("state") {
		t.Fatalf("exit %d; the link printed: %q (%v)\n%s", code, lines[0], err, errOut)
	}
	want := u.Scheme + "://" + u.Host + u.Path + "?client_id=" + u.Query().Get("client_id")
	qr := lines[1:]
	if got, err := testkit.DecodeQR(qr); err != nil || got != want {
		t.Errorf("the code decodes to %q (%v), want the documented short link %s", got, err, want)
	}
	if len(qr) > 23 {
		t.Errorf("a code of %d lines: with the prompt under it, more than 24 lines", len(qr))
	}
	for _, l := range qr {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("a line of %d columns: %q", w, l)
		}
	}
	if !strings.Contains(errOut, qrShortLinkNote) {
		t.Errorf("no note that the code holds the short link: %s", errOut)
	}
}
