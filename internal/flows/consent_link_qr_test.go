package flows_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// The link for another device is the documented tenant-wide admin consent URL,
// https://{login-host}/{tenant}/adminconsent?client_id={client-id}: no state, no
// loopback redirect_uri (127.0.0.1 or localhost, any port); a redirect_uri that is
// not a loopback one stays. A link already in that form is returned unchanged.
func TestConsentLinkForAnotherDevice(t *testing.T) {
	c, _ := flows.LookupCloud("global")
	const client = "11111111-2222-3333-4444-555555555555"
	documented := "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=" + client
	for _, tc := range []struct{ redirect, want string }{
		{"", documented},
		{"http://127.0.0.1:5000/", documented},
		{"http://127.0.0.1:41234", documented},
		{"http://localhost:8400/callback", documented},
		{"https://aos.example/consent", documented + "&redirect_uri=https%3A%2F%2Faos.example%2Fconsent"},
	} {
		full, err := flows.AdminConsentURL(c, "contoso.onmicrosoft.com", client, flows.NewState(), tc.redirect)
		if err != nil {
			t.Fatal(err)
		}
		if got := flows.ConsentLinkForAnotherDevice(full); got != tc.want {
			t.Errorf("redirect %q: %s\nwant %s", tc.redirect, got, tc.want)
		}
		if got := flows.ConsentLinkForAnotherDevice(tc.want); got != tc.want {
			t.Errorf("the link for another device changed: %s", got)
		}
	}
}

// A consent granted from the link for another device (the QR code a phone scans)
// completes the wait from Microsoft Graph. In loopback-reply the wizard's link sends
// the browser back to its listener; the phone's link does not: Entra ID sends the
// phone's browser to the app's registered reply URL, the publisher's page, which says
// consent was granted; nothing reaches the listener, and nothing is taken as the
// wizard's own redirect.
func TestConsentFromAnotherDeviceReadFromGraph(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "loopback-reply", emulator.Faults{}, clock, nil)
	f.browser.away = true // the browser on this machine is never used
	app := f.app(t, "ce")
	c, err := f.session.StartConsent(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if u, _ := url.Parse(c.URL); !flows.IsLoopbackRedirect(u.Query().Get("redirect_uri")) {
		t.Fatalf("the wizard's link in loopback-reply has no loopback redirect_uri: %s", c.URL)
	}
	link := flows.ConsentLinkForAnotherDevice(c.URL)
	if want := f.srv.PagesURL() + "/" + f.srv.TenantID() + "/adminconsent?client_id=" + app.ClientID; link != want {
		t.Fatalf("the link for another device: %s\nwant %s", link, want)
	}
	phone := f.srv.Browser(f.srv.DemoUser())
	if err := phone.Open(context.Background(), link); err != nil {
		t.Fatalf("the phone: %v (visited %v)", err, phone.Visited)
	}
	last, _ := url.Parse(phone.Visited[len(phone.Visited)-1])
	if got := last.Scheme + "://" + last.Host + last.Path; got != f.srv.LandingURL() || last.Query().Get("admin_consent") != "True" || last.Query().Has("state") {
		t.Errorf("the phone's browser ended on %s; want the publisher's page %s with admin_consent=True and no state", last, f.srv.LandingURL())
	}
	evs := drain(t, c, clock, func(flows.ConsentEvent) bool { return true })
	final := evs[len(evs)-1]
	if !final.Done || final.Err != nil || final.Result == nil || final.Result.Status != flows.StatusComplete || final.Visible != final.Total {
		t.Fatalf("final %+v", final)
	}
	for _, ev := range evs {
		if ev.Redirected {
			t.Fatalf("the phone's consent was taken as a redirect to this machine: %+v", ev)
		}
	}
}
