package flows_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// faultOnce fails the first request that matches each rule: a reset for the OpenID
// discovery GET, a 503 for the first device-code poll.
type faultOnce struct {
	next http.RoundTripper
	mu   sync.Mutex
	done map[string]bool
}

func (f *faultOnce) RoundTrip(req *http.Request) (*http.Response, error) {
	rule := ""
	switch {
	case strings.HasSuffix(req.URL.Path, "/.well-known/openid-configuration"):
		rule = "discovery"
	case strings.HasSuffix(req.URL.Path, "/oauth2/v2.0/token") && req.Body != nil:
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(b))
		if strings.Contains(string(b), "device_code") {
			rule = "poll"
		}
	}
	f.mu.Lock()
	first := rule != "" && !f.done[rule]
	if first {
		f.done[rule] = true
	}
	f.mu.Unlock()
	switch {
	case first && rule == "discovery":
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case first && rule == "poll":
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"text/plain"}},
			Body: io.NopCloser(strings.NewReader("Service Unavailable")), Request: req}, nil
	}
	return f.next.RoundTrip(req)
}

// Sign-in survives a reset of the OpenID discovery and a 503 on a device-code poll:
// both are safe to send again, and the HTTP client MSAL is given does.
func TestSignInRetriesDiscoveryAndDeviceCodePolls(t *testing.T) {
	faults := &faultOnce{done: map[string]bool{}}
	_, s, _ := openSession(t, emulator.Options{Scenario: "consented"}, nil, func(c *flows.Config) {
		c.DeviceCode = true
		faults.next = c.HTTPClient.Transport
		c.HTTPClient = &http.Client{Transport: faults}
	})
	if _, err := s.SignIn(context.Background(), nil); err != nil {
		t.Fatalf("sign-in failed on a transient fault: %v", err)
	}
	if !faults.done["discovery"] || !faults.done["poll"] {
		t.Fatalf("faults injected %v: the test did not exercise both", faults.done)
	}
}
