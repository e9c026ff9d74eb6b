package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A $batch of reads whose connection is reset, or whose reply is cut short, is sent
// again (bounded); a $batch that writes is not: repeating it could write twice.
func TestBatchOfReadsIsResentAfterAResetOrACutReply(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1: // reset: the connection closes without a reply
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		case 2: // cut: fewer bytes than announced
			w.Header().Set("Content-Length", "500")
			fmt.Fprint(w, `{"responses":[{"id":"1","status":200,`)
		default:
			fmt.Fprint(w, `{"responses":[{"id":"1","status":200,"body":{"id":"me"}}]}`)
		}
	}))
	defer srv.Close()
	clk := &instantClock{}
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	reps, err := c.Batch(context.Background(), []Request{{ID: "1", Method: http.MethodGet, URL: "/me"}})
	if err != nil || reps["1"] == nil || reps["1"].Status != 200 || calls.Load() != 3 || len(clk.waits) != 2 {
		t.Fatalf("reads: %v after %d calls and %d waits", err, calls.Load(), len(clk.waits))
	}
	// Bounded: a connection that always breaks ends after the retries.
	calls.Store(-1000)
	always := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer always.Close()
	c = New(always.URL, always.Client(), token, WithClock(&instantClock{}))
	if _, err := c.Batch(context.Background(), []Request{{ID: "1", Method: http.MethodGet, URL: "/me"}}); err == nil || c.Requests() != int64(1+MaxResends) {
		t.Fatalf("always reset: %v after %d requests, want an error after %d", err, c.Requests(), 1+MaxResends)
	}
	// A write is never repeated.
	c = New(always.URL, always.Client(), token, WithClock(&instantClock{}))
	if _, err := c.Batch(context.Background(), []Request{{ID: "1", Method: http.MethodPost, URL: "/things"}}); err == nil || c.Requests() != 1 {
		t.Fatalf("write: %v after %d requests, want an error after 1", err, c.Requests())
	}
}
