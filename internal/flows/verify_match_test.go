package flows

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/permissions"
)

// How a required permission is matched to what the tenant holds: a delegated permission by a whole value of the grant's
// space-separated scope on its own resource's service principal; a permission
// definition by its exact value before a case-insensitive one. Each test here fails
// on one deliberate bug no other test notices.

// verifyReply runs one $batch reply through the real Graph client and the engine.
func verifyReply(t *testing.T, app *permissions.App, reply []byte) *Result {
	t.Helper()
	c := graph.New(fuzzGraphBase, &http.Client{Transport: &replayTransport{replies: [][]byte{reply}}},
		func(context.Context) (string, error) { return "tok", nil }, graph.WithClock(nowClock{}))
	reps, err := c.BatchAll(context.Background(), VerificationRequests(app))
	if err != nil {
		t.Fatal(err)
	}
	r, err := evaluate(app, reps)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// statuses maps "API permission" to its status.
func statuses(r *Result) map[string]PermStatus {
	m := map[string]PermStatus{}
	for _, p := range r.Permissions {
		m[p.API+" "+p.Permission] = p.Status
	}
	return m
}

func wantStatuses(t *testing.T, r *Result, want map[string]PermStatus) {
	t.Helper()
	got := statuses(r)
	if len(got) != len(want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s, want %s (all: %v)", k, got[k], w, got)
		}
	}
}

// A grant of User.ReadBasic.All (or any scope that merely contains the value) does not
// give User.Read: scope values are whole words.
func TestDelegatedScopeIsAWholeValueNotASubstring(t *testing.T) {
	app := fuzzApp(t, false) // ce: Graph User.Read (D), Directory.Read.All (A); CRM user_impersonation (D)
	_, assignments := fullGrants(app)
	grants := `{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"User.ReadBasic.All openid"},` +
		`{"id":"g-crm","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res1","scope":"user_impersonation_all"}`
	r := verifyReply(t, app, seedTenant(app, grants, assignments, true))
	wantStatuses(t, r, map[string]PermStatus{
		"Microsoft Graph User.Read":          PermMissing,
		"Microsoft Graph Directory.Read.All": PermGranted,
		"Dynamics CRM user_impersonation":    PermMissing,
	})
	if r.Status != StatusIncomplete {
		t.Fatalf("status %s, want incomplete", r.Status)
	}
	// The near-misses are extra grants, not evidence.
	want := []ExtraGrant{
		{API: "Dynamics CRM", Permission: "user_impersonation_all", Type: "Delegated"},
		{API: "Microsoft Graph", Permission: "User.ReadBasic.All", Type: "Delegated"},
		{API: "Microsoft Graph", Permission: "openid", Type: "Delegated"},
	}
	if len(r.Extra) != len(want) {
		t.Fatalf("extra %+v, want %+v", r.Extra, want)
	}
	for i := range want {
		if r.Extra[i] != want[i] {
			t.Fatalf("extra %+v, want %+v", r.Extra, want)
		}
	}
	// Control: the whole value, among others and with odd spacing, does grant it.
	grants = `{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"  User.ReadBasic.All  User.Read "},` +
		`{"id":"g-crm","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res1","scope":"user_impersonation"}`
	r = verifyReply(t, app, seedTenant(app, grants, assignments, true))
	if r.Status != StatusComplete || r.Permissions[0].Evidence != "g-graph" || r.Permissions[2].Evidence != "g-crm" {
		t.Fatalf("whole values: %s %+v", r.Status, r.Permissions)
	}
}

// A user_impersonation grant on another API (here: on Microsoft Graph's service
// principal) does not grant Dynamics CRM's user_impersonation.
func TestDelegatedGrantCountsOnlyOnItsResource(t *testing.T) {
	app := fuzzApp(t, false)
	_, assignments := fullGrants(app)
	grants := `{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"User.Read user_impersonation"}`
	r := verifyReply(t, app, seedTenant(app, grants, assignments, true))
	wantStatuses(t, r, map[string]PermStatus{
		"Microsoft Graph User.Read":          PermGranted,
		"Microsoft Graph Directory.Read.All": PermGranted,
		"Dynamics CRM user_impersonation":    PermMissing,
	})
	if ev := r.Permissions[2].Evidence; ev != "" {
		t.Fatalf("CRM user_impersonation has evidence %q from a grant on another resource", ev)
	}
	if len(r.Extra) != 1 || r.Extra[0] != (ExtraGrant{API: "Microsoft Graph", Permission: "user_impersonation", Type: "Delegated"}) {
		t.Fatalf("extra %+v, want Graph user_impersonation", r.Extra)
	}
	// The same for a user-only grant: it is not user-consent-only evidence elsewhere.
	grants = `{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"User.Read"},` +
		`{"id":"g-user","clientId":"sp-app","consentType":"Principal","principalId":"u1","resourceId":"sp-res0","scope":"user_impersonation"}`
	r = verifyReply(t, app, seedTenant(app, grants, assignments, true))
	if got := r.Permissions[2].Status; got != PermMissing {
		t.Fatalf("CRM user_impersonation %s from a Principal grant on Graph, want missing", got)
	}
}

// A resource may publish values differing only in case (a custom API can): the exact
// value wins over a case-insensitive match, for scopes and app roles alike.
func TestPermissionLookupPrefersExactCase(t *testing.T) {
	app := fuzzApp(t, false)
	reply := batchJSON(
		[3]string{"app", "200", `{"id":"sp-app","appId":"` + app.ClientID + `","displayName":"App","accountEnabled":true}`},
		[3]string{"grants", "200", `{"value":[` +
			`{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"User.Read"},` +
			`{"id":"g-crm","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res1","scope":"user_impersonation"}]}`},
		[3]string{"assignments", "200", `{"value":[{"id":"asg-exact","appRoleId":"role-exact","resourceId":"sp-res0","resourceDisplayName":"Microsoft Graph"}]}`},
		[3]string{"r0", "200", `{"id":"sp-res0","appId":"` + permissions.GraphAppID + `","displayName":"Microsoft Graph",` +
			`"appRoles":[{"id":"role-folded","value":"directory.read.all","isEnabled":true},{"id":"role-exact","value":"Directory.Read.All","isEnabled":true}],` +
			`"oauth2PermissionScopes":[{"id":"scope-folded","value":"USER.READ","isEnabled":true},{"id":"scope-exact","value":"User.Read","isEnabled":true}]}`},
		[3]string{"r1", "200", `{"id":"sp-res1","appId":"` + permissions.DynamicsCRMAppID + `","displayName":"Dynamics CRM","appRoles":[],` +
			`"oauth2PermissionScopes":[{"id":"crm-scope","value":"user_impersonation","isEnabled":true}]}`},
	)
	r := verifyReply(t, app, reply)
	want := []struct {
		id, evidence string
		status       PermStatus
	}{
		{"scope-exact", "g-graph", PermGranted},
		{"role-exact", "asg-exact", PermGranted},
		{"crm-scope", "g-crm", PermGranted},
	}
	for i, w := range want {
		p := r.Permissions[i]
		if p.ID != w.id || p.Evidence != w.evidence || p.Status != w.status {
			t.Errorf("%s: id %q evidence %q %s, want %q %q %s", p.Permission, p.ID, p.Evidence, p.Status, w.id, w.evidence, w.status)
		}
	}
	if r.Status != StatusComplete {
		t.Fatalf("status %s, want complete", r.Status)
	}
	// Without an exact match, the case-insensitive one is used.
	if d := findDef([]permDef{{ID: "a", Value: "USER.READ"}, {ID: "b", Value: "user.read"}}, "User.Read"); d == nil || d.ID != "a" {
		t.Fatalf("fallback found %+v, want the first case-insensitive match", d)
	}
}

// A second assignment of a required app role is neither missing nor extra: a tenant
// that holds Directory.Read.All twice is complete with no extra grant.
func TestDuplicateRequiredAssignmentIsNotExtra(t *testing.T) {
	app := fuzzApp(t, false) // ce: Graph User.Read (D), Directory.Read.All (A); CRM user_impersonation (D)
	grants, assignments := fullGrants(app)
	dup := strings.Replace(assignments, `"id":"asg-`, `"id":"dup-asg-`, 1)
	r := verifyReply(t, app, seedTenant(app, grants, assignments+","+dup, true))
	if r.Status != StatusComplete || len(r.Extra) != 0 {
		t.Fatalf("status %s, extra %+v; want complete with no extra", r.Status, r.Extra)
	}
}

// A delegated permission only some users consented to is named in a warning; rows
// granted tenant-wide are not.
func TestUserConsentOnlyWarning(t *testing.T) {
	app := fuzzApp(t, false) // ce: Graph User.Read (D), Directory.Read.All (A); CRM user_impersonation (D)
	grants, assignments := fullGrants(app)
	grants = strings.Replace(grants, `"consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0"`,
		`"consentType":"Principal","principalId":"user-1","resourceId":"sp-res0"`, 1)
	r := verifyReply(t, app, seedTenant(app, grants, assignments, true))
	want := []string{"Microsoft Graph User.Read is consented by some users only, not for the whole tenant: admin consent is still needed."}
	if r.Status != StatusIncomplete || strings.Join(r.Warnings, "|") != strings.Join(want, "|") {
		t.Fatalf("status %s, warnings %q; want incomplete with %q", r.Status, r.Warnings, want)
	}
}

// The re-authorize-only message gives the date creation closed, when known.
func TestReauthorizeOnlyMessageDate(t *testing.T) {
	with := reauthorizeOnlyMessage(&permissions.App{DisplayName: "UO", CreationClosedOn: "2024-06-30"})
	without := reauthorizeOnlyMessage(&permissions.App{DisplayName: "UO"})
	if !strings.HasPrefix(with, "UO can only be re-authorized: it can no longer be created since 2024-06-30, and ") ||
		!strings.HasPrefix(without, "UO can only be re-authorized: it can no longer be created, and ") {
		t.Fatalf("with a date: %q\nwithout: %q", with, without)
	}
}

// A scope that differs from a required value only by characters the display drops
// (an escape sequence, a zero-width space) does not grant it: values are compared as
// Graph sent them, and such a grant is listed as extra, display-safe.
func TestScopeWithInvisibleCharactersDoesNotGrant(t *testing.T) {
	app := fuzzApp(t, false)
	_, assignments := fullGrants(app)
	grants := `{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"User.Read\u200b"},` +
		`{"id":"g-crm","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res1","scope":"user_impersonation\u001b[0m"}`
	r := verifyReply(t, app, seedTenant(app, grants, assignments, true))
	wantStatuses(t, r, map[string]PermStatus{
		"Microsoft Graph User.Read":          PermMissing,
		"Microsoft Graph Directory.Read.All": PermGranted,
		"Dynamics CRM user_impersonation":    PermMissing,
	})
	want := []ExtraGrant{
		{API: "Dynamics CRM", Permission: "user_impersonation", Type: "Delegated"},
		{API: "Microsoft Graph", Permission: "User.Read", Type: "Delegated"},
	}
	if len(r.Extra) != len(want) || r.Extra[0] != want[0] || r.Extra[1] != want[1] {
		t.Fatalf("extra %+v, want %+v", r.Extra, want)
	}
}
