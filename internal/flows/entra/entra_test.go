package entra_test

// The MSAL adapters against the emulator over loopback, with the real MSAL Go: what
// each call returns, which account it keeps, when it sends a claims challenge. The
// flows package drives these through a session too, but mutation testing runs only
// this package's tests on this package's code (scripts/mutation).

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows/entra"
)

const claims = `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`

// sentClaims is the claims parameter MSAL sends for a challenge's claims: the
// challenge merged with the client capability cp1 every request declares
// (entra/identity-platform/claims-challenge: xms_cc).
func sentClaims(challenge string) string {
	if challenge == "" {
		return `{"access_token":{"xms_cc":{"values":["cp1"]}}}`
	}
	return strings.TrimSuffix(challenge, "}}") + `,"xms_cc":{"values":["cp1"]}}}`
}

// recorder is an http.RoundTripper that keeps each request's URL and form body.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	line := req.URL.String()
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		line += " " + string(b)
	}
	r.mu.Lock()
	r.seen = append(r.seen, line)
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// sent returns the form values of the requests whose URL contains path.
func (r *recorder) sent(path string) []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []url.Values
	for _, l := range r.seen {
		u, body, _ := strings.Cut(l, " ")
		if strings.Contains(u, path) {
			v, _ := url.ParseQuery(body)
			out = append(out, v)
		}
	}
	return out
}

func emulatorClient(t *testing.T) (*emulator.Server, *entra.Client, *recorder) {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	rec := &recorder{next: srv.HTTPClient().Transport}
	c, err := entra.New(entra.Options{
		Authority:  srv.AuthorityHost() + "/" + srv.TenantID(),
		ClientID:   srv.SignInClientID(),
		HTTPClient: &http.Client{Transport: rec},
		Scopes:     []string{srv.GraphScopePrefix() + "/User.Read"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, rec
}

func TestInteractiveKeepsTheAccountUntilForget(t *testing.T) {
	srv, c, _ := emulatorClient(t)
	ctx := context.Background()
	if tok, err := c.Silent(ctx); tok != nil || !errors.Is(err, entra.ErrNoAccount) {
		t.Fatalf("Silent before sign-in = %v, %v; want ErrNoAccount", tok, err)
	}
	if tok, err := c.SilentTenant(ctx, srv.TenantID(), c.Scopes()); tok != nil || !errors.Is(err, entra.ErrNoAccount) {
		t.Fatalf("SilentTenant before sign-in = %v, %v; want ErrNoAccount", tok, err)
	}
	var opened []string
	b := srv.Browser(srv.DemoUser())
	tok, err := c.Interactive(ctx, func(u string) error { opened = append(opened, u); return b.Open(ctx, u) })
	if err != nil {
		t.Fatal(err)
	}
	if tok.Username != srv.DemoUser() || tok.TenantID != srv.TenantID() || tok.AccessToken == "" || tok.ObjectID == "" || tok.Name == "" {
		t.Fatalf("interactive token %+v", *tok)
	}
	if len(opened) != 1 {
		t.Fatalf("sign-in URLs %q: want one", opened)
	}
	if u, _ := url.Parse(opened[0]); u.Query().Get("claims") != sentClaims("") {
		t.Fatalf("sign-in URL %q: want only the cp1 capability as claims", opened[0])
	}
	for name, get := range map[string]func() (*entra.Token, error){
		"Silent":       func() (*entra.Token, error) { return c.Silent(ctx) },
		"SilentTenant": func() (*entra.Token, error) { return c.SilentTenant(ctx, srv.TenantID(), c.Scopes()) },
	} {
		again, err := get()
		if err != nil || again.Username != tok.Username || again.TenantID != tok.TenantID || again.AccessToken == "" {
			t.Fatalf("%s after sign-in = %+v, %v", name, again, err)
		}
	}
	c.Forget()
	if tok, err := c.Silent(ctx); tok != nil || !errors.Is(err, entra.ErrNoAccount) {
		t.Fatalf("Silent after Forget = %v, %v; want ErrNoAccount", tok, err)
	}
}

func TestInteractiveSendsClaimsOnlyWhenGiven(t *testing.T) {
	srv, c, _ := emulatorClient(t)
	ctx := context.Background()
	b := srv.Browser(srv.DemoUser())
	for _, tc := range []struct {
		claims []string
		want   string
	}{{[]string{claims}, sentClaims(claims)}, {[]string{""}, sentClaims("")}} {
		var got []string
		if _, err := c.Interactive(ctx, func(u string) error {
			p, _ := url.Parse(u)
			got = append(got, p.Query().Get("claims"))
			return b.Open(ctx, u)
		}, tc.claims...); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Fatalf("claims %q sent as %q", tc.claims, got)
		}
	}
	// A browser that cannot open is the sign-in's error, and no account is kept.
	c.Forget()
	boom := errors.New("no browser")
	if tok, err := c.Interactive(ctx, func(string) error { return boom }); tok != nil || err == nil {
		t.Fatalf("Interactive with a failing browser = %v, %v", tok, err)
	}
	if _, err := c.Silent(ctx); !errors.Is(err, entra.ErrNoAccount) {
		t.Fatalf("Silent after a failed sign-in: %v", err)
	}
}

func TestDeviceCodeFlow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims []string
	}{{"no claims", nil}, {"empty claims", []string{""}}, {"claims", []string{claims}}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c, rec := emulatorClient(t)
			ctx := context.Background()
			b := srv.Browser(srv.DemoUser())
			var shown []entra.DeviceCode
			tok, err := c.DeviceCodeFlow(ctx, func(dc entra.DeviceCode) {
				shown = append(shown, dc)
				if err := b.OpenDeviceLogin(ctx, dc.UserCode); err != nil {
					t.Errorf("device login: %v", err)
				}
			}, tc.claims...)
			if err != nil {
				t.Fatal(err)
			}
			if len(shown) != 1 || shown[0].UserCode == "" || shown[0].VerificationURL == "" || !strings.Contains(shown[0].Message, shown[0].UserCode) {
				t.Fatalf("shown %+v", shown)
			}
			if tok.Username != srv.DemoUser() || tok.TenantID != srv.TenantID() || tok.AccessToken == "" {
				t.Fatalf("device-code token %+v", *tok)
			}
			want := sentClaims("")
			if len(tc.claims) > 0 {
				want = sentClaims(tc.claims[0])
			}
			dc := rec.sent("/devicecode")
			if len(dc) != 1 || dc[0].Get("claims") != want {
				t.Fatalf("device code requests %v, want one with claims %q", dc, want)
			}
			if again, err := c.Silent(ctx); err != nil || again.Username != srv.DemoUser() {
				t.Fatalf("Silent after device code = %+v, %v", again, err)
			}
		})
	}
}

func TestDeviceCodeFlowErrors(t *testing.T) {
	srv, c, _ := emulatorClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	shown := 0
	// The user never enters the code; the caller gives up.
	tok, err := c.DeviceCodeFlow(ctx, func(entra.DeviceCode) { shown++; cancel() })
	if tok != nil || !errors.Is(err, context.Canceled) || shown != 1 {
		t.Fatalf("abandoned device code = %v, %v after %d prompts", tok, err, shown)
	}
	// An unknown client cannot even start one.
	bad, err := entra.New(entra.Options{Authority: srv.AuthorityHost() + "/" + srv.TenantID(), ClientID: "00000000-0000-0000-0000-00000000beef",
		HTTPClient: srv.HTTPClient(), Scopes: []string{srv.GraphScopePrefix() + "/User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := bad.DeviceCodeFlow(context.Background(), func(entra.DeviceCode) { t.Error("shown a code for an unknown client") }); tok != nil || err == nil {
		t.Fatalf("unknown client = %v, %v", tok, err)
	}
}

func TestNewRefusesABadAuthority(t *testing.T) {
	if c, err := entra.New(entra.Options{Authority: "not a url", ClientID: "x"}); c != nil || err == nil || !strings.HasPrefix(err.Error(), "configuring sign-in: ") {
		t.Fatalf("New = %v, %v", c, err)
	}
	if c, err := entra.NewApp(entra.AppOptions{Authority: "not a url", ClientID: "x"}); c != nil || err == nil || !strings.HasPrefix(err.Error(), "configuring the app identity: ") {
		t.Fatalf("NewApp = %v, %v", c, err)
	}
}

func appClient(t *testing.T, srv *emulator.Server, cred func(t *testing.T) (entra.AppOptions, error)) *entra.AppClient {
	t.Helper()
	o, err := cred(t)
	if err != nil {
		t.Fatal(err)
	}
	o.Authority = srv.AuthorityHost() + "/" + srv.TenantID()
	o.HTTPClient = srv.HTTPClient()
	o.Scope = srv.GraphScopePrefix() + "/.default"
	a, err := entra.NewApp(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAppTokenWithASecret(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	id, err := srv.RegisterApp(emulator.AppRegistration{DisplayName: "monitor", Secret: "s3cret", GraphRoles: []string{"Application.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	withSecret := func(secret string) func(t *testing.T) (entra.AppOptions, error) {
		return func(*testing.T) (entra.AppOptions, error) {
			cred, err := entra.SecretCredential(secret)
			return entra.AppOptions{ClientID: id, Credential: cred}, err
		}
	}
	a := appClient(t, srv, withSecret("s3cret"))
	for _, tenant := range []string{"", srv.TenantID()} {
		if tok, err := a.Token(context.Background(), tenant); err != nil || tok == "" {
			t.Fatalf("Token(%q) = %d characters, %v", tenant, len(tok), err)
		}
	}
	// Another tenant is asked for by name: the app has no service principal in this
	// one, so the emulator refuses (a client that ignored the tenant would get the
	// authority's token).
	if tok, err := a.Token(context.Background(), "0a1b2c3d-0000-4000-8000-00000000abcd"); tok != "" || err == nil {
		t.Fatalf("Token(unknown tenant) = %d characters, %v", len(tok), err)
	}
	wrong := appClient(t, srv, withSecret("wrong"))
	if tok, err := wrong.Token(context.Background(), ""); tok != "" || err == nil {
		t.Fatalf("wrong secret: %d characters, %v", len(tok), err)
	}
	if _, err := entra.SecretCredential(" \t"); err == nil || err.Error() != "the client secret is empty" {
		t.Fatalf("blank secret: %v", err)
	}
}

func TestCertificateFiles(t *testing.T) {
	dir := filepath.Join("..", "testdata", "appcert")
	for _, tc := range []struct{ file, password, wantErr string }{
		{"monitor.pem", "", ""},
		{"monitor.p12", "test-only-password", ""},
		{"monitor.p12", "wrong", "certificate " + filepath.Join(dir, "monitor.p12") + ": PKCS#12: wrong password (set it in D365CONSENT_CERTIFICATE_PASSWORD)"},
		{"missing.pem", "", "reading the certificate: open " + filepath.Join(dir, "missing.pem") + ": no such file or directory"},
	} {
		_, err := entra.CertificateCredential(filepath.Join(dir, tc.file), tc.password)
		if got := errText(err); got != tc.wantErr {
			t.Errorf("CertificateCredential(%s, %q) = %q, want %q", tc.file, tc.password, got, tc.wantErr)
		}
	}
	pem, err := os.ReadFile(filepath.Join(dir, "monitor.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certs, key, err := entra.ParseCertificate(pem, "")
	if err != nil || len(certs) != 1 || key == nil {
		t.Fatalf("PEM: %d certificates, key %v, %v", len(certs), key != nil, err)
	}
	// The certificate block alone has no key: MSAL's CertFromPEM says so itself (the
	// friendlier message in ParseCertificate is never reached).
	certOnly := pem[bytes.Index(pem, []byte("-----BEGIN CERTIFICATE")):]
	certOnly = certOnly[:bytes.Index(certOnly, []byte("-----END CERTIFICATE-----"))+len("-----END CERTIFICATE-----")]
	if _, _, err := entra.ParseCertificate(certOnly, ""); errText(err) != "no private key found" {
		t.Fatalf("certificate without key: %v", err)
	}
	if _, _, err := entra.ParseCertificate([]byte("-----BEGIN nonsense"), ""); err == nil {
		t.Fatal("broken PEM accepted")
	}
	if _, _, err := entra.ParseCertificate([]byte("garbage"), ""); err == nil || !strings.HasPrefix(err.Error(), "neither PEM nor a readable PKCS#12 file: ") {
		t.Fatalf("garbage: %v", err)
	}
}

func TestAssertionFileIsReadForEveryToken(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	cred := entra.AssertionFileCredential(file)
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := appClient(t, srv, func(*testing.T) (entra.AppOptions, error) {
		return entra.AppOptions{ClientID: "00000000-0000-0000-0000-0000000000f1", Credential: cred}, nil
	})
	if _, err := a.Token(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "reading the federated token: open "+file) {
		t.Fatalf("missing file: %v", err)
	}
	if err := os.WriteFile(file, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Token(context.Background(), ""); err == nil || !strings.Contains(err.Error(), "the federated token file "+file+" is empty") {
		t.Fatalf("empty file: %v", err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Both MSAL clients declare the client capability cp1 on their token requests, so
// Microsoft Graph may send them claims challenges (claims-challenge: only to clients
// that declare it): the app identity's client credentials request too.
func TestAppClientDeclaresCP1(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	id, err := srv.RegisterApp(emulator.AppRegistration{DisplayName: "monitor", Secret: "s3cret", GraphRoles: []string{"Application.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := entra.SecretCredential("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{next: srv.HTTPClient().Transport}
	a, err := entra.NewApp(entra.AppOptions{Authority: srv.AuthorityHost() + "/" + srv.TenantID(), ClientID: id, Credential: cred,
		HTTPClient: &http.Client{Transport: rec}, Scope: srv.GraphScopePrefix() + "/.default"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Token(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	sent := rec.sent("/oauth2/v2.0/token")
	if len(sent) != 1 || sent[0].Get("grant_type") != "client_credentials" || sent[0].Get("claims") != sentClaims("") {
		t.Fatalf("token requests %v, want one client_credentials request declaring cp1", sent)
	}
}

// blankDeviceCode answers the device-code request with an empty JSON object.
type blankDeviceCode struct{ next http.RoundTripper }

func (b blankDeviceCode) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/devicecode") {
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{}`)), Request: req}, nil
	}
	return b.next.RoundTrip(req)
}

// A device-code reply without a user code or address is named malformed at once,
// instead of showing "open  and enter the code" and then blaming a timeout.
func TestEmptyDeviceCodeReplyIsMalformed(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := entra.New(entra.Options{Authority: srv.AuthorityHost() + "/" + srv.TenantID(), ClientID: srv.SignInClientID(),
		HTTPClient: &http.Client{Transport: blankDeviceCode{srv.HTTPClient().Transport}}, Scopes: []string{srv.GraphScopePrefix() + "/User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	_, err = c.DeviceCodeFlow(context.Background(), func(entra.DeviceCode) { shown++ })
	if err == nil || shown != 0 || !strings.Contains(err.Error(), "malformed") {
		t.Fatalf("err %v after %d prompts, want a malformed-reply error and no prompt", err, shown)
	}
}
