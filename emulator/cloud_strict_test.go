package emulator

import (
	"slices"
	"strings"
	"testing"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/d365consent/d365consent/permissions"
)

// graphURIs are the clouds' Microsoft Graph resource URIs (graph/deployments).
var graphURIs = map[string]string{
	"global":    "https://graph.microsoft.com",
	"usgov":     "https://graph.microsoft.us",
	"usgov-dod": "https://dod-graph.microsoft.us",
	"china":     "https://microsoftgraph.chinacloudapi.cn",
}

// A tenant in one cloud knows Microsoft Graph by that cloud's resource URI only
// (graph/sdks/national-clouds, "Permission scopes": a scope that contains the Graph
// domain MUST use the national cloud's). A scope prefixed by another cloud's Graph
// URI, or by this emulator's own address (where Graph answers, not what Graph is
// called), names no resource in the tenant: AADSTS500011; a value Graph does not
// publish: AADSTS70011 (entra/identity-platform/reference-error-codes). Tokens carry
// the resource URI used in the request, or Graph's appId for bare values, as "aud"
// (entra/identity-platform/access-token-claims-reference), and Graph takes only
// those two: a token for another cloud's Graph is 401 InvalidAuthenticationToken.
func TestNationalCloudsAreStrict(t *testing.T) {
	for _, name := range []string{"usgov", "usgov-dod", "china", "global"} {
		t.Run(name, func(t *testing.T) {
			srv := startServer(t, Options{Scenario: "non-admin", Cloud: name}) // the sign-in client is consented tenant-wide
			own := graphURIs[name]
			// The cloud's own URI: a token for it, with it as audience, that Graph takes.
			code, tok := deviceToken(t, srv, "openid offline_access "+own+"/User.Read")
			if code != 200 {
				t.Fatalf("own URI: %d %v", code, tok)
			}
			claims, err := srv.verifyJWT(tok["access_token"].(string))
			if err != nil || claims["aud"] != own {
				t.Fatalf("aud %v (%v), want %s", claims["aud"], err, own)
			}
			if code, _, body := graphDoH(t, srv, tok["access_token"].(string), "me", nil); code != 200 {
				t.Fatalf("Graph refused the cloud's own token: %d %v", code, body)
			}
			// Bare values: Graph's appId as audience, also taken.
			code, tok = deviceToken(t, srv, "openid User.Read")
			bare, _ := srv.verifyJWT(tok["access_token"].(string))
			if code != 200 || bare["aud"] != permissions.GraphAppID {
				t.Fatalf("bare scope: %d aud %v", code, bare["aud"])
			}
			if code, _, body := graphDoH(t, srv, tok["access_token"].(string), "me", nil); code != 200 {
				t.Fatalf("Graph refused the appId audience: %d %v", code, body)
			}

			foreign := []string{srv.GraphURL()} // the emulator's own address, as --graph-url names it
			for other, uri := range graphURIs {
				if other != name {
					foreign = append(foreign, uri)
				}
			}
			slices.Sort(foreign)
			for _, prefix := range foreign {
				code, e := deviceToken(t, srv, "openid offline_access "+prefix+"/User.Read "+prefix+"/Directory.Read.All")
				want := "AADSTS500011: The resource principal named " + prefix + " was not found in the tenant named " + srv.TenantName() + "."
				if codes, _ := e["error_codes"].([]any); code != 400 || e["error"] != "invalid_resource" || len(codes) != 1 || codes[0] != float64(500011) ||
					!strings.HasPrefix(e["error_description"].(string), want) {
					t.Errorf("scopes of %s: %d %v", prefix, code, e)
				}
				// A token that somehow names that resource is no token for this Graph.
				forged := map[string]any{}
				for k, v := range claims {
					forged[k] = v
				}
				forged["aud"] = prefix
				code, _, body := graphDoH(t, srv, srv.signJWT(forged), "me", nil)
				ge, _ := body["error"].(map[string]any)
				if code != 401 || ge["code"] != "InvalidAuthenticationToken" || ge["message"] != "Access token validation failure. Invalid audience." {
					t.Errorf("Graph took aud %s: %d %v", prefix, code, body)
				}
			}
			code, e := deviceToken(t, srv, own+"/User.Fly")
			if codes, _ := e["error_codes"].([]any); code != 400 || e["error"] != "invalid_scope" || len(codes) != 1 || codes[0] != float64(70011) {
				t.Errorf("unknown value: %d %v", code, e)
			}

			// Client credentials: the cloud's own .default only.
			id, err := srv.RegisterApp(AppRegistration{DisplayName: "Monitor", Secret: "right", GraphRoles: []string{"Directory.Read.All"}})
			if err != nil {
				t.Fatal(err)
			}
			cred, _ := confidential.NewCredFromSecret("right")
			cca := newConfidential(t, srv, srv.TenantID(), id, cred)
			res, err := cca.AcquireTokenByCredential(testCtx(t), []string{own + "/.default"})
			if err != nil {
				t.Fatalf("own .default: %v", err)
			}
			if app, _ := srv.verifyJWT(res.AccessToken); app["aud"] != own {
				t.Fatalf("app-only aud %v", app["aud"])
			}
			if code, _, body := graphDoH(t, srv, res.AccessToken, "servicePrincipals?$top=1", nil); code != 200 {
				t.Fatalf("Graph refused the app-only token: %d %v", code, body)
			}
			for _, prefix := range foreign {
				_, err := cca.AcquireTokenByCredential(testCtx(t), []string{prefix + "/.default"})
				if aadstsOf(err) != "AADSTS500011" || !strings.Contains(err.Error(), "The resource principal named "+prefix+" was not found") {
					t.Errorf("%s/.default: %v", prefix, err)
				}
			}

			// Every scope parameter was recorded as sent.
			var got []string
			for _, r := range srv.ScopeRequests() {
				got = append(got, r.Endpoint+" "+r.GrantType+" "+r.Scope)
			}
			for _, want := range []string{
				"devicecode  openid offline_access " + own + "/User.Read",
				"token device_code openid offline_access " + own + "/User.Read",
				"devicecode  openid User.Read",
				"devicecode  openid offline_access " + srv.GraphURL() + "/User.Read " + srv.GraphURL() + "/Directory.Read.All",
				"token client_credentials " + own + "/.default openid offline_access profile", // MSAL Go adds the OIDC scopes
			} {
				if !slices.Contains(got, want) {
					t.Errorf("no scope request %q in\n%s", want, strings.Join(got, "\n"))
				}
			}
		})
	}
}

// ScopeRequests keeps each request's endpoint, grant, tenant segment, client and
// scope exactly as received, and nothing for requests without a scope.
func TestScopeRequestsRecordAsReceived(t *testing.T) {
	srv := startServer(t, Options{Scenario: "non-admin", Cloud: "usgov"})
	if got := srv.ScopeRequests(); len(got) != 0 {
		t.Fatalf("before any request: %v", got)
	}
	pca := newPublic(t, srv, srv.TenantID())
	_, err := pca.AcquireTokenByDeviceCode(testCtx(t), []string{"https://graph.microsoft.us/User.Read"})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.ScopeRequests()
	want := ScopeRequest{Endpoint: "devicecode", Tenant: srv.TenantID(), ClientID: SignInClientID,
		Scope: "https://graph.microsoft.us/User.Read openid offline_access profile"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}
