package flows

import (
	"context"
	"fmt"
	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/d365consent/d365consent/internal/explain"
)

func get(t *testing.T, host, target string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", target, nil)
	if host != "" {
		req.Host = host
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestLoopbackListener(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx := context.Background()
	l, err := ListenLoopback(ctx, "127.0.0.1:0", "/cb", "the-state")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := l.RedirectURI()
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/cb") {
		t.Fatalf("redirect uri %q", base)
	}
	// Wrong state: rejected, and the wait goes on.
	if code := get(t, "", base+"?admin_consent=True&state=nope"); code != 400 {
		t.Fatalf("wrong state: %d", code)
	}
	// Another Host header (DNS rebinding): refused.
	if code := get(t, "evil.example:80", base+"?admin_consent=True&state=the-state"); code != http.StatusMisdirectedRequest {
		t.Fatalf("wrong host: %d", code)
	}
	select {
	case r := <-l.Result():
		t.Fatalf("a rejected request produced a result %+v", r)
	default:
	}
	if code := get(t, "", base+"?admin_consent=True&tenant=tid&state=the-state"); code != 200 {
		t.Fatalf("good callback: %d", code)
	}
	select {
	case r := <-l.Result():
		if !r.AdminConsent || r.Tenant != "tid" || r.Err != nil {
			t.Fatalf("result %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no result")
	}
	// Single use.
	if code := get(t, "", base+"?admin_consent=True&state=the-state"); code != http.StatusGone {
		t.Fatalf("second callback: %d", code)
	}
}

func TestLoopbackErrorRedirect(t *testing.T) {
	defer goleak.VerifyNone(t)
	l, err := ListenLoopback(context.Background(), "localhost:0", "", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u := l.RedirectURI() + "?error=access_denied&error_subcode=cancel&state=s&error_description=" + url.QueryEscape("AADSTS65004: User declined to consent")
	if !strings.HasPrefix(u, "http://localhost:") {
		t.Fatalf("%s", u)
	}
	port := l.Addr()[strings.LastIndexByte(l.Addr(), ':')+1:]
	if code := get(t, "localhost:"+port, strings.Replace(u, "localhost", "127.0.0.1", 1)); code != 200 {
		t.Fatalf("status %d", code)
	}
	r := <-l.Result()
	if r.AdminConsent || r.Err == nil || explain.Explain(r.Err).Code != 65004 {
		t.Fatalf("%+v", r)
	}
}

func TestLoopbackRefusesNonLoopbackBind(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		if l, err := ListenLoopback(context.Background(), addr, "/", "s"); err == nil {
			l.Close()
			t.Errorf("%s: bound", addr)
		}
	}
}

func TestLoopbackCancelFreesPort(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	l, err := ListenLoopback(ctx, "127.0.0.1:0", "/", "s")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr()
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("port %s still taken after cancel: %v", addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.Close() // idempotent after cancel
	_ = fmt.Sprint()
}

// The loopback listener bounds how long a client may take to send its headers (a
// local process holding connections open cannot pin the listener).
func TestLoopbackReadHeaderTimeout(t *testing.T) {
	l, err := ListenLoopback(context.Background(), "127.0.0.1:0", "/cb", "state")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.srv.ReadHeaderTimeout != 10*time.Second {
		t.Fatalf("ReadHeaderTimeout %s, want 10s", l.srv.ReadHeaderTimeout)
	}
}

// The page the browser lands on says whether consent came back granted or refused.
func TestLoopbackPageSaysWhatCameBack(t *testing.T) {
	for query, want := range map[string]string{
		"admin_consent=True&state=s":                  "<h1>Consent received</h1>",
		"error=access_denied&state=s&error_subcode=x": "<h1>Consent was not granted</h1>",
	} {
		l, err := ListenLoopback(context.Background(), "127.0.0.1:0", "/cb", "s")
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(l.RedirectURI() + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		l.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("%s: HTTP %d %s, want %q", query, resp.StatusCode, body, want)
		}
	}
}

// The browser's redirect is where the consent result enters: every parameter comes
// out of the listener display-safe (the hostile scenario's text in each), and
// explain still reads the AADSTS code from the description as it came.
func TestLoopbackRedirectIsDisplaySafe(t *testing.T) {
	defer goleak.VerifyNone(t)
	l, err := ListenLoopback(context.Background(), "127.0.0.1:0", "/cb", "s")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := url.Values{"state": {"s"}, "tenant": {"Contoso " + emulator.HostileText}, "error": {"access_denied" + emulator.HostileText},
		"error_subcode": {"cancel" + emulator.HostileText}, "error_description": {"AADSTS65004: declined " + emulator.HostileText + "\r\nTrace ID: x"}}
	if code := get(t, "", l.RedirectURI()+"?"+q.Encode()); code != 200 {
		t.Fatalf("status %d", code)
	}
	r := <-l.Result()
	if r.Err == nil {
		t.Fatalf("%+v", r)
	}
	for what, s := range map[string]string{"tenant": r.Tenant, "error": r.Err.ErrorCode, "subcode": r.Err.Subcode} {
		testkit.CheckInert(t, what, s)
		testkit.CheckNoControls(t, s, false)
	}
	for what, s := range map[string]string{"description": r.Err.Description, "error text": r.Err.Error()} {
		testkit.CheckInert(t, what, s)
		testkit.CheckNoControls(t, s, true) // Entra ID's description keeps its lines
	}
	if r.Err.ErrorCode != "access_deniedclickevil" || r.Err.Description != "AADSTS65004: declined clickevil \nTrace ID: x" {
		t.Errorf("error %q, description %q", r.Err.ErrorCode, r.Err.Description)
	}
	if x := explain.Explain(r.Err); x == nil || x.Code != 65004 {
		t.Fatalf("Explain = %+v", x)
	}
}
