package graph

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The text of a Graph error, and where its ids come from: the body's innerError first, headers for what it lacks, request-id from the
// header always; a body that is not Graph's error JSON becomes the message, cut at 200
// bytes.
func TestErrorTextAndIDs(t *testing.T) {
	for _, tc := range []struct {
		e    *Error
		want string
	}{
		{&Error{Method: "GET", Path: "/x", Status: 404, Code: "NotFound", Message: "gone", RequestID: "r1"}, "Microsoft Graph GET /x: HTTP 404 NotFound: gone (request-id r1)"},
		{&Error{Method: "GET", Path: "/x", Status: 500}, "Microsoft Graph GET /x: HTTP 500"},
		{&Error{Method: "POST", Path: "/$batch", Status: 503, Message: "busy"}, "Microsoft Graph POST /$batch: HTTP 503: busy"},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
	hdr := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	headers := hdr(map[string]string{"request-id": "h-req", "client-request-id": "h-client", "Date": "h-date"})

	e := newError("GET", "/p", 403, headers, []byte(`{"error":{"code":"Forbidden","message":"no","innerError":{"request-id":"b-req","client-request-id":"b-client","date":"b-date"}}}`))
	if e.Code != "Forbidden" || e.Message != "no" || e.RequestID != "h-req" || e.ClientRequestID != "b-client" || e.Date != "b-date" {
		t.Errorf("body with ids: %+v", e)
	}
	e = newError("GET", "/p", 403, headers, []byte(`{"error":{"code":"Forbidden"}}`))
	if e.Code != "Forbidden" || e.Message != "" || e.RequestID != "h-req" || e.ClientRequestID != "h-client" || e.Date != "h-date" {
		t.Errorf("body without ids: %+v", e)
	}
	e = newError("GET", "/p", 403, hdr(nil), []byte(`{"error":{"message":"only a message"}}`))
	if e.Code != "" || e.Message != "only a message" || e.RequestID != "" || e.ClientRequestID != "" || e.Date != "" {
		t.Errorf("message only, no headers: %+v", e)
	}
	long := strings.Repeat("x", 201)
	if e := newError("GET", "/p", 502, hdr(nil), []byte("  "+long[:198])); e.Message != long[:198] {
		t.Errorf("short plain body: message %q", e.Message)
	}
	if e := newError("GET", "/p", 502, hdr(nil), []byte(long)); e.Message != long[:200] {
		t.Errorf("long plain body: message of %d bytes, want 200", len(e.Message))
	}
	if got := truncate([]byte(long[:200]), 200); len(got) != 200 {
		t.Errorf("truncate at exactly the limit: %d bytes", len(got))
	}
}

// A nil *http.Client means http.DefaultClient.
func TestNilHTTPClientIsDefault(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"id":"me"}`) }))
	defer srv.Close()
	var v struct {
		ID string `json:"id"`
	}
	if err := New(srv.URL, nil, token).Get(context.Background(), "/me", &v); err != nil || v.ID != "me" {
		t.Fatalf("%v %+v", err, v)
	}
}
