package flows

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/testkit"
)

const fuzzState = "c3RhdGUtZm9yLWZ1enppbmctMDEyMzQ1Njc4OWFiY2RlZg"

// FuzzConsentCallback sends arbitrary raw HTTP requests (parsed by net/http, as the
// listener's server parses them) to the loopback consent listener's handler, twice.
// It must never panic; it delivers at most one result, only for a GET or POST to its
// own Host and path carrying its state; the result's strings are inert; an error
// redirect is never taken as consent.
func FuzzConsentCallback(f *testing.F) {
	host := "127.0.0.1:53682"
	postBody := "admin_consent=True&state=" + fuzzState + "&x=1"
	for _, s := range []string{
		"GET /?admin_consent=True&tenant=0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11&state=" + fuzzState + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"GET /?error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3A+User+declined+to+consent.&state=" + fuzzState + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"GET /?error=access_denied&error_description=AADSTS90094%3A+%1B%5D52%3Bc%3BZXZpbA%3D%3D%07admin+needed&admin_consent=True&state=" + fuzzState + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
			strconv.Itoa(len(postBody)) + "\r\n\r\n" + postBody,
		"GET /?admin_consent=True&state=" + fuzzState + " HTTP/1.1\r\nHost: evil.example:53682\r\n\r\n",
		"GET /?admin_consent=True&state=wrong HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"GET /callback?admin_consent=True&state=" + fuzzState + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"PUT /?admin_consent=True&state=" + fuzzState + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
		"GET /?state=" + fuzzState + "&state=other&tenant=%E2%80%AEevil HTTP/1.1\r\nHost: " + host + "\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		l := &LoopbackListener{state: fuzzState, path: "/", host: host, result: make(chan ConsentRedirect, 1)}
		delivered := 0
		var got ConsentRedirect
		for range 2 {
			req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
			if err != nil {
				return
			}
			body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
			req.Body = io.NopCloser(bytes.NewReader(body))
			rec := httptest.NewRecorder()
			l.ServeHTTP(rec, req)
			select {
			case got = <-l.result:
				delivered++
				if rec.Code != http.StatusOK {
					t.Fatalf("result delivered with HTTP %d", rec.Code)
				}
			default:
				if rec.Code == http.StatusOK {
					t.Fatalf("HTTP 200 without a result")
				}
			}
			// Ours: the right Host, path and method, and the state somewhere in the query or body.
			if delivered > 0 {
				q, _ := url.ParseQuery(req.URL.RawQuery)
				own := req.Host == host && req.URL.Path == "/" && (req.Method == http.MethodGet || req.Method == http.MethodPost)
				if !own || !(contains(q["state"], fuzzState) || bytes.Contains(body, []byte(fuzzState))) {
					t.Fatalf("result delivered for %s %q Host %q", req.Method, req.URL, req.Host)
				}
			}
		}
		if delivered > 1 {
			t.Fatalf("%d results delivered, want at most one", delivered)
		}
		if delivered == 0 {
			return
		}
		if got.AdminConsent && got.Err != nil {
			t.Fatalf("consent and error at once: %+v", got)
		}
		testkit.CheckNoControls(t, got.Tenant, false)
		if e := got.Err; e != nil {
			testkit.CheckNoControls(t, e.ErrorCode, false)
			testkit.CheckNoControls(t, e.Subcode, false)
			testkit.CheckNoControls(t, e.Description, true)
			_ = explain.Explain(e)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// FuzzParseConsentRedirect checks the parameter parser alone on arbitrary query
// strings: an error parameter always wins over admin_consent, and output is inert.
func FuzzParseConsentRedirect(f *testing.F) {
	for _, s := range []string{
		"admin_consent=True&tenant=contoso.onmicrosoft.com&state=x",
		"error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3A+declined",
		"admin_consent=true&error=invalid_client&error_description=AADSTS650052%3A%0D%0Amissing",
		"tenant=%1B%5B2J%C2%9B31m&admin_consent=False",
		"error=%E2%80%AE&error_description=%00%07",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, _ := url.ParseQuery(query)
		r := ParseConsentRedirect(q)
		if q.Get("error") != "" && (r.Err == nil || r.AdminConsent) {
			t.Fatalf("error %q not reported: %+v", q.Get("error"), r)
		}
		if r.AdminConsent && q.Get("admin_consent") != "True" && q.Get("admin_consent") != "true" {
			t.Fatalf("consent without admin_consent=True: %q", query)
		}
		testkit.CheckNoControls(t, r.Tenant, false)
		if r.Err != nil {
			testkit.CheckNoControls(t, r.Err.ErrorCode, false)
			testkit.CheckNoControls(t, r.Err.Subcode, false)
			testkit.CheckNoControls(t, r.Err.Description, true)
			if strings.Contains(r.Err.Error(), "\x1b") {
				t.Fatalf("escape in error text: %q", r.Err.Error())
			}
		}
	})
}
