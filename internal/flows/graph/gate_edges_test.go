package graph

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stuckClock never moves; any wait it is asked for cancels the test's context, so a
// gate that waits when it should not ends with context.Canceled instead of spinning.
type stuckClock struct {
	now    time.Time
	cancel context.CancelFunc
	waits  []time.Duration
}

func (c *stuckClock) Now() time.Time { return c.now }
func (c *stuckClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.cancel()
	return make(chan time.Time) // never fires
}

// An open gate, and a gate closed until exactly now, let the caller through without
// waiting at all.
func TestGateOpenAtItsDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		throttle []time.Duration
	}{
		{"never throttled", nil},
		{"closed until now", []time.Duration{0}},
		{"closed until a second ago", []time.Duration{-time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := &stuckClock{now: time.Unix(1_700_000_000, 0), cancel: cancel}
			g := NewGate(clk)
			for _, d := range tc.throttle {
				g.Throttled(d)
			}
			if err := g.Wait(ctx); err != nil || len(clk.waits) != 0 {
				t.Fatalf("Wait = %v after waits %v, want nil after none", err, clk.waits)
			}
		})
	}
}

// The claims of a challenge are found wherever the parameter stands in the header,
// first included; a challenge whose claims are empty or not JSON is none.
func TestClaimsChallengeParameterPlacement(t *testing.T) {
	claims := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	b64 := base64.StdEncoding.EncodeToString([]byte(claims))
	for _, tc := range []struct{ header, want string }{
		{`claims="` + b64 + `", error="insufficient_claims"`, claims},
		{`Bearer error="insufficient_claims", claims="` + b64 + `"`, claims},
		{`Bearer error="insufficient_claims", claims="` + base64.RawURLEncoding.EncodeToString([]byte(claims)) + `"`, claims},
		{`Bearer error="insufficient_claims", claims=""`, ""},
		{`Bearer error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte("not json")) + `"`, ""},
		{`Bearer error="insufficient_claims", claims="` + b64, ""},
		{`Bearer error="invalid_token", claims="` + b64 + `"`, ""},
		{`Bearer error="insufficient_claims"`, ""},
	} {
		if got := claimsChallenge(tc.header); got != tc.want {
			t.Errorf("claimsChallenge(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

// "Retry-After: 0" retries at once: no wait on the clock and no retry notice.
func TestRetryAfterZeroRetriesAtOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		io.WriteString(w, `{"id":"me"}`)
	}))
	defer srv.Close()
	clk := &instantClock{}
	var notices []time.Duration
	ctx := WithRetryNotice(context.Background(), func(d time.Duration, _ int) { notices = append(notices, d) })
	if err := New(srv.URL, srv.Client(), token, WithClock(clk)).Get(ctx, "/me", nil); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || len(clk.waits) != 0 || len(notices) != 0 {
		t.Fatalf("calls %d, waits %v, notices %v; want 2 calls, no wait, no notice", calls.Load(), clk.waits, notices)
	}
}

// A request with a body ($batch) says it is JSON; a GET, which has none, does not.
func TestContentTypeOnlyWithABody(t *testing.T) {
	var mu sync.Mutex
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Method] = r.Header.Get("Content-Type")
		mu.Unlock()
		if r.Method == http.MethodPost {
			io.WriteString(w, `{"responses":[{"id":"a","status":200,"body":{}}]}`)
			return
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c := New(srv.URL, srv.Client(), token)
	if err := c.Get(context.Background(), "/me", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Batch(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/a"}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[http.MethodGet] != "" || got[http.MethodPost] != "application/json" {
		t.Fatalf("Content-Type by method: %q", got)
	}
}

// Only 2xx is success: a 300 is an error with its status, a 299 is not. (A 1xx cannot
// be a final status over net/http.)
func TestOnly2xxIsSuccess(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{299, ""},
		{300, "Microsoft Graph GET /me: HTTP 300: {}"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, `{}`)
		}))
		err := New(srv.URL, srv.Client(), token, WithMaxRetries(0)).Get(context.Background(), "/me", nil)
		srv.Close()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("HTTP %d: err = %v, want %q", tc.status, err, tc.want)
		}
	}
}

// The retry notice hears each wait with the status that asked for it; a nil notice is
// none.
func TestRetryNoticeHearsEachWait(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Retry-After", "1.5")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			io.WriteString(w, `{}`)
		}
	}))
	defer srv.Close()
	type notice struct {
		wait   time.Duration
		status int
	}
	var got []notice
	ctx := WithRetryNotice(context.Background(), func(d time.Duration, status int) { got = append(got, notice{d, status}) })
	if err := New(srv.URL, srv.Client(), token, WithClock(&instantClock{})).Get(ctx, "/me", nil); err != nil {
		t.Fatal(err)
	}
	if want := []notice{{3 * time.Second, 429}, {1500 * time.Millisecond, 503}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("notices %v, want %v", got, want)
	}
	calls.Store(0)
	if err := New(srv.URL, srv.Client(), token, WithClock(&instantClock{})).Get(WithRetryNotice(context.Background(), nil), "/me", nil); err != nil {
		t.Fatalf("nil notice: %v", err)
	}
}

// Answering a claims challenge does not use up a retry: with one retry allowed, a
// challenge and then a 503 still get their retry.
func TestClaimsChallengeKeepsTheRetryBudget(t *testing.T) {
	var calls atomic.Int32
	b64 := base64.StdEncoding.EncodeToString([]byte(`{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_claims", claims="`+b64+`"`)
			w.WriteHeader(http.StatusUnauthorized)
		case 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			io.WriteString(w, `{}`)
		}
	}))
	defer srv.Close()
	challenges := 0
	c := New(srv.URL, srv.Client(), token, WithClock(&instantClock{}), WithMaxRetries(1),
		WithClaimsChallenge(func(context.Context, string) error { challenges++; return nil }))
	if err := c.Get(context.Background(), "/me", nil); err != nil || calls.Load() != 3 || challenges != 1 {
		t.Fatalf("err %v after %d calls and %d challenges; want nil after 3 and 1", err, calls.Load(), challenges)
	}
}
