package emulator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"go.uber.org/goleak"

	"github.com/d365consent/d365consent/internal/testkit"
)

func TestMain(m *testing.M) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	testSigningKey = k
	goleak.VerifyTestMain(m)
}

// startServer starts the emulator, serving the fixture catalog unless opts names one.
func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Catalog == nil {
		opts.Catalog = testkit.Catalog(t)
	}
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newPublic(t testing.TB, srv *Server, tenant string) public.Client {
	t.Helper()
	pca, err := public.New(SignInClientID, public.WithAuthority(srv.AuthorityHost()+"/"+tenant),
		public.WithInstanceDiscovery(false), public.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		t.Fatal(err)
	}
	return pca
}

var signInScopes = []string{"User.Read", "Directory.Read.All"}

// interactive runs AcquireTokenInteractive with the demo browser walking the pages;
// edit may change the authorize URL first (to test tampering).
func interactive(ctx context.Context, pca public.Client, b *DemoBrowser, scopes []string, edit func(string) string) (public.AuthResult, error, error) {
	var wg sync.WaitGroup
	var berr error
	res, err := pca.AcquireTokenInteractive(ctx, scopes, public.WithOpenURL(func(u string) error {
		if edit != nil {
			u = edit(u)
		}
		wg.Add(1)
		go func() { defer wg.Done(); berr = b.Open(ctx, u) }()
		return nil
	}))
	wg.Wait()
	return res, err, berr
}

func graphGet(t testing.TB, srv *Server, token, path string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.GraphURL()+"/v1.0/"+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("GET %s: not JSON: %s", path, b)
		}
	}
	return resp.StatusCode, body
}

func authorities(srv *Server) map[string]string {
	return map[string]string{"organizations": "organizations", "tenant-id": srv.TenantID(), "domain": srv.TenantDomain()}
}

func TestMSALInteractiveAndSilent(t *testing.T) {
	srv := startServer(t, Options{})
	for name, tenant := range authorities(srv) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			pca := newPublic(t, srv, tenant)
			scopes := []string{srv.GraphScopePrefix() + "/User.Read", srv.GraphScopePrefix() + "/Directory.Read.All"}
			if name == "domain" {
				scopes = signInScopes
			}
			b := srv.Browser("")
			res, err, berr := interactive(ctx, pca, b, scopes, nil)
			if err != nil || berr != nil {
				t.Fatalf("interactive: %v / browser: %v (visited %v)", err, berr, b.Visited)
			}
			if res.Account.PreferredUsername != srv.DemoUser() || res.IDToken.TenantID != srv.TenantID() {
				t.Fatalf("account %+v", res.Account)
			}
			if !strings.HasPrefix(b.Visited[len(b.Visited)-1], "http://localhost:") {
				t.Fatalf("the last page should be MSAL's form_post loopback, got %v", b.Visited)
			}
			code, me := graphGet(t, srv, res.AccessToken, "me")
			if code != 200 || me["userPrincipalName"] != srv.DemoUser() {
				t.Fatalf("/me: %d %v", code, me)
			}

			// Silent from the cache: no token request.
			before := srv.tokenRequests.Load()
			if _, err := pca.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(res.Account)); err != nil {
				t.Fatal(err)
			}
			if n := srv.tokenRequests.Load() - before; n != 0 {
				t.Fatalf("cached silent call made %d token requests", n)
			}
			// Claims force the refresh token grant.
			refreshes := srv.refreshes.Load()
			res2, err := pca.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(res.Account),
				public.WithClaims(`{"access_token":{"xms_cc":{"values":["cp1"]}}}`))
			if err != nil {
				t.Fatalf("silent refresh: %v", err)
			}
			if srv.refreshes.Load() != refreshes+1 || res2.AccessToken == res.AccessToken {
				t.Fatal("silent with claims did not use the refresh token")
			}
			if code, _ := graphGet(t, srv, res2.AccessToken, "organization"); code != 200 {
				t.Fatalf("/organization with refreshed token: %d", code)
			}
		})
	}
}

func TestMSALDeviceCode(t *testing.T) {
	srv := startServer(t, Options{})
	for name, tenant := range authorities(srv) {
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			pca := newPublic(t, srv, tenant)
			dc, err := pca.AcquireTokenByDeviceCode(ctx, signInScopes)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(dc.Result.Message, dc.Result.UserCode) || dc.Result.VerificationURL != srv.PagesURL()+"/devicelogin" {
				t.Fatalf("device code result %+v", dc.Result)
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Browser("").OpenDeviceLogin(ctx, dc.Result.UserCode) }()
			res, err := dc.AuthenticationResult(ctx)
			if berr := <-errc; berr != nil {
				t.Fatalf("browser: %v", berr)
			}
			if err != nil {
				t.Fatal(err)
			}
			if code, body := graphGet(t, srv, res.AccessToken, "me/transitiveMemberOf?$select=id,displayName,roleTemplateId"); code != 200 || len(directoryRoles(items(body))) != 1 {
				t.Fatalf("roles: %d %v", code, body)
			}
		})
	}
}

func TestMSALDeviceCodeDeclined(t *testing.T) {
	srv := startServer(t, Options{Scenario: "first-use"})
	ctx := testCtx(t)
	pca := newPublic(t, srv, "organizations")
	dc, err := pca.AcquireTokenByDeviceCode(ctx, signInScopes)
	if err != nil {
		t.Fatal(err)
	}
	b := srv.Browser("")
	b.Decline = true
	errc := make(chan error, 1)
	go func() { errc <- b.OpenDeviceLogin(ctx, dc.Result.UserCode) }()
	_, err = dc.AuthenticationResult(ctx)
	if berr := <-errc; berr == nil || !strings.Contains(berr.Error(), "AADSTS65004") {
		t.Fatalf("browser should end on the declined page, got %v", berr)
	}
	if err == nil || !strings.Contains(err.Error(), "authorization_declined") {
		t.Fatalf("want authorization_declined, got %v", err)
	}
	// A wrong user code is refused on the page.
	if err := srv.Browser("").OpenDeviceLogin(ctx, "NOTACODE1"); err == nil || !strings.Contains(err.Error(), "AADSTS70000") {
		t.Fatalf("wrong user code: %v", err)
	}
}

func TestMSALDeclinedConsent(t *testing.T) {
	srv := startServer(t, Options{Scenario: "first-use"})
	ctx := testCtx(t)
	b := srv.Browser("")
	b.Decline = true
	_, err, berr := interactive(ctx, newPublic(t, srv, srv.TenantID()), b, signInScopes, nil)
	if berr != nil {
		t.Fatalf("browser: %v", berr)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "AADSTS65004:") {
		t.Fatalf("want AADSTS65004 from MSAL, got %v", err)
	}
}

func TestMSALWrongState(t *testing.T) {
	srv := startServer(t, Options{})
	ctx := testCtx(t)
	_, err, _ := interactive(ctx, newPublic(t, srv, "organizations"), srv.Browser(""), signInScopes, func(u string) string {
		pu, _ := url.Parse(u)
		q := pu.Query()
		q.Set("state", "forged-state")
		pu.RawQuery = q.Encode()
		return pu.String()
	})
	if err == nil || !strings.Contains(err.Error(), "mismatched OAuth state") {
		t.Fatalf("want a state mismatch, got %v", err)
	}
}

func TestMSALNonAdminCannotConsentAdminScope(t *testing.T) {
	srv := startServer(t, Options{Scenario: "first-use"}) // first use: nobody consented Directory.Read.All for the sign-in client
	ctx := testCtx(t)
	_, err, berr := interactive(ctx, newPublic(t, srv, "organizations"), srv.Browser("alex@"+demoDomain), signInScopes, nil)
	if berr != nil {
		t.Fatal(berr)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "AADSTS90094:") {
		t.Fatalf("want AADSTS90094, got %v", err)
	}
}

// codeCatcher is an app's loopback redirect URI that receives form_post responses.
func codeCatcher(t *testing.T) (string, <-chan url.Values) {
	ch := make(chan url.Values, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ch <- r.Form
		_, _ = io.WriteString(w, "<!DOCTYPE html><title>ok</title><p>ok</p>")
	}))
	t.Cleanup(ts.Close)
	return strings.Replace(ts.URL, "127.0.0.1", "localhost", 1), ch
}

func authorizeURL(srv *Server, tenant, redirect, challenge string) string {
	q := url.Values{"client_id": {SignInClientID}, "response_type": {"code"}, "redirect_uri": {redirect},
		"scope": {"openid offline_access profile User.Read Directory.Read.All"}, "state": {"s1"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "response_mode": {"form_post"}}
	return srv.PagesURL() + "/" + tenant + "/oauth2/v2.0/authorize?" + q.Encode()
}

func TestAuthCodeErrors(t *testing.T) {
	srv := startServer(t, Options{Scenario: "non-admin"}) // the sign-in client is pre-consented
	ctx := testCtx(t)
	redirect, got := codeCatcher(t)
	verifier := "verifier-0123456789-0123456789-0123456789-abc"
	getCode := func() string {
		t.Helper()
		if err := srv.Browser("").Open(ctx, authorizeURL(srv, "organizations", redirect, pkceS256(verifier))); err != nil {
			t.Fatal(err)
		}
		f := <-got
		if f.Get("state") != "s1" || f.Get("code") == "" {
			t.Fatalf("form_post: %v", f)
		}
		return f.Get("code")
	}
	pca := newPublic(t, srv, "organizations")
	redeem := func(code, v string) error {
		_, err := pca.AcquireTokenByAuthCode(ctx, code, redirect, signInScopes, public.WithChallenge(v))
		return err
	}
	code := getCode()
	if err := redeem(code, "wrong-verifier"); err == nil || !strings.Contains(err.Error(), "AADSTS50148") {
		t.Fatalf("wrong verifier: want AADSTS50148, got %v", err)
	}
	if err := redeem(code, verifier); err == nil || !strings.Contains(err.Error(), "AADSTS54005") {
		t.Fatalf("a code is single use even after a failed redemption: %v", err)
	}
	code = getCode()
	if err := redeem(code, verifier); err != nil {
		t.Fatalf("good redemption: %v", err)
	}
	if err := redeem(code, verifier); err == nil || !strings.Contains(err.Error(), "AADSTS54005") {
		t.Fatalf("replayed code: want AADSTS54005, got %v", err)
	}
	if err := redeem("1.demo.not-a-code", verifier); err == nil || !strings.Contains(err.Error(), "AADSTS70000") {
		t.Fatalf("unknown code: want AADSTS70000, got %v", err)
	}
	code = getCode()
	if _, err := pca.AcquireTokenByAuthCode(ctx, code, "http://localhost:1/other", signInScopes, public.WithChallenge(verifier)); err == nil || !strings.Contains(err.Error(), "AADSTS70000") {
		t.Fatalf("redirect_uri mismatch: %v", err)
	}
}

func TestAuthorityErrors(t *testing.T) {
	srv := startServer(t, Options{})
	ctx := testCtx(t)
	// Unknown tenant: MSAL fails at discovery with AADSTS90002.
	_, err, _ := interactive(ctx, newPublic(t, srv, "fabrikam.onmicrosoft.com"), srv.Browser(""), signInScopes, nil)
	if err == nil || !strings.Contains(err.Error(), "AADSTS90002") {
		t.Fatalf("unknown tenant: %v", err)
	}
	// Unknown client: the page says AADSTS700016.
	redirect, _ := codeCatcher(t)
	u := strings.Replace(authorizeURL(srv, "organizations", redirect, pkceS256("x")), SignInClientID, "00000000-0000-0000-0000-000000000001", 1)
	if err := srv.Browser("").Open(ctx, u); err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
		t.Fatalf("unknown client: %v", err)
	}
	// A redirect URI that is not registered: AADSTS50011.
	if err := srv.Browser("").Open(ctx, authorizeURL(srv, "organizations", "https://evil.example/cb", pkceS256("x"))); err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
		t.Fatalf("bad redirect: %v", err)
	}
	// The AvePoint apps are confidential: a public token request is AADSTS7000218.
	pca, _ := public.New(srv.Catalog().Apps[0].ClientID, public.WithAuthority(srv.AuthorityHost()+"/organizations"),
		public.WithInstanceDiscovery(false), public.WithHTTPClient(srv.HTTPClient()))
	if _, err := pca.AcquireTokenByDeviceCode(ctx, signInScopes); err == nil || !strings.Contains(err.Error(), "AADSTS7000218") {
		t.Fatalf("confidential app as public client: %v", err)
	}
}

func TestHostHeaderGuard(t *testing.T) {
	srv := startServer(t, Options{})
	for _, base := range []string{srv.AuthorityHost() + "/organizations/v2.0/.well-known/openid-configuration", srv.PagesURL() + "/"} {
		req, _ := http.NewRequest(http.MethodGet, base, nil)
		req.Host = "attacker.example:80"
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Fatalf("%s with a foreign Host: %d", base, resp.StatusCode)
		}
		req, _ = http.NewRequest(http.MethodGet, strings.Replace(base, "127.0.0.1", "localhost", 1), nil)
		resp, err = srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s via localhost: %d", base, resp.StatusCode)
		}
	}
	if _, err := Start(Options{Addr: "0.0.0.0:0"}); err == nil {
		t.Fatal("a non-loopback address must be refused")
	}
}

func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return b64.EncodeToString(sum[:])
}
