package ui

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// fakeEngine is a scripted Engine: tests pin screens with it. The end-to-end tests
// use the real flows against the emulator instead.
type fakeEngine struct {
	mu sync.Mutex

	prompt    *flows.SignInPrompt
	release   chan struct{} // SignIn waits for it when not nil
	admin     *flows.Admin
	signInErr error
	// reread is the admin Admin gives once a Verify ran: the roles read again with
	// the grant-reading token (nil: the admin is as signed in).
	reread *flows.Admin

	verify    []*flows.Result // returned in turn; the last one repeats
	verifyErr error
	verifies  int

	waiter     *fakeWaiter
	consentErr error
	consents   int
}

func (f *fakeEngine) SignIn(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	if f.prompt != nil {
		prompt(*f.prompt)
	}
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.signInErr != nil {
		return nil, f.signInErr
	}
	return f.admin, nil
}

func (f *fakeEngine) Verify(ctx context.Context, app *permissions.App) (*flows.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verifyErr != nil {
		return nil, f.verifyErr
	}
	i := min(f.verifies, len(f.verify)-1)
	f.verifies++
	return f.verify[i], nil
}

func (f *fakeEngine) Admin() *flows.Admin {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.verifies > 0 {
		return f.reread
	}
	return nil
}

func (f *fakeEngine) StartConsent(ctx context.Context, app *permissions.App) (ConsentWaiter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consents++
	if f.consentErr != nil {
		return nil, f.consentErr
	}
	return f.waiter, nil
}

// fakeWaiter is a consent wait whose events the test sends.
type fakeWaiter struct {
	url      string
	ch       chan flows.ConsentEvent
	rechecks atomic.Int32
	closed   atomic.Int32
}

func newFakeWaiter(url string) *fakeWaiter {
	return &fakeWaiter{url: url, ch: make(chan flows.ConsentEvent, 8)}
}

func (w *fakeWaiter) ConsentURL() string                { return w.url }
func (w *fakeWaiter) Events() <-chan flows.ConsentEvent { return w.ch }
func (w *fakeWaiter) Recheck()                          { w.rechecks.Add(1) }
func (w *fakeWaiter) Close() error                      { w.closed.Add(1); return nil }
func (w *fakeWaiter) Paste(string) error                { return nil }
func (w *fakeWaiter) Resume()                           {}
func (w *fakeWaiter) LoopbackRedirect() bool            { return true }

// fakeApprover records what it approved.
type fakeApprover struct {
	mu   sync.Mutex
	urls []string
	err  error
}

func (a *fakeApprover) Approve(ctx context.Context, url string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.urls = append(a.urls, url)
	return a.err
}

var fixedNow = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

const (
	testCEClient = "11111111-2222-3333-4444-555555555555"
	testUOClient = "66666666-7777-8888-9999-000000000000"
	testTenant   = "72f988bf-86f1-41af-91ab-2d7cd011db47"
)

// testCatalog is the fixture catalog (permissions/testdata, see internal/testkit) with
// client ids, like the demo tenant's: the shipped catalog can change without a test here.
func testCatalog() *permissions.Catalog {
	c, err := permissions.LoadFile(filepath.Join("..", "..", "permissions", "testdata", "fixture-catalog.json"))
	if err != nil {
		panic(err)
	}
	for i := range c.Apps {
		switch c.Apps[i].Key {
		case "ce":
			c.Apps[i].ClientID = testCEClient
		case "uo":
			c.Apps[i].ClientID = testUOClient
		}
	}
	return c
}

func testAdmin(canConsent bool) *flows.Admin {
	a := &flows.Admin{UPN: "admin@contoso.onmicrosoft.com", DisplayName: "Megan Bowen", TenantID: testTenant, TenantName: "Contoso"}
	if canConsent {
		a.Roles = []string{"Global Administrator"}
		a.CanConsent = true
	} else {
		a.RoleWarning = "You have no active Global Administrator or Privileged Role Administrator role: Entra ID will refuse admin consent (AADSTS90094). If your role is eligible in PIM, activate it first."
	}
	return a
}

// result builds a Result for app key with the given per-permission statuses
// ("" = granted), or a not-consented result when sp is false.
func result(key string, sp bool, status map[string]flows.PermStatus) *flows.Result {
	app, _ := testCatalog().App(key)
	r := &flows.Result{
		Schema:    flows.ResultSchema,
		App:       flows.ResultApp{Key: key, DisplayName: app.DisplayName, ClientID: app.ClientID},
		Tenant:    flows.ResultTenant{ID: testTenant, DisplayName: "Contoso"},
		Cloud:     "global",
		CheckedAt: fixedNow,
		NextStep:  flows.NextStep(app),
	}
	if sp {
		r.ServicePrincipal = &flows.ResultSP{ID: "sp-1", AccountEnabled: true}
	}
	all := true
	for _, p := range app.Permissions {
		st := flows.PermGranted
		if !sp {
			st = flows.PermMissing
		} else if s, ok := status[p.Value]; ok {
			st = s
		}
		if st != flows.PermGranted {
			all = false
		}
		r.Permissions = append(r.Permissions, flows.PermissionCheck{
			API: p.API, ResourceAppID: p.ResourceAppID, Permission: p.Value, FriendlyName: p.FriendlyName,
			Type: string(p.Type), Status: st, NewlyRequired: p.NewlyRequired,
		})
	}
	switch {
	case !sp:
		r.Status = flows.StatusNotConsented
		if app.ReauthorizeOnly {
			r.ReauthorizeOnlyBlocked = true
		}
	case all:
		r.Status = flows.StatusComplete
	default:
		r.Status = flows.StatusIncomplete
	}
	return r
}

var errBoom = errors.New("boom")

func itoa(n int) string { return strconv.Itoa(n) }

func displayWidth(s string) int { return ansi.StringWidth(s) }

func newBenchModel(b *testing.B) *Model {
	m := New(context.Background(), Options{Engine: &fakeEngine{}, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }})
	b.Cleanup(m.Close)
	return m
}
