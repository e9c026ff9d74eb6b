// Package entra adapts MSAL Go's public client to what the flows need: interactive
// sign-in with the URL handed to the caller before any browser opens it, device code,
// and silent reuse of the signed-in account. Tokens stay in MSAL's in-memory cache:
// no cache accessor is ever configured, so nothing is written to disk.
package entra

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"

	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/safetext"
)

// ClientCapabilities are the capabilities both MSAL clients declare: "cp1", so
// Microsoft Graph sends claims challenges (Continuous Access Evaluation, Conditional
// Access step-up) to this client instead of refusing it outright; a resource sends
// them only to clients that declare it (entra/identity-platform/claims-challenge,
// "Client capabilities").
func ClientCapabilities() []string { return []string{"cp1"} }

// Options configure a Client.
type Options struct {
	// Authority is the authority URL, e.g. https://login.microsoftonline.com/organizations.
	Authority string
	ClientID  string
	// HTTPClient is used for every call MSAL makes (nil = MSAL's default).
	HTTPClient *http.Client
	// Scopes are the fully qualified scopes to request, e.g. https://graph.microsoft.com/User.Read.
	Scopes []string
	// InstanceDiscovery is off for authorities MSAL does not know (emulator, overrides).
	InstanceDiscovery bool
	// Cache, when set, remembers the sign-in between runs (MSAL's external cache).
	Cache *credstore.Cache
}

// DeviceCode is what a user needs to finish a device-code sign-in elsewhere. Its
// text is display-safe.
type DeviceCode struct {
	UserCode        string
	VerificationURL string
	Message         string
}

// Token is a signed-in account's access token and identity. Its names are
// display-safe (sanitized where MSAL hands them over).
type Token struct {
	AccessToken string
	Username    string
	TenantID    string
	ObjectID    string
	Name        string
}

// Client signs one admin in and keeps their account for silent reuse.
type Client struct {
	pca    public.Client
	scopes []string
	cache  *credstore.Cache

	mu      sync.Mutex
	account *public.Account
}

// New builds the MSAL public client.
func New(o Options) (*Client, error) {
	opts := []public.Option{
		public.WithAuthority(o.Authority),
		public.WithInstanceDiscovery(o.InstanceDiscovery),
		public.WithClientCapabilities(ClientCapabilities()),
	}
	if o.HTTPClient != nil {
		opts = append(opts, public.WithHTTPClient(o.HTTPClient))
	}
	if o.Cache != nil {
		opts = append(opts, public.WithCache(o.Cache))
	}
	pca, err := public.New(o.ClientID, opts...)
	if err != nil {
		return nil, fmt.Errorf("configuring sign-in: %w", err)
	}
	return &Client{pca: pca, scopes: o.Scopes, cache: o.Cache}, nil
}

// Resume takes the remembered account (Options.Cache) as the signed-in one, so
// Silent can serve its tokens without a sign-in. It reports whether one was found.
func (c *Client) Resume(ctx context.Context) bool {
	if c.cache == nil {
		return false
	}
	want, ok := c.cache.Account()
	if !ok {
		return false
	}
	accs, err := c.pca.Accounts(ctx)
	if err != nil {
		return false
	}
	for _, a := range accs {
		if a.HomeAccountID == want.HomeAccountID {
			c.mu.Lock()
			c.account = &a
			c.mu.Unlock()
			return true
		}
	}
	return false
}

// RemoveAccount removes every token of the account homeAccountID from MSAL's cache
// (and so from the remembered one).
func (c *Client) RemoveAccount(ctx context.Context, homeAccountID string) error {
	accs, err := c.pca.Accounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accs {
		if a.HomeAccountID == homeAccountID {
			if err := c.pca.RemoveAccount(ctx, a); err != nil {
				return err
			}
		}
	}
	c.mu.Lock()
	if c.account != nil && c.account.HomeAccountID == homeAccountID {
		c.account = nil
	}
	c.mu.Unlock()
	return nil
}

// Interactive signs in through a browser (authorization code + PKCE, loopback redirect).
// openURL receives the sign-in URL: it must show it and may open a browser. MSAL Go
// sends prompt=select_account on every interactive sign-in, so the admin can always
// pick (or add) another account. claims, when not empty, is a claims challenge (MFA,
// Conditional Access) to satisfy.
func (c *Client) Interactive(ctx context.Context, openURL func(string) error, claims ...string) (*Token, error) {
	// MSAL builds the address from the authority's discovery document (network
	// text): it leaves here display-safe, as every string MSAL hands us.
	open := func(u string) error { return openURL(safetext.Sanitize(u)) }
	opts := []public.AcquireInteractiveOption{public.WithOpenURL(open), public.WithRedirectURI("http://localhost")}
	if len(claims) > 0 && claims[0] != "" {
		opts = append(opts, public.WithClaims(claims[0]))
	}
	res, err := c.pca.AcquireTokenInteractive(ctx, c.Scopes(), opts...)
	if err != nil {
		return nil, safetext.WrapError(err)
	}
	return c.keep(res), nil
}

// DeviceCodeFlow starts a device-code sign-in, hands the code to show, then waits.
func (c *Client) DeviceCodeFlow(ctx context.Context, show func(DeviceCode), claims ...string) (*Token, error) {
	var opts []public.AcquireByDeviceCodeOption
	if len(claims) > 0 && claims[0] != "" {
		opts = append(opts, public.WithClaims(claims[0]))
	}
	dc, err := c.pca.AcquireTokenByDeviceCode(ctx, c.Scopes(), opts...)
	if err != nil {
		return nil, safetext.WrapError(err)
	}
	code := DeviceCode{UserCode: safetext.Sanitize(dc.Result.UserCode), VerificationURL: safetext.Sanitize(dc.Result.VerificationURL),
		Message: safetext.Sanitize(dc.Result.Message)}
	if code.UserCode == "" || code.VerificationURL == "" {
		// v2-oauth2-device-code, "Device authorization response": user_code and
		// verification_uri are required; without them nobody can sign in, and
		// waiting would only end in a timeout.
		return nil, ErrMalformedDeviceCode
	}
	show(code)
	res, err := dc.AuthenticationResult(ctx)
	if err != nil {
		return nil, safetext.WrapError(err)
	}
	return c.keep(res), nil
}

// Forget drops the signed-in account: the next token needs a new sign-in ("sign in
// as someone else").
func (c *Client) Forget() {
	c.mu.Lock()
	c.account = nil
	c.mu.Unlock()
}

// ErrMalformedDeviceCode means Entra ID's device-code reply had no user code or
// verification address (an empty or cut reply).
var ErrMalformedDeviceCode = errors.New("Entra ID's device-code reply was malformed (no user code or verification address): try again")

// ErrNoAccount means Silent was called before a sign-in.
var ErrNoAccount = errors.New("not signed in")

// Silent returns a token for the signed-in account from the cache, refreshing it
// with the refresh token when it expired.
func (c *Client) Silent(ctx context.Context) (*Token, error) {
	return c.SilentFor(ctx, c.Scopes())
}

// SilentFor is Silent for scopes other than the Client's (incremental consent: a
// refresh for a scope nobody consented answers AADSTS65001, consent_required).
func (c *Client) SilentFor(ctx context.Context, scopes []string) (*Token, error) {
	c.mu.Lock()
	acc := c.account
	c.mu.Unlock()
	if acc == nil {
		return nil, ErrNoAccount
	}
	res, err := c.pca.AcquireTokenSilent(ctx, scopes, public.WithSilentAccount(*acc))
	if err != nil {
		return nil, safetext.WrapError(err)
	}
	return c.toToken(res), nil
}

// Scopes are the scopes sign-ins and Silent request.
func (c *Client) Scopes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.scopes...)
}

// SetScopes changes the scopes later sign-ins and Silent request: the signed-in
// account asks for more once it needs more (incremental consent,
// entra/identity-platform/consent-types).
func (c *Client) SetScopes(scopes []string) {
	c.mu.Lock()
	c.scopes = append([]string(nil), scopes...)
	c.mu.Unlock()
}

func (c *Client) keep(res public.AuthResult) *Token {
	acc := res.Account
	c.mu.Lock()
	c.account = &acc
	c.mu.Unlock()
	return c.toToken(res)
}

// toToken is toToken, noting in the remembered cache which tenant the account got a
// token for (status shows it).
func (c *Client) toToken(res public.AuthResult) *Token {
	t := toToken(res)
	if c.cache != nil {
		c.cache.Remember(res.Account.HomeAccountID, t.Username, t.TenantID)
	}
	return t
}

func toToken(res public.AuthResult) *Token {
	return &Token{
		AccessToken: res.AccessToken,
		Username:    safetext.Sanitize(res.Account.PreferredUsername),
		TenantID:    safetext.Sanitize(res.IDToken.TenantID),
		ObjectID:    safetext.Sanitize(res.IDToken.Oid),
		Name:        safetext.Sanitize(res.IDToken.Name),
	}
}
