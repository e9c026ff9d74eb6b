package flows

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/d365consent/d365consent/internal/explain"
)

// tokenErr is the token endpoint's refusal with code, as MSAL Go returns it.
func tokenErr(code int) error {
	body := fmt.Sprintf(`{"error":"invalid_grant","error_description":"AADSTS%d: refused.","error_codes":[%d]}`, code, code)
	return msalerrors.CallErr{Resp: &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))},
		Err: fmt.Errorf("http call(https://login/token)(POST) error: reply status code was 400:\n%s", body)}
}

// An Entra ID refusal becomes an AuthError (ErrRefused, the code in its text); any
// other failure keeps its text under what was being done.
func TestWrapAuth(t *testing.T) {
	err := wrapAuth("signing in", tokenErr(50076))
	if !errors.Is(err, ErrRefused) || explain.Explain(err).Code != 50076 || err.Error() != "signing in: AADSTS50076: Multi-factor authentication required" {
		t.Fatalf("%v", err)
	}
	err = wrapAuth("signing in", errors.New("network down"))
	if errors.Is(err, ErrRefused) || err.Error() != "signing in: network down" {
		t.Fatalf("a network error is not a refusal: %v", err)
	}
}

// A sign-in refusal links to the lookup page on the cloud's own login host; the
// emulator's cloud falls back to the global host.
func TestSessionRefusalLinksToTheCloudsLookupPage(t *testing.T) {
	demo := Cloud{Name: "demo", AuthorityHost: "https://127.0.0.1:8443", GraphURL: "https://127.0.0.1:8443"}
	for name, want := range map[string]string{
		"global": "https://login.microsoftonline.com/error?code=50105",
		"usgov":  "https://login.microsoftonline.us/error?code=50105",
		"china":  "https://login.partner.microsoftonline.cn/error?code=50105",
		"demo":   "https://login.microsoftonline.com/error?code=50105",
	} {
		cloud, err := LookupCloud(name)
		if name == "demo" {
			cloud, err = demo, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		s := &Session{cfg: Config{Cloud: cloud}}
		var ae *explain.AuthError
		if err := s.wrapAuth(explain.SignIn, "signing in", tokenErr(50105)); !errors.As(err, &ae) || ae.Explanation.Link != want ||
			ae.Explanation.Title != "Account not assigned to the sign-in app" {
			t.Errorf("%s: %v, link %q, want %q", name, err, ae.Explanation.Link, want)
		}
	}
}
