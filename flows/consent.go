package flows

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// Poll intervals of the consent wait: 1 s, doubling, capped at 10 s, so grants that
// replicate late are seen within 10 s of their appearance.
const (
	PollMin = time.Second
	PollMax = 10 * time.Second
)

// AdminConsentURL builds https://{authority-host}/{tenant}/adminconsent?client_id=…&state=…
// (+ redirect_uri when given) — the v1 admin consent endpoint
// (https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent).
// tenant may be a tenant id or a verified domain.
func AdminConsentURL(cloud Cloud, tenant, clientID, state, redirectURI string) (string, error) {
	if !permissions.IsGUID(clientID) {
		return "", Usagef("client id %q is not a GUID: pass --client-id", clientID)
	}
	if strings.EqualFold(tenant, "organizations") {
		// Documented for admin consent: the signed-in admin's home tenant
		// (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent).
		tenant = "organizations"
	} else if err := validTenant(tenant); err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("client_id", clientID)
	if state != "" {
		q.Set("state", state)
	}
	if redirectURI != "" {
		q.Set("redirect_uri", redirectURI)
	}
	return cloud.consentHost() + "/" + url.PathEscape(tenant) + "/adminconsent?" + q.Encode(), nil
}

var errNoTenant = Usagef("no tenant: pass --tenant (a tenant id or a domain such as contoso.onmicrosoft.com)")

func validTenant(t string) error {
	switch {
	case t == "":
		return errNoTenant
	case permissions.IsGUID(t):
		return nil
	case strings.EqualFold(t, "organizations") || strings.EqualFold(t, "common") || strings.EqualFold(t, "consumers"):
		return Usagef("tenant %q: admin consent needs a specific tenant (its id or a domain) or organizations (the admin's home tenant)", t)
	}
	if len(t) > 253 || !strings.Contains(t, ".") {
		return Usagef("tenant %q is neither a GUID nor a domain name", t)
	}
	for _, label := range strings.Split(t, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return Usagef("tenant %q is not a valid domain name", t)
		}
		for _, r := range label {
			if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return Usagef("tenant %q is not a valid domain name", t)
			}
		}
	}
	return nil
}

// NewState returns a random, URL-safe state value (256 bits).
func NewState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// tenantForConsent is the signed-in admin's tenant id, else the configured tenant.
func (s *Session) tenantForConsent() string {
	if a := s.Admin(); a != nil && a.TenantID != "" {
		return a.TenantID
	}
	return s.cfg.Tenant
}

// ConsentURL is the admin consent URL for app in the session's tenant.
func (s *Session) ConsentURL(app *permissions.App, state, redirectURI string) (string, error) {
	return AdminConsentURL(s.cfg.Cloud, s.tenantForConsent(), app.ClientID, state, redirectURI)
}

// IsLoopbackRedirect reports whether uri is http on 127.0.0.1, ::1 or localhost.
func IsLoopbackRedirect(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && u.Scheme == "http" && isLoopbackHost(u.Hostname())
}

// ConsentEvent is progress of a consent wait.
type ConsentEvent struct {
	Elapsed time.Duration
	// Visible of Total required permissions are granted, as Graph shows them now.
	Visible, Total int
	Result         *Result
	// Redirected is true once the browser came back to the loopback listener.
	Redirected bool
	// Done marks the final event; Err is then set unless consent is complete:
	// ErrIncomplete (timeout, with the last Result), ErrRefused (an *AuthError),
	// ErrCancelled, or a Graph error.
	Done bool
	Err  error
}

// Consent is a running admin consent: the loopback listener (when the redirect URI is
// a loopback one) and Graph polling with backoff, both started by StartConsent.
type Consent struct {
	// URL is the admin consent URL to show and open.
	URL string
	// RedirectURI is the redirect_uri sent ("" when none).
	RedirectURI string

	s        *Session
	app      *permissions.App
	listener *LoopbackListener
	events   chan ConsentEvent
	recheck  chan struct{}
	closed   chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
}

// StartConsent starts the listener (if the app's redirect URI is a loopback one) and
// polling, then opens the consent URL with the configured Browser, if any. Read
// Events until it is closed; Close stops everything and frees the port.
func (s *Session) StartConsent(ctx context.Context, app *permissions.App) (*Consent, error) {
	if app == nil || !permissions.IsGUID(app.ClientID) {
		return nil, Usagef("no client id for the app: pass --client-id (a GUID)")
	}
	tenant := s.tenantForConsent()
	if err := validTenant(tenant); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Consent{
		s: s, app: app, cancel: cancel,
		events:  make(chan ConsentEvent, 8),
		recheck: make(chan struct{}, 1),
		closed:  make(chan struct{}),
	}
	state := NewState()
	redirect := app.RedirectURI
	if redirect != "" && IsLoopbackRedirect(redirect) {
		u, _ := url.Parse(redirect)
		host := "127.0.0.1"
		if strings.EqualFold(u.Hostname(), "localhost") {
			host = "localhost"
		}
		// Entra matches loopback redirect URIs ignoring the port (RFC 8252 §7.3).
		l, err := ListenLoopback(ctx, net.JoinHostPort(host, "0"), u.Path, state)
		if err != nil {
			cancel()
			return nil, err
		}
		c.listener = l
		redirect = l.RedirectURI()
	}
	u, err := AdminConsentURL(s.cfg.Cloud, tenant, app.ClientID, state, redirect)
	if err != nil {
		cancel()
		if c.listener != nil {
			_ = c.listener.Close()
		}
		return nil, err
	}
	c.URL, c.RedirectURI = u, redirect
	c.wg.Add(1)
	go c.run(ctx)
	if b := s.cfg.Browser; b != nil {
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			if err := b.Open(u); err != nil {
				s.logger.Warn("opening the consent page", "err", err)
			}
		}()
	}
	return c, nil
}

// Events delivers progress; it is closed after the final (Done) event.
func (c *Consent) Events() <-chan ConsentEvent { return c.events }

// Recheck asks for a poll now (the user pressed Enter).
func (c *Consent) Recheck() {
	select {
	case c.recheck <- struct{}{}:
	default:
	}
}

// Close stops polling and the listener, frees the port and waits for every goroutine
// the consent started. It is idempotent.
func (c *Consent) Close() error {
	c.once.Do(func() {
		close(c.closed)
		c.cancel()
		if c.listener != nil {
			_ = c.listener.Close()
		}
		c.wg.Wait()
	})
	return nil
}

func (c *Consent) send(ev ConsentEvent) {
	select {
	case c.events <- ev:
	case <-c.closed:
	}
}

func (c *Consent) run(ctx context.Context) {
	defer c.wg.Done()
	defer close(c.events)
	clock := c.s.clock
	start := clock.Now()
	deadline := start.Add(c.s.cfg.Timeout)
	interval := PollMin
	redirected := false
	var last *Result
	var redirectCh <-chan ConsentRedirect
	if c.listener != nil {
		redirectCh = c.listener.Result()
	}
	log := c.s.logger
	log.Info("consent wait started", "app", c.app.Key, "listener", c.listener != nil, "timeout", c.s.cfg.Timeout)
	final := func(err error) {
		ev := ConsentEvent{Elapsed: clock.Now().Sub(start), Result: last, Redirected: redirected, Done: true, Err: err}
		if last != nil {
			ev.Visible, ev.Total = last.Granted(), len(last.Permissions)
		}
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		log.Info("consent wait ended", "elapsed", ev.Elapsed, "visible", ev.Visible, "total", ev.Total, "redirected", redirected, "err", errText)
		c.send(ev)
	}
	poll := 0
	for {
		poll++
		r, err := c.s.Verify(ctx, c.app)
		if err != nil {
			if ctx.Err() != nil {
				final(ErrCancelled)
			} else {
				final(err)
			}
			return
		}
		last = r
		ev := ConsentEvent{Elapsed: clock.Now().Sub(start), Visible: r.Granted(), Total: len(r.Permissions), Result: r, Redirected: redirected}
		log.Info("consent poll", "n", poll, "visible", ev.Visible, "total", ev.Total, "elapsed", ev.Elapsed, "redirected", redirected)
		if r.Status == StatusComplete {
			log.Info("consent wait ended", "elapsed", ev.Elapsed, "visible", ev.Visible, "total", ev.Total, "redirected", redirected)
			ev.Done = true
			c.send(ev)
			return
		}
		now := clock.Now()
		if !now.Before(deadline) {
			// The final event carries this last state.
			final(fmt.Errorf("waiting for consent: timed out after %s with %d/%d permissions visible: %w",
				c.s.cfg.Timeout, r.Granted(), len(r.Permissions), ErrIncomplete))
			return
		}
		c.send(ev)
		wait := min(interval, deadline.Sub(now))
		select {
		case <-ctx.Done():
			final(ErrCancelled)
			return
		case <-c.recheck:
		case <-clock.After(wait):
			interval = min(interval*2, PollMax)
		case rd := <-redirectCh:
			redirectCh = nil
			redirected = true
			log.Info("consent redirect received", "granted", rd.Err == nil && rd.AdminConsent)
			if rd.Err != nil {
				x := ExplainIn(rd.Err, SourceConsent, c.s.cfg.Cloud)
				if x == nil {
					x = &Explanation{OAuthError: rd.Err.ErrorCode, Title: "Consent was not granted", Description: rd.Err.Description}
				}
				final(&AuthError{Op: "admin consent", Explanation: x, Err: rd.Err})
				return
			}
			// Granted: Entra replicates the grants asynchronously; poll from the start.
			interval = PollMin
		}
	}
}
