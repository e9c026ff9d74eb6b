package emulator

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
)

// adminConsentAs runs an admin consent for app key on the production path as the
// scenario's demo user and returns what the publisher's landing page received.
func adminConsentAs(t *testing.T, srv *Server, key string) (map[string]string, error) {
	t.Helper()
	app, _ := srv.Catalog().App(key)
	b := srv.Browser("")
	err := b.Open(testCtx(t), adminConsentURL(srv, app.ClientID, ""))
	q := landed(t, srv, b)
	out := map[string]string{}
	for k := range q {
		out[k] = q.Get(k)
	}
	return out, err
}

func TestRoleScenarios(t *testing.T) {
	t.Run("pim-eligible", func(t *testing.T) {
		// entra/id-governance/privileged-identity-management/pim-how-to-activate-role:
		// an eligible role is not held until activated.
		srv := startServer(t, Options{Scenario: "pim-eligible"})
		_, _, body := graphDoH(t, srv, tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All"), "me/transitiveMemberOf?$select=id,displayName,roleTemplateId", nil)
		if r := directoryRoles(items(body)); len(r) != 1 || r[0]["roleTemplateId"] != GlobalReaderTemplateID {
			t.Fatalf("roles %v", r)
		}
		q, err := adminConsentAs(t, srv, "ce")
		if !errors.Is(err, ErrPageError) || q["error"] != "access_denied" || !strings.HasPrefix(q["error_description"], "AADSTS90094:") {
			t.Fatalf("%v %v", err, q)
		}
	})
	t.Run("cloud-app-admin", func(t *testing.T) {
		// entra/identity/enterprise-apps/grant-admin-consent: Cloud Application
		// Administrator cannot grant Microsoft Graph application permissions.
		srv := startServer(t, Options{Scenario: "cloud-app-admin"})
		q, err := adminConsentAs(t, srv, "ce")
		if !errors.Is(err, ErrPageError) || !strings.HasPrefix(q["error_description"], "AADSTS90094:") || !strings.Contains(q["error_description"], "Microsoft Graph application permissions") {
			t.Fatalf("%v %v", err, q)
		}
		if code, _, _ := graphDoH(t, srv, tokenWith(t, srv, srv.DemoUser(), "Directory.Read.All"), "oauth2PermissionGrants", nil); code != 200 {
			t.Fatalf("a Cloud Application Administrator reads grants: %d", code)
		}
	})
	t.Run("group-role", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "group-role"})
		_, _, body := graphDoH(t, srv, tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All"), "me/transitiveMemberOf?$select=id,displayName,roleTemplateId", nil)
		if r := directoryRoles(items(body)); len(r) != 1 || r[0]["roleTemplateId"] != GlobalAdminTemplateID {
			t.Fatalf("transitive roles %v", r)
		}
		_, _, body = graphDoH(t, srv, tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All"), "me/memberOf", nil)
		if r := directoryRoles(items(body)); len(r) != 0 {
			t.Fatalf("direct roles %v", r)
		}
		if q, err := adminConsentAs(t, srv, "ce"); err != nil || q["admin_consent"] != "True" {
			t.Fatalf("%v %v", err, q)
		}
	})
	t.Run("restricted-reader", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "restricted-reader"})
		ce, _ := srv.Catalog().App("ce")
		code, _, body := graphDoH(t, srv, tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All"), "servicePrincipals(appId='"+ce.ClientID+"')/oauth2PermissionGrants", nil)
		if code != 403 || errCode(t, body) != "Authorization_RequestDenied" {
			t.Fatalf("%d %v", code, body)
		}
	})
	t.Run("consent-workflow", func(t *testing.T) {
		// entra/identity/enterprise-apps/configure-admin-consent-workflow.
		srv := startServer(t, Options{Scenario: "consent-workflow"})
		q, err := adminConsentAs(t, srv, "ce")
		if !errors.Is(err, ErrPageError) || !strings.HasPrefix(q["error_description"], "AADSTS90095:") {
			t.Fatalf("%v %v", err, q)
		}
		if r := srv.ConsentRequests(); len(r) != 1 || r[0].UPN != srv.DemoUser() {
			t.Fatalf("requests %+v", r)
		}
	})
	t.Run("soft-deleted", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "soft-deleted"})
		ce, _ := srv.Catalog().App("ce")
		if code, _, _ := graphDoH(t, srv, tokenWith(t, srv, srv.DemoUser(), "Directory.Read.All"), "servicePrincipals(appId='"+ce.ClientID+"')", nil); code != 404 {
			t.Fatalf("soft-deleted SP visible: %d", code)
		}
		q, err := adminConsentAs(t, srv, "ce")
		if !errors.Is(err, ErrPageError) || !strings.HasPrefix(q["error_description"], "AADSTS650051:") {
			t.Fatalf("%v %v", err, q)
		}
	})
}

func TestSignInScenarios(t *testing.T) {
	scopes := func(srv *Server) []string {
		return []string{srv.GraphScopePrefix() + "/User.Read", srv.GraphScopePrefix() + "/Directory.Read.All"}
	}
	for name, want := range map[string]string{"ca-blocked": "AADSTS53003", "signin-app-blocked": "AADSTS7000112"} {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t, Options{Scenario: name})
			_, err, _ := interactive(testCtx(t), newPublic(t, srv, srv.TenantID()), srv.Browser(""), scopes(srv), nil)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("interactive: %v", err)
			}
			_, err = newPublic(t, srv, srv.TenantID()).AcquireTokenByDeviceCode(testCtx(t), scopes(srv))
			if name == "signin-app-blocked" && (err == nil || !strings.Contains(err.Error(), want)) {
				t.Fatalf("device code: %v", err)
			}
		})
	}
	t.Run("guest-admin", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "guest-admin"})
		if !strings.Contains(srv.DemoUser(), "#EXT#") {
			t.Fatalf("demo user %s", srv.DemoUser())
		}
		_, err, _ := interactive(testCtx(t), newPublic(t, srv, "organizations"), srv.Browser(""), scopes(srv), nil)
		if err == nil || !strings.Contains(err.Error(), "AADSTS50020") {
			t.Fatalf("guest at /organizations: %v", err)
		}
		res, err, berr := interactive(testCtx(t), newPublic(t, srv, srv.TenantID()), srv.Browser(""), scopes(srv), nil)
		if err != nil || berr != nil || res.IDToken.TenantID != srv.TenantID() {
			t.Fatalf("guest at the tenant's authority: %v %v", err, berr)
		}
		if q, err := adminConsentAs(t, srv, "ce"); err != nil || q["admin_consent"] != "True" {
			t.Fatalf("guest GA consent: %v %v", err, q)
		}
	})
	t.Run("mfa-required", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "mfa-required"})
		ctx := testCtx(t)
		pca := newPublic(t, srv, srv.TenantID())
		res, err, _ := interactive(ctx, pca, srv.Browser(""), scopes(srv), nil)
		if err != nil {
			t.Fatal(err)
		}
		// The token expires within MSAL's five-minute window: the silent call refreshes
		// and meets the policy.
		_, err = pca.AcquireTokenSilent(ctx, scopes(srv), public.WithSilentAccount(res.Account))
		if err == nil || !strings.Contains(err.Error(), "AADSTS50076") {
			t.Fatalf("silent after the policy: %v", err)
		}
		res, err, _ = interactive(ctx, pca, srv.Browser(""), scopes(srv), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pca.AcquireTokenSilent(ctx, scopes(srv), public.WithSilentAccount(res.Account),
			public.WithClaims(`{"access_token":{"xms_cc":{"values":["cp1"]}}}`)); err != nil {
			t.Fatalf("refresh after MFA: %v", err)
		}
	})
}

// graph/api/serviceprincipal-list-approleassignments ("might have replication
// delays"): the service principal first, grants later, assignments later still,
// and reads meanwhile may meet a replica that answers 404 or 503.
func TestStaggeredReplication(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	srv := startServer(t, Options{Scenario: "staggered-replication", Now: clock.Now})
	ce, _ := srv.Catalog().App("ce")
	if q, err := adminConsentAs(t, srv, "ce"); err != nil || q["admin_consent"] != "True" {
		t.Fatalf("%v %v", err, q)
	}
	tok := tokenFor(srv, srv.DemoUser())
	if code, _, _ := graphDoH(t, srv, tok, "servicePrincipals(appId='"+ce.ClientID+"')", nil); code != 200 {
		t.Fatalf("SP not visible at once: %d", code)
	}
	grants := "servicePrincipals(appId='" + ce.ClientID + "')/oauth2PermissionGrants"
	var seen []int
	for range 3 {
		code, _, _ := graphDoH(t, srv, tok, grants, nil)
		seen = append(seen, code)
	}
	if seen[0] != 404 || seen[1] != 503 || seen[2] != 200 {
		t.Fatalf("reads while replicating: %v", seen)
	}
	clock.Advance(3 * time.Second)
	var st map[string]string
	for range 3 { // a lagging replica may answer any one read
		if _, _, st = verifyApp(t, srv, tok, ce); st["User.Read"] == "granted" {
			break
		}
	}
	if st["User.Read"] != "granted" || st["Directory.Read.All"] != "missing" {
		t.Fatalf("at 3 s: %v", st)
	}
	clock.Advance(3 * time.Second)
	for i := range 3 {
		if _, _, st = verifyApp(t, srv, tok, ce); st["Directory.Read.All"] == "granted" {
			break
		} else if i == 2 {
			t.Fatalf("at 6 s: %v", st)
		}
	}
	if code, _, _ := graphDoH(t, srv, tok, grants, nil); code != 200 {
		t.Fatalf("after replication: %d", code)
	}
}

// The grant shapes of messy-grants, as Graph returns them.
func TestMessyGrantShapes(t *testing.T) {
	srv := startServer(t, Options{Scenario: "messy-grants"})
	ce, _ := srv.Catalog().App("ce")
	tok := tokenFor(srv, srv.DemoUser())
	_, _, body := graphDoH(t, srv, tok, "servicePrincipals(appId='"+ce.ClientID+"')/oauth2PermissionGrants", nil)
	principals, odd := 0, false
	for _, g := range items(body) {
		if g["consentType"] == "Principal" {
			principals++
		}
		odd = odd || strings.Contains(g["scope"].(string), "  User.Read  ")
	}
	if principals < 2 || !odd {
		t.Fatalf("grants %v", items(body))
	}
	_, _, body = graphDoH(t, srv, tok, "servicePrincipals(appId='"+ce.ClientID+"')/appRoleAssignments", nil)
	zero := false
	for _, a := range items(body) {
		zero = zero || a["appRoleId"] == "00000000-0000-0000-0000-000000000000"
	}
	if !zero {
		t.Fatalf("no default access assignment: %v", items(body))
	}
	_, _, graph := graphDoH(t, srv, tok, "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=oauth2PermissionScopes", nil)
	for _, sc := range graph["oauth2PermissionScopes"].([]any) {
		m := sc.(map[string]any)
		if (m["value"] == "Group.Read.All") == (m["isEnabled"] == true) {
			t.Fatalf("scope %v", m)
		}
	}
	_ = http.StatusOK
}
