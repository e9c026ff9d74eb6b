package flows

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/safetext"
)

// ConsentRedirect is what the admin consent redirect carried back.
// Its text is display-safe: ParseConsentRedirect sanitizes the parameters.
type ConsentRedirect struct {
	// AdminConsent is true for ?admin_consent=True.
	AdminConsent bool
	Tenant       string
	// Err is set when the redirect carried ?error=…
	Err *explain.ConsentRedirectError
}

// LoopbackListener receives the admin consent redirect on 127.0.0.1. It accepts exactly
// one redirect whose state matches (compared in constant time), refuses every request
// whose Host header is not its own address, and stops on Close or when its context ends.
type LoopbackListener struct {
	ln    net.Listener
	srv   *http.Server
	state string
	path  string
	host  string // "127.0.0.1:PORT"

	used    atomic.Bool
	result  chan ConsentRedirect
	closeMu sync.Once
	done    chan struct{}
	stop    func() bool
}

// ErrNotLoopback is returned when asked to listen on anything but a loopback address.
var ErrNotLoopback = errors.New("the consent listener binds to loopback addresses only")

// ListenLoopback starts the listener on addr ("127.0.0.1:0" for a random port; any
// non-loopback address is refused). path is the redirect URI's path ("" = "/").
func ListenLoopback(ctx context.Context, addr, path, state string) (*LoopbackListener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("consent listener: %w", err)
	}
	name := ""
	if strings.EqualFold(host, "localhost") {
		// Bind the IPv4 loopback, but answer to the name the redirect URI uses.
		name, host = "localhost", "127.0.0.1"
		addr = net.JoinHostPort(host, addr[strings.LastIndexByte(addr, ':')+1:])
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w (asked for %q)", ErrNotLoopback, addr)
	}
	if state == "" {
		return nil, errors.New("consent listener: empty state")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("consent listener: %w", err)
	}
	if path == "" {
		path = "/"
	}
	hostHeader := ln.Addr().String()
	if name != "" {
		hostHeader = net.JoinHostPort(name, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	l := &LoopbackListener{
		ln: ln, state: state, path: path, host: hostHeader,
		result: make(chan ConsentRedirect, 1),
		done:   make(chan struct{}),
	}
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		_ = l.srv.Serve(ln)
		close(l.done)
	}()
	l.stop = context.AfterFunc(ctx, func() { _ = l.Close() })
	return l, nil
}

// Addr is "127.0.0.1:PORT" (or "localhost:PORT").
func (l *LoopbackListener) Addr() string { return l.host }

// RedirectURI is the URI to send with the consent request.
func (l *LoopbackListener) RedirectURI() string { return "http://" + l.host + l.path }

// Result delivers the one accepted redirect.
func (l *LoopbackListener) Result() <-chan ConsentRedirect { return l.result }

// Close stops the server and frees the port; it waits for the serve goroutine.
func (l *LoopbackListener) Close() error {
	l.closeMu.Do(func() {
		if l.stop != nil {
			l.stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := l.srv.Shutdown(ctx); err != nil {
			_ = l.srv.Close()
		}
		<-l.done
	})
	return nil
}

const pageHead = `<!doctype html><html><head><meta charset="utf-8"><title>d365consent</title></head><body style="font-family:sans-serif">`

func (l *LoopbackListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	// DNS rebinding: a page elsewhere cannot reach us under another name.
	if r.Host != l.host {
		http.Error(w, "wrong host", http.StatusMisdirectedRequest)
		return
	}
	if r.URL.Path != l.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	got := r.Form.Get("state")
	if subtle.ConstantTimeCompare([]byte(got), []byte(l.state)) != 1 {
		// Not ours: ignore it and keep waiting for the real redirect.
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, pageHead+"<h1>Unexpected request</h1><p>This does not match the consent d365consent is waiting for. You can close this tab.</p></body></html>")
		return
	}
	if !l.used.CompareAndSwap(false, true) {
		w.WriteHeader(http.StatusGone)
		fmt.Fprint(w, pageHead+"<h1>Already received</h1><p>d365consent already has this consent result. You can close this tab.</p></body></html>")
		return
	}
	res := ParseConsentRedirect(r.Form)
	if res.Err != nil {
		fmt.Fprint(w, pageHead+"<h1>Consent was not granted</h1><p>Return to d365consent in your terminal for what happened and what to do.</p></body></html>")
	} else {
		fmt.Fprint(w, pageHead+"<h1>Consent received</h1><p>Return to d365consent in your terminal: it is checking that every permission is in place. You can close this tab.</p></body></html>")
	}
	l.result <- res // buffered 1, single use: never blocks
}

// ParseConsentRedirect reads the admin consent redirect's parameters
// (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent):
// admin_consent=True&tenant=… on success, error=…&error_subcode=…&error_description=…
// otherwise. An error wins over admin_consent. Every string is sanitized. The caller
// checks state.
func ParseConsentRedirect(form url.Values) ConsentRedirect {
	ac := form.Get("admin_consent")
	res := ConsentRedirect{AdminConsent: ac == "True" || ac == "true", Tenant: safetext.Sanitize(form.Get("tenant"))}
	if e := form.Get("error"); e != "" {
		res.AdminConsent = false
		res.Err = explain.NewConsentRedirectError(e, form.Get("error_subcode"), form.Get("error_description"))
	}
	return res
}
