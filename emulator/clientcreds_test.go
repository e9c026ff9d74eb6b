package emulator

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/d365consent/d365consent/permissions"
)

// testCert is a self-signed certificate for testSigningKey (no second RSA key to
// generate under the race detector).
func testCert(t testing.TB, cn string) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testSigningKey.PublicKey, testSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newConfidential(t testing.TB, srv *Server, tenant, clientID string, cred confidential.Credential) confidential.Client {
	t.Helper()
	cca, err := confidential.New(srv.AuthorityHost()+"/"+tenant, clientID, cred,
		confidential.WithInstanceDiscovery(false), confidential.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	return cca
}

func aadstsOf(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if i := strings.Index(msg, "AADSTS"); i >= 0 {
		end := i + 6
		for end < len(msg) && msg[end] >= '0' && msg[end] <= '9' {
			end++
		}
		return msg[i:end]
	}
	return msg
}

// TestClientCredentialsErrors: MSAL Go's confidential client against the token
// endpoint, one Entra error per mistake, and a good credential's app-only token that
// Graph authorizes by its roles.
func TestClientCredentialsErrors(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	cert := testCert(t, "monitor")
	id, err := srv.RegisterApp(AppRegistration{DisplayName: "Monitor", Secret: "right", Certificates: []*x509.Certificate{cert},
		GraphRoles: []string{"Application.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := srv.RegisterApp(AppRegistration{DisplayName: "Old monitor", Secret: "old", SecretExpires: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	scope := []string{srv.GraphScopePrefix() + "/.default"}
	ctx := testCtx(t)
	secret := func(s string) confidential.Credential {
		c, err := confidential.NewCredFromSecret(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	certCred, err := confidential.NewCredFromCert([]*x509.Certificate{cert}, testSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	assertion := func(claims map[string]any) confidential.Credential {
		return confidential.NewCredFromAssertionCallback(func(context.Context, confidential.AssertionRequestOptions) (string, error) {
			return signRS256(t, map[string]any{"alg": "RS256", "typ": "JWT", "x5t": b64.EncodeToString(sha1Sum(cert.Raw))}, claims), nil
		})
	}
	tokenURL := srv.AuthorityHost() + "/" + srv.TenantID() + "/oauth2/v2.0/token"
	now := time.Now()
	for _, c := range []struct {
		name, tenant, client string
		cred                 confidential.Credential
		want                 string
	}{
		{"wrong secret", srv.TenantID(), id, secret("wrong"), "AADSTS7000215"},
		{"expired secret", srv.TenantID(), expired, secret("old"), "AADSTS7000222"},
		{"unknown app", srv.TenantID(), "0d1f7e9e-1111-4c5e-9d1a-2b3c4d5e6f70", secret("right"), "AADSTS700016"},
		{"organizations", "organizations", id, secret("right"), "AADSTS9001023"},
		{"assertion expired", srv.TenantID(), id, assertion(map[string]any{"aud": tokenURL, "iss": id, "sub": id, "nbf": now.Add(-time.Hour).Unix(), "exp": now.Add(-10 * time.Minute).Unix()}), "AADSTS700024"},
		{"assertion for another app", srv.TenantID(), id, assertion(map[string]any{"aud": tokenURL, "iss": id, "sub": "someone-else", "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}), "AADSTS700021"},
		{"assertion for another token endpoint", srv.TenantID(), id, assertion(map[string]any{"aud": "https://login.example/t/oauth2/v2.0/token", "iss": id, "sub": id, "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}), "AADSTS50027"},
		{"federated: unknown issuer", srv.TenantID(), id, assertion(map[string]any{"aud": TokenExchangeAudience, "iss": "https://issuer.example", "sub": "x", "exp": now.Add(5 * time.Minute).Unix()}), "AADSTS70021"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := newConfidential(t, srv, c.tenant, c.client, c.cred).AcquireTokenByCredential(ctx, scope)
			if got := aadstsOf(err); got != c.want {
				t.Fatalf("got %q, want %s", err, c.want)
			}
		})
	}

	// The good certificate: an app-only token with the app's role.
	res, err := newConfidential(t, srv, srv.TenantID(), id, certCred).AcquireTokenByCredential(ctx, scope)
	if err != nil {
		t.Fatal(err)
	}
	claims, err := srv.verifyJWT(res.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims["idtyp"] != "app" || claims["appid"] != id || claims["appidacr"] != "2" || claims["scp"] != nil {
		t.Fatalf("claims %v", claims)
	}
	if roles, _ := claims["roles"].([]any); len(roles) != 1 || roles[0] != "Application.Read.All" {
		t.Fatalf("roles %v", claims["roles"])
	}
	// Graph: /me has no user; Application.Read.All reads service principals and app
	// role assignments, not delegated grants (those need Directory.Read.All).
	ce, _ := srv.Catalog().App("ce")
	for path, want := range map[string]int{
		"me": 400,
		"servicePrincipals(appId='" + ce.ClientID + "')":                        200,
		"servicePrincipals(appId='" + ce.ClientID + "')/appRoleAssignments":     200,
		"servicePrincipals(appId='" + ce.ClientID + "')/oauth2PermissionGrants": 403,
	} {
		if code, body := graphGet(t, srv, res.AccessToken, path); code != want {
			t.Errorf("GET %s: %d, want %d (%v)", path, code, want, body)
		}
	}
}

func sha1Sum(b []byte) []byte {
	h := sha1.Sum(b)
	return h[:]
}

func signRS256(t testing.TB, hdr, claims map[string]any) string {
	t.Helper()
	hb, _ := json.Marshal(hdr)
	cb, _ := json.Marshal(claims)
	signed := b64.EncodeToString(hb) + "." + b64.EncodeToString(cb)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, testSigningKey, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + b64.EncodeToString(sig)
}

// TestCustomerTenantTokens: the partner admin signs in once in the demo tenant;
// MSAL's silent call for a customer tenant redeems the refresh token there and gets
// that tenant's token (Graph answers as the customer); a tenant without access
// refuses with AADSTS50020; the account stays the home account.
func TestCustomerTenantTokens(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	fab, err := srv.AddCustomerTenant(CustomerTenant{Name: "Fabrikam", Scenario: "partial", Access: AccessGuest})
	if err != nil {
		t.Fatal(err)
	}
	wood, err := srv.AddCustomerTenant(CustomerTenant{Name: "Woodgrove", Access: AccessNone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddCustomerTenant(CustomerTenant{Name: "fabrikam"}); err == nil {
		t.Fatal("a second tenant with the same name was added")
	}
	ctx := testCtx(t)
	pca := newPublic(t, srv, "organizations")
	scopes := []string{srv.GraphScopePrefix() + "/User.Read", srv.GraphScopePrefix() + "/Directory.Read.All"}
	res, err, berr := interactive(ctx, pca, srv.Browser(""), scopes, nil)
	if err != nil || berr != nil {
		t.Fatal(err, berr)
	}
	cust, err := pca.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(res.Account), public.WithTenantID(fab.ID))
	if err != nil {
		t.Fatal(err)
	}
	if cust.IDToken.TenantID != fab.ID || cust.Account.HomeAccountID != res.Account.HomeAccountID {
		t.Fatalf("tenant %s account %s (home %s)", cust.IDToken.TenantID, cust.Account.HomeAccountID, res.Account.HomeAccountID)
	}
	code, org := graphGet(t, srv, cust.AccessToken, "organization")
	if vals, _ := org["value"].([]any); code != 200 || len(vals) != 1 || vals[0].(map[string]any)["id"] != fab.ID {
		t.Fatalf("/organization %d %v", code, org)
	}
	code, me := graphGet(t, srv, cust.AccessToken, "me")
	if code != 200 || !strings.Contains(me["userPrincipalName"].(string), "#EXT#@fabrikam.onmicrosoft.com") {
		t.Fatalf("/me %d %v", code, me)
	}
	// The home token does not open the customer's Graph, nor the other way round:
	// each tenant's Graph answers for its own directory.
	_, sp := graphGet(t, srv, res.AccessToken, "servicePrincipals(appId='"+permissions.GraphAppID+"')")
	_, csp := graphGet(t, srv, cust.AccessToken, "servicePrincipals(appId='"+permissions.GraphAppID+"')")
	if sp["id"] == csp["id"] || csp["id"] == nil {
		t.Fatalf("same service principal id in two tenants: %v", sp["id"])
	}
	_, err = pca.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(res.Account), public.WithTenantID(wood.Domain))
	if got := aadstsOf(err); got != "AADSTS50020" {
		t.Fatalf("no-access tenant: %v", err)
	}
	if strings.Contains(err.Error(), res.AccessToken) {
		t.Fatal("a token in an error")
	}
}
