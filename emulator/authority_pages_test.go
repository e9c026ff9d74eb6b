package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The authority host answers the browser pages Entra ID serves there (the admin
// consent link consent-url prints, the authorize endpoint) by sending the browser to
// the same page on the demo's plain-HTTP pages, which then show the account picker.
func TestAuthorityHostSendsBrowserPagesToThePages(t *testing.T) {
	s, err := Start(Options{Scenario: "partial"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	app, _ := s.Catalog().App("ce")
	client := *s.HTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for _, path := range []string{
		"/" + s.TenantID() + "/adminconsent?client_id=" + app.ClientID + "&state=s1",
		"/" + s.TenantID() + "/oauth2/v2.0/authorize?client_id=" + s.SignInClientID() + "&response_type=code&redirect_uri=" +
			url.QueryEscape("http://localhost") + "&scope=" + url.QueryEscape("https://graph.microsoft.com/User.Read") + "&state=s2",
	} {
		resp, err := client.Get(s.AuthorityHost() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != s.PagesURL()+path {
			t.Fatalf("%s: %s Location %q, want 302 to %s", path, resp.Status, resp.Header.Get("Location"), s.PagesURL()+path)
		}
		resp, err = s.HTTPClient().Get(s.AuthorityHost() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), s.PagesURL()) {
			t.Fatalf("%s: followed, %s at %s", path, resp.Status, resp.Request.URL)
		}
	}
	// Anything else at the authority is still Entra ID's JSON error.
	resp, err := client.Get(s.AuthorityHost() + "/" + s.TenantID() + "/no-such-page")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %s, want 404", resp.Status)
	}
}
