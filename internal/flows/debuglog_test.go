package flows

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const fakeJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"

func TestDebugLoggerRedacts(t *testing.T) {
	var b bytes.Buffer
	log := NewDebugLogger(&b).With("access_token", "opaque-secret-1")
	log.Info("got "+fakeJWT, "refresh_token", "opaque-secret-2", "Authorization", "Bearer opaque-secret-3",
		"url", "https://login.example/token?code=opaque-secret-4&client_id=abc", "note", "header Bearer opaque-secret-5",
		slog.Group("g", "id_token", "opaque-secret-6", "x", fakeJWT), "requestId", "rid-123")
	out := b.String()
	for _, s := range []string{"opaque-secret", fakeJWT, "eyJ"} {
		if strings.Contains(out, s) {
			t.Errorf("log has %q: %s", s, out)
		}
	}
	for _, s := range []string{"rid-123", "client_id=abc", "got [REDACTED]"} {
		if !strings.Contains(out, s) {
			t.Errorf("log lost %q: %s", s, out)
		}
	}
}

func TestDebugTransportLogsIDsNotSecrets(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("request-id", "req-42")
		w.Header().Set("Set-Cookie", "session=opaque-secret-7")
		w.Write([]byte(`{"access_token":"` + fakeJWT + `"}`))
	}))
	defer srv.Close()
	var b bytes.Buffer
	c := &http.Client{Transport: DebugTransport(nil, NewDebugLogger(&b))}
	req, _ := http.NewRequest("GET", srv.URL+"/v1.0/me?code=opaque-secret-8&$select=id", nil)
	req.Header.Set("Authorization", "Bearer "+fakeJWT)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	out := b.String()
	if strings.Contains(out, "opaque-secret") || strings.Contains(out, "eyJ") {
		t.Fatalf("secret logged: %s", out)
	}
	if !strings.Contains(out, "req-42") || !strings.Contains(out, `"status":200`) || !strings.Contains(out, "/v1.0/me") {
		t.Fatalf("ids not logged: %s", out)
	}
}
