package explain

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

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
		{"unmanaged device: prompting again does not help", body("interaction_required", "", 530003), false, false},
		{"non-compliant device: prompting again does not help", body("interaction_required", "", 530002), false, false},
		{"session expired (sign-in frequency)", body("invalid_grant", "", 70044), true, true},
		{"password changed", body("invalid_grant", "", 50133), true, true},
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
