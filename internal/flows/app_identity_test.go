package flows_test

// Unattended verification with an app identity (certificate, secret, workload
// identity) against the emulator, with the real MSAL Go confidential client over
// loopback HTTPS: each sign-in mode, good and bad, and VerifyTenant app-only.

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/entra"
	"github.com/d365consent/d365consent/internal/testkit"
)

func appcert(t testing.TB, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "appcert", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readCert(t testing.TB, name, password string) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(appcert(t, name))
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := entra.ParseCertificate(data, password)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*rsa.PrivateKey)
}

// monitoringApp registers the test monitoring app (its certificate, a secret and a
// federated credential for a Kubernetes service account) with roles in the demo tenant.
func monitoringApp(t testing.TB, srv *emulator.Server, roles []string, issuerKey crypto.PublicKey) string {
	t.Helper()
	data, err := os.ReadFile(appcert(t, "monitor.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certs, _, err := entra.ParseCertificate(data, "")
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.RegisterApp(emulator.AppRegistration{
		DisplayName: "Contoso Consent Monitor", Secret: "s3cret-value~only-in-env", Certificates: certs, GraphRoles: roles,
		Federated: []emulator.FederatedCredential{{Issuer: "https://oidc.cluster.example", Subject: "system:serviceaccount:backup:d365consent", IssuerKey: issuerKey}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

type appFixture struct {
	srv      *emulator.Server
	clientID string
	cloud    flows.Cloud
	issuer   *rsa.PrivateKey
}

func startApp(t testing.TB, scenario string, roles []string, now func() time.Time) *appFixture {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: scenario, Now: now, Catalog: testkit.Catalog(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	issuer := readCert(t, "other.pem", "") // the cluster's token signing key
	return &appFixture{srv: srv, clientID: monitoringApp(t, srv, roles, &issuer.PublicKey), issuer: issuer,
		cloud: flows.Cloud{Name: "demo", AuthorityHost: srv.AuthorityHost(), GraphURL: srv.GraphURL(), GraphResource: srv.GraphScopePrefix(), ConsentHost: srv.PagesURL()}}
}

// federatedToken is a service account token as a Kubernetes cluster projects it.
func (a *appFixture) federatedToken(t testing.TB, subject string, exp time.Time) string {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "cluster-1"})
	body, _ := json.Marshal(map[string]any{"iss": "https://oidc.cluster.example", "sub": subject, "aud": []string{emulator.TokenExchangeAudience},
		"iat": exp.Add(-time.Hour).Unix(), "nbf": exp.Add(-time.Hour).Unix(), "exp": exp.Unix()})
	signed := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.issuer, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + enc.EncodeToString(sig)
}

func (a *appFixture) session(t testing.TB, auth flows.AppAuth, cert string, env map[string]string) (*flows.AppSession, error) {
	t.Helper()
	id, err := flows.AppIdentityFromEnv(auth, a.clientID, a.srv.TenantID(), cert, func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	return flows.NewAppSession(flows.Config{Cloud: a.cloud, HTTPClient: a.srv.HTTPClient()}, id)
}

func (a *appFixture) verify(t testing.TB, s *flows.AppSession) (*flows.Result, error) {
	t.Helper()
	cat := a.srv.Catalog()
	app, _ := cat.App("ce")
	if err := s.SignIn(context.Background()); err != nil {
		return nil, err
	}
	return flows.VerifyTenant(context.Background(), flows.TenantCheck{Cloud: a.cloud, HTTPClient: a.srv.HTTPClient(), Tokens: s,
		SignedInAs: s.SignedInAs(), AppOnly: true}, app, a.srv.TenantID())
}

func aadsts(err error) int {
	if x := explain.Explain(err); x != nil {
		return x.Code
	}
	return 0
}

// TestAppIdentityModes: each --auth mode, good and bad, with MSAL Go's confidential
// client against the emulator's token endpoint; a good credential verifies the
// tenant app-only, a bad one fails with Entra's own AADSTS code.
func TestAppIdentityModes(t *testing.T) {
	a := startApp(t, "consented", []string{"Directory.Read.All"}, nil)
	tokenFile := filepath.Join(t.TempDir(), "token")
	good := func(t *testing.T, s *flows.AppSession, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		r, err := a.verify(t, s)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != flows.StatusComplete || r.SignedInAs != "app Contoso Consent Monitor ("+a.clientID+")" ||
			r.Tenant.ID != a.srv.TenantID() || r.Tenant.DisplayName != a.srv.TenantName() {
			t.Fatalf("%s as %q in %+v", r.Status, r.SignedInAs, r.Tenant)
		}
		if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "no directory role was checked") {
			t.Fatalf("warnings %q", r.Warnings)
		}
	}
	bad := func(t *testing.T, s *flows.AppSession, err error, code int) {
		t.Helper()
		if err == nil {
			_, err = a.verify(t, s)
		}
		if !errors.Is(err, flows.ErrRefused) || aadsts(err) != code {
			t.Fatalf("want AADSTS%d, got %v", code, err)
		}
	}
	t.Run("secret", func(t *testing.T) {
		s, err := a.session(t, flows.AuthSecret, "", map[string]string{flows.EnvClientSecret: "s3cret-value~only-in-env"})
		good(t, s, err)
	})
	t.Run("secret wrong", func(t *testing.T) {
		s, err := a.session(t, flows.AuthSecret, "", map[string]string{flows.EnvClientSecret: "not-the-secret"})
		bad(t, s, err, 7000215)
	})
	t.Run("secret unset", func(t *testing.T) {
		_, err := a.session(t, flows.AuthSecret, "", nil)
		if !errors.Is(err, flows.ErrUsage) || !strings.Contains(err.Error(), flows.EnvClientSecret) {
			t.Fatal(err)
		}
	})
	t.Run("certificate PEM", func(t *testing.T) {
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.pem"), nil)
		good(t, s, err)
	})
	t.Run("certificate PKCS#12", func(t *testing.T) {
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.p12"), map[string]string{flows.EnvCertificatePassword: "test-only-password"})
		good(t, s, err)
	})
	t.Run("certificate PKCS#12 wrong password", func(t *testing.T) {
		_, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.p12"), map[string]string{flows.EnvCertificatePassword: "nope"})
		if !errors.Is(err, flows.ErrUsage) || !strings.Contains(err.Error(), "wrong password") {
			t.Fatal(err)
		}
	})
	t.Run("certificate PKCS#12 AES", func(t *testing.T) {
		// OpenSSL 3's default encryption (PBES2 with AES) is read as it is.
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "modern.p12"), map[string]string{flows.EnvCertificatePassword: "test-only-password"})
		good(t, s, err)
	})
	t.Run("certificate not registered", func(t *testing.T) {
		s, err := a.session(t, flows.AuthCertificate, appcert(t, "other.pem"), nil)
		bad(t, s, err, 700027)
	})
	t.Run("workload identity", func(t *testing.T) {
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:backup:d365consent", time.Now().Add(time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := a.session(t, flows.AuthWorkloadIdentity, "", map[string]string{flows.EnvAzureFederatedTokenFile: tokenFile})
		good(t, s, err)
	})
	t.Run("workload identity wrong subject, then the rotated file", func(t *testing.T) {
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:default:other", time.Now().Add(time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := a.session(t, flows.AuthWorkloadIdentity, "", map[string]string{flows.EnvAzureFederatedTokenFile: tokenFile})
		bad(t, s, err, 700213)
		// The cluster rotates the token: the next request reads the file again.
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:backup:d365consent", time.Now().Add(time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		good(t, s, nil)
	})
	t.Run("workload identity expired token", func(t *testing.T) {
		if err := os.WriteFile(tokenFile, []byte(a.federatedToken(t, "system:serviceaccount:backup:d365consent", time.Now().Add(-time.Hour))), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := a.session(t, flows.AuthWorkloadIdentity, "", map[string]string{flows.EnvAzureFederatedTokenFile: tokenFile})
		bad(t, s, err, 700024)
	})
}

// TestAppIdentityExpiredAssertion: the emulator's clock is an hour ahead of this
// machine's, so MSAL's certificate assertion (valid ten minutes from now) has
// expired when it arrives: AADSTS700024, the clock-skew failure of a real box.
func TestAppIdentityExpiredAssertion(t *testing.T) {
	a := startApp(t, "consented", []string{"Directory.Read.All"}, func() time.Time { return time.Now().Add(time.Hour) })
	s, err := a.session(t, flows.AuthCertificate, appcert(t, "monitor.pem"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.verify(t, s); aadsts(err) != 700024 {
		t.Fatalf("want AADSTS700024, got %v", err)
	}
}
