package explain

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

const (
	traceID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	corrID  = "11111111-2222-3333-4444-555555555555"
)

func entraDescription(code int) string {
	return fmt.Sprintf("AADSTS%d: Something <happened> & more.\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: 2025-03-04 05:06:07Z", code, traceID, corrID)
}

// Three shapes an Entra error reaches us in, as MSAL Go v1.10.1 produces them.
func formPostErr(code int) error { return errors.New(html.EscapeString(entraDescription(code))) }

func callErr(code int, consumed bool) error {
	body := fmt.Sprintf(`{"error":"invalid_grant","error_description":%q,"error_codes":[%d],"timestamp":"2025-03-04 05:06:07Z","trace_id":%q,"correlation_id":%q}`,
		entraDescription(code), code, traceID, corrID)
	resp := &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}
	if consumed { // device code: MSAL read the body to look for authorization_pending
		resp.Body = io.NopCloser(bytes.NewReader(nil))
	}
	return msalerrors.CallErr{Resp: resp, Err: fmt.Errorf("http call(https://login/token)(POST) error: reply status code was 400:\n%s", body)}
}

func TestExplainUnknownCode(t *testing.T) {
	x := Explain(callErr(123456, false))
	if x == nil || x.Code != 123456 || x.Link != "https://login.microsoftonline.com/error?code=123456" ||
		!strings.Contains(x.Meaning, "AADSTS123456: Something") || x.Fix == "" {
		t.Fatalf("%+v", x)
	}
}

func TestExplainNothingToExplain(t *testing.T) {
	for _, err := range []error{nil, errors.New("dial tcp: connection refused"), io.EOF,
		msalerrors.CallErr{Resp: &http.Response{StatusCode: 500, Body: io.NopCloser(strings.NewReader("oops"))}, Err: errors.New("500")}} {
		if x := Explain(err); x != nil {
			t.Errorf("Explain(%v) = %+v, want nil", err, x)
		}
	}
}

func TestExplainOAuthOnly(t *testing.T) {
	x := Explain(&ConsentRedirectError{ErrorCode: "access_denied", Subcode: "cancel"})
	if x == nil || x.Code != 0 || x.OAuthError != "access_denied" || x.Title == "" {
		t.Fatalf("%+v", x)
	}
}

func TestExplainSanitizesDescription(t *testing.T) {
	x := Explain(errors.New("AADSTS65004: declined\x1b]8;;https://evil\x07 click\x1b[31m"))
	if x == nil || strings.ContainsAny(x.Description, "\x1b\x07") {
		t.Fatalf("%+v", x)
	}
}

// bodyCallErr is an MSAL CallErr whose text (text) does not repeat its body (body).
func bodyCallErr(text, body string) msalerrors.CallErr {
	return msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}, Err: errors.New(text)}
}

// What makes a JSON reply an OAuth error (an "error" member, or Entra's
// "error_codes"), in a CallErr's body and in an error's text, and which explanation
// wins when code and OAuth error disagree.
func TestExplainWhichJSONIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name           string
		err            error
		code           int
		oauth, title   string
		descr, traceID string
		nilExplanation bool
	}{
		{name: "body with an OAuth error and no codes",
			err:  bodyCallErr("reply status code was 503", `{"error":"invalid_request","error_description":"try later"}`),
			code: 0, oauth: "invalid_request", title: "Entra ID refused the request", descr: "try later"},
		{name: "body that is JSON but no error: the AADSTS text is read instead",
			err:  bodyCallErr("AADSTS50076: MFA needed.", `{"foo":1}`),
			code: 50076, title: codes[50076].title, descr: "AADSTS50076: MFA needed."},
		{name: "text with an OAuth error and no codes",
			err:  errors.New(`reply status code was 400: {"error":"login_required","error_description":"sign in"}`),
			code: 0, oauth: "login_required", title: "Entra ID refused the request", descr: "sign in"},
		{name: "text whose JSON is no error: the AADSTS text is read instead",
			err:  errors.New(`AADSTS50076: MFA needed. {"foo":1}`),
			code: 50076, title: codes[50076].title, descr: `AADSTS50076: MFA needed. {"foo":1}`},
		{name: "the first positive code, after a zero",
			err:  errors.New(`{"error":"invalid_grant","error_description":"x","error_codes":[0,50076]}`),
			code: 50076, oauth: "invalid_grant", title: codes[50076].title, descr: "x"},
		{name: "a description that is only Entra's ids",
			err:  errors.New(`{"error":"invalid_grant","error_description":"Trace ID: 0b1e5a56-3a3c-4e7b-9b8e-2f3c5d6e7f80\r\nCorrelation ID: 11111111-2222-3333-4444-555555555555","error_codes":[50076]}`),
			code: 50076, oauth: "invalid_grant", title: codes[50076].title, descr: "", traceID: "0b1e5a56-3a3c-4e7b-9b8e-2f3c5d6e7f80"},
		{name: "an unknown code with a known OAuth error is explained by its code",
			err:  errors.New(`{"error":"access_denied","error_description":"AADSTS9999999: new thing","error_codes":[9999999]}`),
			code: 9999999, oauth: "access_denied", title: "Entra ID refused the request", descr: "AADSTS9999999: new thing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := Explain(tc.err)
			if x == nil {
				t.Fatalf("Explain(%v) = nil", tc.err)
			}
			if x.Code != tc.code || x.OAuthError != tc.oauth || x.Title != tc.title || x.Description != tc.descr || x.TraceID != tc.traceID {
				t.Fatalf("Explain = code %d oauth %q title %q description %q trace %q\nwant code %d oauth %q title %q description %q trace %q",
					x.Code, x.OAuthError, x.Title, x.Description, x.TraceID, tc.code, tc.oauth, tc.title, tc.descr, tc.traceID)
			}
		})
	}
}

// Error shapes the other tests do not reach alone:
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
	if x := Explain(codesOnly); x == nil || x.Code != 53003 || x.Title != codes[53003].title {
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
		{NewConsentRedirectError("access_denied", "", "AADSTS65004: User declined to consent.\r\nTrace ID: 0f1e\r\nCorrelation ID: 9a8b\r\nTimestamp: 2026-12-06 23:30:00Z"),
			"admin consent: access_denied: AADSTS65004: User declined to consent. Trace ID: 0f1e Correlation ID: 9a8b Timestamp: 2026-12-06 23:30:00Z"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// Support ids are listed only when the explanation carries them: none at all gives
// no line (not an empty "Error code:").
func TestSupportIDsOnlyWhatWasGiven(t *testing.T) {
	for _, tc := range []struct {
		x    *Explanation
		want []string
	}{
		{nil, nil},
		{&Explanation{Title: "Something"}, nil},
		{&Explanation{OAuthError: "invalid_grant", Timestamp: "2026-03-01 09:30:00Z"},
			[]string{"Error code: invalid_grant", "Timestamp: 2026-03-01 09:30:00Z"}},
	} {
		if got := SupportIDs(tc.x); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SupportIDs(%+v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
