package flows

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/confidential"

	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/internal/flows/entra"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// Unattended verification: an app identity (a "monitoring app" registered by the
// tenant) signs in as itself with the client credentials grant and reads Graph with
// application permissions. Secrets never come from the command line: the client
// secret and the PKCS#12 password are read from the environment, the federated
// token from a file.

// AppAuth is how the app identity proves itself.
type AppAuth string

// App identity kinds (--auth).
const (
	AuthCertificate      AppAuth = "certificate"
	AuthSecret           AppAuth = "secret"
	AuthWorkloadIdentity AppAuth = "workload-identity"
)

// Environment variables of the app identity.
const (
	EnvClientSecret        = "D365CONSENT_CLIENT_SECRET"
	EnvCertificatePassword = "D365CONSENT_CERTIFICATE_PASSWORD"
	// The Azure SDKs' workload identity conventions (Kubernetes, CI pipelines).
	EnvAzureClientID           = "AZURE_CLIENT_ID"
	EnvAzureTenantID           = "AZURE_TENANT_ID"
	EnvAzureFederatedTokenFile = "AZURE_FEDERATED_TOKEN_FILE"
)

// AppIdentity is an app identity's configuration; build it with AppIdentityFromEnv.
type AppIdentity struct {
	Auth     AppAuth
	ClientID string
	// Tenant is the app's tenant (id or domain): the authority it signs in at.
	Tenant          string
	CertificateFile string
	// Secret and CertificatePassword come from the environment only.
	Secret              string
	CertificatePassword string
	FederatedTokenFile  string
}

// AppIdentityFromEnv builds the identity for auth from the flags (clientID, tenant,
// certificate file; each may be "") and the environment (getenv). clientID and
// tenant fall back to AZURE_CLIENT_ID and AZURE_TENANT_ID.
func AppIdentityFromEnv(auth AppAuth, clientID, tenant, certFile string, getenv func(string) string) (AppIdentity, error) {
	id := AppIdentity{Auth: auth, ClientID: strings.TrimSpace(clientID), Tenant: strings.TrimSpace(tenant), CertificateFile: certFile}
	if id.ClientID == "" {
		id.ClientID = strings.TrimSpace(getenv(EnvAzureClientID))
	}
	if id.Tenant == "" {
		id.Tenant = strings.TrimSpace(getenv(EnvAzureTenantID))
	}
	switch auth {
	case AuthCertificate:
		if certFile == "" {
			return id, Usagef("--auth certificate needs --certificate FILE (PEM with the private key, or PKCS#12 with its password in %s)", EnvCertificatePassword)
		}
		id.CertificatePassword = getenv(EnvCertificatePassword)
	case AuthSecret:
		if certFile != "" {
			return id, Usagef("--certificate is for --auth certificate")
		}
		id.Secret = getenv(EnvClientSecret)
		if strings.TrimSpace(id.Secret) == "" {
			return id, Usagef("--auth secret reads the client secret from %s, which is not set (never put a secret on the command line)", EnvClientSecret)
		}
	case AuthWorkloadIdentity:
		if certFile != "" {
			return id, Usagef("--certificate is for --auth certificate")
		}
		id.FederatedTokenFile = getenv(EnvAzureFederatedTokenFile)
		if id.FederatedTokenFile == "" {
			return id, Usagef("--auth workload-identity needs %s (the federated token file), %s and %s", EnvAzureFederatedTokenFile, EnvAzureClientID, EnvAzureTenantID)
		}
	default:
		return id, Usagef("unknown --auth %q", auth)
	}
	if !permissions.IsGUID(id.ClientID) {
		return id, Usagef("the app identity needs its application (client) id: --identity-client-id or %s (a GUID)", EnvAzureClientID)
	}
	if id.Tenant == "" || id.Tenant == "organizations" || id.Tenant == "common" {
		return id, Usagef("the app identity needs its tenant: --tenant or %s (a tenant id or domain)", EnvAzureTenantID)
	}
	return id, nil
}

// AppSession is an app identity signed in to a cloud: it gives app-only tokens per
// tenant (TenantTokens).
type AppSession struct {
	cfg    Config
	id     AppIdentity
	client *entra.AppClient

	mu   sync.Mutex
	name string // the app's display name, from its first token
}

// NewAppSession reads the credential and builds the confidential client.
func NewAppSession(cfg Config, id AppIdentity) (*AppSession, error) {
	if err := cfg.Cloud.checkEndpoints(); err != nil {
		return nil, err
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = DefaultHTTPClient()
	}
	var cred confidential.Credential
	var err error
	switch id.Auth {
	case AuthCertificate:
		cred, err = entra.CertificateCredential(id.CertificateFile, id.CertificatePassword)
	case AuthSecret:
		cred, err = entra.SecretCredential(id.Secret)
	case AuthWorkloadIdentity:
		cred = entra.AssertionFileCredential(id.FederatedTokenFile)
	default:
		err = Usagef("unknown --auth %q", id.Auth)
	}
	if err != nil {
		return nil, Usagef("%v", err)
	}
	known := clouds.IsLoginURL(cfg.Cloud.AuthorityHost)
	var after entra.After
	if cfg.Clock != nil {
		after = cfg.Clock.After
	}
	client, err := entra.NewApp(entra.AppOptions{
		Authority: cfg.Cloud.Authority(id.Tenant), ClientID: id.ClientID, Credential: cred,
		HTTPClient: entra.RetryingClient(cfg.HTTPClient, after), Scope: cfg.Cloud.GraphScope(".default"), InstanceDiscovery: known,
	})
	if err != nil {
		return nil, err
	}
	return &AppSession{cfg: cfg, id: id, client: client}, nil
}

// Identity is the app's tenant (the default tenant to verify).
func (a *AppSession) Tenant() string { return a.id.Tenant }

// TenantToken is an app-only Graph token in tenant.
func (a *AppSession) TenantToken(ctx context.Context, tenant string) (string, error) {
	tok, err := a.client.Token(ctx, tenant)
	if err != nil {
		return "", wrapAuth("signing in as app "+a.id.ClientID+" ("+string(a.id.Auth)+")", err)
	}
	a.mu.Lock()
	if a.name == "" {
		a.name = appDisplayName(tok)
	}
	a.mu.Unlock()
	return tok, nil
}

// SignIn gets a first token in the app's own tenant, so a bad credential fails
// before any tenant is checked.
func (a *AppSession) SignIn(ctx context.Context) error {
	_, err := a.TenantToken(ctx, a.id.Tenant)
	return err
}

// SignedInAs names the app for results: "app <display name> (<client id>)".
func (a *AppSession) SignedInAs() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.name != "" {
		return "app " + a.name + " (" + a.id.ClientID + ")"
	}
	return "app " + a.id.ClientID
}

// appDisplayName reads the app_displayname claim of an access token (its payload
// only; the token itself is never kept or shown).
func appDisplayName(tok string) string {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var c struct {
		Name string `json:"app_displayname"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return safetext.Sanitize(c.Name)
}
