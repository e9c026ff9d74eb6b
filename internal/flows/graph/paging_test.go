package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// pagedServer serves /v1.0/items as pages of one item each: page n links to page n+1
// until last (0: never ends). It counts the GETs; past maxPages+5 it answers 400, so a
// client that pages for ever fails the test instead of hanging it.
func pagedServer(t *testing.T, last int) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var gets atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gets.Add(1) > maxPages+5 {
			http.Error(w, `{"error":{"code":"tooMany","message":"test limit"}}`, http.StatusBadRequest)
			return
		}
		if r.URL.Path != "/v1.0/items" || r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
		n, _ := strconv.Atoi(r.URL.Query().Get("page"))
		next := ""
		if last == 0 || n < last {
			next = fmt.Sprintf(`,"@odata.nextLink":"%s/v1.0/items?page=%d"`, srv.URL, n+1)
		}
		fmt.Fprintf(w, `{"value":[{"n":%d}]%s}`, n, next)
	}))
	t.Cleanup(srv.Close)
	return srv, &gets
}

// GetAll follows every nextLink and returns the items of all pages, in order.
func TestGetAllFollowsNextLinks(t *testing.T) {
	srv, gets := pagedServer(t, 3)
	c := New(srv.URL, srv.Client(), token)
	items, err := c.GetAll(context.Background(), "/items?page=0")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, string(it))
	}
	if want := `{"n":0} {"n":1} {"n":2} {"n":3}`; strings.Join(got, " ") != want || gets.Load() != 4 || c.Requests() != 4 {
		t.Fatalf("items %q after %d GETs (%d requests), want %q after 4", got, gets.Load(), c.Requests(), want)
	}
}

// Endless nextLinks stop after exactly maxPages pages, with an error naming the path.
func TestGetAllStopsAtMaxPages(t *testing.T) {
	srv, gets := pagedServer(t, 0)
	c := New(srv.URL, srv.Client(), token)
	items, err := c.GetAll(context.Background(), "/items?page=0")
	want := fmt.Sprintf("Microsoft Graph GET /items?page=0: more than %d pages", maxPages)
	if err == nil || err.Error() != want || items != nil || gets.Load() != maxPages {
		t.Fatalf("GetAll = %d items, %v after %d GETs; want %q after %d", len(items), err, gets.Load(), want, maxPages)
	}
	// A collection of exactly maxPages pages is whole, not an error.
	srv2, gets2 := pagedServer(t, maxPages-1)
	items, err = New(srv2.URL, srv2.Client(), token).GetAll(context.Background(), "/items?page=0")
	if err != nil || len(items) != maxPages || gets2.Load() != maxPages {
		t.Fatalf("%d pages: %d items, %v after %d GETs", maxPages, len(items), err, gets2.Load())
	}
}

// A page Graph cannot serve ends GetAll with that page's error, and a page whose
// members differ from OData's only in case is refused (json.go).
func TestGetAllPageErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("page") {
		case "":
			fmt.Fprintf(w, `{"value":[1],"@odata.nextLink":"http://%s/v1.0/items?page=1"}`, r.Host)
		case "1":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":{"code":"Authorization_RequestDenied","message":"no"}}`)
		}
	}))
	defer srv.Close()
	_, err := New(srv.URL, srv.Client(), token).GetAll(context.Background(), "/items")
	if want := "Microsoft Graph GET /items?page=1: HTTP 403 Authorization_RequestDenied: no"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"Value":[1]}`)
	}))
	defer bad.Close()
	_, err = New(bad.URL, bad.Client(), token).GetAll(context.Background(), "/items")
	if want := `Microsoft Graph GET /items: decoding the reply: member "Value": JSON member names are case-sensitive`; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// In a $batch only a 429 closes the shared gate (once per 429, for its Retry-After);
// a 503 is retried but holds back no other client.
func TestBatchOnlyA429ClosesTheGate(t *testing.T) {
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	srv, calls := batchServer(t, 5, func(n int32, id string) Response {
		switch {
		case n == 1 && id == "a":
			return throttled("a", "4")
		case n == 1 && id == "b":
			r := throttled("b", "9")
			r.Status = http.StatusServiceUnavailable
			return r
		}
		return ok(id)
	})
	g := NewGate(clk)
	c := New(srv.URL, srv.Client(), token, WithClock(clk), WithGate(g))
	start := clk.Now()
	out, err := c.Batch(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/a"}, {ID: "b", Method: "GET", URL: "/b"}, {ID: "c", Method: "GET", URL: "/c"}})
	if err != nil {
		t.Fatal(err)
	}
	if g.Throttles() != 1 || calls.Load() != 2 || len(out) != 3 || out["a"].Status != 200 || out["b"].Status != 200 {
		t.Fatalf("throttles %d, calls %d, out %v", g.Throttles(), calls.Load(), out)
	}
	// The batch waited 9 s (the longest Retry-After); the gate was closed for 4 s only.
	if len(clk.Waits()) != 1 || clk.Waits()[0] != 9*time.Second {
		t.Fatalf("waits %v", clk.Waits())
	}
	g.mu.Lock()
	until := g.until
	g.mu.Unlock()
	if want := start.Add(4 * time.Second); !until.Equal(want) {
		t.Fatalf("gate closed until +%s, want +4s", until.Sub(start))
	}
	var body json.RawMessage = out["c"].Body
	if string(body) != `{"id":"c"}` {
		t.Fatalf("c body %s", body)
	}
}

// Without a gate a throttled sub-request is simply retried.
func TestBatchThrottledWithoutGate(t *testing.T) {
	clk := testkit.NewClock(time.Unix(1_700_000_000, 0))
	srv, calls := batchServer(t, 5, func(n int32, id string) Response {
		if n == 1 {
			return throttled(id, "2")
		}
		return ok(id)
	})
	c := New(srv.URL, srv.Client(), token, WithClock(clk))
	out, err := c.Batch(context.Background(), []Request{{ID: "a", Method: "GET", URL: "/a"}})
	if err != nil || calls.Load() != 2 || out["a"].Status != 200 || len(clk.Waits()) != 1 || clk.Waits()[0] != 2*time.Second {
		t.Fatalf("out %v err %v calls %d waits %v", out, err, calls.Load(), clk.Waits())
	}
}
