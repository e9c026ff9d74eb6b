package flows_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// ConsentLinkWithoutState drops the state and nothing else: the link AdminConsentURL
// builds without one.
func TestConsentLinkWithoutState(t *testing.T) {
	c, _ := flows.LookupCloud("global")
	const client = "11111111-2222-3333-4444-555555555555"
	for _, redirect := range []string{"", "http://127.0.0.1:5000/"} {
		full, err := flows.AdminConsentURL(c, "contoso.onmicrosoft.com", client, flows.NewState(), redirect)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := flows.AdminConsentURL(c, "contoso.onmicrosoft.com", client, "", redirect)
		if got := flows.ConsentLinkWithoutState(full); got != want {
			t.Errorf("without state: %s\nwant %s", got, want)
		}
		if got := flows.ConsentLinkWithoutState(want); got != want {
			t.Errorf("a link without state changed: %s", got)
		}
	}
}

// A consent granted from the link without its state (the QR code a phone scans)
// completes the wait from Microsoft Graph; its redirect, which carries no state, is
// not taken as the wizard's own. loopback-reply: the wizard's listener is there, and
// the demo browser follows the redirect to it.
func TestConsentFromLinkWithoutStateReadFromGraph(t *testing.T) {
	clock := newFakeClock(false)
	f := start(t, "loopback-reply", emulator.Faults{}, clock, nil)
	f.browser.away = true // the browser on this machine is never used
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	qrLink := flows.ConsentLinkWithoutState(c.URL)
	if u, _ := url.Parse(qrLink); u.Query().Has("state") || u.Query().Get("client_id") != f.app(t, "ce").ClientID {
		t.Fatalf("QR link %s", qrLink)
	}
	// The phone: the demo user consents on the page the link opens. Its redirect
	// reaches the listener without a state, which refuses it.
	phone := f.srv.Browser(f.srv.DemoUser())
	if err := phone.Open(context.Background(), qrLink); err == nil || !strings.Contains(err.Error(), "answered 400 Bad Request") {
		t.Errorf("the listener's answer to a redirect without state: %v; want 400 Bad Request", err)
	}
	evs := drain(t, c, clock, func(flows.ConsentEvent) bool { return true })
	last := evs[len(evs)-1]
	if !last.Done || last.Err != nil || last.Result == nil || last.Result.Status != flows.StatusComplete || last.Visible != last.Total {
		t.Fatalf("final %+v", last)
	}
	for _, ev := range evs {
		if ev.Redirected {
			t.Fatalf("a redirect without state was taken as the consent's: %+v", ev)
		}
	}
}
