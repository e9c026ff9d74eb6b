package flows

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows/graph"
)

// A partner's GDAP technician has no user object in the customer tenant: /me there
// is refused or not found, and who signed in comes from the sign-in's ID token
// claims; the tenant and roles are still read. Any other /me failure is an error.
func TestMeRefusedTakesTheIdentityFromTheSignIn(t *testing.T) {
	s := &Session{logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		signedIn: signedInClaims{upn: "tech@partner.example", name: "Partner Technician", oid: "oid-1", tid: "home-tid"}}
	reps := func(meStatus int) map[string]*graph.Response {
		me := &graph.Response{ID: "me", Status: meStatus, Body: json.RawMessage(`{"id":"u","displayName":"U","userPrincipalName":"u@customer.example"}`)}
		if meStatus != http.StatusOK {
			me.Err = &graph.Error{Method: "GET", Path: "/me", Status: meStatus, Code: "Request_ResourceNotFound"}
		}
		return map[string]*graph.Response{
			"me":    me,
			"org":   {ID: "org", Status: 200, Value: []json.RawMessage{json.RawMessage(`{"id":"cust-tid","displayName":"Customer","verifiedDomains":[{"name":"customer.example","isDefault":true}]}`)}},
			"roles": {ID: "roles", Status: 200, Value: []json.RawMessage{}},
		}
	}
	for _, status := range []int{http.StatusNotFound, http.StatusForbidden} {
		a, err := s.buildAdmin(reps(status))
		if err != nil {
			t.Fatalf("/me %d: %v", status, err)
		}
		if a.UPN != "tech@partner.example" || a.DisplayName != "Partner Technician" || a.ObjectID != "oid-1" || a.TenantID != "cust-tid" || a.TenantName != "Customer" {
			t.Fatalf("/me %d: admin %+v", status, a)
		}
	}
	if a, err := s.buildAdmin(reps(http.StatusOK)); err != nil || a.UPN != "u@customer.example" {
		t.Fatalf("/me answered: %+v, %v", a, err)
	}
	if _, err := s.buildAdmin(reps(http.StatusInternalServerError)); err == nil || !strings.Contains(err.Error(), "reading the signed-in admin") {
		t.Fatalf("/me 500: %v, want an error", err)
	}
	// Without a sign-in's claims there is nobody to name: the refusal stands.
	s.signedIn = signedInClaims{}
	if _, err := s.buildAdmin(reps(http.StatusNotFound)); err == nil {
		t.Fatal("/me 404 without sign-in claims accepted")
	}
}
