package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// A token is never sent to another host: an @odata.nextLink to another host over
// the same scheme (https, as Graph itself) is refused, by every call that pages
// (GetAll, and BatchAll's next pages), and that host gets no request at all.
func TestNextLinkToAnotherHTTPSHostIsRefused(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		fmt.Fprint(w, `{"value":[]}`)
	}))
	defer other.Close()
	link := other.URL + "/v1.0/items?page=1" // https, another host:port
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.0/$batch" {
			var b struct{ Requests []struct{ ID string } }
			_ = json.NewDecoder(r.Body).Decode(&b)
			var reps []string
			for _, rq := range b.Requests {
				reps = append(reps, fmt.Sprintf(`{"id":%q,"status":200,"body":{"value":[1],"@odata.nextLink":%q}}`, rq.ID, link))
			}
			fmt.Fprintf(w, `{"responses":[%s]}`, strings.Join(reps, ","))
			return
		}
		fmt.Fprintf(w, `{"value":[1],"@odata.nextLink":%q}`, link)
	}))
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "https://") || !strings.HasPrefix(other.URL, "https://") {
		t.Fatal("both servers must speak https")
	}
	// httptest's TLS servers share one certificate: this client would reach either.
	c := New(srv.URL, srv.Client(), token)
	if _, err := c.GetAll(context.Background(), "/items"); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Errorf("GetAll followed %s: %v", link, err)
	}
	if _, err := c.BatchAll(context.Background(), []Request{{ID: "a", Method: http.MethodGet, URL: "/items"}}); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Errorf("BatchAll followed %s: %v", link, err)
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the other host got %d requests (and the token)", n)
	}
}
