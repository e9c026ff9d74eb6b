package flows

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The opt-in debug log (--debug FILE) records what a support engineer needs to
// follow a run — each HTTP request's method, host, path, status, duration and the
// service's request / correlation ids — and never a secret: tokens, codes,
// Authorization headers and anything shaped like a JWT are redacted, both by the
// transport (which never logs bodies or headers other than the ids) and again by
// the handler, for any attribute any caller adds.

// redacted replaces a secret in the log.
const redacted = "[REDACTED]"

// secretParams are query / form parameters whose values are secrets or one-time
// credentials (OAuth 2.0, RFC 6749 and RFC 7636, and Entra's extensions).
var secretParams = map[string]bool{
	"code": true, "code_verifier": true, "code_challenge": true, "client_secret": true, "client_assertion": true,
	"access_token": true, "refresh_token": true, "id_token": true, "assertion": true, "device_code": true,
	"user_code": true, "password": true, "state": true, "nonce": true, "client_info": true, "sid": true,
	"login_hint": true, "session_state": true,
}

// jwtRE matches a JWT or JWT-like token (three base64url segments, the first a JSON header).
var jwtRE = lazyRE(`eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`)

// bearerRE matches an Authorization header value.
var bearerRE = lazyRE(`(?i)(bearer|basic|pop)\s+[A-Za-z0-9._~+/=-]+`)

// Redact removes anything secret-looking from s.
func Redact(s string) string {
	s = jwtRE().ReplaceAllString(s, redacted)
	s = bearerRE().ReplaceAllString(s, "$1 "+redacted)
	return s
}

// RedactURL returns u with secret query parameters' values replaced.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redact(raw)
	}
	u.User = nil
	q := u.Query()
	for k := range q {
		if secretParams[strings.ToLower(k)] {
			q.Set(k, redacted)
		}
	}
	u.RawQuery = q.Encode()
	u.Fragment = ""
	return Redact(u.String())
}

// NewDebugLogger returns a logger writing JSON lines to w through a redacting handler.
func NewDebugLogger(w io.Writer) *slog.Logger {
	return slog.New(&redactingHandler{next: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})})
}

type redactingHandler struct{ next slog.Handler }

func (h *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, Redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = redactAttr(a)
	}
	return &redactingHandler{next: h.next.WithAttrs(clean)}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	key := strings.ToLower(a.Key)
	if secretParams[key] || strings.Contains(key, "token") || strings.Contains(key, "authorization") || strings.Contains(key, "secret") || strings.Contains(key, "cookie") {
		return slog.String(a.Key, redacted)
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		clean := make([]any, len(g))
		for i, ga := range g {
			clean[i] = redactAttr(ga)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindString:
		s := v.String()
		if strings.Contains(s, "://") {
			return slog.String(a.Key, RedactURL(s))
		}
		return slog.String(a.Key, Redact(s))
	case slog.KindAny:
		return slog.String(a.Key, Redact(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// DebugTransport logs every request through log (nil next = http.DefaultTransport).
// It logs no header but the service's request ids, and no body.
func DebugTransport(next http.RoundTripper, log *slog.Logger) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &debugTransport{next: next, log: log}
}

type debugTransport struct {
	next http.RoundTripper
	log  *slog.Logger
}

func (t *debugTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	attrs := []any{
		slog.String("method", req.Method),
		slog.String("url", RedactURL(req.URL.String())),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil {
		t.log.Debug("http request failed", append(attrs, slog.String("error", err.Error()))...)
		return resp, err
	}
	attrs = append(attrs, slog.Int("status", resp.StatusCode))
	for _, h := range []string{"request-id", "client-request-id", "x-ms-request-id", "x-ms-ags-diagnostic", "Retry-After"} {
		if v := resp.Header.Get(h); v != "" {
			attrs = append(attrs, slog.String(strings.ToLower(h), v))
		}
	}
	t.log.Debug("http request", attrs...)
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the wrapped transport.
func (t *debugTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
