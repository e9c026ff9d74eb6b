package flows

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/entra"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// DeviceLoginBrowser is a Browser that can also complete a device-code sign-in by
// itself (the demo tenant's scripted browser). SignIn uses it when present.
type DeviceLoginBrowser interface {
	browser.Browser
	OpenDeviceLogin(verificationURL, userCode string) error
}

// Clock is the time source of retries and polling, injected so a ten-minute wait is
// tested in milliseconds.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// DefaultTimeout bounds the wait for consent.
const DefaultTimeout = 10 * time.Minute

// Config is everything a Session needs from the outside.
type Config struct {
	Cloud Cloud
	// Tenant is a tenant id or domain; "" = organizations (the admin's home tenant).
	Tenant         string
	SignInClientID string
	// HTTPClient is used for sign-in and Graph; nil = a client trusting the system
	// certificate pool (so SSL_CERT_FILE works).
	HTTPClient *http.Client
	// Browser opens sign-in and consent pages; nil = never open one (only show the URL).
	Browser    browser.Browser
	DeviceCode bool
	// DeviceCodeReason is the sentence shown with the device code (ChooseSignIn).
	DeviceCodeReason string
	Clock            Clock
	// Timeout bounds the wait for consent (0 = DefaultTimeout).
	Timeout time.Duration
	Logger  *slog.Logger
	// Remember, when set, keeps the sign-in between runs (--remember): the account
	// it remembers signs in silently, and a new sign-in is remembered.
	Remember *credstore.Cache
}

// SignInPrompt is what the user must see to sign in: the URL (interactive, always
// shown before a browser opens it) or the device code and its message.
// Its text is display-safe (entra cleans what MSAL hands over).
type SignInPrompt struct {
	URL        string
	UserCode   string
	Message    string
	DeviceCode bool
	// Reason says why the device code flow was chosen (Config.DeviceCodeReason).
	Reason string
	// Claims is set when this sign-in answers a claims challenge or a refresh that
	// needs the admin again (MFA, Conditional Access).
	Claims bool
	// Consent, when set, says why this sign-in asks for more than the first one:
	// for which client, what the consent grants and to whom (signin.GrantReadConsent).
	Consent string
	// Remembered says why the remembered sign-in (--remember) could not be used,
	// e.g. Entra ID refused its refresh token; "" otherwise.
	Remembered string
}

// Session is one admin's sign-in against one cloud and tenant.
type Session struct {
	cfg    Config
	auth   *entra.Client
	graph  *graph.Client
	clock  Clock
	logger *slog.Logger

	// signInScopes are what the first sign-in asks for; allScopes add what reading
	// the grants needs (fully qualified with the cloud's Graph resource URI).
	signInScopes, allScopes []string

	mu         sync.Mutex
	admin      *Admin
	lastPrompt func(SignInPrompt)
	// grantRead: the token covers allScopes (EnsureGrantRead succeeded).
	grantRead bool
	// signedIn is who the last sign-in's ID token names (display-safe; no token).
	signedIn signedInClaims
	// resumeTried: the remembered account was tried (once per session).
	resumeTried bool
}

// signedInClaims is the signed-in account as the sign-in's ID token names it
// (entra/identity-platform/id-token-claims-reference: preferred_username, name, oid,
// tid): who is signed in when Graph cannot say (/me refused for a partner's GDAP
// technician, who has no user object in the customer tenant).
type signedInClaims struct{ upn, name, oid, tid string }

// NewSession checks cfg and builds the MSAL client and the Graph client.
func NewSession(cfg Config) (*Session, error) {
	if err := cfg.Cloud.checkEndpoints(); err != nil {
		return nil, err
	}
	if cfg.SignInClientID == "" {
		return nil, Usagef("no sign-in client id")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = DefaultHTTPClient()
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	qualify := func(vs []string) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = cfg.Cloud.GraphScope(v) // the resource URI, never --graph-url
		}
		return out
	}
	signInScopes, allScopes := qualify(signin.SignInValues()), qualify(signin.Values())
	known := clouds.IsLoginURL(cfg.Cloud.AuthorityHost)
	auth, err := entra.New(entra.Options{
		Authority:         cfg.Cloud.Authority(cfg.Tenant),
		ClientID:          cfg.SignInClientID,
		HTTPClient:        entra.RetryingClient(cfg.HTTPClient, cfg.Clock.After),
		Scopes:            signInScopes,
		InstanceDiscovery: known,
		Cache:             cfg.Remember,
	})
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, auth: auth, clock: cfg.Clock, logger: cfg.Logger, signInScopes: signInScopes, allScopes: allScopes}
	s.graph = graph.New(cfg.Cloud.GraphURL, cfg.HTTPClient, s.token, graph.WithClock(cfg.Clock), graph.WithClaimsChallenge(s.ClaimsChallenge))
	return s, nil
}

// DefaultHTTPClient trusts the system certificate pool (SSL_CERT_FILE and
// SSL_CERT_DIR are honoured by crypto/x509 on Linux) and has sane timeouts.
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 15 * time.Second
	t.ResponseHeaderTimeout = 60 * time.Second
	return &http.Client{Transport: t}
}

// Config returns the session's configuration (with defaults filled in).
func (s *Session) Config() Config { return s.cfg }

// Graph is the session's Graph client.
func (s *Session) Graph() *graph.Client { return s.graph }

// Admin is the signed-in admin, nil before SignIn.
func (s *Session) Admin() *Admin {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admin
}

func (s *Session) token(ctx context.Context) (string, error) {
	t, err := s.auth.Silent(ctx)
	if err != nil {
		if errors.Is(err, entra.ErrNoAccount) {
			return "", fmt.Errorf("calling Microsoft Graph: %w", err)
		}
		// A refresh that needs the admin again (MFA, Conditional Access claims, an
		// expired refresh token) prompts again instead of failing.
		if need, claims := explain.NeedsInteraction(err); need && s.reprompt() != nil {
			s.logger.Info("token refresh needs interaction: signing in again", "claims", claims != "")
			if err := s.authenticate(ctx, s.reprompt(), claims); err != nil {
				return "", err
			}
			t, err = s.auth.Silent(ctx)
			if err == nil {
				return t.AccessToken, nil
			}
		}
		return "", s.wrapAuth(explain.SignIn, "renewing the sign-in", err)
	}
	return t.AccessToken, nil
}

// reprompt is the prompt of the last sign-in (nil before one).
func (s *Session) reprompt() func(SignInPrompt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastPrompt
}

// ClaimsChallenge is Microsoft Graph's claims challenge (HTTP 401 with
// error="insufficient_claims"): the admin signs in again satisfying claims.
func (s *Session) ClaimsChallenge(ctx context.Context, claims string) error {
	p := s.reprompt()
	if p == nil {
		return errors.New("Microsoft Graph asks for a new sign-in (claims challenge), and nobody signed in interactively")
	}
	s.logger.Info("claims challenge from Microsoft Graph: signing in again")
	return s.authenticate(ctx, p, claims)
}

// EnsureGrantRead makes sure the sign-in may read the app's grants: the first
// sign-in asks only for signin.SignInValues, so the first screens need no
// administrator; reading the grants needs signin.GrantReadValues (incremental
// consent, entra/identity-platform/consent-types). When the sign-in client already
// holds them (a consent given earlier), a silent token covers them; otherwise the
// admin signs in again with the line of signin.GrantReadConsent on screen (through
// Progress and SignInPrompt.Consent). A refusal is explained as the sign-in
// client's (explain.SignIn), never the AvePoint app's.
func (s *Session) EnsureGrantRead(ctx context.Context) error {
	if s.hasGrantRead() {
		return nil
	}
	_, err := s.auth.SilentFor(ctx, s.allScopes)
	if err == nil {
		s.auth.SetScopes(s.allScopes)
		s.markGrantRead()
		s.rereadRoles(ctx)
		return nil
	}
	const op = "asking to read the app's grants"
	if errors.Is(err, entra.ErrNoAccount) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctxDone(ctx, AwaitEntra, 0))
	}
	need, _ := explain.NeedsInteraction(err)
	p := s.reprompt()
	if !need || p == nil {
		return s.wrapAuth(explain.SignIn, op, err)
	}
	note := signin.GrantReadConsent(s.cfg.SignInClientID)
	s.logger.Info("reading the grants needs more consent for the sign-in client: signing in again", "scopes", strings.Join(signin.GrantReadValues(), " "))
	Progress(ctx, note)
	s.auth.SetScopes(s.allScopes)
	if err := s.authenticateWith(ctx, p, "", note); err != nil {
		s.auth.SetScopes(s.signInScopes) // the first sign-in's token still serves /me
		return err
	}
	s.markGrantRead()
	s.rereadRoles(ctx)
	return nil
}

// rereadRoles reads the signed-in admin's roles again when the first sign-in's token
// could not (User.Read sees directory roles without their details:
// graph/api/user-list-memberof, "limited information"). A failure keeps "unknown".
func (s *Session) rereadRoles(ctx context.Context) {
	a := s.Admin()
	if a == nil || a.RolesRead {
		return
	}
	reqs := []graph.Request{{ID: "roles", Method: http.MethodGet, URL: RolesRequestURL}}
	if a.customAsked {
		reqs = append(reqs, graph.Request{ID: "custom", Method: http.MethodGet, URL: customRolesURL(s.signedInOID())})
	}
	reps, err := s.graph.BatchAll(ctx, reqs)
	if err != nil {
		s.logger.Warn("reading directory roles again", "err", err)
		return
	}
	s.addGroupRoles(ctx, reps)
	c := *a
	c.setCustom(reps)
	c.setRoles(reps["roles"])
	s.mu.Lock()
	s.admin = &c
	s.mu.Unlock()
}

func (s *Session) hasGrantRead() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grantRead
}

func (s *Session) markGrantRead() {
	s.mu.Lock()
	s.grantRead = true
	s.mu.Unlock()
}

// SignIn signs the admin in (interactive, or device code when configured), then reads
// /me, /organization and their directory roles. prompt is called with what the user
// must see — for interactive sign-in always before the browser is opened.
func (s *Session) SignIn(ctx context.Context, prompt func(SignInPrompt)) (*Admin, error) {
	if prompt == nil {
		prompt = func(SignInPrompt) {}
	}
	start := s.clock.Now()
	if err := s.authenticate(ctx, prompt, ""); err != nil {
		return nil, err
	}
	Progress(ctx, "Signed in; reading your account and roles from Microsoft Graph…")
	admin, err := s.loadAdmin(ctx)
	if err != nil {
		s.logger.Info("reading the signed-in admin failed", "duration", s.clock.Now().Sub(start), "err", err.Error())
		return nil, err
	}
	s.logger.Info("signed-in admin read", "duration", s.clock.Now().Sub(start), "tenantId", admin.TenantID,
		"roles", strings.Join(admin.Roles, ", "), "canConsent", admin.CanConsent)
	s.mu.Lock()
	s.admin = admin
	s.mu.Unlock()
	return admin, nil
}

// SignInAgain forgets the signed-in account and signs in anew ("sign in as someone
// else"): MSAL Go's interactive sign-in sends prompt=select_account, so the browser
// offers the account picker; the device code flow asks for an account anyway.
func (s *Session) SignInAgain(ctx context.Context, prompt func(SignInPrompt)) (*Admin, error) {
	s.auth.Forget()
	s.mu.Lock()
	s.admin = nil
	s.mu.Unlock()
	s.logger.Info("signing in as someone else")
	return s.SignIn(ctx, prompt)
}

// Authenticate signs the admin in without reading anything from Graph (verify puts
// /me, /organization and the roles in its one $batch: VerifyWithAdmin).
func (s *Session) Authenticate(ctx context.Context, prompt func(SignInPrompt)) error {
	if prompt == nil {
		prompt = func(SignInPrompt) {}
	}
	return s.authenticate(ctx, prompt, "")
}

// authenticate runs the interactive or device code sign-in (claims: a claims
// challenge to satisfy, "" for none) and remembers prompt for later re-prompts.
func (s *Session) authenticate(ctx context.Context, prompt func(SignInPrompt), claims string) error {
	return s.authenticateWith(ctx, prompt, claims, "")
}

// authenticateWith is authenticate with a line saying why this sign-in asks for
// more (SignInPrompt.Consent; "" for none).
func (s *Session) authenticateWith(ctx context.Context, prompt func(SignInPrompt), claims, consent string) error {
	s.mu.Lock()
	s.lastPrompt = prompt
	s.mu.Unlock()
	remembered, done, err := s.resume(ctx, claims)
	if done || err != nil {
		return err
	}
	var prompted atomic.Bool
	show := func(p SignInPrompt) {
		prompted.Store(true)
		p.Reason = s.cfg.DeviceCodeReason
		p.Claims = claims != ""
		p.Consent = consent
		p.Remembered, remembered = remembered, "" // said once
		prompt(p)
	}
	start := s.clock.Now()
	s.logger.Info("sign-in started", "deviceCode", s.cfg.DeviceCode, "authority", s.cfg.Cloud.Authority(s.cfg.Tenant), "claims", claims != "")
	var tok *entra.Token
	if s.cfg.DeviceCode {
		tok, err = s.auth.DeviceCodeFlow(ctx, func(dc entra.DeviceCode) {
			show(SignInPrompt{URL: dc.VerificationURL, UserCode: dc.UserCode, Message: dc.Message, DeviceCode: true})
			if b, ok := s.cfg.Browser.(DeviceLoginBrowser); ok {
				go func() {
					if err := b.OpenDeviceLogin(dc.VerificationURL, dc.UserCode); err != nil {
						s.logger.Warn("device login", "err", err)
					}
				}()
			}
		}, claims)
	} else {
		tok, err = s.auth.Interactive(ctx, func(u string) error {
			show(SignInPrompt{URL: u})
			if s.cfg.Browser == nil {
				return nil
			}
			if err := s.cfg.Browser.Open(u); err != nil {
				// The URL is on screen: the user can open it by hand.
				s.logger.Warn("opening the browser", "err", err)
			}
			return nil
		}, claims)
	}
	if err != nil {
		s.logger.Info("sign-in failed", "duration", s.clock.Now().Sub(start), "cancelled", ctx.Err() != nil, "err", err.Error())
		if ctx.Err() != nil {
			// Out of time is not the user cancelling: say what we were waiting for
			// (the admin, once the prompt is on screen; Entra ID before) and which
			// limit ran out.
			awaited := AwaitEntra
			if prompted.Load() {
				awaited = AwaitSignIn
			}
			return fmt.Errorf("signing in: %w", ctxDone(ctx, awaited, s.clock.Now().Sub(start)))
		}
		return s.wrapAuth(explain.SignIn, "signing in", err)
	}
	s.logger.Info("sign-in finished", "duration", s.clock.Now().Sub(start))
	s.keepIdentity(tok)
	return nil
}

// resume signs in silently with the remembered account (Config.Remember), the
// first time the session signs in. done is true when that worked; otherwise
// reason says why the remembered sign-in was not used ("" when none was
// remembered), for the prompt of the interactive sign-in that follows.
func (s *Session) resume(ctx context.Context, claims string) (reason string, done bool, err error) {
	s.mu.Lock()
	tried := s.resumeTried
	s.resumeTried = true
	s.mu.Unlock()
	if s.cfg.Remember == nil || tried || claims != "" || !s.auth.Resume(ctx) {
		return "", false, nil
	}
	start := s.clock.Now()
	tok, serr := s.auth.Silent(ctx)
	if serr == nil {
		s.keepIdentity(tok)
		s.logger.Info("signed in with the remembered account", "duration", s.clock.Now().Sub(start))
		return "", true, nil
	}
	if ctx.Err() != nil {
		return "", false, fmt.Errorf("signing in: %w", ctxDone(ctx, AwaitEntra, s.clock.Now().Sub(start)))
	}
	s.logger.Info("the remembered sign-in was refused: signing in again", "err", serr.Error())
	s.auth.Forget()
	reason = "Your remembered sign-in could not be used"
	if x := explain.ExplainIn(serr, explain.SignIn, s.cfg.Cloud.ErrorLookupURL); x != nil && x.Code != 0 {
		reason += fmt.Sprintf(" (AADSTS%d: %s)", x.Code, strings.TrimSuffix(orText(x.Title, x.Description), "."))
	} else {
		reason += " (" + firstLine(serr.Error()) + ")"
	}
	return reason + "; signing in again.", false, nil
}

// keepIdentity remembers who tok's ID token names (nil: nothing to keep).
func (s *Session) keepIdentity(tok *entra.Token) {
	if tok == nil {
		return
	}
	s.mu.Lock()
	s.signedIn = signedInClaims{upn: tok.Username, name: tok.Name, oid: tok.ObjectID, tid: tok.TenantID}
	s.mu.Unlock()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// VerifyWithAdmin is verify's single Graph round trip: after Authenticate,
// one $batch (≤ 20 requests) reads /me, /organization, the admin's roles and every
// verification request. The role check is advice: it never changes the Result.
func (s *Session) VerifyWithAdmin(ctx context.Context, app *permissions.App) (*Admin, *Result, error) {
	if app == nil {
		return nil, nil, Usagef("no app to verify")
	}
	if !permissions.IsGUID(app.ClientID) {
		return nil, nil, Usagef("app %s has no client id: pass --client-id (a GUID)", app.Key)
	}
	if err := s.EnsureGrantRead(ctx); err != nil {
		return nil, nil, err
	}
	reqs := append(s.adminRequests(), VerificationRequests(app)...)
	before, start := s.graph.Requests(), s.clock.Now()
	reps, err := s.graph.BatchAll(ctx, reqs)
	s.logger.Info("verification with the admin", "app", app.Key, "requests", len(reqs), "duration", s.clock.Now().Sub(start),
		"graphRequests", s.graph.Requests()-before, "ok", err == nil)
	if err != nil {
		return nil, nil, fmt.Errorf("verifying grants: %w", graphCtxErr(ctx, err))
	}
	s.addGroupRoles(ctx, reps)
	admin, err := s.buildAdmin(reps)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	s.admin = admin
	s.mu.Unlock()
	r, err := evaluate(app, reps)
	if err != nil {
		return admin, nil, fmt.Errorf("verifying grants: %w", err)
	}
	r.Cloud = s.cfg.Cloud.Name
	r.CheckedAt = s.clock.Now().UTC()
	r.Tenant = ResultTenant{ID: admin.TenantID, DisplayName: admin.TenantName}
	r.SignedInAs = admin.UPN
	r.GraphRequests = int(s.graph.Requests() - before)
	return admin, r, nil
}

// wrapAuth is wrapAuth with the explanation for src and the cloud's lookup link.
func (s *Session) wrapAuth(src explain.Source, op string, err error) error {
	if x := explain.ExplainIn(err, src, s.cfg.Cloud.ErrorLookupURL); x != nil {
		return &explain.AuthError{Op: op, Explanation: x, Err: err}
	}
	return &opError{op: op, err: err}
}
