package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/d365consent/d365consent/permissions"
)

// postAuthority posts form to path under the tenant's authority and returns the status
// and the JSON answer.
func postAuthority(t *testing.T, srv *Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.HTTPClient().Post(srv.AuthorityHost()+"/"+srv.TenantID()+path, "application/x-www-form-urlencoded", bytes.NewBufferString(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: not JSON: %v", path, err)
	}
	return resp.StatusCode, out
}

// deviceSignIn asks a device code for client and scope, has upn approve it on the
// device login page, and redeems it with a token request that carries no scope, as
// MSAL Python sends it (entra/identity-platform/v2-oauth2-device-code,
// "Authenticating the user": grant_type, client_id, device_code).
func deviceSignIn(t *testing.T, srv *Server, client, scope, upn string) (int, map[string]any) {
	t.Helper()
	code, dc := postAuthority(t, srv, "/oauth2/v2.0/devicecode", url.Values{"client_id": {client}, "scope": {scope}})
	if code != 200 {
		return code, dc
	}
	if err := srv.Browser(upn).OpenDeviceLogin(testCtx(t), dc["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	return postAuthority(t, srv, "/oauth2/v2.0/token", url.Values{"client_id": {client},
		"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {dc["device_code"].(string)}})
}

// claimsOf decodes an access token issued by srv.
func claimsOf(t *testing.T, srv *Server, tok any) map[string]any {
	t.Helper()
	s, _ := tok.(string)
	c, err := srv.verifyJWT(s)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return c
}

// TestDeviceCodeTokensFollowTheDeviceAuthorizationScopes: the device code token
// request has no scope; the tokens are for the /devicecode request's scopes, and a
// refresh token comes only when those included offline_access
// (v2-oauth2-device-code: "refresh_token: Issued if the original scope parameter
// included offline_access").
func TestDeviceCodeTokensFollowTheDeviceAuthorizationScopes(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	prefix := srv.GraphScopePrefix()
	code, tok := deviceSignIn(t, srv, SignInClientID, "openid profile offline_access "+prefix+"/User.Read "+prefix+"/Directory.Read.All", "")
	if code != 200 {
		t.Fatalf("token: %d %v", code, tok)
	}
	if tok["refresh_token"] == nil || !strings.Contains(tok["scope"].(string), prefix+"/Directory.Read.All") {
		t.Fatalf("offline_access asked at /devicecode: refresh token %v, scope %v", tok["refresh_token"] != nil, tok["scope"])
	}
	if c := claimsOf(t, srv, tok["access_token"]); c["aud"] != prefix || !strings.Contains(c["scp"].(string), "Directory.Read.All") {
		t.Fatalf("access token aud %v scp %v", c["aud"], c["scp"])
	}
	// The refresh token works without a scope of its own, for the same scopes.
	code, again := postAuthority(t, srv, "/oauth2/v2.0/token", url.Values{"client_id": {SignInClientID}, "grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}})
	if code != 200 || again["scope"] != tok["scope"] {
		t.Fatalf("refresh: %d %v", code, again)
	}
	code, tok = deviceSignIn(t, srv, SignInClientID, "openid profile "+prefix+"/User.Read", "")
	if code != 200 || tok["refresh_token"] != nil {
		t.Fatalf("no offline_access asked: %d, refresh token issued: %v", code, tok["refresh_token"] != nil)
	}
}

// TestAzureClientsSignInToResourceManagerAndGraph: Azure CLI signs in as `az login
// --use-device-code` does — Azure Resource Manager's /.default with the OpenID Connect
// scopes — without a consent prompt (pre-authorized), and its refresh token then
// gets a Microsoft Graph token (the refresh token is for every resource the client
// may use, entra/identity-platform/refresh-tokens). Azure PowerShell is a public
// client too.
func TestAzureClientsSignInToResourceManagerAndGraph(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	code, tok := deviceSignIn(t, srv, AzureCLIClientID, "https://management.core.windows.net//.default offline_access openid profile", "")
	if code != 200 {
		t.Fatalf("az device code: %d %v", code, tok)
	}
	arm := claimsOf(t, srv, tok["access_token"])
	if arm["aud"] != "https://management.core.windows.net/" || arm["scp"] != "user_impersonation" || arm["appid"] != AzureCLIClientID {
		t.Fatalf("ARM token claims: %v", arm)
	}
	caller, err := srv.VerifyManagementToken("Bearer " + tok["access_token"].(string))
	if err != nil || caller.TenantID != srv.TenantID() || caller.UPN != srv.DemoUser() || caller.ClientID != AzureCLIClientID {
		t.Fatalf("VerifyManagementToken: %+v %v", caller, err)
	}
	if code, body := graphGet(t, srv, tok["access_token"].(string), "me"); code != 401 || errCode(t, body) != "InvalidAuthenticationToken" {
		t.Fatalf("an ARM token at Graph: %d %v", code, body)
	}
	code, g := postAuthority(t, srv, "/oauth2/v2.0/token", url.Values{"client_id": {AzureCLIClientID}, "grant_type": {"refresh_token"},
		"refresh_token": {tok["refresh_token"].(string)}, "scope": {"https://graph.microsoft.com//.default offline_access openid profile"}})
	if code != 200 {
		t.Fatalf("refresh for Graph: %d %v", code, g)
	}
	if _, err := srv.VerifyManagementToken("Bearer " + g["access_token"].(string)); err == nil {
		t.Fatal("a Graph token passed as an ARM token")
	}
	gc := claimsOf(t, srv, g["access_token"])
	if gc["aud"] != "https://graph.microsoft.com" || !strings.Contains(gc["scp"].(string), "Directory.AccessAsUser.All") {
		t.Fatalf("Graph token claims: %v", gc)
	}
	// What az ad sp list --display-name sends.
	if code, body := graphGet(t, srv, g["access_token"].(string), "servicePrincipals?$filter="+url.QueryEscape("startswith(displayName,'AvePoint Cloud')")); code != 200 || len(values(body)) != 1 {
		t.Fatalf("az ad sp list with the az token: %d %v", code, body)
	}
	code, ps := deviceSignIn(t, srv, AzurePowerShellClientID, "https://management.azure.com//.default offline_access openid profile", "")
	if code != 200 || claimsOf(t, srv, ps["access_token"])["aud"] != "https://management.azure.com/" {
		t.Fatalf("Azure PowerShell: %d %v", code, ps)
	}
}

// TestScopesOfResourcesNotInTheTenant: a scope whose resource has no service principal
// in the tenant is AADSTS500011, two resources in one request AADSTS28000, a value the
// resource does not publish AADSTS70011 (entra/identity-platform/reference-error-codes)
// — never a token.
func TestScopesOfResourcesNotInTheTenant(t *testing.T) {
	srv := startServer(t, Options{Scenario: "no-dynamics"})
	for scope, want := range map[string]struct {
		code   string
		aadsts float64
	}{
		"https://vault.azure.net/user_impersonation offline_access":                                     {"invalid_resource", 500011},
		permissions.DynamicsCRMAppID + "/user_impersonation":                                            {"invalid_resource", 500011},
		"https://graph.microsoft.com/User.Read https://management.core.windows.net//user_impersonation": {"invalid_scope", 28000},
		"User.Read https://management.azure.com/user_impersonation":                                     {"invalid_scope", 28000},
		"https://graph.microsoft.com/Mail.Send":                                                         {"invalid_scope", 70011},
		"https://management.core.windows.net//Directory.Read.All":                                       {"invalid_scope", 70011},
		srv.AuthorityHost() + "/User.Read":                                                              {"invalid_resource", 500011},
	} {
		code, body := postAuthority(t, srv, "/oauth2/v2.0/devicecode", url.Values{"client_id": {AzureCLIClientID}, "scope": {scope}})
		codes, _ := body["error_codes"].([]any)
		if code != 400 || body["error"] != want.code || len(codes) != 1 || codes[0] != want.aadsts || body["device_code"] != nil {
			t.Errorf("%s: %d %v, want 400 %s AADSTS%v", scope, code, body, want.code, want.aadsts)
		}
	}
}

// TestInstanceDiscovery: /common/discovery/instance and its tenant-relative form
// answer as Entra ID does, in the shape MSAL reads (tenant_discovery_endpoint,
// api-version, metadata[] with preferred_network, preferred_cache, aliases).
func TestInstanceDiscovery(t *testing.T) {
	srv := startServer(t, Options{})
	host := strings.TrimPrefix(srv.AuthorityHost(), "https://")
	get := func(seg string, q url.Values) (int, map[string]any) {
		resp, err := srv.HTTPClient().Get(srv.AuthorityHost() + "/" + seg + "/discovery/instance?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	for _, seg := range []string{"common", srv.TenantID(), "organizations"} {
		code, body := get(seg, url.Values{"api-version": {"1.1"}, "authorization_endpoint": {"https://" + host + "/" + srv.TenantID() + "/oauth2/v2.0/authorize"}})
		if code != 200 || body["tenant_discovery_endpoint"] != "https://"+host+"/"+srv.TenantID()+"/v2.0/.well-known/openid-configuration" || body["api-version"] != "1.1" {
			t.Fatalf("%s: %d %v", seg, code, body)
		}
		var shape struct {
			Metadata []struct {
				PreferredNetwork string   `json:"preferred_network"`
				PreferredCache   string   `json:"preferred_cache"`
				Aliases          []string `json:"aliases"`
			} `json:"metadata"`
		}
		b, _ := json.Marshal(body)
		_ = json.Unmarshal(b, &shape)
		port := host[strings.LastIndex(host, ":")+1:]
		if len(shape.Metadata) != 6 || shape.Metadata[0].PreferredNetwork != host || strings.Join(shape.Metadata[0].Aliases, " ") != "127.0.0.1:"+port+" localhost:"+port ||
			shape.Metadata[1].PreferredCache != "login.windows.net" ||
			strings.Join(shape.Metadata[1].Aliases, " ") != "login.microsoftonline.com login.windows.net login.microsoft.com sts.windows.net" {
			t.Fatalf("metadata: %+v", shape.Metadata)
		}
	}
	// The tenant discovery endpoint it names answers.
	resp, err := srv.HTTPClient().Get("https://" + host + "/" + srv.TenantID() + "/v2.0/.well-known/openid-configuration")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("tenant discovery: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, body := get("common", url.Values{"api-version": {"1.0"}, "authorization_endpoint": {"https://" + host + "/common/oauth2/authorize"}}); code != 200 ||
		body["tenant_discovery_endpoint"] != "https://"+host+"/common/.well-known/openid-configuration" {
		t.Fatalf("api-version 1.0: %d %v", code, body)
	}
	code, body := get("common", url.Values{"api-version": {"1.1"}, "authorization_endpoint": {"https://login.example.com/common/oauth2/v2.0/authorize"}})
	if codes, _ := body["error_codes"].([]any); code != 400 || body["error"] != "invalid_instance" || len(codes) != 1 || codes[0] != float64(50049) {
		t.Fatalf("unknown instance: %d %v", code, body)
	}
	if code, _ := get("common", url.Values{}); code != http.StatusBadRequest {
		t.Fatalf("no api-version: %d", code)
	}
}

// TestAzureCLIInteractiveSignInAsksNoConsent: Azure CLI's interactive sign-in (MSAL's
// authorization code flow with a loopback reply, as `az login` runs it) reaches
// Azure Resource Manager without a consent page, pre-authorized as it is in Entra ID;
// the sign-in client asking the same is shown the consent page.
func TestAzureCLIInteractiveSignInAsksNoConsent(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	for client, wantConsent := range map[string]bool{AzureCLIClientID: false, SignInClientID: true} {
		ctx := testCtx(t)
		pca, err := public.New(client, public.WithAuthority(srv.AuthorityHost()+"/organizations"),
			public.WithInstanceDiscovery(false), public.WithHTTPClient(srv.HTTPClient()))
		if err != nil {
			t.Fatal(err)
		}
		b := srv.Browser("")
		res, err, berr := interactive(ctx, pca, b, []string{"https://management.core.windows.net//user_impersonation"}, nil)
		if err != nil || berr != nil {
			t.Fatalf("%s: interactive: %v / browser: %v (visited %v)", client, err, berr, b.Visited)
		}
		if c := claimsOf(t, srv, res.AccessToken); c["aud"] != "https://management.core.windows.net/" || c["scp"] != "user_impersonation" {
			t.Fatalf("%s: ARM token claims %v", client, c)
		}
		consented := slices.ContainsFunc(b.Visited, func(u string) bool { return strings.HasSuffix(u, "/consent") })
		if consented != wantConsent {
			t.Errorf("%s: consent page shown %v, want %v (visited %v)", client, consented, wantConsent, b.Visited)
		}
	}
}
