package emulator

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestUnavailableRateIsSeeded: about the asked share of Graph operations get 503,
// and the same seed gives the same sequence.
func TestUnavailableRateIsSeeded(t *testing.T) {
	seq := func(seed uint64) []int {
		srv := startServer(t, Options{Scenario: "consented", Faults: Faults{UnavailableRate: 0.3, Seed: seed}})
		tok := tokenFor(srv, "admin@contosodemo.onmicrosoft.com")
		var out []int
		for range 60 {
			code, _, _ := graphDo(t, srv, tok, http.MethodGet, "organization", nil)
			out = append(out, code)
		}
		return out
	}
	a, b, c := seq(7), seq(7), seq(8)
	n503 := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different answers at %d: %d vs %d", i, a[i], b[i])
		}
		if a[i] == http.StatusServiceUnavailable {
			n503++
		} else if a[i] != http.StatusOK {
			t.Fatalf("answer %d", a[i])
		}
	}
	if n503 < 8 || n503 > 30 {
		t.Errorf("%d of 60 answered 503 at rate 0.3", n503)
	}
	if equalInts(a, c) {
		t.Errorf("seeds 7 and 8 gave the same sequence")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestHangNeverAnswersUntilClose: with Hang, a Graph request is accepted and left
// unanswered; the client's deadline ends it, and Close releases a pending one.
func TestHangNeverAnswersUntilClose(t *testing.T) {
	srv, err := Start(Options{Scenario: "consented", Faults: Faults{Hang: true}})
	if err != nil {
		t.Fatal(err)
	}
	tok := tokenFor(srv, "admin@contosodemo.onmicrosoft.com")
	get := func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.GraphURL()+"/v1.0/organization", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.HTTPClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := get(ctx); err == nil || time.Since(start) < 250*time.Millisecond {
		t.Fatalf("answered after %s: %v", time.Since(start), err)
	}
	done := make(chan error, 1)
	go func() { done <- get(context.Background()) }()
	time.Sleep(100 * time.Millisecond)
	closed := time.Now()
	_ = srv.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close left a hanging request pending")
	}
	if d := time.Since(closed); d > 3*time.Second {
		t.Errorf("Close took %s", d)
	}
	if n := srv.GraphRequests(); n != 2 {
		t.Errorf("%d Graph requests counted, want 2", n)
	}
}
