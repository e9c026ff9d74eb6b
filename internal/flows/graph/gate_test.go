package graph

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// The gate stays closed for the longest Retry-After reported, not the latest.
func TestGateHonoursLongestRetryAfter(t *testing.T) {
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	g := NewGate(clk)
	if err := g.Wait(context.Background()); err != nil || len(clk.Waits()) != 0 {
		t.Fatalf("an open gate waited: %v %v", err, clk.Waits())
	}
	g.Throttled(3 * time.Second)
	g.Throttled(time.Second)
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(clk.Waits()) != 1 || clk.Waits()[0] != 3*time.Second || g.Throttles() != 2 {
		t.Fatalf("waits %v throttles %d", clk.Waits(), g.Throttles())
	}
	g.Throttled(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait: %v", err)
	}
}

// A 429 to one client holds back another client sharing the gate: B's request is
// sent only after A's Retry-After has passed.
func TestGateHoldsBackOtherClients(t *testing.T) {
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	var mu sync.Mutex
	var seen []time.Time // clock time of each request the server gets
	first := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, clk.Now())
		throttle := first
		first = false
		mu.Unlock()
		if throttle {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{"id":"x"}`))
	}))
	defer srv.Close()
	g := NewGate(clk)
	a := New(srv.URL, srv.Client(), token, WithClock(clk), WithGate(g), WithMaxRetries(0))
	b := New(srv.URL, srv.Client(), token, WithClock(clk), WithGate(g))
	start := clk.Now()
	if err := a.Get(context.Background(), "/x", nil); err == nil {
		t.Fatal("A's 429 was not an error without retries")
	}
	if err := b.Get(context.Background(), "/x", nil); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[1].Sub(start) < 3*time.Second || len(clk.Waits()) != 1 || clk.Waits()[0] != 3*time.Second {
		t.Fatalf("B sent at +%s; waits %v", seen[len(seen)-1].Sub(start), clk.Waits())
	}
}
