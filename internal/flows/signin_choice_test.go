package flows

import (
	"io"
	"net/http"

	"errors"
	"fmt"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/d365consent/d365consent/internal/browser"
)

// Issue 10 "Sign-in that can always finish": over SSH or with no display/browser the
// loopback sign-in cannot be finished (it returns to http://localhost on this
// machine), so the device code flow is chosen, and the screen says why.
func TestChooseSignIn(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/xdg-open", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	noWSL := func(string) ([]byte, error) { return []byte("Linux version 6.1"), nil }
	for _, tc := range []struct {
		name    string
		force   bool
		env     []string
		goos    string
		look    func(string) (string, error)
		device  bool
		reasons []string
	}{
		{"desktop linux", false, []string{"DISPLAY=:0"}, "linux", found, false, nil},
		{"macOS", false, nil, "darwin", found, false, nil},
		{"windows", false, nil, "windows", found, false, nil},
		{"forced on a desktop", true, []string{"DISPLAY=:0"}, "linux", found, true, []string{"--device-code"}},
		{"ssh", false, []string{"SSH_CONNECTION=10.0.0.1 22 10.0.0.2 22", "DISPLAY=localhost:10.0"}, "linux", found, true, []string{"SSH", "http://localhost", "device code"}},
		{"ssh to a mac", false, []string{"SSH_TTY=/dev/ttys001"}, "darwin", found, true, []string{"SSH"}},
		{"headless linux", false, nil, "linux", found, true, []string{"no graphical display", "device code"}},
		{"no opener", false, []string{"WAYLAND_DISPLAY=wayland-0"}, "linux", missing, true, []string{"xdg-open"}},
		{"WSL reaches the Windows browser", false, []string{"WSL_DISTRO_NAME=Ubuntu"}, "linux", found, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := &browser.System{Environ: tc.env, GOOS: tc.goos, LookPath: tc.look, ReadFile: noWSL}
			c := ChooseSignIn(tc.force, sb)
			if c.DeviceCode != tc.device {
				t.Fatalf("device code %v, want %v (%s)", c.DeviceCode, tc.device, c.Reason)
			}
			if !tc.device && c.Reason != "" {
				t.Errorf("reason %q for interactive", c.Reason)
			}
			for _, s := range tc.reasons {
				if !strings.Contains(c.Reason, s) {
					t.Errorf("reason lacks %q: %s", s, c.Reason)
				}
			}
			if strings.Contains(c.Reason, "any device") && strings.Contains(c.Reason, "this or") {
				t.Errorf("reason says 'this or any device': %s", c.Reason)
			}
		})
	}
}

// Token refreshes that need the admin again (MSAL interaction-required class, claims
// challenges for MFA or Conditional Access) are told apart from other failures.
func TestNeedsInteraction(t *testing.T) {
	body := func(oauth, sub string, code int) error {
		return callErrBody(fmt.Sprintf(`{"error":%q,"suberror":%q,"error_description":"AADSTS%d: x","error_codes":[%d],"claims":"{\"access_token\":{\"capolids\":{\"essential\":true}}}"}`, oauth, sub, code, code))
	}
	for _, tc := range []struct {
		name   string
		err    error
		need   bool
		claims bool
	}{
		{"interaction_required", body("interaction_required", "", 50076), true, true},
		{"invalid_grant + basic_action", body("invalid_grant", "basic_action", 50173), true, true},
		{"refresh token expired (sign-in frequency)", body("invalid_grant", "", 70043), true, true},
		{"refresh token expired (inactivity)", body("invalid_grant", "", 700082), true, true},
		{"MFA", body("invalid_grant", "", 50076), true, true},
		{"consent needed", body("invalid_grant", "consent_required", 65001), true, true},
		{"wrapped", fmt.Errorf("renewing the sign-in: %w", body("interaction_required", "", 50079)), true, true},
		{"blocked by CA: prompting again does not help", body("invalid_grant", "", 53003), false, false},
		{"invalid_grant for another reason (bad credentials)", body("invalid_grant", "", 50126), false, false},
		{"interaction_required with a code not listed", body("interaction_required", "", 50097), true, true},
		// MSAL's CallErr keeps the reply in Resp.Body; its message need not carry it.
		{"the reply's body, not the message", msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(
			`{"error":"invalid_grant","suberror":"basic_action","error_codes":[50173],"claims":"{\"access_token\":{}}"}`))},
			Err: errors.New("http call(https://login/token)(POST) error: reply status code was 400")}, true, true},
		// Only the text is left (device code): the body is the whole message, or
		// follows it HTML-escaped.
		{"the message is the body", errors.New(`{"error":"invalid_grant","suberror":"token_expired","error_codes":[700082]}`), true, false},
		{"the body HTML-escaped in the message", errors.New("reply status code was 400:\n{&#34;error&#34;:&#34;interaction_required&#34;,&#34;error_codes&#34;:[50079],&#34;claims&#34;:&#34;{}&#34;}"), true, true},
		{"a message body that asks for nothing", errors.New(`{"error":"invalid_client","error_codes":[7000215]}`), false, false},
		{"network", errors.New("dial tcp: connection refused"), false, false},
		{"no account", errors.New("not signed in"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need, claims := NeedsInteraction(tc.err)
			if need != tc.need || (claims != "") != tc.claims {
				t.Fatalf("need %v claims %q", need, claims)
			}
			// The reply's body is put back: asking again gives the same answer.
			if again, claims2 := NeedsInteraction(tc.err); again != need || claims2 != claims {
				t.Fatalf("second look: need %v claims %q", again, claims2)
			}
		})
	}
}

func callErrBody(body string) error {
	resp := &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}
	return msalerrors.CallErr{Resp: resp, Err: fmt.Errorf("http call(https://login/token)(POST) error: reply status code was 400:\n%s", body)}
}
