package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// instantClock records every wait and returns at once.
type instantClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *instantClock) Now() time.Time { return time.Unix(1_700_000_000, 0) }
func (c *instantClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.waits = append(c.waits, d)
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

func token(context.Context) (string, error) { return "tok", nil }

func TestBatchRetriesThrottledSubRequestAfterRetryAfter(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1.0/$batch" || r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
		var body batchBody
		_ = json.NewDecoder(r.Body).Decode(&body)
		n := calls.Add(1)
		var out batchReply
		for _, rq := range body.Requests {
			if rq.ID == "b" && n == 1 {
				out.Responses = append(out.Responses, Response{ID: "b", Status: 429, Headers: map[string]string{"Retry-After": "7"},
					Body: json.RawMessage(`{"error":{"code":"TooManyRequests","message":"slow down"}}`)})
				continue
			}
			out.Responses = append(out.Responses, Response{ID: rq.ID, Status: 200, Body: json.RawMessage(`{"id":"` + rq.ID + `"}`)})
		}
		if n == 2 && len(body.Requests) != 1 {
			t.Errorf("retry resent %d requests, want only the throttled one", len(body.Requests))
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	reps, err := c.Batch(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/a"}, {ID: "b", Method: "GET", URL: "/b"}})
	if err != nil {
		t.Fatal(err)
	}
	if reps["a"].Status != 200 || reps["b"].Status != 200 {
		t.Fatalf("statuses a=%d b=%d", reps["a"].Status, reps["b"].Status)
	}
	if len(clk.waits) != 1 || clk.waits[0] != 7*time.Second {
		t.Fatalf("waits %v, want [7s] from Retry-After", clk.waits)
	}
	if c.Requests() != 2 {
		t.Fatalf("requests = %d, want 2", c.Requests())
	}
}

func TestRetryIsBoundedWithJitteredBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "req-503")
		w.WriteHeader(503)
		io.WriteString(w, `{"error":{"code":"serviceNotAvailable","message":"down"}}`)
	}))
	defer srv.Close()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk), WithMaxRetries(3))
	err := c.Get(context.Background(), "/me", nil)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 503 || ge.RequestID != "req-503" || ge.Code != "serviceNotAvailable" {
		t.Fatalf("err = %#v", err)
	}
	if c.Requests() != 4 || len(clk.waits) != 3 {
		t.Fatalf("requests %d waits %v, want 4 requests and 3 waits", c.Requests(), clk.waits)
	}
	for i, w := range clk.waits {
		base := time.Second << i
		if w < base/2 || w >= base {
			t.Errorf("wait %d = %s, want in [%s, %s)", i, w, base/2, base)
		}
	}
}

func TestRetryAfterIsCapped(t *testing.T) {
	c := New("https://x", nil, token, WithClock(&instantClock{}))
	if d := c.retryDelay("86400", 0); d != MaxRetryAfter {
		t.Fatalf("delay %s, want cap %s", d, MaxRetryAfter)
	}
}

func TestBatchAllFollowsNextLinksWhole(t *testing.T) {
	var srvURL string
	var batches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		batches.Add(1)
		var body batchBody
		_ = json.NewDecoder(r.Body).Decode(&body)
		var out batchReply
		for _, rq := range body.Requests {
			page := 0
			if i := strings.Index(rq.URL, "page="); i >= 0 {
				fmt.Sscanf(rq.URL[i+5:], "%d", &page)
			}
			items := fmt.Sprintf(`[{"n":%d},{"n":%d}]`, 2*page, 2*page+1)
			next := ""
			if page < 2 {
				next = fmt.Sprintf(`,"@odata.nextLink":"%s/v1.0/items?page=%d"`, srvURL, page+1)
			}
			out.Responses = append(out.Responses, Response{ID: rq.ID, Status: 200, Body: json.RawMessage(`{"value":` + items + next + `}`)})
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	srvURL = srv.URL
	c := New(srv.URL, srv.Client(), token)
	reps, err := c.BatchAll(context.Background(), []Request{{ID: "x", Method: "GET", URL: "/items"}, {ID: "y", Method: "GET", URL: "/items"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"x", "y"} {
		if n := len(reps[id].Value); n != 6 {
			t.Errorf("%s: %d items, want 6", id, n)
		}
	}
	if batches.Load() != 3 {
		t.Fatalf("%d round trips, want 3 (one per page depth)", batches.Load())
	}
}

func TestNextLinkToAnotherHostRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"value":[1],"@odata.nextLink":"https://evil.example/v1.0/x"}`)
	}))
	defer srv.Close()
	c := New(srv.URL, srv.Client(), token)
	if _, err := c.GetAll(context.Background(), "/x"); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("err = %v", err)
	}
}

func TestSubRequestErrorCarriesRequestID(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"responses":[{"id":"1","status":404,"headers":{"request-id":"rid-1"},"body":{"error":{"code":"Request_ResourceNotFound","message":"gone","innerError":{"date":"2025-01-01T00:00:00","request-id":"rid-1","client-request-id":"c-1"}}}}]}`)
	}))
	defer srv.Close()
	c := New(srv.URL, srv.Client(), token)
	reps, err := c.Batch(context.Background(), []Request{{ID: "1", Method: "GET", URL: "/servicePrincipals(appId='x')"}})
	if err != nil {
		t.Fatal(err)
	}
	e := reps["1"].Err
	if e == nil || e.RequestID != "rid-1" || e.ClientRequestID != "c-1" || !IsNotFound(e) || !strings.Contains(e.Error(), "rid-1") {
		t.Fatalf("err = %+v", e)
	}
}
