package flows

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// A client id may be typed or come in a pasted AOS
// consent link (client_id and redirect_uri are taken from it).
func TestParseClientIDInput(t *testing.T) {
	const id = "0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11"
	for _, tc := range []struct {
		name, in, id, redirect string
		usage                  bool
	}{
		{name: "guid", in: id, id: id},
		{name: "guid with spaces and braces", in: "  {" + strings.ToUpper(id) + "}\n", id: id},
		{name: "v1 adminconsent link", in: "https://login.microsoftonline.com/common/adminconsent?client_id=" + id + "&redirect_uri=https%3A%2F%2Fwww.avepointonlineservices.com%2Fconsent&state=x",
			id: id, redirect: "https://www.avepointonlineservices.com/consent"},
		{name: "v2 adminconsent link", in: "https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=" + id + "&scope=https://graph.microsoft.com/.default&redirect_uri=https://aos.example/cb",
			id: id, redirect: "https://aos.example/cb"},
		{name: "authorize link with prompt=consent", in: "https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/authorize?response_type=code&client_id=" + id + "&prompt=admin_consent",
			id: id},
		{name: "loopback redirect kept", in: "https://login.microsoftonline.com/common/adminconsent?client_id=" + id + "&redirect_uri=http://127.0.0.1:5000/", id: id, redirect: "http://127.0.0.1:5000/"},
		{name: "plain http redirect elsewhere refused", in: "https://login.microsoftonline.com/common/adminconsent?client_id=" + id + "&redirect_uri=http://evil.example/", usage: true},
		{name: "link without client_id", in: "https://login.microsoftonline.com/common/adminconsent?state=x", usage: true},
		{name: "link with a bad client_id", in: "https://login.microsoftonline.com/common/adminconsent?client_id=abc", usage: true},
		{name: "not a guid", in: "0b3a0d5e-7a8c-4f0e-9a51", usage: true},
		{name: "empty", in: "  ", usage: true},
		{name: "javascript", in: "javascript:alert('" + id + "')", usage: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, redirect, err := ParseClientIDInput(tc.in)
			if tc.usage {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("%q %q %v, want a usage error", got, redirect, err)
				}
				return
			}
			if err != nil || got != tc.id || redirect != tc.redirect {
				t.Fatalf("got %q %q %v, want %q %q", got, redirect, err, tc.id, tc.redirect)
			}
		})
	}
}

// A client id whose service principal is another app must never get
// the catalog's permissions granted tenant-wide.
func TestConsentTargetGuard(t *testing.T) {
	ce := testkit.App(t, "ce")
	app := *ce
	app.ClientID = "0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11"
	// fromGraph is the candidate as the tenant's reply makes it: decoded from
	// Graph's JSON, which is where its text is made display-safe.
	fromGraph := func(name string) *AppCandidate {
		data, _ := json.Marshal(map[string]string{"id": "sp1", "appId": app.ClientID, "displayName": "Renamed by the tenant", "appDisplayName": name})
		var r candidateReply
		if err := jsonUnmarshal(data, &r); err != nil {
			t.Fatal(err)
		}
		c := r.candidate()
		return &c
	}
	for _, tc := range []struct {
		name string
		sp   *AppCandidate
		ok   bool
		says []string
	}{
		{"absent: consent will create it", nil, true, nil},
		{"the catalog's app", &AppCandidate{AppID: app.ClientID, DisplayName: app.DisplayName, AppDisplayName: app.DisplayName}, true, nil},
		{"renamed by a tenant admin: still the app", &AppCandidate{AppID: app.ClientID, DisplayName: "Our backup", AppDisplayName: app.DisplayName}, true, nil},
		{"same name, other case and spaces", &AppCandidate{AppID: app.ClientID, AppDisplayName: "  avepoint cloud backup for dynamics customer engagement "}, true, nil},
		{"another app renamed to look like it", &AppCandidate{AppID: app.ClientID, DisplayName: app.DisplayName, AppDisplayName: "Contoso Payroll"}, false, []string{"STOP"}},
		{"no publisher's name: cannot tell", &AppCandidate{AppID: app.ClientID, DisplayName: app.DisplayName}, false, []string{"STOP"}},
		{"the catalog's name with decorations", fromGraph(app.DisplayName + "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"), true, nil},
		{"a name that merely starts the same", &AppCandidate{AppID: app.ClientID, AppDisplayName: "AvePoint Cloud Backup"}, false, []string{"STOP"}},
		{"another app", &AppCandidate{AppID: app.ClientID, DisplayName: "Contoso Payroll", AppDisplayName: "Contoso Payroll", AppOwnerOrganizationID: "11111111-2222-3333-4444-555555555555"}, false,
			[]string{"STOP", "Contoso Payroll", app.ClientID, "Directory.Read.All", "Application", "whole tenant", app.DisplayName, "11111111-2222-3333-4444-555555555555"}},
		{"hostile name is sanitized", fromGraph("Evil\x1b[31m app"), false, []string{`"Evil app"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := guardTarget(&app, tc.sp)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var g *WrongAppError
			if !errors.As(err, &g) || !errors.Is(err, ErrUsage) {
				t.Fatalf("err %v, want a WrongAppError", err)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("lacks %q:\n%s", s, err)
				}
			}
			if strings.ContainsAny(err.Error(), "\x1b") {
				t.Errorf("unsanitized: %q", err)
			}
		})
	}
}

// What the admin typed is quoted back in full up to 80 characters; only a longer input
// is cut, with an ellipsis.
func TestParseClientIDInputQuotesUpTo80Chars(t *testing.T) {
	exact := strings.Repeat("x", 80)
	for in, want := range map[string]string{
		exact:       `"` + exact + `" is neither a client id (a GUID) nor a consent link`,
		exact + "y": `"` + exact + `…" is neither a client id (a GUID) nor a consent link`,
	} {
		if _, _, err := ParseClientIDInput(in); err == nil || err.Error() != want {
			t.Errorf("ParseClientIDInput(%d chars): %v, want %s", len(in), err, want)
		}
	}
}

// A service principal reply that carries createdDateTime (servicePrincipal in v1.0
// does not document it; some replies have it) gives the candidate its creation time in
// UTC; an unreadable one leaves it zero ("unknown"), as does its absence.
func TestAppCandidateCreatedDateTime(t *testing.T) {
	for reply, want := range map[string]time.Time{
		`{"appId":"0B3A0D5E-7A8C-4F0E-9A51-8C3A3C1F7F11","createdDateTime":"2021-04-01T11:30:00+02:00"}`: time.Date(2021, 4, 1, 9, 30, 0, 0, time.UTC),
		`{"appId":"0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11","createdDateTime":"April 1st"}`:                 {},
		`{"appId":"0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11"}`:                                               {},
	} {
		var r candidateReply
		if err := jsonUnmarshal([]byte(reply), &r); err != nil {
			t.Fatal(err)
		}
		c := r.candidate()
		if c.CreatedDateTime != want || c.AppID != "0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11" || !c.AccountEnabled {
			t.Errorf("%s: created %v (%v), app id %q, enabled %t; want %v, the lower-case app id, enabled (absent accountEnabled)",
				reply, c.CreatedDateTime, c.CreatedDateTime.Location(), c.AppID, c.AccountEnabled, want)
		}
	}
}
