package doctor

import (
	"context"
	"testing"
	"time"
)

// A tenant look-up refused for another reason than an unknown tenant (here
// AADSTS900023, a --tenant that is no domain or id) is not reported as "not found":
// it shows the status and the first non-blank line of Entra's description.
func TestTenantLookupRefusedForAnotherReason(t *testing.T) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
	const first = "AADSTS900023: Specified tenant identifier 'contoso' is neither a valid DNS name, nor a valid external domain."
	for _, description := range []string{
		first + `\r\nTrace ID: 6a4c1b9e-0d7f-4e8a-9c21-5f3b8e7d2a10\r\nCorrelation ID: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0`,
		first + `\nTrace ID: 6a4c1b9e-0d7f-4e8a-9c21-5f3b8e7d2a10`,
		first + `\rTrace ID: 6a4c1b9e-0d7f-4e8a-9c21-5f3b8e7d2a10`,
		`\r\n    ` + first + `\r\nTrace ID: 6a4c1b9e-0d7f-4e8a-9c21-5f3b8e7d2a10`,
	} {
		srv := startFakeHost(t, fakeHostOpts{cert: public.leaf(t, "login.doctor.test"),
			openIDError: `{"error":"invalid_request","error_description":"` + description + `","error_codes":[900023]}`})
		login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
		cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
		cfg.Tenant = "contoso"
		cfg.Only = []string{"tenant"}
		r := run(t, cfg)
		c := want(t, r, "tenant.openid", Fail, "HTTP 400: "+first, "Check --tenant; if it is right, give support this report.")
		if c.Summary != "tenant look-up answered 400" {
			t.Errorf("summary %q", c.Summary)
		}
	}
}

// The tenant look-up is bounded as a whole (twice the step timeout), not only until
// its answer's headers: an answer whose body stops coming ends as a timeout of the
// whole request, long before the run's --timeout, and the evidence names that limit
// (1s). An answer whose headers never come ends at the step timeout (the wait for
// headers is one step), and the evidence names that limit (500ms).
func TestTenantLookupTimeoutNamesTheLimitThatApplied(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     fakeHostOpts
		evidence string
	}{
		{"a body that stops", fakeHostOpts{stallOpenID: true},
			"could not read the OpenID configuration: no answer within 1s for the whole request (the connection was accepted, then silence)"},
		{"headers that never come", fakeHostOpts{silentOpenID: true},
			"could not read the OpenID configuration: no answer within 500ms (the connection was accepted, then silence)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
			tc.opts.cert = public.leaf(t, "login.doctor.test")
			srv := startFakeHost(t, tc.opts)
			dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1"})
			login := "https://login.doctor.test:" + portOf(srv.Listener.Addr().String())
			cfg := testConfig(t, dns, login, login, pool(public), "Doctor Test Public Root")
			cfg.Tenant = "contoso.onmicrosoft.com"
			cfg.Only = []string{"tenant"}
			cfg.StepTimeout = 500 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := want(t, Run(ctx, cfg), "tenant.openid", Fail, tc.evidence, "See the network checks of login.doctor.test above.")
			if c.Summary != "tenant's OpenID configuration unreachable" {
				t.Errorf("summary %q", c.Summary)
			}
		})
	}
}
