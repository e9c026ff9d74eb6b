package flows

import (
	"errors"
	"strings"
	"testing"
)

func TestClouds(t *testing.T) {
	for name, want := range map[string][2]string{
		"global":    {"https://login.microsoftonline.com", "https://graph.microsoft.com"},
		"usgov":     {"https://login.microsoftonline.us", "https://graph.microsoft.us"},
		"usgov-dod": {"https://login.microsoftonline.us", "https://dod-graph.microsoft.us"},
		"china":     {"https://login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn"},
	} {
		c, err := LookupCloud(name)
		if err != nil || c.AuthorityHost != want[0] || c.GraphURL != want[1] || c.GraphResource != want[1] {
			t.Errorf("%s: %+v %v", name, c, err)
		}
		// --graph-url moves the endpoint only: the scopes still name this cloud's Graph.
		o, err := c.WithOverrides("https://127.0.0.1:8443", "https://127.0.0.1:9443/")
		if err != nil || o.GraphURL != "https://127.0.0.1:9443" || o.GraphResource != want[1] ||
			o.GraphScope("User.Read") != want[1]+"/User.Read" || o.GraphScope(".default") != want[1]+"/.default" {
			t.Errorf("%s overridden: %+v %v", name, o, err)
		}
	}
	if _, err := LookupCloud("mars"); !errors.Is(err, ErrUsage) {
		t.Errorf("unknown cloud: %v", err)
	}
	c, _ := LookupCloud("global")
	o, err := c.WithOverrides("https://127.0.0.1:8443/", "http://localhost:9000")
	if err != nil || o.AuthorityHost != "https://127.0.0.1:8443" || o.GraphURL != "http://localhost:9000" {
		t.Errorf("%+v %v", o, err)
	}
	for _, bad := range []string{"ftp://x", "not a url", "http://example.com", "https://u:p@x", "https://x/?q=1"} {
		if _, err := c.WithOverrides(bad, ""); !errors.Is(err, ErrUsage) {
			t.Errorf("override %q accepted", bad)
		}
	}
}

// A Cloud without a Graph resource URI cannot name its scopes: no session is built
// (a guessed prefix would be the endpoint's, which Entra ID does not know).
func TestCloudNeedsGraphResource(t *testing.T) {
	c := Cloud{Name: "demo", AuthorityHost: "https://127.0.0.1:8443", GraphURL: "https://127.0.0.1:8443"}
	if _, err := NewSession(Config{Cloud: c, SignInClientID: "14d82eec-204b-4c2f-b7e8-296a70dab67e"}); !errors.Is(err, ErrUsage) ||
		err.Error() != `no Microsoft Graph resource URI configured for cloud "demo"` {
		t.Errorf("session: %v", err)
	}
	if _, err := NewAppSession(Config{Cloud: c}, AppIdentity{Auth: AuthSecret, Secret: "x"}); !errors.Is(err, ErrUsage) {
		t.Errorf("app session: %v", err)
	}
}

func TestAdminConsentURL(t *testing.T) {
	c, _ := LookupCloud("usgov")
	u, err := AdminConsentURL(c, "contoso.onmicrosoft.com", "11111111-2222-3333-4444-555555555555", "st", "http://127.0.0.1:5000/")
	want := "https://login.microsoftonline.us/contoso.onmicrosoft.com/adminconsent?client_id=11111111-2222-3333-4444-555555555555&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2F&state=st"
	if err != nil || u != want {
		t.Fatalf("%s %v", u, err)
	}
	for _, tc := range []struct{ tenant, client string }{
		{"", "11111111-2222-3333-4444-555555555555"},
		{"common", "11111111-2222-3333-4444-555555555555"},
		{"consumers", "11111111-2222-3333-4444-555555555555"},
		{"bad tenant", "11111111-2222-3333-4444-555555555555"},
		{"contoso.com/../x", "11111111-2222-3333-4444-555555555555"},
		{"contoso.com", "not-a-guid"},
	} {
		if _, err := AdminConsentURL(c, tc.tenant, tc.client, "s", ""); !errors.Is(err, ErrUsage) {
			t.Errorf("%+v accepted", tc)
		}
	}
	// "organizations" is documented for admin consent: the signed-in admin's home
	// tenant (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent).
	for _, org := range []string{"organizations", "Organizations"} {
		u, err := AdminConsentURL(c, org, "11111111-2222-3333-4444-555555555555", "s", "")
		if err != nil || u != "https://login.microsoftonline.us/organizations/adminconsent?client_id=11111111-2222-3333-4444-555555555555&state=s" {
			t.Errorf("%s: %s %v", org, u, err)
		}
	}
	if a, b := NewState(), NewState(); a == b || len(a) < 40 || strings.ContainsAny(a, "+/=") {
		t.Errorf("states %q %q", a, b)
	}
}
