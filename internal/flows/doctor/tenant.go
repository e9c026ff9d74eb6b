package doctor

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/signin"
)

// maxSkew is how far the clock may be off before tokens break: Entra ID and
// Microsoft Graph allow 5 minutes of clock skew when they check a token's nbf/exp.
const maxSkew = 5 * time.Minute

func clockCheck(cfg *Config, hosts ...hostResult) Check {
	c := Check{ID: "clock.skew", Group: "clock", Title: "Clock"}
	for _, h := range hosts {
		if h.date.IsZero() {
			continue
		}
		skew := h.date.Sub(h.recv) // > 0: the server is ahead, this machine is behind
		abs := skew.Abs()
		dir := "behind"
		if skew < 0 {
			dir = "ahead of"
		}
		amount := fmt.Sprintf("%d min", int((abs+30*time.Second)/time.Minute))
		switch {
		case abs > maxSkew:
			c.Status = Fail
			c.Summary = "clock is " + amount + " off"
			c.Evidence = fmt.Sprintf("this machine's clock is %s %s %s's (Date header)", amount, dir, h.host)
			c.Fix = "Set this machine's clock right (turn on automatic time / NTP): tokens are refused when it is more than 5 minutes off."
		case abs > time.Minute:
			c.Status = Warn
			c.Summary = "clock is " + amount + " off"
			c.Evidence = fmt.Sprintf("this machine's clock is %s %s %s's (Date header)", amount, dir, h.host)
			c.Fix = "Set this machine's clock right (turn on automatic time / NTP) before it drifts past 5 minutes, where tokens are refused."
		default:
			c.Status = OK
			c.Evidence = "within a minute of " + h.host + "'s clock (Date header)"
		}
		return c
	}
	c.Status = Skip
	c.Evidence = "not checked: no server answered with a Date header"
	return c
}

// lookupTimeout bounds one look-up request as a whole (name, connect, TLS, answer and
// its body): twice the step timeout, as it is several steps. Its TLS handshake and the
// wait for its answer's headers are each bounded by the step timeout as well.
func (cfg *Config) lookupTimeout() time.Duration { return 2 * cfg.StepTimeout }

// lookupCtx is ctx bounded by the look-up timeout.
func (cfg *Config) lookupCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, cfg.lookupTimeout())
}

// lookupLimit says what bounded a look-up that timed out (lctx is its lookupCtx): the
// run's --timeout, the limit of the whole request, or that of one step in it.
func (cfg *Config) lookupLimit(ctx, lctx context.Context) string {
	switch {
	case ctx.Err() != nil:
		return "before the run's --timeout"
	case lctx.Err() != nil:
		return "within " + seconds(cfg.lookupTimeout()) + " for the whole request"
	}
	return "within " + seconds(cfg.StepTimeout)
}

// httpClient talks to the sign-in host with the run's resolver, dialer, proxy and roots.
// The request's context bounds it as a whole (lookupCtx).
func (cfg *Config) httpClient() (*http.Client, func()) {
	t := &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) { return cfg.Proxy(r.URL) },
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			addrs := []string{host}
			if net.ParseIP(host) == nil {
				if addrs, err = cfg.Resolver.LookupHost(ctx, host); err != nil {
					return nil, err
				}
			}
			var last error = errors.New("no address for " + host)
			for _, a := range addrs {
				c, err := cfg.Dialer.DialContext(ctx, network, net.JoinHostPort(a, port))
				if err == nil {
					return c, nil
				}
				last = err
			}
			return nil, last
		},
		TLSClientConfig:       &tls.Config{RootCAs: cfg.RootCAs, Time: cfg.Now},
		TLSHandshakeTimeout:   cfg.StepTimeout,
		ResponseHeaderTimeout: cfg.StepTimeout,
		DisableKeepAlives:     true,
	}
	return &http.Client{Transport: t}, t.CloseIdleConnections
}

// entraError is the error body of Entra ID's endpoints.
type entraError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

func (e entraError) has(code int) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return strings.Contains(e.Description, fmt.Sprintf("AADSTS%d:", code))
}

// firstLine is the first non-blank line of an Entra description (without its Trace
// ID lines), whether lines end in CR LF, LF or CR.
func (e entraError) firstLine() string {
	d, _, _ := strings.Cut(strings.TrimSpace(e.Description), "\n")
	d, _, _ = strings.Cut(d, "\r")
	return strings.TrimSpace(d)
}

// tenantSegment is --tenant as an authority path segment ("" = organizations).
func (cfg *Config) tenantSegment() string {
	t := strings.TrimSpace(cfg.Tenant)
	if t == "" {
		return "organizations"
	}
	return t
}

func (cfg *Config) hasTenant() bool {
	switch strings.ToLower(cfg.tenantSegment()) {
	case "organizations", "common", "consumers":
		return false
	}
	return true
}

// openIDConfig is the part of the tenant's OpenID configuration this check reads.
//
// The document is at https://{login-host}/{tenant}/v2.0/.well-known/openid-configuration
// and needs no sign-in (Microsoft Learn: entra/identity-platform/v2-protocols-oidc,
// "Find your app's OpenID configuration document URI"). issuer carries the tenant id;
// cloud_instance_name names the cloud instance (microsoftonline.com, microsoftonline.us,
// partner.microsoftonline.cn: entra/identity-platform/authentication-national-cloud);
// tenant_region_scope and tenant_region_sub_scope (GCC, DODCON = GCC High, DOD) are
// returned by Entra ID but not described on Learn, so they are only reported and used
// to tell usgov from usgov-dod.
type openIDConfig struct {
	Issuer         string `json:"issuer"`
	CloudInstance  string `json:"cloud_instance_name"`
	RegionScope    string `json:"tenant_region_scope"`
	RegionSubScope string `json:"tenant_region_sub_scope"`
}

// guidRE is compiled on first use (a package-level regexp costs every start-up).
var guidRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)
})

// cloudFor maps a cloud instance to the --cloud that serves it ("" = unknown).
func cloudFor(instance, subScope string) string {
	c, _ := clouds.ForInstance(instance, subScope)
	return c.Name
}

// cloudTitle names a cloud in a sentence.
func cloudTitle(name string) string {
	c, _ := clouds.Lookup(name)
	return c.Title
}

// shellArg quotes s for a POSIX shell when it needs it.
func shellArg(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func tenantChecks(ctx context.Context, cfg *Config, p *progress, blocked string) ([]Check, *Tenant) {
	c := Check{ID: "tenant.openid", Group: "tenant", Title: "Tenant"}
	if !cfg.hasTenant() {
		c.Status = Skip
		c.Evidence = "no --tenant given: the tenant is not checked"
		c.Fix = "Add --tenant with your tenant's domain or id (e.g. --tenant contoso.onmicrosoft.com) to check it."
		p.emit(c)
		return []Check{c}, nil
	}
	seg := cfg.tenantSegment()
	shown := seg
	c.Title = "Tenant " + shown
	info := &Tenant{Query: shown}
	if blocked != "" {
		c.Status, c.Evidence = Skip, "not checked: "+blocked
		p.emit(c)
		return []Check{c}, info
	}
	p.emit(c)
	client, done := cfg.httpClient()
	defer done()
	u := cfg.Cloud.Authority(seg) + "/v2.0/.well-known/openid-configuration"
	lctx, cancel := cfg.lookupCtx(ctx)
	defer cancel()
	t0 := time.Now()
	status, body, err := get(lctx, client, u)
	c.Duration = time.Since(t0)
	loginHost := hostOf(cfg.Cloud.AuthorityHost)
	switch {
	case err != nil:
		c.Status, c.Summary = Fail, "tenant's OpenID configuration unreachable"
		c.Evidence = "could not read the OpenID configuration: " + ioErrorText(err, cfg.lookupLimit(ctx, lctx))
		c.Fix = "See the network checks of " + loginHost + " above."
	case status != http.StatusOK:
		var e entraError
		_ = json.Unmarshal(body, &e)
		c.Status = Fail
		if e.has(90002) || e.Error == "invalid_tenant" {
			c.Summary = "tenant '" + shown + "' not found in " + cloudTitle(cfg.Cloud.Name)
			c.Evidence = "AADSTS90002: " + loginHost + " knows no tenant '" + shown + "'"
			c.Fix = "Check the tenant's domain or id (Entra admin center > Overview); a US Government or China tenant needs --cloud usgov or --cloud china."
		} else {
			c.Summary = fmt.Sprintf("tenant look-up answered %d", status)
			c.Evidence = fmt.Sprintf("HTTP %d: %s", status, e.firstLine())
			c.Fix = "Check --tenant; if it is right, give support this report."
		}
	default:
		var oc openIDConfig
		if err := json.Unmarshal(body, &oc); err != nil {
			c.Status, c.Summary = Fail, "tenant's OpenID configuration unreadable"
			c.Evidence = "the OpenID configuration is not JSON (a proxy's page?)"
			c.Fix = "Ask the network team what answers for " + loginHost + " here."
			break
		}
		info.ID = guidRE().FindString(oc.Issuer)
		info.CloudInstance = safetext.Sanitize(oc.CloudInstance)
		info.RegionScope = safetext.Sanitize(oc.RegionScope)
		info.RegionSubScope = safetext.Sanitize(oc.RegionSubScope)
		info.Cloud = cloudFor(oc.CloudInstance, oc.RegionSubScope)
		ev := fmt.Sprintf("tenant id %s, cloud_instance_name %s, tenant_region_scope %s", orNone(info.ID), orNone(info.CloudInstance), orNone(info.RegionScope))
		if info.RegionSubScope != "" {
			ev += ", tenant_region_sub_scope " + info.RegionSubScope
		}
		c.Evidence = ev
		c.Status = OK
		if info.Cloud != "" && info.Cloud != cfg.Cloud.Name {
			c.Status = Fail
			c.Summary = "tenant is in " + cloudTitle(info.Cloud) + ": use --cloud " + info.Cloud
			c.Evidence = ev + ": the tenant lives in " + cloudTitle(info.Cloud) + ", not " + cloudTitle(cfg.Cloud.Name)
			c.Fix = "Use --cloud " + info.Cloud + " with every command: d365consent doctor --cloud " + info.Cloud + " --tenant " + shellArg(shown)
		}
	}
	p.emit(c)
	return []Check{c}, info
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func get(ctx context.Context, client *http.Client, u string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("User-Agent", "d365consent-doctor")
	return do(client, req)
}

func do(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the title already
		}
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, err
}

// signinChecks starts a device-code sign-in for the sign-in client in the tenant,
// which is how Entra ID says whether the client exists and may sign in there
// (AADSTS700016: not found; AADSTS7000112: disabled), without signing anyone in.
//
// It has no side effect: the device code it returns is never shown or redeemed and
// simply expires (Microsoft Learn: entra/identity-platform/v2-oauth2-device-code,
// "Device authorization response": expires_in), and nothing is created in the tenant.
func signinChecks(ctx context.Context, cfg *Config, p *progress, blocked string) []Check {
	id := cfg.SignInClientID
	name := id
	if strings.EqualFold(cfg.SignInClientID, signin.ClientID) {
		name = "'Microsoft Graph Command Line Tools' (" + id + ")"
	}
	seg := cfg.tenantSegment()
	where := "tenant " + seg
	if !cfg.hasTenant() {
		where = "work or school accounts (no --tenant)"
	}
	c := Check{ID: "signin.client", Group: "signin", Title: "Sign-in client"}
	if blocked != "" {
		c.Status, c.Evidence = Skip, "not checked: "+blocked
		p.emit(c)
		return []Check{c}
	}
	p.emit(c)
	client, done := cfg.httpClient()
	defer done()
	form := url.Values{"client_id": {cfg.SignInClientID}, "scope": {"openid profile offline_access"}}
	lctx, cancel := cfg.lookupCtx(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(lctx, http.MethodPost, cfg.Cloud.Authority(seg)+"/oauth2/v2.0/devicecode", strings.NewReader(form.Encode()))
	if err != nil {
		c.Status, c.Evidence = Fail, err.Error()
		p.emit(c)
		return []Check{c}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "d365consent-doctor")
	t0 := time.Now()
	status, body, err := do(client, req)
	c.Duration = time.Since(t0)
	var e entraError
	_ = json.Unmarshal(body, &e)
	switch {
	case err != nil:
		c.Status, c.Summary = Fail, "device-code start unreachable"
		c.Evidence = "could not start a device-code sign-in: " + ioErrorText(err, cfg.lookupLimit(ctx, lctx))
		c.Fix = "See the network checks of " + hostOf(cfg.Cloud.AuthorityHost) + " above."
	case status == http.StatusOK:
		var dc struct {
			DeviceCode string `json:"device_code"`
		}
		if json.Unmarshal(body, &dc) == nil && dc.DeviceCode != "" {
			c.Status = OK
			c.Evidence = name + " can start a sign-in in " + where + " (device-code start; nothing signed in)"
		} else {
			c.Status, c.Summary = Fail, "device-code start answered something else"
			c.Evidence = "HTTP 200 without a device code (a proxy's page?)"
			c.Fix = "Ask the network team what answers for " + hostOf(cfg.Cloud.AuthorityHost) + " here."
		}
	case e.has(700016):
		c.Status, c.Summary = Fail, "sign-in client not found in the tenant"
		c.Evidence = "AADSTS700016: " + where + " does not know the application " + id
		c.Fix = "Pass --signin-client-id with an app registered for sign-in in this tenant, or ask an admin why " + name + " is not available."
	case e.has(7000112):
		c.Status, c.Summary = Fail, "sign-in client disabled in the tenant"
		c.Evidence = "AADSTS7000112: " + name + " is disabled in " + where
		c.Fix = "An admin can enable it (Entra admin center > Enterprise applications > the app > Properties > Enabled for users to sign in), or pass --signin-client-id."
	case e.has(90002):
		c.Status, c.Summary = Fail, "tenant not found"
		c.Evidence = "AADSTS90002: " + hostOf(cfg.Cloud.AuthorityHost) + " knows no " + where
		c.Fix = "See the tenant check above."
	default:
		c.Status, c.Summary = Fail, fmt.Sprintf("device-code start refused (%d)", status)
		c.Evidence = fmt.Sprintf("HTTP %d: %s", status, e.firstLine())
		c.Fix = "Look the AADSTS code up (login.microsoftonline.com/error) and give support this report."
		if x := explain.Explain(errors.New(string(body))); x != nil && x.Fix != "" {
			c.Fix = x.Fix
		}
	}
	p.emit(c)
	return []Check{c}
}
