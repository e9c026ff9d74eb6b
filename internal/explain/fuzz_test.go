package explain

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/d365consent/d365consent/internal/testkit"
)

// explainShape builds the error Explain sees from fuzz input, in each shape an Entra
// error reaches us (see explain_test.go): 0 token endpoint (MSAL CallErr with the
// body), 1 device code (body already consumed, JSON only in the text), 2 interactive
// form_post (the HTML-escaped description as a plain error), 3 admin consent redirect
// (the query string), 4 a wrapped token endpoint error.
func explainShape(shape uint8, data []byte, text string) error {
	switch shape % 5 {
	case 0:
		return msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(bytes.NewReader(data))},
			Err: errors.New("http call(https://login/token)(POST) error: reply status code was 400:\n" + text)}
	case 1:
		return msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(bytes.NewReader(nil))},
			Err: errors.New("http call(https://login/devicecode)(POST) error: reply status code was 400:\n" + string(data))}
	case 2:
		return errors.New(text)
	case 3:
		q, _ := url.ParseQuery(text)
		if e := q.Get("error"); e != "" {
			return NewConsentRedirectError(e, q.Get("error_subcode"), q.Get("error_description"))
		}
		return errors.New("no error in the redirect")
	default:
		return fmt.Errorf("signing in: %w", explainShape(0, data, text))
	}
}

// FuzzExplain: Explain never panics on any error shape; what it returns is inert on
// a terminal, has a title, a plain explanation and a fix, and an AADSTS code only when
// the input carried those digits.
func FuzzExplain(f *testing.F) {
	for _, code := range []int{65004, 90094, 650052, 7000218, 12345} {
		desc := entraDescription(code)
		body := fmt.Sprintf(`{"error":"invalid_grant","error_description":%q,"error_codes":[%d],"timestamp":"2025-03-04 05:06:07Z","trace_id":%q,"correlation_id":%q}`,
			desc, code, traceID, corrID)
		f.Add(uint8(0), []byte(body), "")
		f.Add(uint8(1), []byte(body), "")
		f.Add(uint8(2), []byte(nil), html.EscapeString(desc))
		f.Add(uint8(3), []byte(nil), "error=access_denied&error_subcode=cancel&error_description="+url.QueryEscape(desc))
		f.Add(uint8(4), []byte(body), "")
	}
	f.Add(uint8(0), []byte(`{"error":"authorization_pending","error_codes":[70016]}`), "")
	f.Add(uint8(1), []byte(`{"error":"expired_token","error_description":"\u001b]52;c;ZXZpbA==\u0007gone"}`), "")
	f.Add(uint8(0), []byte(`{"error":"x","error_codes":[-1,0]}`), "")
	f.Add(uint8(2), []byte(nil), "AADSTS500011: The resource principal named https://127.0.0.1:1 was not found &lt;b&gt;\u202e")
	f.Add(uint8(3), []byte(nil), "error=%1B%5B31m&error_description=Trace+ID%3A")
	f.Fuzz(func(t *testing.T, shape uint8, data []byte, text string) {
		err := explainShape(shape, data, text)
		x := Explain(err)
		if x == nil {
			return
		}
		if x.Code < 0 {
			t.Fatalf("negative code %d", x.Code)
		}
		if x.Code > 0 {
			digits := strconv.Itoa(x.Code)
			// A redirect's query (shape 3) is read URL-decoded, as Entra's values are
			// escaped: "%39" is a digit there.
			decoded := ""
			if shape%5 == 3 {
				v, _ := url.ParseQuery(text)
				for k, vs := range v {
					decoded += k + "\n" + strings.Join(vs, "\n") + "\n"
				}
			}
			if !strings.Contains(text, digits) && !bytes.Contains(data, []byte(digits)) && !strings.Contains(decoded, digits) {
				t.Fatalf("code %d is not in the input", x.Code)
			}
			if x.Link != ErrorLookupURL(x.Code) {
				t.Fatalf("link %q for code %d", x.Link, x.Code)
			}
		} else if x.OAuthError == "" {
			t.Fatalf("explanation with neither a code nor an OAuth error: %+v", x)
		}
		if x.Title == "" || x.Meaning == "" || x.Fix == "" {
			t.Fatalf("incomplete explanation: %+v", x)
		}
		for _, s := range []string{x.OAuthError, x.Title, x.Meaning, x.Fix, x.CorrelationID, x.TraceID, x.Timestamp, x.Link} {
			if strings.Contains(s, "\n") {
				t.Fatalf("newline in %q", s)
			}
			testkit.CheckNoControls(t, s, false)
		}
		testkit.CheckNoControls(t, x.Meaning, false)
		testkit.CheckNoControls(t, x.Description, true)
		ae := &AuthError{Op: "signing in", Explanation: x, Err: err}
		testkit.CheckNoControls(t, ae.Error(), false)
		if !errors.Is(ae, ErrRefused) || Explain(ae) != x {
			t.Fatal("AuthError does not round-trip")
		}
		// The token endpoint body is put back for later readers.
		var ce msalerrors.CallErr
		if shape%5 == 0 && errors.As(err, &ce) {
			again, _ := io.ReadAll(ce.Resp.Body)
			if !bytes.Equal(again, data) && len(data) <= 1<<20 {
				t.Fatalf("body not restored: %q", again)
			}
		}
	})
}
