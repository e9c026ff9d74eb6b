package flows

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
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

// SignInClientConsentURL is the link a Global Administrator of tenant opens to
// consent, for the whole organisation, to what the sign-in client (clientID) asks of
// Microsoft Graph: the v2.0 admin consent endpoint with the scopes named, returning
// to http://localhost, a reply URL every public client of the sign-in registers
// (entra/identity-platform/v2-admin-consent, "Request the permissions from a
// directory admin"). A partner hands it to a customer whose tenant answers AADSTS90099
// or 65001 for the sign-in client.
func SignInClientConsentURL(cloud Cloud, tenant, clientID string) (string, error) {
	if !permissions.IsGUID(clientID) {
		return "", Usagef("sign-in client id %q is not a GUID: pass --signin-client-id", clientID)
	}
	if err := validTenant(tenant); err != nil {
		return "", err
	}
	scopes := make([]string, 0, 2)
	for _, v := range signin.Values() {
		scopes = append(scopes, cloud.GraphScope(v))
	}
	q := url.Values{}
	q.Set("client_id", clientID)
	q.Set("scope", strings.Join(scopes, " "))
	q.Set("redirect_uri", "http://localhost")
	return cloud.consentHost() + "/" + url.PathEscape(tenant) + "/v2.0/adminconsent?" + q.Encode(), nil
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

// ConsentLinkForAnotherDevice is the admin consent link u as a device other than
// this machine (a phone that scans its QR code) can use it: the tenant-wide admin
// consent URL as Microsoft documents it, https://{login-host}/{tenant}/adminconsent?client_id={client-id}
// (https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent,
// "Construct the URL for granting tenant-wide admin consent"): the same consent page,
// in fewer characters. It leaves out
//   - state, which only serves a result that comes back to this machine (the loopback
//     listener, a pasted address): a phone's result never does;
//   - a loopback redirect_uri (http://127.0.0.1:PORT, http://localhost:PORT), which on
//     a phone names the phone itself. Without redirect_uri Entra ID sends the browser
//     to the app's registered reply URL, the app's own page.
//
// A redirect_uri that is not a loopback one stays: Entra ID redirects only to the
// app's registered reply URLs (entra/identity-platform/reply-url, "Why do redirect
// URI(s) need to be added to an app registration?"), so it is the app's own page, one
// any device reaches, and the browser lands on the one the catalog chose rather than
// on whichever registered reply URL Entra ID picks.
// The consent wait learns of a consent granted there by reading Microsoft Graph, as it
// does for any consent no matching redirect reports. u is returned unchanged when it
// carries neither or cannot be parsed.
func ConsentLinkForAnotherDevice(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	loopback := q.Has("redirect_uri") && IsLoopbackRedirect(q.Get("redirect_uri"))
	if !q.Has("state") && !loopback {
		return u
	}
	q.Del("state")
	if loopback {
		q.Del("redirect_uri")
	}
	p.RawQuery = q.Encode()
	return p.String()
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
// Its text is display-safe (Graph values, explain.Explanation, the redirect's
// parameters, all cleaned where they entered).
type ConsentEvent struct {
	Elapsed time.Duration
	// Visible of Total required permissions are granted, as Graph shows them now.
	Visible, Total int
	Result         *Result
	// Redirected is true once Entra ID's consent result reached us: the browser came
	// back to the loopback listener, or the admin pasted the address it ended on.
	Redirected bool
	// NotVisible counts the consecutive polls that failed in a way that means "not
	// visible yet" (5xx, network errors); LastNotVisible is the latest such failure.
	NotVisible     int
	LastNotVisible error
	// Paused is set while the wait has stopped polling because the signed-in account
	// cannot grant what is missing (a *BlockedError, Reason BlockNoRole): consent from
	// it would be refused. A paste or a loopback redirect is still handled, Recheck
	// polls once, and Resume waits on for another admin's consent. Not a final event.
	Paused *BlockedError
	// Done marks the final event; Err is then set unless consent is complete:
	// ErrIncomplete (timeout, with the last Result), a *BlockedError (a state consent
	// cannot fix: ErrCannotFix), ErrRefused (an *AuthError), ErrCancelled, or a Graph
	// error.
	Done bool
	Err  error
	// Revoked, on the final event, are the tenant-wide grants beyond the required set
	// the app held at the first poll and no longer holds (Revoked): what consent took
	// away. RevokeNotice says it.
	Revoked []ExtraGrant
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
	state    string
	events   chan ConsentEvent
	recheck  chan struct{}
	pasted   chan ConsentRedirect
	resume   chan struct{}
	ended    chan struct{} // closed when the wait has sent its final event
	closed   chan struct{}
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
	// othersGrant: someone other than the signed-in account grants the consent
	// (AwaitConsent), so the wait never pauses for that account's roles.
	othersGrant bool
}

// StartConsent starts the listener (if the app's redirect URI is a loopback one) and
// polling, then opens the consent URL with the configured Browser, if any. Read
// Events until it is closed; Close stops everything and frees the port.
func (s *Session) StartConsent(ctx context.Context, app *permissions.App) (*Consent, error) {
	return s.startConsent(ctx, app, false)
}

// AwaitConsent waits for a consent someone else grants — a reviewer approving the
// request the admin consent workflow filed (ApprovalRequested) — exactly as
// StartConsent's wait does (the same verification, the same tolerance of replication,
// --timeout), but it opens no browser, starts no loopback listener and so files no
// new request: nothing comes back from the admin center, only Microsoft Graph shows
// the grants. It does not pause for the signed-in account's roles (that account is
// not the one granting). URL is the admin consent link, for the record.
func (s *Session) AwaitConsent(ctx context.Context, app *permissions.App) (*Consent, error) {
	return s.startConsent(ctx, app, true)
}

// startConsent starts a consent wait; awaiting: someone else grants it (AwaitConsent).
func (s *Session) startConsent(ctx context.Context, app *permissions.App, awaiting bool) (*Consent, error) {
	if app == nil || !permissions.IsGUID(app.ClientID) {
		return nil, Usagef("no client id for the app: pass --client-id (a GUID)")
	}
	tenant := s.tenantForConsent()
	if err := validTenant(tenant); err != nil {
		return nil, err
	}
	if !awaiting {
		// Nothing is opened when awaiting: there is no page to send the admin to.
		if err := s.CheckConsentTarget(ctx, app); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Consent{
		s: s, app: app, cancel: cancel, othersGrant: awaiting,
		events:  make(chan ConsentEvent, 8),
		recheck: make(chan struct{}, 1),
		pasted:  make(chan ConsentRedirect, 1),
		resume:  make(chan struct{}, 1),
		ended:   make(chan struct{}),
		closed:  make(chan struct{}),
	}
	state := NewState()
	c.state = state
	redirect := app.RedirectURI
	if awaiting {
		redirect = "" // nothing comes back to a listener from the admin center
	}
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
	if b := s.cfg.Browser; b != nil && !awaiting {
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

// LoopbackRedirect reports whether the consent result comes back to a loopback
// listener (only for an app whose registration lists a loopback reply URL). In
// production it does not: the browser lands on the publisher's page, and the admin
// may Paste the address it ended on.
func (c *Consent) LoopbackRedirect() bool { return c.listener != nil }

// Events delivers progress; it is closed after the final (Done) event.
func (c *Consent) Events() <-chan ConsentEvent { return c.events }

// Recheck asks for a poll now (the user pressed Enter).
func (c *Consent) Recheck() {
	select {
	case c.recheck <- struct{}{}:
	default:
	}
}

// Resume ends a pause (ConsentEvent.Paused): another admin is granting consent, so
// the wait polls again, with a fresh --timeout, and does not pause for the signed-in
// account's roles again.
func (c *Consent) Resume() {
	select {
	case c.resume <- struct{}{}:
	default:
	}
}

// ErrPasteUnmatched: a pasted success carries no state, so it cannot be matched to
// this consent request; the wait reads Microsoft Graph instead.
var ErrPasteUnmatched = errors.New("that address carries no state, so it could not be matched to this consent request: reading Microsoft Graph instead")

// Paste hands the wait what the admin pasted after the consent page (the address the
// browser ended on, or an AADSTS code): an error result ends the wait with its
// explanation; admin_consent=True marks consent as recorded (polling goes on until
// Graph shows the grants). A paste that cannot be read, or belongs to another consent
// (state) or another tenant, is refused with a usage error and the wait goes on.
func (c *Consent) Paste(s string) error {
	p, err := ParsePastedConsentResult(s)
	if err != nil {
		return err
	}
	if p.State != "" && p.State != c.state {
		return Usagef("that address belongs to another consent attempt (its state does not match this one): paste the address of the page opened from this screen")
	}
	if t := c.s.tenantForConsent(); p.Tenant != "" && permissions.IsGUID(t) && !strings.EqualFold(p.Tenant, t) {
		return Usagef("that consent was for tenant %s, not %s: open the consent link shown here, signed in to this tenant", p.Tenant, t)
	}
	select {
	case <-c.ended:
		return Usagef("the wait has already ended")
	default:
	}
	if p.State == "" && p.Err == nil {
		// Nothing ties a success without state to this request: it is no proof of
		// consent. Graph is read now instead, and the wait goes on.
		c.Recheck()
		return ErrPasteUnmatched
	}
	select {
	case c.pasted <- p.ConsentRedirect:
		return nil
	case <-c.closed:
		return Usagef("the wait has already ended")
	default:
		return Usagef("a pasted result is already being handled")
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
	defer close(c.ended)
	clock := c.s.clock
	start := clock.Now()
	deadline := start.Add(c.s.cfg.Timeout)
	interval := time.Duration(0)
	redirected, consented := false, false
	// paused: the signed-in account cannot grant it (roleBlocker) and nobody else is
	// known to be granting it; othersGrant: Resume said another admin is.
	var paused *BlockedError
	othersGrant := c.othersGrant
	var last, first *Result
	var redirectCh <-chan ConsentRedirect
	if c.listener != nil {
		redirectCh = c.listener.Result()
	}
	log := c.s.logger
	log.Info("consent wait started", "app", c.app.Key, "listener", c.listener != nil, "timeout", c.s.cfg.Timeout, "othersGrant", othersGrant)
	notVisible := 0
	var lastNotVisible error
	firstGranted, granted := -1, ""
	stableSince := start
	fastFrom := start // the 2-minute fast window starts here (again after a consent result)
	final := func(err error) {
		ev := ConsentEvent{Elapsed: clock.Now().Sub(start), Result: last, Redirected: redirected, Done: true, Err: err,
			NotVisible: notVisible, LastNotVisible: lastNotVisible, Revoked: Revoked(first, last)}
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
	// result handles a consent result (loopback redirect or paste); true = the wait ended.
	result := func(rd ConsentRedirect, how string) bool {
		redirected, paused = true, nil
		log.Info("consent result received", "via", how, "granted", rd.Err == nil && rd.AdminConsent)
		if rd.Err != nil {
			x := explain.ExplainIn(rd.Err, explain.Consent, c.s.cfg.Cloud.ErrorLookupURL)
			if x == nil {
				x = &explain.Explanation{OAuthError: rd.Err.ErrorCode, Title: "Consent was not granted", Description: rd.Err.Description}
			}
			final(&explain.AuthError{Op: "admin consent", Explanation: x, Err: rd.Err})
			return true
		}
		if rd.AdminConsent {
			consented = true
		}
		// Granted: Entra replicates the grants asynchronously; poll fast again.
		interval, fastFrom = 0, clock.Now()
		return false
	}
	poll := 0
	for {
		poll++
		r, err := c.s.Verify(ctx, c.app)
		now := clock.Now()
		elapsed := now.Sub(start)
		if err != nil {
			if ctx.Err() != nil {
				final(ctxDone(ctx, AwaitConsent, elapsed))
				return
			}
			transient, blocker := classifyPollError(err)
			switch {
			case blocker != nil:
				final(blocker)
				return
			case !transient:
				final(err)
				return
			}
			notVisible++
			lastNotVisible = err
			log.Info("consent poll: not visible yet", "n", poll, "consecutive", notVisible, "err", err.Error())
			if notVisible > MaxNotVisible {
				final(fmt.Errorf("waiting for consent: Microsoft Graph failed %d polls in a row: %w", notVisible, err))
				return
			}
			ev := ConsentEvent{Elapsed: elapsed, Result: last, Redirected: redirected, NotVisible: notVisible, LastNotVisible: err}
			if last != nil {
				ev.Visible, ev.Total = last.Granted(), len(last.Permissions)
			}
			if !now.Before(deadline) {
				final(&TimeoutError{Awaited: AwaitConsent, After: c.s.cfg.Timeout})
				return
			}
			c.send(ev)
		} else {
			notVisible, lastNotVisible = 0, nil
			last = r
			if first == nil {
				first = r
			}
			g := grantedKey(r)
			if g != granted {
				if firstGranted >= 0 && r.Granted() > firstGranted {
					consented = true // grants appeared during the wait
				}
				granted, stableSince = g, now
			}
			if firstGranted < 0 {
				firstGranted = r.Granted()
			}
			ev := ConsentEvent{Elapsed: elapsed, Visible: r.Granted(), Total: len(r.Permissions), Result: r, Redirected: redirected}
			log.Info("consent poll", "n", poll, "visible", ev.Visible, "total", ev.Total, "elapsed", ev.Elapsed, "redirected", redirected)
			if r.Status == StatusComplete {
				log.Info("consent wait ended", "elapsed", ev.Elapsed, "visible", ev.Visible, "total", ev.Total, "redirected", redirected)
				ev.Done, ev.Revoked = true, Revoked(first, r)
				c.send(ev)
				return
			}
			if b := consentBlocker(c.app, r, consented, now.Sub(stableSince)); b != nil {
				log.Info("consent wait: consent cannot fix this", "reason", string(b.Reason))
				final(b)
				return
			}
			if paused != nil && consented {
				paused = nil // grants appeared: someone who can is granting it
				log.Info("consent wait: grants appeared, polling again")
			}
			if paused == nil && !othersGrant && !consented && !redirected {
				if b := roleBlocker(c.app, r, c.s.Admin()); b != nil {
					paused = b
					log.Info("consent wait paused: the signed-in account cannot grant it", "rows", len(b.Rows))
				}
			}
			ev.Paused = paused
			if paused == nil && !now.Before(deadline) {
				// The final event carries this last state.
				final(fmt.Errorf("waiting for consent: timed out after %s with %d/%d permissions visible: %w",
					c.s.cfg.Timeout, r.Granted(), len(r.Permissions), ErrIncomplete))
				return
			}
			c.send(ev)
		}
		interval = nextPoll(now.Sub(fastFrom), interval)
		wait := min(interval, deadline.Sub(now))
		var next <-chan time.Time
		if paused == nil {
			next = clock.After(wait)
		}
		select {
		case <-ctx.Done():
			final(ctxDone(ctx, AwaitConsent, clock.Now().Sub(start)))
			return
		case <-c.recheck:
		case <-next:
		case <-c.resume:
			if paused != nil || !othersGrant {
				log.Info("consent wait resumed: another admin grants it")
			}
			paused, othersGrant = nil, true
			interval, fastFrom, deadline = 0, clock.Now(), clock.Now().Add(c.s.cfg.Timeout)
		case rd := <-redirectCh:
			redirectCh = nil
			if result(rd, "loopback redirect") {
				return
			}
		case rd := <-c.pasted:
			if result(rd, "paste") {
				return
			}
		}
	}
}

// grantedKey identifies which rows are granted, to tell when the state last changed.
func grantedKey(r *Result) string {
	var b strings.Builder
	for _, p := range r.Permissions {
		if p.Status == PermGranted {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	}
	return b.String()
}
