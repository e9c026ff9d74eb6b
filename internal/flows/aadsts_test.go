package flows

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

const (
	traceID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
	corrID  = "11111111-2222-3333-4444-555555555555"
)

// DesignCodes is every AADSTS code DESIGN.md asks us to explain.
var designCodes = []int{65001, 65004, 90094, 90095, 700016, 50011, 50020, 50105, 900971, 500113, 7000218, 90008, 650051, 650052, 16000, 50076, 50079, 53003, 7000112}

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

func TestExplainEveryDesignCode(t *testing.T) {
	shapes := map[string]func(int) error{
		"form_post":      formPostErr,
		"token endpoint": func(c int) error { return callErr(c, false) },
		"device code":    func(c int) error { return callErr(c, true) },
		"consent redirect": func(c int) error {
			return &ConsentRedirectError{ErrorCode: "access_denied", Description: entraDescription(c)}
		},
		"wrapped": func(c int) error { return fmt.Errorf("signing in: %w", callErr(c, false)) },
	}
	for _, code := range designCodes {
		for name, mk := range shapes {
			t.Run(fmt.Sprintf("%d/%s", code, name), func(t *testing.T) {
				x := Explain(mk(code))
				if x == nil {
					t.Fatal("no explanation")
				}
				if x.Code != code {
					t.Errorf("code %d", x.Code)
				}
				k := knownCodes[code]
				if x.Title != k.title || k.title == "" || k.meaning == "" || k.fix == "" || x.Fix != k.fix {
					t.Errorf("not explained in plain words: %+v", x)
				}
				if x.TraceID != traceID || x.CorrelationID != corrID || !strings.HasPrefix(x.Timestamp, "2025-03-04") {
					t.Errorf("ids: trace %q corr %q time %q", x.TraceID, x.CorrelationID, x.Timestamp)
				}
				if want := fmt.Sprintf("AADSTS%d: Something <happened> & more.", code); x.Description != want {
					t.Errorf("description %q, want %q", x.Description, want)
				}
				if x.Link != fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", code) {
					t.Errorf("link %q", x.Link)
				}
			})
		}
	}
	// appIdentityCodes (aadsts_app.go) are the app identity and partner codes of issue 15.
	if len(knownCodes) != len(designCodes)+len(appIdentityCodes) {
		t.Errorf("knownCodes has %d entries, DESIGN.md lists %d (+%d app identity codes)", len(knownCodes), len(designCodes), len(appIdentityCodes))
	}
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

func TestExplainOAuthOnlyAndRefused(t *testing.T) {
	x := Explain(&ConsentRedirectError{ErrorCode: "access_denied", Subcode: "cancel"})
	if x == nil || x.Code != 0 || x.OAuthError != "access_denied" || x.Title == "" {
		t.Fatalf("%+v", x)
	}
	err := wrapAuth("signing in", callErr(50076, false))
	if !errors.Is(err, ErrRefused) || Explain(err).Code != 50076 || !strings.Contains(err.Error(), "AADSTS50076") {
		t.Fatalf("%v", err)
	}
	if err := wrapAuth("signing in", errors.New("network down")); errors.Is(err, ErrRefused) {
		t.Fatalf("a network error is not a refusal: %v", err)
	}
}

func TestExplainSanitizesDescription(t *testing.T) {
	x := Explain(errors.New("AADSTS65004: declined\x1b]8;;https://evil\x07 click\x1b[31m"))
	if x == nil || strings.ContainsAny(x.Description, "\x1b\x07") {
		t.Fatalf("%+v", x)
	}
}
