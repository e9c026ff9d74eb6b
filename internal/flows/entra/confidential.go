package entra

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"
	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/d365consent/d365consent/internal/safetext"
)

// SilentTenant returns a token for the signed-in account in another tenant (a
// customer tenant where a partner admin is a guest or has GDAP roles): MSAL looks
// for a cached token of that tenant, else redeems the account's refresh token at
// that tenant's authority. tenant is a tenant id or domain; scopes are what the
// token must carry (a scope nobody consented there answers AADSTS65001).
func (c *Client) SilentTenant(ctx context.Context, tenant string, scopes []string) (*Token, error) {
	c.mu.Lock()
	acc := c.account
	c.mu.Unlock()
	if acc == nil {
		return nil, ErrNoAccount
	}
	res, err := c.pca.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(*acc), public.WithTenantID(tenant))
	if err != nil {
		return nil, safetext.WrapError(err)
	}
	return c.toToken(res), nil
}

// AppOptions configure an AppClient: an app identity (a confidential client) that
// signs in as itself, with no user.
type AppOptions struct {
	// Authority is the authority URL of the app's tenant, e.g.
	// https://login.microsoftonline.com/{tenant-id}.
	Authority  string
	ClientID   string
	Credential confidential.Credential
	HTTPClient *http.Client
	// Scope is the resource's .default scope, e.g. https://graph.microsoft.com/.default.
	Scope             string
	InstanceDiscovery bool
}

// AppClient gets app-only tokens with the client credentials grant. Tokens stay in
// MSAL's in-memory cache; nothing is written to disk.
type AppClient struct {
	cca   confidential.Client
	scope string
}

// NewApp builds the MSAL confidential client.
func NewApp(o AppOptions) (*AppClient, error) {
	opts := []confidential.Option{confidential.WithInstanceDiscovery(o.InstanceDiscovery),
		confidential.WithClientCapabilities(ClientCapabilities())}
	if o.HTTPClient != nil {
		opts = append(opts, confidential.WithHTTPClient(o.HTTPClient))
	}
	cca, err := confidential.New(o.Authority, o.ClientID, o.Credential, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring the app identity: %w", err)
	}
	return &AppClient{cca: cca, scope: o.Scope}, nil
}

// Token returns an app-only token for tenant ("" = the authority's tenant), from
// MSAL's cache while it is valid.
func (a *AppClient) Token(ctx context.Context, tenant string) (string, error) {
	var opts []confidential.AcquireByCredentialOption
	if tenant != "" {
		opts = append(opts, confidential.WithTenantID(tenant))
	}
	res, err := a.cca.AcquireTokenByCredential(ctx, []string{a.scope}, opts...)
	if err != nil {
		return "", safetext.WrapError(err)
	}
	return res.AccessToken, nil
}

// SecretCredential is a client secret credential.
func SecretCredential(secret string) (confidential.Credential, error) {
	if strings.TrimSpace(secret) == "" {
		return confidential.Credential{}, errors.New("the client secret is empty")
	}
	return confidential.NewCredFromSecret(secret)
}

// CertificateCredential reads a certificate with its private key: PEM (certificate
// and unencrypted key blocks, as confidential.CertFromPEM reads them) or PKCS#12
// (.pfx/.p12, decrypted with password). The key never leaves the process.
func CertificateCredential(path, password string) (confidential.Credential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return confidential.Credential{}, fmt.Errorf("reading the certificate: %w", err)
	}
	certs, key, err := ParseCertificate(data, password)
	if err != nil {
		return confidential.Credential{}, fmt.Errorf("certificate %s: %w", path, err)
	}
	return confidential.NewCredFromCert(certs, key)
}

// ParseCertificate decodes PEM or PKCS#12 data into certificates and a private key.
func ParseCertificate(data []byte, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	if bytes.Contains(data, []byte("-----BEGIN")) {
		certs, key, err := confidential.CertFromPEM(data, "")
		if err != nil {
			return nil, nil, err
		}
		if key == nil {
			return nil, nil, errors.New("the PEM file has no private key (it needs the certificate and its key)")
		}
		return certs, key, nil
	}
	// go-pkcs12 reads the certificate's chain and both the legacy (3DES/RC2, SHA-1)
	// and the modern (PBES2 with AES, OpenSSL 3's default) encryptions.
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, nil, errors.New("PKCS#12: wrong password (set it in D365CONSENT_CERTIFICATE_PASSWORD)")
		}
		return nil, nil, fmt.Errorf("neither PEM nor a readable PKCS#12 file: %w", err)
	}
	return append([]*x509.Certificate{cert}, chain...), key, nil
}

// AssertionFileCredential is a federated credential whose assertion is the token
// in file, read again on every token request: Kubernetes and CI systems rotate the
// projected token file, so a token read once would expire.
func AssertionFileCredential(file string) confidential.Credential {
	return confidential.NewCredFromAssertionCallback(func(context.Context, confidential.AssertionRequestOptions) (string, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the federated token: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("the federated token file %s is empty", file)
		}
		return tok, nil
	})
}
