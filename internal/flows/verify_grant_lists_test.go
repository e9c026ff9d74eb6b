package flows

import (
	"strings"
	"testing"
)

// Users' own (Principal) grants listed before the tenant-wide (AllPrincipals) grant of
// the same scopes leave the permission granted by the tenant-wide grant, whatever the
// order Graph lists them in; and one user's consent is never an extra grant of the
// app (it grants that user alone, oauth2permissiongrant resource: consentType).
func TestPrincipalGrantsBeforeTheTenantWideGrant(t *testing.T) {
	app := fuzzApp(t, false) // ce: Graph User.Read (D), Directory.Read.All (A); CRM user_impersonation (D)
	_, assignments := fullGrants(app)
	principal := `{"id":"g-user1","clientId":"sp-app","consentType":"Principal","principalId":"u1","resourceId":"sp-res0","scope":"User.Read Mail.Read"},` +
		`{"id":"g-user2","clientId":"sp-app","consentType":"Principal","principalId":"u2","resourceId":"sp-res1","scope":"user_impersonation"},`
	tenantWide := `{"id":"g-graph","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0","scope":"User.Read"},` +
		`{"id":"g-crm","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res1","scope":"user_impersonation"}`
	r := verifyReply(t, app, seedTenant(app, principal+tenantWide, assignments, true))
	wantStatuses(t, r, map[string]PermStatus{
		"Microsoft Graph User.Read":          PermGranted,
		"Microsoft Graph Directory.Read.All": PermGranted,
		"Dynamics CRM user_impersonation":    PermGranted,
	})
	if r.Status != StatusComplete || r.Permissions[0].Evidence != "g-graph" || r.Permissions[2].Evidence != "g-crm" {
		t.Fatalf("status %s, evidence %q / %q: want complete from the tenant-wide grants", r.Status, r.Permissions[0].Evidence, r.Permissions[2].Evidence)
	}
	if len(r.Extra) != 0 {
		t.Fatalf("extra %+v: a user's own consent (Mail.Read for u1) is not an extra grant of the app", r.Extra)
	}
}

// Right after consent the app's service principal can be visible while its grant
// lists still answer 404 (Entra ID replicates them separately): that is an
// incomplete result that says "replicating, run again in a minute" — never a raw 404
// error (exit 1), never "not consented".
func TestGrantListsNotFoundRightAfterConsentAreReplicating(t *testing.T) {
	app := fuzzApp(t, false)
	const empty = `{"id":"grants","status":200,"headers":{"Content-Type":"application/json"},"body":{"value":[]}}`
	const notYet = `{"id":"grants","status":404,"headers":{"Content-Type":"application/json"},"body":{"error":{"code":"Request_ResourceNotFound","message":"Resource does not exist or one of its queried reference-property objects are not present."}}}`
	seed := string(seedTenant(app, "", "", true))
	if !strings.Contains(seed, empty) {
		t.Fatalf("seed has no empty grant list: %s", seed)
	}
	r := verifyReply(t, app, []byte(strings.Replace(seed, empty, notYet, 1)))
	if r.Status != StatusIncomplete || !r.Replicating || r.ServicePrincipal == nil {
		t.Fatalf("status %s replicating %v sp %+v, want incomplete and replicating", r.Status, r.Replicating, r.ServicePrincipal)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || strings.Contains(w, "replication") && strings.Contains(w, "Run verify again in a minute")
	}
	if !found {
		t.Fatalf("warnings %q lack the replication advice", r.Warnings)
	}
}
