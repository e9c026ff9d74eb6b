package ui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// consentCase is an app of a demo scenario whose consent step offers the consent
// link's QR code: the state the demo tenant gives it, the signed-in admin, and the
// consent link flows builds for it there.
type consentCase struct {
	scenario, app string
	admin         *flows.Admin
	before        *flows.Result
	link          string
	catalog       *permissions.Catalog
}

// signInOnly opens sign-in pages in the demo browser and leaves the consent page
// unopened: the link is what the test needs, not a consent.
type signInOnly struct{ b *emulator.DemoBrowser }

func (o signInOnly) Open(u string) error {
	if strings.Contains(u, "/adminconsent") {
		return nil
	}
	return o.b.Open(context.Background(), u)
}

// consentCases signs in to every demo scenario's tenant (real MSAL over loopback
// HTTPS), reads CE's and UO's state from its Graph, and, where the wizard offers
// consent for that state, starts a consent wait to take the link it shows and stops
// it. A scenario whose sign-in or read fails never reaches the consent step.
func consentCases(t *testing.T) []consentCase {
	t.Helper()
	var cases []consentCase
	for _, sc := range emulator.Scenarios() {
		srv, err := emulator.Start(emulator.Options{Scenario: sc.Name, Catalog: testCatalog()})
		if err != nil {
			t.Fatal(err)
		}
		s, err := flows.NewSession(flows.Config{
			Cloud:          flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
			SignInClientID: srv.SignInClientID(), HTTPClient: srv.HTTPClient(),
			Browser: signInOnly{srv.Browser(srv.DemoUser())}, Clock: fixedClock{},
		})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err = s.SignIn(ctx, nil)
		for _, key := range []string{"ce", "uo"} {
			if err != nil {
				break // the wizard stops at the sign-in
			}
			app, _ := srv.Catalog().App(key)
			before, verr := s.Verify(ctx, app)
			blocked := before == nil || before.ReauthorizeOnlyBlocked || app.ReauthorizeOnly && before.ServicePrincipal == nil
			if verr != nil || blocked || !flows.ConsentCanHelp(before) {
				continue // the wizard offers no consent page
			}
			c, cerr := s.StartConsent(ctx, app)
			if cerr != nil {
				t.Fatalf("%s/%s: consent offered, but it does not start: %v", sc.Name, key, cerr)
			}
			cases = append(cases, consentCase{scenario: sc.Name, app: key, admin: s.Admin(), before: before, link: c.URL, catalog: srv.Catalog()})
			_ = c.Close()
		}
		cancel()
		srv.HTTPClient().CloseIdleConnections()
		srv.Close()
	}
	return cases
}

// In every demo scenario whose consent step offers the consent link's QR code, at
// 80×24 and at 120×40, r on the consent step shows a code, whole, that decodes to
// exactly the link the step shows or the documented short link
// (https://{host}/{tenant}/adminconsent?client_id={id}, flows.ConsentLinkForAnotherDevice);
// at 80×24 the screen fits the window. In loopback-reply the link carries
// redirect_uri=http://127.0.0.1:PORT, and at 80×24 only the short link's code fits.
// The walk to the consent step runs at 120×40, where the state's lines are above the
// fold; the window then takes the size under test, and r is pressed there.
func TestConsentQRInEveryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("signs in to every demo scenario's tenant")
	}
	cases := consentCases(t)
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.scenario] = true
	}
	if !covered["loopback-reply"] || !covered["fresh"] || len(cases) < 10 {
		t.Fatalf("consent is offered in too few scenarios (%d cases: %v)", len(cases), covered)
	}
	for _, c := range cases {
		u, err := url.Parse(c.link)
		if err != nil {
			t.Fatal(err)
		}
		short := u.Scheme + "://" + u.Host + u.Path + "?client_id=" + u.Query().Get("client_id")
		if c.scenario == "loopback-reply" && !flows.IsLoopbackRedirect(u.Query().Get("redirect_uri")) {
			t.Errorf("loopback-reply: the consent link has no loopback redirect_uri: %s", c.link)
		}
		for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%s/%dx%d", c.scenario, c.app, size.w, size.h), func(t *testing.T) {
				eng := &fakeEngine{admin: c.admin, verify: []*flows.Result{clone(c.before)}, waiter: newFakeWaiter(c.link)}
				s := startSession(t, eng, 120, 40, func(o *Options) { o.Catalog, o.App = c.catalog, c.app })
				s.waitFor("Purpose")
				s.keys("enter")
				s.waitFor("Enter opens the admin consent page")
				s.keys("enter")
				s.waitFor("visible in Microsoft Graph")
				s.tm.Send(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				s.keys("r")
				view := waitView(t, s, func(v string) bool { return len(testkit.ShownQR(v)) > 0 })
				got, err := testkit.DecodeQR(testkit.ShownQR(view))
				if err != nil || got != c.link && got != short {
					t.Errorf("the QR code decodes to %q (%v); want %s or %s:\n%s", got, err, c.link, short, view)
				}
				if size.h == 24 {
					checkFits(t, view, size.w, size.h)
				}
				if c.scenario == "loopback-reply" && size.h == 24 && got != short {
					t.Errorf("at 80×24 in loopback-reply the code holds %q, want the short link %s", got, short)
				}
			})
		}
	}
}
