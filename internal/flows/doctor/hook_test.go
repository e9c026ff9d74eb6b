package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
)

// TestDiagnose: a real client failure (Go refusing an inspection CA's chain) is
// classified TLS and the doctor names the CA, as the wizard and verify show it.
func TestDiagnose(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	contoso := newCA(t, "Contoso TLS Inspection CA", "Contoso Ltd")
	srv := startFakeHost(t, fakeHostOpts{cert: contoso.leaf(t, "login.doctor.test")})
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
	cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")

	// What the sign-in's HTTP client sees.
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool(public)},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, srv.Listener.Addr().String())
		},
	}}
	defer client.CloseIdleConnections()
	_, err := client.Get(login + "/organizations/v2.0/.well-known/openid-configuration")
	if err == nil {
		t.Fatal("the inspection chain was trusted")
	}
	wrapped := fmt.Errorf("signing in: server response error:\n %w", err)
	if c := Classify(wrapped); c != TLS {
		t.Fatalf("class %q for %v", c, err)
	}
	d := Diagnose(context.Background(), cfg, wrapped)
	if d == nil || !d.Found || d.Verdict != "TLS inspection by 'Contoso TLS Inspection CA' detected" ||
		d.Fix != "Ask the network team to exempt login.doctor.test from TLS inspection, or for the 'Contoso TLS Inspection CA' root certificate to add to this machine's trust store." {
		t.Fatalf("%+v", d)
	}
	for _, c := range d.Report.Checks {
		if c.Group != "network" && c.Group != "clock" {
			t.Errorf("diagnosis ran %s", c.ID)
		}
	}

	// Flattened to text (MSAL in places), still TLS.
	if c := Classify(errors.New(wrapped.Error())); c != TLS {
		t.Errorf("text class %q", c)
	}
	// Healthy now: said so.
	ok := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test")})
	login = "https://login.doctor.test:" + portOf(ok.Listener.Addr().String())
	d = Diagnose(context.Background(), testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root"), wrapped)
	if d == nil || d.Found || d.Verdict != "no network, TLS or clock problem found now (DNS, connect, TLS, HTTP and clock all pass)" {
		t.Errorf("%+v", d)
	}
	// Clock: a clock-class error picks the clock verdict.
	skewed := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test"), dateShift: -8 * time.Minute})
	login = "https://login.doctor.test:" + portOf(skewed.Listener.Addr().String())
	d = Diagnose(context.Background(), testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root"),
		errors.New(`token: {"error":"invalid_client","error_description":"AADSTS700024: Client assertion is not within its valid time range.","error_codes":[700024]}`))
	if d == nil || d.Verdict != "clock is 8 min off" {
		t.Errorf("%+v", d)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Class
	}{
		{nil, None},
		{context.Canceled, None},
		{errors.New(`{"error":"invalid_grant","error_description":"AADSTS50076: MFA required.","error_codes":[50076]}`), None},
		{&net.DNSError{Err: "no such host", Name: "login.microsoftonline.com", IsNotFound: true}, Network},
		{fmt.Errorf("x: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}), Network},
		{errors.New(`Post "https://login.microsoftonline.com/organizations/oauth2/v2.0/token": proxyconnect tcp: dial tcp 10.0.0.1:8080: connect: connection refused`), Network},
		{&flows.TimeoutError{Awaited: flows.AwaitGraph}, Network},
		{&flows.TimeoutError{Awaited: flows.AwaitSignIn}, None},
		{errors.New("tls: failed to verify certificate: x509: certificate has expired or is not yet valid: current time …"), Clock},
		{errors.New("boom"), None},
	} {
		if got := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
