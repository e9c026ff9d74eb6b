package entra

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Retry policy of the HTTP client MSAL is given: what is safe to send again is sent
// again, with backoff, as the Azure SDK's retry policy does for idempotent requests
// (azure/developer/go/azure-sdk-core-concepts, "Retry"; Retry-After honoured): GETs
// (OpenID and instance discovery), device-code polls (a poll only asks; the
// device_code grant's own errors are Entra ID's answer, v2-oauth2-device-code), and
// any request that never reached the server (the connection could not be made).
// An authorization code or refresh token redemption that reached Entra ID is never
// repeated: a code is single use.
const (
	retryAttempts = 4 // the first try and three more
	retryFirst    = 500 * time.Millisecond
	retryMaxWait  = 10 * time.Second
)

// After is a clock's timer: time.After, or a test's fake.
type After func(d time.Duration) <-chan time.Time

// RetryingClient is c (nil: http.DefaultClient) with its transport wrapped in the
// retry policy above; after waits between tries (nil: time.After).
func RetryingClient(c *http.Client, after After) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	if after == nil {
		after = time.After
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	rc := *c
	rc.Transport = &retryTransport{next: next, after: after}
	return &rc
}

type retryTransport struct {
	next  http.RoundTripper
	after After
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	safe := idempotent(req)
	resendable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	wait := retryFirst
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			r = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				r.Body = body
			}
		}
		resp, err := t.next.RoundTrip(r)
		retry := false
		switch {
		case err != nil:
			retry = safe || neverSent(err)
		case safe && transientStatus(resp.StatusCode):
			retry = true
		}
		if !retry || !resendable || attempt == retryAttempts || req.Context().Err() != nil {
			return resp, err
		}
		d := wait
		if resp != nil {
			if ra := retryAfter(resp.Header.Get("Retry-After")); ra > d {
				d = ra
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if d > retryMaxWait {
			d = retryMaxWait
		}
		if err := sleep(req.Context(), t.after, d); err != nil {
			return nil, err
		}
		wait *= 2
	}
}

// idempotent: a GET or HEAD, or a device-code poll (a POST of grant_type
// device_code to the token endpoint).
func idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead:
		return true
	case http.MethodPost:
		if req.GetBody == nil {
			return false
		}
		body, err := req.GetBody()
		if err != nil {
			return false
		}
		defer body.Close()
		data, err := io.ReadAll(io.LimitReader(body, 1<<16))
		if err != nil {
			return false
		}
		form, err := url.ParseQuery(string(data))
		if err != nil {
			return false
		}
		switch form.Get("grant_type") {
		case "device_code", "urn:ietf:params:oauth:grant-type:device_code":
			return true
		}
	}
	return false
}

// neverSent: the connection was never made (DNS, connect refused or timed out), so
// the server saw nothing.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// transientStatus: Entra ID's answers that say "later" (429, 500, 502, 503, 504).
func transientStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter reads a Retry-After of delay-seconds (RFC 9110 §10.2.3); an HTTP-date
// or nothing gives 0 (the backoff decides).
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

func sleep(ctx context.Context, after After, d time.Duration) error {
	select {
	case <-after(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
