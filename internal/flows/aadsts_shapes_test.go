package flows

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// Error shapes the other tests do not reach alone (mutants gremlins found alive):
// a CallErr whose text does not repeat its body, JSON that is the whole error text,
// a body with only error_codes, and the one-line texts of AuthError and
// ConsentRedirectError.
func TestExplainErrorShapes(t *testing.T) {
	body := `{"error":"invalid_grant","error_description":"AADSTS50076: MFA needed.","error_codes":[50076]}`
	ce := msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))},
		Err: errors.New("http call(https://login/token)(POST) error: reply status code was 400")}
	if x := Explain(ce); x == nil || x.Code != 50076 || x.OAuthError != "invalid_grant" {
		t.Errorf("CallErr with the body only in Resp: %+v", x)
	}
	codesOnly := msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(`{"error_codes":[53003]}`))},
		Err: errors.New("reply status code was 400")}
	if x := Explain(codesOnly); x == nil || x.Code != 53003 || x.Title != knownCodes[53003].title {
		t.Errorf("CallErr body with only error_codes: %+v", x)
	}
	for text, code := range map[string]int{
		`{"error":"interaction_required","error_codes":[50079]}`:      50079, // the whole text is the JSON
		`status 400:` + "\n" + `{"error_codes":[90095]}`:              90095, // only error_codes
		`device code: {"error":"expired_token","error_codes":[0,-3]}`: 0,     // no real code: the OAuth error
	} {
		x := Explain(errors.New(text))
		if x == nil || x.Code != code {
			t.Errorf("Explain(%q) = %+v, want code %d", text, x, code)
		}
	}
	if x := Explain(errors.New(`{"error":"invalid_grant","error_codes":[50076]}`)); x == nil || x.OAuthError != "invalid_grant" {
		t.Errorf("JSON text: %+v", x)
	}

	for _, tc := range []struct {
		err  error
		want string
	}{
		{&AuthError{Op: "signing in", Explanation: &Explanation{Code: 50076, Title: "MFA"}}, "signing in: AADSTS50076: MFA"},
		{&AuthError{Op: "admin consent", Explanation: &Explanation{OAuthError: "access_denied", Title: "Access denied"}}, "admin consent: access_denied: Access denied"},
		{&AuthError{Op: "x", Explanation: &Explanation{Title: "T"}}, "x: T"},
		{&ConsentRedirectError{ErrorCode: "access_denied", Subcode: "cancel", Description: "AADSTS65004: declined"}, "admin consent: access_denied (cancel): AADSTS65004: declined"},
		{&ConsentRedirectError{ErrorCode: "access_denied"}, "admin consent: access_denied"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
