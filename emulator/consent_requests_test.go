package emulator

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// manualClock is a clock the test moves by hand.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fileRequest opens CE's admin consent link as the demo user of consent-workflow,
// which files a request (AADSTS90095), and returns CE's client id.
func fileRequest(t *testing.T, srv *Server) string {
	t.Helper()
	q, err := adminConsentAs(t, srv, "ce")
	if !errors.Is(err, ErrPageError) || !strings.HasPrefix(q["error_description"], "AADSTS90095:") {
		t.Fatalf("%v %v", err, q)
	}
	ce, _ := srv.Catalog().App("ce")
	return ce.ClientID
}

// ceGranted reads CE's service principal and its delegated grants from Graph as the
// demo user: 404 while nothing is granted.
func ceGranted(t *testing.T, srv *Server, clientID string) (status int, scopes []string) {
	t.Helper()
	tok := tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All")
	code, _, _ := graphDoH(t, srv, tok, "servicePrincipals(appId='"+clientID+"')", nil)
	if code != 200 {
		return code, nil
	}
	_, _, body := graphDoH(t, srv, tok, "servicePrincipals(appId='"+clientID+"')/oauth2PermissionGrants", nil)
	for _, g := range items(body) {
		if g["consentType"] == "AllPrincipals" {
			scopes = append(scopes, strings.Fields(g["scope"].(string))...)
		}
	}
	return code, scopes
}

// In consent-workflow the scenario's reviewer approves a filed request 5 s after it
// was filed, by the emulator's clock: before that Graph shows nothing, after it the
// tenant-wide grants (review-admin-consent-requests: approving grants admin consent).
func TestConsentWorkflowReviewerApprovesAfterDelay(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	srv := startServer(t, Options{Scenario: "consent-workflow", Now: clock.Now})
	filed := clock.Now()
	ce := fileRequest(t, srv)
	clock.advance(4*time.Second + 999*time.Millisecond)
	if code, _ := ceGranted(t, srv, ce); code != 404 {
		t.Fatalf("before the review: %d, want 404", code)
	}
	if r := srv.ConsentRequests(); len(r) != 1 || !r[0].Approved.IsZero() {
		t.Fatalf("before the review: %+v", r)
	}
	clock.advance(time.Millisecond)
	code, scopes := ceGranted(t, srv, ce)
	if code != 200 || !containsFold(scopes, "User.Read") {
		t.Fatalf("after the review: %d %v", code, scopes)
	}
	r := srv.ConsentRequests()
	if len(r) != 1 || !r[0].Approved.Equal(filed.Add(5*time.Second)) || r[0].ApprovedBy != "admin@"+demoDomain {
		t.Fatalf("after the review: %+v", r)
	}
}

// ApproveConsentRequest approves the pending request at once, as a reviewer in the
// admin center; without a pending request it fails.
func TestApproveConsentRequest(t *testing.T) {
	clock := &manualClock{now: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	srv := startServer(t, Options{Scenario: "consent-workflow", Now: clock.Now})
	ce, _ := srv.Catalog().App("ce")
	if err := srv.ApproveConsentRequest(ce.ClientID); err == nil {
		t.Fatal("approved a request nobody filed")
	}
	fileRequest(t, srv)
	if err := srv.ApproveConsentRequest(strings.ToUpper(ce.ClientID)); err != nil {
		t.Fatal(err)
	}
	if code, scopes := ceGranted(t, srv, ce.ClientID); code != 200 || !containsFold(scopes, "User.Read") {
		t.Fatalf("after the approval: %d %v", code, scopes)
	}
	if r := srv.ConsentRequests(); len(r) != 1 || !r[0].Approved.Equal(clock.Now()) {
		t.Fatalf("requests %+v", r)
	}
	if err := srv.ApproveConsentRequest(ce.ClientID); err == nil {
		t.Fatal("approved the same request twice")
	}
}
