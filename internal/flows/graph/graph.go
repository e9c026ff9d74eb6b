// Package graph is a thin Microsoft Graph v1.0 client: single requests, JSON $batch,
// whole @odata.nextLink paging, and per-request retries of 429/503/504 that honour
// Retry-After (https://learn.microsoft.com/graph/throttling). It knows nothing of
// consent; package flows builds verification on it.
package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/d365consent/d365consent/internal/safetext"
)

// Clock is the time source for retry waits (injected so tests run in milliseconds).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// TokenFunc returns a bearer token for Graph.
type TokenFunc func(ctx context.Context) (string, error)

// Retry bounds.
const (
	// DefaultMaxRetries is how many times one request is retried after 429/503/504.
	DefaultMaxRetries = 5
	// MaxResends bounds how often a read is sent again after a broken connection
	// or a cut reply (do); a Graph that keeps failing is reported, not waited on.
	MaxResends = 2
	// MaxRetryAfter caps a server's Retry-After so a bad header cannot stall us for hours.
	MaxRetryAfter = 2 * time.Minute
	baseBackoff   = time.Second
	maxBackoff    = 30 * time.Second
	// MaxBatch is Graph's limit of requests in one $batch.
	MaxBatch = 20
	// maxPages bounds paging so a server that loops nextLinks cannot keep us forever.
	maxPages = 1000
)

// Client calls Microsoft Graph v1.0.
type Client struct {
	base       string // e.g. https://graph.microsoft.com/v1.0
	http       *http.Client
	token      TokenFunc
	clock      Clock
	maxRetries int
	requests   atomic.Int64
	gate       *Gate // shared back-off of a fleet check (gate.go); nil = none
	challenge  ChallengeFunc
}

// ChallengeFunc answers a claims challenge (the caller signs in again satisfying
// claims, a JSON document) so the request can be sent again with a new token.
type ChallengeFunc func(ctx context.Context, claims string) error

// WithClaimsChallenge sets what to do when Graph answers 401 with a claims challenge
// (WWW-Authenticate: Bearer … error="insufficient_claims", claims="<base64>"), as
// Conditional Access and continuous access evaluation do
// (https://learn.microsoft.com/entra/identity-platform/claims-challenge): h is called
// once per request with the decoded claims, then the request is sent again.
func WithClaimsChallenge(h ChallengeFunc) Option { return func(cl *Client) { cl.challenge = h } }

// claimsChallenge extracts the decoded claims of a WWW-Authenticate header, "" when
// it is not a claims challenge.
func claimsChallenge(h string) string {
	if !strings.Contains(h, "insufficient_claims") {
		return ""
	}
	i := strings.Index(h, `claims="`)
	if i < 0 {
		return ""
	}
	rest := h[i+len(`claims="`):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	raw := rest[:j]
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(raw); err == nil && json.Valid(b) {
			return string(b)
		}
	}
	return ""
}

// Option configures a Client.
type Option func(*Client)

// WithClock sets the clock used for retry waits.
func WithClock(c Clock) Option { return func(cl *Client) { cl.clock = c } }

// WithMaxRetries sets the retry bound per request (0 disables retries).
func WithMaxRetries(n int) Option { return func(cl *Client) { cl.maxRetries = n } }

// New returns a client for the Graph endpoint at baseURL (e.g. https://graph.microsoft.com;
// "/v1.0" is appended). A nil httpClient means http.DefaultClient.
func New(baseURL string, httpClient *http.Client, token TokenFunc, opts ...Option) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{
		base:       strings.TrimRight(baseURL, "/") + "/v1.0",
		http:       httpClient,
		token:      token,
		clock:      realClock{},
		maxRetries: DefaultMaxRetries,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Requests is the number of HTTP requests the client has sent (a $batch counts once).
func (c *Client) Requests() int64 { return c.requests.Load() }

// Error is a Graph error response, with the ids support needs. Its text is
// display-safe: newError sanitizes what Graph sent.
type Error struct {
	Method, Path    string
	Status          int
	Code            string
	Message         string
	RequestID       string
	ClientRequestID string
	Date            string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Microsoft Graph %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request-id " + e.RequestID + ")")
	}
	return b.String()
}

// IsNotFound reports whether err is a Graph 404.
func IsNotFound(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Status == http.StatusNotFound
}

type errorBody struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id"`
			Date            string `json:"date"`
		} `json:"innerError"`
	} `json:"error"`
}

func newError(method, path string, status int, header func(string) string, body []byte) *Error {
	e := &Error{Method: method, Path: path, Status: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Code = eb.Error.Code
		e.Message = eb.Error.Message
		e.RequestID = eb.Error.InnerError.RequestID
		e.ClientRequestID = eb.Error.InnerError.ClientRequestID
		e.Date = eb.Error.InnerError.Date
	}
	if e.Message == "" && e.Code == "" {
		e.Message = strings.TrimSpace(string(truncate(body, 200)))
	}
	if v := header("request-id"); v != "" {
		e.RequestID = v
	}
	if v := header("client-request-id"); v != "" && e.ClientRequestID == "" {
		e.ClientRequestID = v
	}
	if v := header("Date"); v != "" && e.Date == "" {
		e.Date = v
	}
	// Graph's words and headers enter here; the path may carry a name the caller
	// was given.
	for _, f := range []*string{&e.Method, &e.Path, &e.Code, &e.Message, &e.RequestID, &e.ClientRequestID, &e.Date} {
		*f = safetext.Sanitize(*f)
	}
	return e
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// retryable reports whether a status is worth retrying: throttled (429), briefly
// unavailable (503, 504), or a failed dependency inside a $batch (424), which Graph
// answers when a request it depended on was throttled
// (https://learn.microsoft.com/graph/json-batching, https://learn.microsoft.com/graph/throttling).
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusFailedDependency:
		return true
	}
	return false
}

// parseRetryAfter reads a Retry-After header: delay-seconds, fractional seconds
// (Graph's throttling doc shows "Retry-After: 2.128") or an HTTP-date. ok is false
// when the header says nothing usable.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return 0, false
		}
		if f >= MaxRetryAfter.Seconds() {
			return MaxRetryAfter, true
		}
		return time.Duration(math.Round(f * float64(time.Second))), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter), true
	}
	return 0, false
}

// retryDelay is the wait before retry number attempt (0-based): the server's Retry-After,
// capped; else exponential backoff with full jitter.
func (c *Client) retryDelay(retryAfter string, attempt int) time.Duration {
	if d, ok := parseRetryAfter(retryAfter, c.clock.Now()); ok {
		return d
	}
	d := min(baseBackoff<<attempt, maxBackoff)
	// jitter in [d/2, d): spreads retries of many clients.
	return d/2 + rand.N(d/2)
}

// sleep waits d before a retry. A wait that would outlast ctx's deadline is not
// started: it fails at once with a ThrottledError naming the wait and the time left
// (status is what asked for the wait).
func (c *Client) sleep(ctx context.Context, d time.Duration, status int) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < d {
			// No retry can happen in time: say so now rather than at the deadline.
			return &ThrottledError{Wait: d, Status: status, Left: max(left, 0)}
		}
	}
	noticeRetry(ctx, d, status)
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-c.clock.After(d):
		return nil
	}
}

// do sends one HTTP request (retrying 429/503/504) and returns the 2xx body. A
// request that only reads (safe: a GET, or a $batch of GETs) is also sent again when
// the connection broke or the reply was cut (bounded like the retries above): a
// read repeated changes nothing (RFC 9110 §9.2.2, idempotent methods).
func (c *Client) do(ctx context.Context, method, rawURL string, body []byte, safe bool) ([]byte, error) {
	path := strings.TrimPrefix(rawURL, c.base)
	challenged := false
	resends := 0
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx)
		if err != nil {
			return nil, err
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if c.gate != nil {
			if err := c.gate.Wait(ctx); err != nil {
				return nil, err
			}
		}
		resp, data, err := c.roundTrip(ctx, req, method, path)
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			// A read that never got its whole answer is safe to send again.
			if safe && resends < MaxResends {
				resends++
				if err := c.sleep(ctx, c.retryDelay("", attempt), 0); err != nil {
					return nil, err
				}
				continue
			}
			return nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return data, nil
		}
		if resp.StatusCode == http.StatusUnauthorized && c.challenge != nil && !challenged {
			if claims := claimsChallenge(resp.Header.Get("WWW-Authenticate")); claims != "" {
				challenged = true
				if err := c.challenge(ctx, claims); err != nil {
					return nil, err
				}
				attempt--
				continue
			}
		}
		if c.gate != nil && resp.StatusCode == http.StatusTooManyRequests {
			// Other clients back off too, even when this one gives up now.
			c.gate.Throttled(c.retryDelay(resp.Header.Get("Retry-After"), attempt))
		}
		if retryable(resp.StatusCode) && attempt < c.maxRetries {
			d := c.retryDelay(resp.Header.Get("Retry-After"), attempt)
			if err := c.sleep(ctx, d, resp.StatusCode); err != nil {
				return nil, err
			}
			continue
		}
		return nil, newError(method, path, resp.StatusCode, resp.Header.Get, data)
	}
}

// roundTrip sends req and reads the whole answer. Its error (a transport error, which
// may carry what a proxy answered, or a cut reply) is display-safe.
func (c *Client) roundTrip(ctx context.Context, req *http.Request, method, path string) (*http.Response, []byte, error) {
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, safetext.WrapError(fmt.Errorf("Microsoft Graph %s %s: %w", method, path, err))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	resp.Body.Close()
	if err != nil {
		return nil, nil, safetext.WrapError(fmt.Errorf("Microsoft Graph %s %s: reading the reply: %w", method, path, err))
	}
	return resp, data, nil
}

// resolve turns a path ("/me") or an absolute URL (a nextLink) into an absolute URL
// under the client's base.
func (c *Client) resolve(p string) (string, error) {
	if strings.HasPrefix(p, "https://") || strings.HasPrefix(p, "http://") {
		u, err := url.Parse(p)
		if err != nil {
			return "", err
		}
		b, _ := url.Parse(c.base)
		if u.Scheme != b.Scheme || u.Host != b.Host {
			// Never send our token to a host we were not configured for.
			return "", fmt.Errorf("Microsoft Graph: refusing link to another host %q", u.Host)
		}
		return p, nil
	}
	return c.base + "/" + strings.TrimPrefix(p, "/"), nil
}

// Get fetches path and decodes the JSON reply into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	u, err := c.resolve(path)
	if err != nil {
		return err
	}
	data, err := c.do(ctx, http.MethodGet, u, nil, true)
	if err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	if err := Unmarshal(data, v); err != nil {
		return fmt.Errorf("Microsoft Graph GET %s: decoding the reply: %w", path, err)
	}
	return nil
}

// Page is a collection reply.
type Page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

// GetAll fetches a collection and follows @odata.nextLink to its end.
func (c *Client) GetAll(ctx context.Context, path string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	next := path
	for pages := 0; next != ""; pages++ {
		if pages >= maxPages {
			return nil, fmt.Errorf("Microsoft Graph GET %s: more than %d pages", path, maxPages)
		}
		var p Page
		if err := c.Get(ctx, next, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Value...)
		next = p.NextLink
	}
	return all, nil
}

// ThrottledError is a wait Graph asked for (Retry-After) that outlasts the caller's
// deadline: the call ends at once with this error, which names the wait and the time
// that was left.
type ThrottledError struct {
	Wait   time.Duration
	Status int
	// Left is the time the caller's deadline (e.g. --timeout) still allowed.
	Left time.Duration
	// Cause is why the context ended, when it had.
	Cause error
}

func (e *ThrottledError) Error() string {
	s := fmt.Sprintf("Microsoft Graph asked us to wait %s (HTTP %d)", e.Wait, e.Status)
	if e.Cause != nil {
		return e.Cause.Error() + " (" + s + ")"
	}
	return fmt.Sprintf("%s, longer than the %s left: not waiting", s, e.Left.Round(time.Second))
}

// Unwrap returns the context's cause.
func (e *ThrottledError) Unwrap() error { return e.Cause }
