package ui

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// Results shown by the golden tests come from a real verification: flows signs in to
// the demo tenant (real MSAL over loopback HTTPS) and verifies from its Graph, so a
// golden can only show a state flows can really produce (no hand-made results). Each scenario's tenant is started once per test binary.

type verifiedKey struct{ scenario, app string }

var (
	verifiedMu    sync.Mutex
	verifiedCache = map[verifiedKey]*flows.Result{}
)

type fixedClock struct{}

func (fixedClock) Now() time.Time                         { return fixedNow }
func (fixedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

type demoOpener struct{ b *emulator.DemoBrowser }

func (d demoOpener) Open(u string) error { return d.b.Open(context.Background(), u) }

// verified returns a fresh copy of the verification of app in the demo tenant's
// scenario, checked at fixedNow.
func verified(t *testing.T, scenario, app string) *flows.Result {
	t.Helper()
	verifiedMu.Lock()
	defer verifiedMu.Unlock()
	k := verifiedKey{scenario, app}
	if r, ok := verifiedCache[k]; ok {
		return clone(r)
	}
	srv, err := emulator.Start(emulator.Options{Scenario: scenario, Catalog: testCatalog()})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s, err := flows.NewSession(flows.Config{
		Cloud:          flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()},
		SignInClientID: srv.SignInClientID(), HTTPClient: srv.HTTPClient(),
		Browser: demoOpener{srv.Browser(srv.DemoUser())}, Clock: fixedClock{},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.SignIn(ctx, nil); err != nil {
		t.Fatalf("signing in to the %s demo tenant: %v", scenario, err)
	}
	a, ok := srv.Catalog().App(app)
	if !ok {
		t.Fatalf("no app %s", app)
	}
	r, err := s.Verify(ctx, a)
	if err != nil {
		t.Fatalf("verifying %s in %s: %v", app, scenario, err)
	}
	srv.HTTPClient().CloseIdleConnections()
	verifiedCache[k] = r
	return clone(r)
}

func clone(r *flows.Result) *flows.Result {
	c := *r
	c.Permissions = append([]flows.PermissionCheck(nil), r.Permissions...)
	c.Extra = append([]flows.ExtraGrant(nil), r.Extra...)
	c.Warnings = append([]string(nil), r.Warnings...)
	if r.ServicePrincipal != nil {
		sp := *r.ServicePrincipal
		c.ServicePrincipal = &sp
	}
	return &c
}
