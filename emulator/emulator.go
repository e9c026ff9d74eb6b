// Package emulator is the embedded demo tenant: a Microsoft Entra ID authority and a
// Microsoft Graph v1.0 service, served over real HTTP(S) on 127.0.0.1, that the
// unmodified MSAL Go library and the wizard's Graph client cannot tell from Microsoft on
// the paths d365consent uses — nor, on theirs, the Microsoft clients admins script
// with: MSAL Python, Azure CLI and Azure PowerShell (their real client ids, pre-authorized
// for Microsoft Graph and Azure Resource Manager), the CLI for Microsoft 365. Graph
// filters, expands and refuses queries as each resource's page documents (odata.go).
//
// Two loopback listeners are started: HTTPS (self-signed certificate for 127.0.0.1 and
// localhost, generated at start) for the authority metadata, the token endpoint and
// Graph; plain HTTP for the pages a browser opens (sign-in, consent, admin consent,
// device login), so a real browser shows no certificate warning. Both refuse requests
// whose Host header is not their own loopback address (DNS-rebinding defence).
package emulator

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/permissions"
)

// Options configure a demo tenant.
type Options struct {
	// Scenario names the starting state (see Scenarios); "" means "fresh".
	Scenario string
	// Addr is the HTTPS listener (authority, token, Graph); HTTPAddr the plain-HTTP
	// one (browser pages). Both default to 127.0.0.1:0 and must be loopback.
	Addr, HTTPAddr string
	// Catalog supplies the published apps and their required permissions;
	// nil means permissions.Embedded().
	Catalog *permissions.Catalog
	// Faults override the scenario's faults field by field (non-zero fields win).
	Faults Faults
	// Now is the clock for token lifetimes and propagation delay; nil = time.Now.
	Now func() time.Time
	// Cloud is the Microsoft cloud imitated: "global" (default), "usgov",
	// "usgov-dod" or "china" — its Graph scope prefix and token issuer shapes, and
	// (unless CloudInstance says otherwise) its cloud_instance_name.
	Cloud string
	// CloudInstance is the cloud the tenant's OpenID configuration reports (zero =
	// Cloud's); see cloudinstance.go.
	CloudInstance CloudInstance
	// SignInClientID, when set, is the admin's own sign-in app: an app registration of
	// the demo tenant with public client flows allowed and the native reply URLs
	// (entra/identity-platform/quickstart-register-app, "Configure platform
	// settings", "Allow public client flows"), used in place of Microsoft Graph
	// Command Line Tools. Like any app, it asks for consent on first use.
	SignInClientID string
	// Proxy, when set, is the loopback address of an HTTPS forward proxy that answers
	// for the cloud's Microsoft host names with this tenant (proxy.go); the tenant's
	// issuers, discovery documents and links then carry those names.
	Proxy string
}

// Faults are injected into Graph (and, for Latency, every HTTPS request).
type Faults struct {
	// Latency is added to every request on the HTTPS listener.
	Latency time.Duration
	// Throttle answers the next N Graph operations with 429 (a $batch sub-request is
	// one operation, the $batch envelope itself is not). RetryAfter is sent as
	// Retry-After (whole seconds, rounded up; 0 = header omitted); a caller that
	// retries before it has elapsed (by Options.Now) is throttled again without
	// using up N.
	Throttle   int
	RetryAfter time.Duration
	// RetryAfterFormat writes Retry-After as whole seconds (RetryWholeSeconds, the
	// default), fractional seconds (RetryFractional: "2.128") or an HTTP-date
	// (RetryHTTPDate). graph/throttling.
	RetryAfterFormat string
	// Envelope answers the next $batch requests themselves, one status each (429,
	// 503 or 504, with Retry-After as configured), before any sub-request runs.
	Envelope []int
	// GatewayTimeout answers the next N Graph operations with 504.
	GatewayTimeout int
	// GrantsDelay and AssignmentsDelay stagger what admin consent creates: the
	// service principal after PropagationDelay, its grants GrantsDelay later, its app
	// role assignments AssignmentsDelay after the consent (Entra ID replicates them
	// separately). LaggingReplica makes reads of the new app's grants and
	// assignments answer 404 or 503 now and then until they have replicated.
	GrantsDelay, AssignmentsDelay time.Duration
	LaggingReplica                bool
	// Unavailable answers the next N Graph operations with 503.
	Unavailable int
	// PropagationDelay is how long objects created by admin consent stay invisible
	// to Graph (Entra ID replicates grants asynchronously).
	PropagationDelay time.Duration
	// PageSize is the largest page of a Graph collection (default 100; $top may lower it).
	PageSize int
	// UnavailableRate is the probability that a Graph operation is answered 503
	// (with Retry-After when RetryAfter is set), drawn from a PCG generator seeded
	// with Seed, so a test sees the same sequence every run.
	UnavailableRate float64
	Seed            uint64
	// Hang makes Graph accept every request and never answer it (until the client
	// gives up or the server closes): a service that is up but stuck.
	Hang bool
	// ClaimsChallenge answers the next N Graph requests whose access token declares
	// the client capability cp1 with a continuous access evaluation claims challenge
	// (cae.go); a token without it is served as before.
	ClaimsChallenge int
}

func (f Faults) merge(over Faults) Faults {
	if over.Latency != 0 {
		f.Latency = over.Latency
	}
	if over.Throttle != 0 {
		f.Throttle = over.Throttle
	}
	if over.RetryAfter != 0 {
		f.RetryAfter = over.RetryAfter
	}
	if over.Unavailable != 0 {
		f.Unavailable = over.Unavailable
	}
	if over.RetryAfterFormat != "" {
		f.RetryAfterFormat = over.RetryAfterFormat
	}
	if over.Envelope != nil {
		f.Envelope = append([]int(nil), over.Envelope...)
	}
	if over.GatewayTimeout != 0 {
		f.GatewayTimeout = over.GatewayTimeout
	}
	if over.GrantsDelay != 0 {
		f.GrantsDelay = over.GrantsDelay
	}
	if over.AssignmentsDelay != 0 {
		f.AssignmentsDelay = over.AssignmentsDelay
	}
	if over.LaggingReplica {
		f.LaggingReplica = true
	}
	if over.PropagationDelay != 0 {
		f.PropagationDelay = over.PropagationDelay
	}
	if over.PageSize != 0 {
		f.PageSize = over.PageSize
	}
	if over.UnavailableRate != 0 {
		f.UnavailableRate = over.UnavailableRate
	}
	if over.Seed != 0 {
		f.Seed = over.Seed
	}
	if over.Hang {
		f.Hang = true
	}
	if over.ClaimsChallenge != 0 {
		f.ClaimsChallenge = over.ClaimsChallenge
	}
	return f
}

// Server is a running demo tenant.
type Server struct {
	now   func() time.Time
	cloud clouds.Cloud

	// key and kid are generated in the background by Start (RSA-2048 takes tens of
	// milliseconds, which the demo's first frame should not wait for); read them
	// through signer, which waits for keyReady.
	key      *rsa.PrivateKey
	kid      string
	keyReady chan struct{}
	cert     tls.Certificate
	pool     *x509.CertPool
	pemCA    []byte

	httpsLn, httpLn net.Listener
	httpsSrv        *http.Server
	httpSrv         *http.Server
	authorityHost   string // https://127.0.0.1:P, or the cloud's sign-in host behind the proxy
	graphURL        string // the same, or the cloud's Graph host behind the proxy
	proxy           *proxy // nil unless Options.Proxy
	pagesURL        string // http://127.0.0.1:P2

	client      *http.Client // trusts the certificate
	pagesClient *http.Client // the demo browser's
	transports  []*http.Transport

	graphRequests atomic.Int64
	tokenRequests atomic.Int64
	signIns       atomic.Int64
	refreshes     atomic.Int64

	mu       sync.Mutex
	faults   Faults
	rng      *rand.Rand // draws UnavailableRate; seeded with Faults.Seed
	orderRng *rand.Rand // orders $batch responses; seeded with Faults.Seed
	lagCalls int        // reads answered by a lagging replica (Faults.LaggingReplica)
	// caeRevoked: the uti of access tokens a claims challenge revoked (cae.go).
	caeRevoked    map[string]bool
	closing       chan struct{}
	throttleUntil time.Time
	dir           *directory
	catalog       *permissions.Catalog
	scenario      scenarioDef
	txns          map[string]*txn
	codes         map[string]*authCode
	refresh       map[string]*refreshGrant
	devices       map[string]*deviceGrant // by device_code
	issued        []string                // every access, id and refresh token issued (IssuedTokens)
	scopeLog      []ScopeRequest          // every scope parameter received (ScopeRequests)
	fleet         fleetState              // customer tenants and app identities (tenants.go, clientcreds.go)
	closed        bool
	wg            sync.WaitGroup
	cloudInstance CloudInstance
	// signInClientID is Options.SignInClientID, lower case ("" = the default).
	signInClientID string
}

// Start builds the scenario's tenant and starts both listeners.
func Start(opts Options) (*Server, error) {
	name := opts.Scenario
	if name == "" {
		name = "fresh"
	}
	sc, ok := lookupScenario(name)
	if !ok {
		return nil, fmt.Errorf("emulator: unknown scenario %q (one of: %s)", name, strings.Join(scenarioNames(), ", "))
	}
	cl, err := lookupCloud(opts.Cloud)
	if err != nil {
		return nil, err
	}
	cat := opts.Catalog
	if cat == nil {
		cat = permissions.Embedded()
	} else {
		cat = cat.Clone()
	}
	s := &Server{
		cloud:    cl,
		now:      opts.Now,
		scenario: sc,
		faults:   sc.faults.merge(opts.Faults),
		txns:     map[string]*txn{},
		codes:    map[string]*authCode{},
		refresh:  map[string]*refreshGrant{},
		devices:  map[string]*deviceGrant{},
		closing:  make(chan struct{}),

		cloudInstance:  opts.CloudInstance,
		signInClientID: strings.ToLower(opts.SignInClientID),
	}
	if s.cloudInstance == (CloudInstance{}) {
		s.cloudInstance = CloudInstance{Name: cl.Instance, RegionScope: cl.RegionScope, RegionSubScope: cl.RegionSubScope}
	}
	s.rng = rand.New(rand.NewPCG(s.faults.Seed, 0x6433363563))
	if s.now == nil {
		s.now = time.Now
	}
	s.keyReady = make(chan struct{})
	go func() {
		defer close(s.keyReady)
		var kerr error
		if s.key, s.kid, kerr = signingKey(); kerr != nil {
			panic(kerr.Error()) // crypto/rand does not fail (Go 1.24+)
		}
	}()
	if s.cert, s.pool, s.pemCA, err = selfSignedCert(); err != nil {
		return nil, err
	}
	s.catalog = demoCatalog(cat, sc)
	s.dir = newDirectory(s.catalog, s.now())
	if s.signInClientID != "" && s.dir.apps[s.signInClientID] == nil {
		own := &application{AppID: s.signInClientID, DisplayName: "Your sign-in app", Publisher: s.dir.tenant.DisplayName,
			OwnerTenant: s.dir.tenant.ID, ReplyURLs: []string{"http://localhost", "https://login.microsoftonline.com/common/oauth2/nativeclient"}, Public: true}
		s.dir.apps[own.AppID] = own
		s.dir.addSP(own, true, s.now())
	}
	sc.apply(s.dir, s.catalog)

	if err := s.listen(opts, cl); err != nil {
		return nil, err
	}
	s.serve()
	return s, nil
}

// listen opens the HTTPS listener (authority and Graph), the plain HTTP one (the pages
// a browser opens) and, with opts.Proxy, the proxy that answers for Microsoft's names;
// it builds the clients that reach them.
func (s *Server) listen(opts Options, cl clouds.Cloud) error {
	addr, haddr := opts.Addr, opts.HTTPAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if haddr == "" {
		haddr = "127.0.0.1:0"
	}
	var err error
	if s.httpsLn, err = listenLoopback(addr); err != nil {
		return err
	}
	if s.httpLn, err = listenLoopback(haddr); err != nil {
		s.httpsLn.Close()
		return err
	}
	s.authorityHost = "https://" + s.httpsLn.Addr().String()
	s.graphURL = s.authorityHost
	s.pagesURL = "http://" + s.httpLn.Addr().String()

	s.client = s.newClient(&tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12})
	if opts.Proxy != "" {
		if s.proxy, err = s.startProxy(opts.Proxy); err != nil {
			s.httpsLn.Close()
			s.httpLn.Close()
			return err
		}
		s.authorityHost, s.graphURL = cl.LoginURL, cl.GraphURL
		proxyURL, _ := url.Parse(s.proxy.URL())
		s.client.Transport.(*http.Transport).Proxy = http.ProxyURL(proxyURL)
	}
	s.pagesClient = s.newClient(nil)
	s.pagesClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return nil
}

// serve starts serving both listeners.
func (s *Server) serve() {
	s.httpsSrv = &http.Server{
		Handler:           hostGuard(s.httpsLn.Addr().String(), http.HandlerFunc(s.serveHTTPS)),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:          quietLog(),
	}
	s.httpSrv = &http.Server{
		Handler:           hostGuard(s.httpLn.Addr().String(), http.HandlerFunc(s.servePages)),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          quietLog(),
	}
	s.registerReplyURLs()
	s.wg.Add(2)
	go func() { defer s.wg.Done(); _ = s.httpsSrv.ServeTLS(s.httpsLn, "", "") }()
	go func() { defer s.wg.Done(); _ = s.httpSrv.Serve(s.httpLn) }()
}

func (s *Server) newClient(tc *tls.Config) *http.Client {
	t := &http.Transport{
		TLSClientConfig:     tc,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     30 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	s.transports = append(s.transports, t)
	return &http.Client{Transport: t, Timeout: 2 * time.Minute}
}

// listenLoopback listens on addr, which must name 127.0.0.1 or localhost.
func listenLoopback(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: address %q: %w", addr, err)
	}
	switch host {
	case "127.0.0.1", "localhost", "":
	default:
		return nil, fmt.Errorf("emulator: address %q: the demo tenant only listens on 127.0.0.1", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	return ln, nil
}

// hostGuard refuses requests whose Host is not this listener's own loopback
// address or localhost on the same port: a page on another origin cannot reach the
// demo tenant by rebinding a DNS name to 127.0.0.1.
func hostGuard(listenAddr string, next http.Handler) http.Handler {
	_, port, _ := net.SplitHostPort(listenAddr)
	allowed := map[string]bool{"127.0.0.1:" + port: true, "localhost:" + port: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed[strings.ToLower(r.Host)] {
			http.Error(w, "421 misdirected request: unexpected Host header", http.StatusMisdirectedRequest)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// Close stops both listeners and frees every connection. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.closing) // release hanging Graph requests
	s.mu.Unlock()
	<-s.keyReady // no goroutine outlives Close
	for _, t := range s.transports {
		t.CloseIdleConnections()
	}
	// A short grace: HTTP/2 graceful shutdown alone waits a second for clients to
	// hang up after GOAWAY, and a demo tenant has nothing worth finishing.
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	err := errors.Join(shutdown(ctx, s.httpsSrv), shutdown(ctx, s.httpSrv))
	if s.proxy != nil {
		err = errors.Join(err, s.proxy.close(ctx))
	}
	s.wg.Wait()
	for _, t := range s.transports {
		t.CloseIdleConnections()
	}
	return err
}

func shutdown(ctx context.Context, srv *http.Server) error {
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	return nil
}

// SetFaults replaces the fault injection settings (the throttle and 503 counters restart).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.faults.Envelope = append([]int(nil), f.Envelope...)
	s.rng = rand.New(rand.NewPCG(f.Seed, 0x6433363563))
	s.orderRng = nil
	s.throttleUntil = time.Time{}
	s.mu.Unlock()
}

// Faults returns the current settings (counters as they stand).
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// AuthorityHost is "https://127.0.0.1:PORT" (with Options.Proxy, the cloud's sign-in
// host, e.g. https://login.microsoftonline.com); an authority is AuthorityHost()+"/"+tenant.
func (s *Server) AuthorityHost() string { return s.authorityHost }

// GraphURL is the Graph base URL (with Options.Proxy, the cloud's Graph host, e.g.
// https://graph.microsoft.com); Graph is served under /v1.0.
func (s *Server) GraphURL() string { return s.graphURL }

// ProxyURL is the HTTPS proxy's address for HTTPS_PROXY ("" without Options.Proxy).
func (s *Server) ProxyURL() string {
	if s.proxy == nil {
		return ""
	}
	return s.proxy.URL()
}

// HTTPClient returns a client that trusts the emulator's certificate (and, with
// Options.Proxy, goes through the proxy).

// PagesURL is the plain-HTTP base URL of the browser pages.
func (s *Server) PagesURL() string { return s.pagesURL }

func (s *Server) HTTPClient() *http.Client { return s.client }

// CertPool holds the emulator's self-signed certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CACertPEM is the certificate in PEM form (for SSL_CERT_FILE).
func (s *Server) CACertPEM() []byte { return append([]byte(nil), s.pemCA...) }

// TenantID is the demo tenant's id.
func (s *Server) TenantID() string { return s.dir.tenant.ID }

// TenantDomain is the demo tenant's initial (default) domain.
func (s *Server) TenantDomain() string { return s.dir.tenant.Domains[0] }

// TenantName is the demo tenant's display name.
func (s *Server) TenantName() string { return s.dir.tenant.DisplayName }

// SignInClientID is the wizard's sign-in client registered in the demo tenant:
// Options.SignInClientID, else Microsoft Graph Command Line Tools.
func (s *Server) SignInClientID() string {
	if s.signInClientID != "" {
		return s.signInClientID
	}
	return SignInClientID
}

// Scenario is the starting state the tenant was built from.
func (s *Server) Scenario() Scenario { return s.scenario.Scenario }

// Catalog returns a copy of the catalog the tenant publishes: each app carries its
// demo client id and, like the real apps, no redirect URI (consent ends on the
// publisher's landing page) — except in the loopback-reply scenario, where the apps
// registered "http://127.0.0.1" (any port accepted) and the catalog says so.
func (s *Server) Catalog() *permissions.Catalog { return s.catalog.Clone() }

// DemoUser is the UPN the scenario's demo browser signs in as: the one its setup
// chose (scenarioState.demoUser), else the Global Administrator.
func (s *Server) DemoUser() string {
	if u := s.dir.st.demoUser; u != nil {
		return u.UPN
	}
	return s.dir.users[0].UPN
}

// Users lists the demo users' UPNs with their roles, for help text.
func (s *Server) Users() []UserInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]UserInfo, len(s.dir.users))
	for i, u := range s.dir.users {
		out[i] = UserInfo{UPN: u.UPN, DisplayName: u.DisplayName, Roles: s.dir.roleNames(u)}
	}
	return out
}

// UserInfo describes a demo user.
type UserInfo struct {
	UPN, DisplayName string
	Roles            []string
}

// GraphRequests counts Graph HTTP requests served ($batch counts once).
func (s *Server) GraphRequests() int64 { return s.graphRequests.Load() }

// ResetGraphRequests sets the Graph request count back to zero.
func (s *Server) ResetGraphRequests() { s.graphRequests.Store(0) }

// GrantExtra grants the app with client id clientID, tenant-wide, one more
// permission of the resource with appId resourceAppID — delegated (an AllPrincipals
// grant of the scope) or application (an assignment of the app role) — as an admin
// could in the Entra admin center, beyond what the app requires. Both service
// principals must exist; the value must be one the resource publishes.
func (s *Server) GrantExtra(clientID, resourceAppID string, typ permissions.Type, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	client := s.dir.spByAppID(clientID, now)
	resource := s.dir.spByAppID(resourceAppID, now)
	if client == nil || resource == nil {
		return fmt.Errorf("emulator: no service principal for %s or %s", clientID, resourceAppID)
	}
	if typ == permissions.Application {
		r := resource.App.role(value)
		if r == nil {
			return fmt.Errorf("emulator: %s publishes no app role %q", resourceAppID, value)
		}
		s.dir.assignRole(client, resource, r.ID, now, time.Time{})
		return nil
	}
	sc := resource.App.scope(value)
	if sc == nil {
		return fmt.Errorf("emulator: %s publishes no scope %q", resourceAppID, value)
	}
	s.dir.grantDelegated(client, resource, "AllPrincipals", "", []string{sc.Value}, time.Time{})
	return nil
}

// signer waits for the signing key generated by Start.
func (s *Server) signer() (*rsa.PrivateKey, string) {
	<-s.keyReady
	return s.key, s.kid
}
