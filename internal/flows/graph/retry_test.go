package graph

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// Retry-After forms Graph documents (https://learn.microsoft.com/graph/throttling shows
// "Retry-After: 2.128"; RFC 9110 §10.2.3 allows delay-seconds or an HTTP-date).
func TestRetryAfterForms(t *testing.T) {
	c := New("https://x", nil, token, WithClock(&instantClock{}))
	now := (&instantClock{}).Now()
	for _, tc := range []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{" 3 ", 3 * time.Second},
		{"2.128", 2128 * time.Millisecond},
		{"0.5", 500 * time.Millisecond},
		{"0", 0},
		{now.Add(4 * time.Second).UTC().Format(http.TimeFormat), 4 * time.Second},
		{now.Add(-time.Hour).UTC().Format(http.TimeFormat), 0},
		{"86400", MaxRetryAfter},
		{"1e9", MaxRetryAfter},
	} {
		if got := c.retryDelay(tc.header, 0); got != tc.want {
			t.Errorf("Retry-After %q: %s, want %s", tc.header, got, tc.want)
		}
	}
	// Not a delay: backoff with jitter in [0.5 s, 1 s) on the first retry.
	for _, bad := range []string{"-1", "NaN", "Inf", "soon", "1.2.3", ""} {
		if got := c.retryDelay(bad, 0); got < 500*time.Millisecond || got >= time.Second {
			t.Errorf("Retry-After %q: %s, want backoff in [0.5s, 1s)", bad, got)
		}
	}
}

// Several throttled sub-requests: one wait, the longest Retry-After among them.
func TestBatchWaitsForLongestRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body batchBody
		_ = json.NewDecoder(r.Body).Decode(&body)
		n := calls.Add(1)
		var out batchReply
		for _, rq := range body.Requests {
			if n == 1 && rq.ID != "c" {
				ra := map[string]string{"a": "1", "b": "2.128"}[rq.ID]
				out.Responses = append(out.Responses, Response{ID: rq.ID, Status: 429, Headers: map[string]string{"Retry-After": ra}})
				continue
			}
			out.Responses = append(out.Responses, Response{ID: rq.ID, Status: 200, Body: json.RawMessage(`{}`)})
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	reps, err := c.Batch(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/a"}, {ID: "b", Method: "GET", URL: "/b"}, {ID: "c", Method: "GET", URL: "/c"}})
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range reps {
		if r.Status != 200 {
			t.Errorf("%s: %d", id, r.Status)
		}
	}
	if len(clk.waits) != 1 || clk.waits[0] != 2128*time.Millisecond {
		t.Fatalf("waits %v, want one of 2.128s", clk.waits)
	}
}

// A sub-request that stays throttled is retried a bounded number of times, then
// reported with its status; the others are not held back.
func TestBatchSubRequestRetriesBounded(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body batchBody
		_ = json.NewDecoder(r.Body).Decode(&body)
		calls.Add(1)
		var out batchReply
		for _, rq := range body.Requests {
			st := 200
			if rq.ID == "x" {
				st = 503
			}
			out.Responses = append(out.Responses, Response{ID: rq.ID, Status: st, Headers: map[string]string{"Retry-After": "1"}, Body: json.RawMessage(`{}`)})
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk), WithMaxRetries(2))
	reps, err := c.Batch(context.Background(), []Request{{ID: "x", Method: "GET", URL: "/x"}, {ID: "y", Method: "GET", URL: "/y"}})
	if err != nil {
		t.Fatal(err)
	}
	if reps["x"].Status != 503 || reps["x"].Err == nil || reps["y"].Status != 200 {
		t.Fatalf("x=%d y=%d", reps["x"].Status, reps["y"].Status)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d round trips, want 3 (1 + 2 retries)", calls.Load())
	}
}

// The $batch envelope itself answered 429 (fractional Retry-After), 424, 503 and 504:
// each retried like a sub-request, then the batch goes through.
// https://learn.microsoft.com/graph/json-batching, https://learn.microsoft.com/graph/throttling
func TestBatchEnvelopeRetried(t *testing.T) {
	script := []struct {
		status int
		ra     string
	}{{429, "1.5"}, {424, ""}, {503, "2"}, {504, ""}}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1)) - 1
		if n < len(script) {
			if script[n].ra != "" {
				w.Header().Set("Retry-After", script[n].ra)
			}
			w.WriteHeader(script[n].status)
			io.WriteString(w, `{"error":{"code":"x","message":"envelope"}}`)
			return
		}
		io.WriteString(w, `{"responses":[{"id":"1","status":200,"body":{}}]}`)
	}))
	defer srv.Close()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	reps, err := c.Batch(context.Background(), []Request{{ID: "1", Method: "GET", URL: "/me"}})
	if err != nil {
		t.Fatal(err)
	}
	if reps["1"].Status != 200 || calls.Load() != 5 {
		t.Fatalf("status %d after %d calls", reps["1"].Status, calls.Load())
	}
	if clk.waits[0] != 1500*time.Millisecond || clk.waits[2] != 2*time.Second {
		t.Fatalf("waits %v: want 1.5s first and 2s third", clk.waits)
	}
}

// A wait that would outlast the caller's deadline (--timeout) is not started: the
// call fails at once (well before the deadline) with an error naming Graph's wait and
// the time that was left, and no retry notice promises a retry.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "90")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeoutCause(context.Background(), time.Minute, errors.New("no answer within --timeout 1m"))
	defer cancel()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	notices := 0
	_, err := c.Batch(WithRetryNotice(ctx, func(time.Duration, int) { notices++ }), []Request{{ID: "1", Method: "GET", URL: "/me"}})
	var te *ThrottledError
	if !errors.As(err, &te) || te.Wait != 90*time.Second || len(clk.waits) != 0 || c.Requests() != 1 || notices != 0 {
		t.Fatalf("err = %v, waits %v, %d requests, %d notices", err, clk.waits, c.Requests(), notices)
	}
	if ctx.Err() != nil {
		t.Fatal("the call waited for the deadline")
	}
	if got := err.Error(); got != "Microsoft Graph asked us to wait 1m30s (HTTP 429), longer than the 1m0s left: not waiting" {
		t.Fatalf("text %q", got)
	}
}

// A 401 claims challenge (Conditional Access, CAE) asks the caller to sign in again
// with the claims, then the request goes again with the new token.
func TestClaimsChallengeSignsInAgain(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0="`)
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"code":"InvalidAuthenticationToken","message":"claims"}}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer fresh" {
			t.Errorf("retried with %q", r.Header.Get("Authorization"))
		}
		io.WriteString(w, `{"id":"me"}`)
	}))
	defer srv.Close()
	tok := "stale"
	var got []string
	c := New(srv.URL, srv.Client(), func(context.Context) (string, error) { return tok, nil },
		WithClaimsChallenge(func(_ context.Context, claims string) error { got = append(got, claims); tok = "fresh"; return nil }))
	if err := c.Get(context.Background(), "/me", nil); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != `{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}` || calls.Load() != 2 {
		t.Fatalf("claims %q after %d calls", got, calls.Load())
	}
	// A second challenge for the same request is an error, not a loop.
	calls.Store(0)
	c2 := New(srv.URL, srv.Client(), token, WithClaimsChallenge(func(context.Context, string) error { calls.Store(0); return nil }))
	if err := c2.Get(context.Background(), "/me", nil); err == nil {
		t.Fatal("endless challenge accepted")
	}
}
