package flows

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// bodyCallErr is an MSAL CallErr whose text (text) does not repeat its body (body).
func bodyCallErr(text, body string) msalerrors.CallErr {
	return msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}, Err: errors.New(text)}
}

// What makes a JSON reply an OAuth error (an "error" member, or Entra's
// "error_codes"), in a CallErr's body and in an error's text, and which explanation
// wins when code and OAuth error disagree (mutants gremlins found alive in aadsts.go).
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
			code: 50076, title: knownCodes[50076].title, descr: "AADSTS50076: MFA needed."},
		{name: "text with an OAuth error and no codes",
			err:  errors.New(`reply status code was 400: {"error":"login_required","error_description":"sign in"}`),
			code: 0, oauth: "login_required", title: "Entra ID refused the request", descr: "sign in"},
		{name: "text whose JSON is no error: the AADSTS text is read instead",
			err:  errors.New(`AADSTS50076: MFA needed. {"foo":1}`),
			code: 50076, title: knownCodes[50076].title, descr: `AADSTS50076: MFA needed. {"foo":1}`},
		{name: "the first positive code, after a zero",
			err:  errors.New(`{"error":"invalid_grant","error_description":"x","error_codes":[0,50076]}`),
			code: 50076, oauth: "invalid_grant", title: knownCodes[50076].title, descr: "x"},
		{name: "a description that is only Entra's ids",
			err:  errors.New(`{"error":"invalid_grant","error_description":"Trace ID: 0b1e5a56-3a3c-4e7b-9b8e-2f3c5d6e7f80\r\nCorrelation ID: 11111111-2222-3333-4444-555555555555","error_codes":[50076]}`),
			code: 50076, oauth: "invalid_grant", title: knownCodes[50076].title, descr: "", traceID: "0b1e5a56-3a3c-4e7b-9b8e-2f3c5d6e7f80"},
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
