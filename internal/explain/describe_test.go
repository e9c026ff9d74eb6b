package explain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/testkit"
)

// Non-AADSTS failures in plain words: the errors come from real dials and real TLS
// handshakes, wrapped the way Graph and MSAL wrap them.
func TestDescribeNetworkErrors(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer tlsSrv.Close()
	_, tlsErr := http.Get(tlsSrv.URL) // the default client does not trust the test CA
	_, refusedErr := http.Get("http://" + testkit.ClosedPort(t) + "/")
	dnsErr := fmt.Errorf("server response error:\n %w", &net.DNSError{Err: "no such host", Name: "login.microsoftonline.com", IsNotFound: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, cancelErr := http.NewRequestWithContext(ctx, "GET", tlsSrv.URL, nil)
	req, _ := http.NewRequestWithContext(ctx, "GET", tlsSrv.URL, nil)
	_, cancelErr = tlsSrv.Client().Do(req)

	for _, tc := range []struct {
		name  string
		err   error
		title string
		says  []string
	}{
		{"dns", dnsErr, "Cannot find login.microsoftonline.com", []string{"DNS", "HTTPS_PROXY"}},
		{"refused", fmt.Errorf("Microsoft Graph POST /$batch: %w", refusedErr), "Connection refused", []string{"127.0.0.1", "HTTPS_PROXY"}},
		{"unknown authority", fmt.Errorf("signing in: %w", tlsErr), "Certificate not trusted", []string{"TLS-inspecting", "SSL_CERT_FILE", "HTTPS_PROXY"}},
		{"cancelled", fmt.Errorf("verifying grants: %w", cancelErr), "Cancelled", nil},
		{"403 on the grant lists", &graph.Error{Status: 403, Code: "Authorization_RequestDenied", Path: "/servicePrincipals(appId='x')/oauth2PermissionGrants"}, "Microsoft Graph refused to show this to your account", []string{"directory role", "not mean the permissions are missing"}},
		{"throttled", &graph.ThrottledError{Wait: 90 * time.Second, Status: 429, Cause: errors.New("no answer within --timeout 5s")}, "Microsoft Graph is throttling", []string{"1m30s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := Describe(tc.err)
			if x == nil {
				t.Fatalf("no explanation for %v", tc.err)
			}
			if x.Title != tc.title {
				t.Errorf("title %q, want %q (err %v)", x.Title, tc.title, tc.err)
			}
			all := x.Title + " " + x.Meaning + " " + x.Fix
			for _, s := range tc.says {
				if !strings.Contains(all, s) {
					t.Errorf("lacks %q: %s", s, all)
				}
			}
			for _, bad := range []string{"context canceled", "context deadline exceeded"} {
				if strings.Contains(all, bad) {
					t.Errorf("has %q: %s", bad, all)
				}
			}
		})
	}
	if Describe(errors.New("something else")) != nil {
		t.Fatal("an unknown error got an explanation")
	}
}

// A server whose certificate names another host (something answers in Microsoft's
// place, or an --authority-host override points at the wrong name): a real TLS
// handshake with a trusted certificate that is not for the name dialled.
func TestDescribeCertificateForAnotherName(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	srv.StartTLS()
	defer srv.Close()
	// The test certificate is for 127.0.0.1, ::1 and example.com, not "localhost".
	host := net.JoinHostPort("localhost", strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port))
	_, err := srv.Client().Get("https://" + host + "/")
	x := Describe(fmt.Errorf("signing in: %w", err))
	want := Explanation{Title: "Certificate for another name",
		Meaning: "The certificate presented for " + host + " is for a different name: something between you and Microsoft answers in its place.",
		Fix: "Check --authority-host/--graph-url and any proxy. If this network needs a proxy, set HTTPS_PROXY (e.g. HTTPS_PROXY=http://proxy.example:8080); " +
			"`d365consent doctor` checks DNS, proxy and TLS."}
	if x == nil || *x != want {
		t.Fatalf("Describe(%v)\n got %+v\nwant %+v", err, x, want)
	}
}

// A connection that timed out (a firewall that drops the traffic): a real dial whose
// deadline has passed fails with a timeout, wrapped by the HTTP client as for any
// request.
func TestDescribeNoAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	expired := &net.Dialer{Deadline: time.Unix(1, 0)}
	client := &http.Client{Transport: &http.Transport{DialContext: expired.DialContext}}
	_, err = client.Get("http://" + ln.Addr().String() + "/v1.0/$batch")
	x := Describe(fmt.Errorf("Microsoft Graph POST /$batch: %w", err))
	host := ln.Addr().String()
	want := Explanation{Title: "No answer from " + host,
		Meaning: "The connection to " + host + " timed out: the network is slow, or a firewall drops the traffic.",
		Fix: "Try again. If this network needs a proxy, set HTTPS_PROXY (e.g. HTTPS_PROXY=http://proxy.example:8080); " +
			"`d365consent doctor` checks DNS, proxy and TLS."}
	if x == nil || *x != want {
		t.Fatalf("Describe(%v)\n got %+v\nwant %+v", err, x, want)
	}
}

// A DNS failure that names no host names the request's host; no error, no
// explanation.
func TestDescribeUnnamedDNSAndNil(t *testing.T) {
	_, err := (&http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.DNSError{Err: "server misbehaving", IsTemporary: true}
	}}}).Get("https://graph.microsoft.com/v1.0/$batch")
	x := Describe(err)
	if x == nil || x.Title != "Cannot find graph.microsoft.com" ||
		x.Meaning != "The name graph.microsoft.com does not resolve (DNS): this machine is offline, its DNS server does not answer, or the network blocks it." {
		t.Fatalf("DNS error without a name (%v): %+v", err, x)
	}
	if x := Describe(nil); x != nil {
		t.Fatalf("Describe(nil) = %+v", x)
	}
}

// errSelf explains itself.
type errSelf struct{ x *Explanation }

func (e errSelf) Error() string         { return "self" }
func (e errSelf) Explain() *Explanation { return e.x }

// An error that explains itself is asked first, even wrapped and even when it names
// an AADSTS code; one that declines (nil) is explained as any other.
func TestDescribeAsksTheErrorFirst(t *testing.T) {
	own := &Explanation{Title: "Consent cannot fix this", Meaning: "AADSTS65001 is not the point", Fix: "Do this."}
	if x := Describe(fmt.Errorf("consent: %w", errSelf{own})); x != own {
		t.Fatalf("Describe = %+v, want the error's own %+v", x, own)
	}
	declined := fmt.Errorf("signing in: %w: %w", errSelf{nil}, callErr(65004, false))
	if x := Describe(declined); x == nil || x.Code != 65004 {
		t.Fatalf("Describe = %+v, want AADSTS65004's explanation", x)
	}
}

// Entra ID's explanation is Describe's answer for an Entra ID error, the same value.
func TestDescribeEntraError(t *testing.T) {
	err := fmt.Errorf("signing in: %w", &AuthError{Op: "signing in", Explanation: &Explanation{Code: 50076, Title: "MFA"}})
	if Describe(err) != Explain(err) {
		t.Fatal("Describe differs from Explain on an AuthError")
	}
}

// A Graph refusal keeps the ids Graph support asks for, whole, and its own text
// without them: the request id is said once, as a support line.
func TestDescribeGraphRefusalKeepsItsRequestIDs(t *testing.T) {
	err := fmt.Errorf("verifying grants: %w", &graph.Error{Method: "GET", Path: "/servicePrincipals", Status: 403, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation.", RequestID: "43791e2a-485c-4f84-9f99-45b1a5be34a4",
		ClientRequestID: "5b0c6e2f-0000-4000-8000-000000000001", Date: "2026-12-06T21:00:00"})
	x := Describe(err)
	if x == nil {
		t.Fatal("no explanation")
	}
	want := []string{"Timestamp: 2026-12-06T21:00:00", "Request id: 43791e2a-485c-4f84-9f99-45b1a5be34a4", "Client request id: 5b0c6e2f-0000-4000-8000-000000000001"}
	if got := SupportIDs(x); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("support ids\n got %q\nwant %q", got, want)
	}
	if x.Description != "Insufficient privileges to complete the operation." || x.Source() != "Microsoft Graph" {
		t.Errorf("description %q from %s", x.Description, x.Source())
	}
	if (&Explanation{CorrelationID: "c"}).Source() != "Entra ID" {
		t.Error("an Entra ID refusal is said to come from Graph")
	}
}
