package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// batchServer answers every $batch with reply(call number, request id) for each
// sub-request, and counts the calls. After limit calls it answers HTTP 400, so a
// client that retries for ever fails the test instead of hanging it.
func batchServer(t *testing.T, limit int32, reply func(n int32, id string) Response) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if n > limit {
			http.Error(w, `{"error":{"code":"tooMany","message":"test limit"}}`, http.StatusBadRequest)
			return
		}
		var body batchBody
		_ = json.NewDecoder(r.Body).Decode(&body)
		var out batchReply
		for _, rq := range body.Requests {
			out.Responses = append(out.Responses, reply(n, rq.ID))
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func throttled(id, retryAfter string) Response {
	h := map[string]string{}
	if retryAfter != "" {
		h["Retry-After"] = retryAfter
	}
	return Response{ID: id, Status: http.StatusTooManyRequests, Headers: h,
		Body: json.RawMessage(`{"error":{"code":"TooManyRequests","message":"slow down"}}`)}
}

func ok(id string) Response {
	return Response{ID: id, Status: http.StatusOK, Body: json.RawMessage(`{"id":"` + id + `"}`)}
}

// Retry-After may be an HTTP-date (RFC 9110 §10.2.3): wait until then, by the
// injected clock — for a throttled sub-request and for a throttled single request.
func TestRetryAfterHTTPDate(t *testing.T) {
	clk := &instantClock{}
	at := clk.Now().Add(42 * time.Second).UTC().Format(http.TimeFormat)
	srv, calls := batchServer(t, 10, func(n int32, id string) Response {
		if n == 1 {
			return throttled(id, at)
		}
		return ok(id)
	})
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	reps, err := c.Batch(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/a"}})
	if err != nil {
		t.Fatal(err)
	}
	if reps["a"].Status != 200 || calls.Load() != 2 {
		t.Fatalf("status %d after %d calls, want 200 after 2", reps["a"].Status, calls.Load())
	}
	if len(clk.waits) != 1 || clk.waits[0] != 42*time.Second {
		t.Fatalf("waits %v, want [42s] until the Retry-After date", clk.waits)
	}

	var n atomic.Int32
	one := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", clk.Now().Add(17*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer one.Close()
	clk2 := &instantClock{}
	if err := New(one.URL, one.Client(), token, WithClock(clk2)).Get(context.Background(), "/me", nil); err != nil {
		t.Fatal(err)
	}
	if len(clk2.waits) != 1 || clk2.waits[0] != 17*time.Second {
		t.Fatalf("waits %v, want [17s] until the Retry-After date", clk2.waits)
	}
	// A date in the past means "now": no wait longer than zero.
	if d := New("https://x", nil, token, WithClock(clk)).retryDelay(clk.Now().Add(-time.Hour).UTC().Format(http.TimeFormat), 3); d != 0 {
		t.Fatalf("past date: wait %s, want 0", d)
	}
}

// Several sub-requests throttled in one reply are retried together after the
// longest Retry-After, whatever their order.
func TestBatchWaitsForTheLongestRetryAfter(t *testing.T) {
	clk := &instantClock{}
	after := map[string]string{"a": "5", "b": "30", "c": "2", "d": ""}
	srv, calls := batchServer(t, 10, func(n int32, id string) Response {
		if n == 1 && id != "e" {
			return throttled(id, after[id])
		}
		return ok(id)
	})
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	reps, err := c.Batch(context.Background(), []Request{
		{ID: "a", Method: "GET", URL: "/a"}, {ID: "b", Method: "GET", URL: "/b"}, {ID: "c", Method: "GET", URL: "/c"},
		{ID: "d", Method: "GET", URL: "/d"}, {ID: "e", Method: "GET", URL: "/e"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, r := range reps {
		if r.Status != 200 {
			t.Errorf("%s: %d", id, r.Status)
		}
	}
	if len(reps) != 5 || calls.Load() != 2 {
		t.Fatalf("%d replies after %d calls, want 5 after 2", len(reps), calls.Load())
	}
	if len(clk.waits) != 1 || clk.waits[0] != 30*time.Second {
		t.Fatalf("waits %v, want one wait of 30s (the longest Retry-After)", clk.waits)
	}
}

// A sub-request that stays throttled is retried exactly maxRetries times, then
// reported with its error; the other sub-requests are unaffected.
func TestBatchSubRequestRetriesAreBounded(t *testing.T) {
	for _, max := range []int{0, 1, 3, DefaultMaxRetries} {
		clk := &instantClock{}
		srv, calls := batchServer(t, 50, func(n int32, id string) Response {
			if id == "stuck" {
				return throttled(id, "1")
			}
			return ok(id)
		})
		opts := []Option{WithClock(clk)}
		if max != DefaultMaxRetries {
			opts = append(opts, WithMaxRetries(max))
		}
		c := New(srv.URL, srv.Client(), token, opts...)
		reps, err := c.Batch(context.Background(), []Request{{ID: "fine", Method: "GET", URL: "/f"}, {ID: "stuck", Method: "GET", URL: "/s"}})
		if err != nil {
			t.Fatalf("max %d: %v after %d calls", max, err, calls.Load())
		}
		if got := calls.Load(); got != int32(max+1) || c.Requests() != int64(max+1) {
			t.Fatalf("max %d: %d $batch calls (%d counted), want %d", max, got, c.Requests(), max+1)
		}
		if len(clk.waits) != max {
			t.Fatalf("max %d: waits %v, want %d", max, clk.waits, max)
		}
		s := reps["stuck"]
		if s == nil || s.Status != http.StatusTooManyRequests || s.Err == nil || s.Err.Code != "TooManyRequests" || reps["fine"].Status != 200 {
			t.Fatalf("max %d: replies %+v %+v", max, reps["fine"], s)
		}
	}
}

// blockingClock never fires; it reports each wait on waiting.
type blockingClock struct{ waiting chan time.Duration }

func (blockingClock) Now() time.Time { return time.Unix(1_700_000_000, 0) }
func (c blockingClock) After(d time.Duration) <-chan time.Time {
	c.waiting <- d
	return make(chan time.Time)
}

// Cancelling the context ends a retry wait at once, with the context's error.
// (Synchronised on the wait starting; no sleeps, no elapsed-time bound.)
func TestContextCancelEndsRetryWait(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "100")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	clk := blockingClock{waiting: make(chan time.Duration, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	done := make(chan error, 1)
	go func() { done <- c.Get(ctx, "/me", nil) }()
	if d := <-clk.waiting; d != 100*time.Second {
		t.Fatalf("waiting %s, want 100s", d)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if c.Requests() != 1 {
		t.Fatalf("%d requests, want 1 (no retry after cancel)", c.Requests())
	}
}

// Requests go in $batch calls of at most MaxBatch: exactly MaxBatch is one call,
// one more is two.
func TestBatchChunksAtMaxBatch(t *testing.T) {
	for n, calls := range map[int]int32{1: 1, MaxBatch: 1, MaxBatch + 1: 2, 2 * MaxBatch: 2} {
		srv, got := batchServer(t, 10, func(_ int32, id string) Response { return ok(id) })
		var reqs []Request
		for i := range n {
			reqs = append(reqs, Request{ID: "r" + strconv.Itoa(i), Method: "GET", URL: "/x"})
		}
		reps, err := New(srv.URL, srv.Client(), token, WithClock(&instantClock{})).Batch(context.Background(), reqs)
		if err != nil || len(reps) != n || got.Load() != calls {
			t.Errorf("%d requests: %d replies, %d $batch calls (err %v), want %d and %d", n, len(reps), got.Load(), err, n, calls)
		}
	}
}

// A server whose nextLinks never end is left after maxPages pages, with an error.
func TestBatchAllStopsEndlessPaging(t *testing.T) {
	var srvURL string
	srv, calls := batchServer(t, maxPages+10, func(n int32, id string) Response {
		return Response{ID: id, Status: 200, Body: json.RawMessage(`{"value":[1],"@odata.nextLink":"` + srvURL + `/v1.0/loop?n=` + strconv.Itoa(int(n)) + `"}`)}
	})
	srvURL = srv.URL
	_, err := New(srv.URL, srv.Client(), token, WithClock(&instantClock{})).BatchAll(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/loop"}})
	if err == nil || !strings.Contains(err.Error(), "more than 1000 pages") || calls.Load() != maxPages+1 {
		t.Fatalf("err %v after %d calls, want the page limit after %d", err, calls.Load(), maxPages+1)
	}
}

// Only 2xx sub-responses are successes: 199 and 300 carry an error.
func TestBatchSubResponseStatusEdges(t *testing.T) {
	status := map[string]int{"a": 199, "b": 200, "c": 299, "d": 300}
	srv, _ := batchServer(t, 10, func(_ int32, id string) Response {
		return Response{ID: id, Status: status[id], Body: json.RawMessage(`{}`)}
	})
	var reqs []Request
	for _, id := range []string{"a", "b", "c", "d"} {
		reqs = append(reqs, Request{ID: id, Method: "GET", URL: "/" + id})
	}
	reps, err := New(srv.URL, srv.Client(), token, WithClock(&instantClock{})).Batch(context.Background(), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for id, wantErr := range map[string]bool{"a": true, "b": false, "c": false, "d": true} {
		if (reps[id].Err != nil) != wantErr {
			t.Errorf("status %d: error %v, want error %v", status[id], reps[id].Err, wantErr)
		}
	}
}
