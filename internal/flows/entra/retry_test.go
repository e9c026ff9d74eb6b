package entra

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// script answers each request with the next of its steps: an error, or a status.
type script struct {
	steps []any // error or int
	calls int
	sent  []string
}

func (s *script) RoundTrip(req *http.Request) (*http.Response, error) {
	body := ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		body = string(b)
	}
	s.sent = append(s.sent, body)
	step := s.steps[min(s.calls, len(s.steps)-1)]
	s.calls++
	if err, ok := step.(error); ok {
		return nil, err
	}
	resp := &http.Response{StatusCode: step.(int), Header: http.Header{}, Body: io.NopCloser(strings.NewReader("{}")), Request: req}
	if resp.StatusCode == 503 {
		resp.Header.Set("Retry-After", "3")
	}
	return resp, nil
}

var (
	reset   = &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	refused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
)

// What is safe to send again is sent again: a GET, a device-code poll, and anything
// that never reached the server; a code redemption that reached Entra ID is not.
func TestRetryOnlyWhatIsSafe(t *testing.T) {
	const poll = "grant_type=device_code&device_code=abc&client_id=x"
	const redeem = "grant_type=authorization_code&code=abc&client_id=x"
	for _, tc := range []struct {
		name        string
		method      string
		body        string
		steps       []any
		calls, code int
		waits       []time.Duration
	}{
		{"discovery reset", "GET", "", []any{reset, 200}, 2, 200, []time.Duration{retryFirst}},
		{"discovery 503 honours Retry-After", "GET", "", []any{503, 200}, 2, 200, []time.Duration{3 * time.Second}},
		{"discovery keeps failing", "GET", "", []any{504}, retryAttempts, 504, []time.Duration{retryFirst, 2 * retryFirst, 4 * retryFirst}},
		{"device-code poll 503", "POST", poll, []any{503, 400}, 2, 400, []time.Duration{3 * time.Second}},
		{"device-code poll reset", "POST", poll, []any{reset, 200}, 2, 200, []time.Duration{retryFirst}},
		{"code redemption never sent", "POST", redeem, []any{refused, 200}, 2, 200, []time.Duration{retryFirst}},
		{"code redemption 503 not repeated", "POST", redeem, []any{503, 200}, 1, 503, nil},
		{"code redemption reset not repeated", "POST", redeem, []any{reset, 200}, 1, 0, nil},
		{"a refusal is an answer", "GET", "", []any{400, 200}, 1, 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{steps: tc.steps}
			var waits []time.Duration
			c := RetryingClient(&http.Client{Transport: s}, func(d time.Duration) <-chan time.Time {
				waits = append(waits, d)
				ch := make(chan time.Time, 1)
				ch <- time.Time{}
				return ch
			})
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, _ := http.NewRequest(tc.method, "https://login.example/organizations/oauth2/v2.0/token", body)
			resp, err := c.Transport.RoundTrip(req)
			code := 0
			if err == nil {
				code = resp.StatusCode
			}
			if s.calls != tc.calls || code != tc.code {
				t.Fatalf("%d calls, status %d (err %v), want %d calls, status %d", s.calls, code, err, tc.calls, tc.code)
			}
			for _, b := range s.sent {
				if b != tc.body {
					t.Fatalf("body sent %q, want %q every time", b, tc.body)
				}
			}
			if len(waits) != len(tc.waits) {
				t.Fatalf("waits %v, want %v", waits, tc.waits)
			}
			for i := range waits {
				if waits[i] != tc.waits[i] {
					t.Fatalf("waits %v, want %v", waits, tc.waits)
				}
			}
		})
	}
}

// A wait between tries ends with the request's context.
func TestRetryWaitEndsWithTheContext(t *testing.T) {
	s := &script{steps: []any{503}}
	ctx, cancel := context.WithCancel(context.Background())
	c := RetryingClient(&http.Client{Transport: s}, func(time.Duration) <-chan time.Time {
		cancel()
		return make(chan time.Time)
	})
	req, _ := http.NewRequestWithContext(ctx, "GET", "https://login.example/x", nil)
	if _, err := c.Transport.RoundTrip(req); !errors.Is(err, context.Canceled) || s.calls != 1 {
		t.Fatalf("err %v after %d calls, want cancelled after 1", err, s.calls)
	}
}
