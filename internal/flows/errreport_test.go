package flows_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
)

// The error report of refusals Entra ID really sends (through the real MSAL sign-in
// and the real consent redirect to the loopback listener): what failed, when (UTC),
// the account's domain only, the explanation, every support id Entra gave, its own
// words, and what we were doing. A code with an OAuth error reads "AADSTS65004
// (access_denied)", a code alone "AADSTS53003".
func TestErrorReportOfEntraRefusals(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 30, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		name     string
		refuse   func(t *testing.T) (error, string)
		code     string
		while    string
		cloud    string
		clientID string
	}{
		{"consent declined", func(t *testing.T) (error, string) {
			f := start(t, "loopback-reply", emulator.Faults{}, nil, nil)
			f.browser.b.Decline = true
			c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			last := lastEvent(t, c)
			return last.Err, f.srv.TenantID()
		}, "Error code: AADSTS65004 (access_denied)", "admin consent", "demo", "0b3a0d5e-7a8c-4f0e-9a51-8c3a3c1f7f11"},
		{"sign-in blocked by Conditional Access", func(t *testing.T) (error, string) {
			srv, s, _ := newSession(t, "ca-blocked", nil)
			_, err := s.SignIn(context.Background(), nil)
			return err, srv.TenantID()
		}, "Error code: AADSTS53003", "signing in", "global", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err, tenant := tc.refuse(t)
			x := explain.Explain(err)
			if x == nil || x.CorrelationID == "" || x.TraceID == "" || x.Timestamp == "" || x.Description == "" || x.Link == "" {
				t.Fatalf("err %v: explanation %+v, want every support id, Entra's words and the link", err, x)
			}
			if d := explain.Describe(err); d != x {
				t.Fatalf("Describe gives %+v, want Entra's explanation %+v", d, x)
			}
			got := string(flows.ErrorReport(err, flows.ErrorFacts{What: "It did not work.", App: "ce", ClientID: tc.clientID,
				TenantID: tenant, SignedInAs: "admin@contoso.onmicrosoft.com", Cloud: tc.cloud, At: at}))
			clientLine := ""
			if tc.clientID != "" {
				clientLine = "App client id: " + tc.clientID + "\n"
			}
			want := "# d365consent error report\n\n" +
				"What failed: It did not work.\n" +
				"When: 2026-03-01T09:30:00Z\n" +
				"App: ce\n" + clientLine +
				"Tenant id: " + tenant + "\n" +
				"Cloud: " + tc.cloud + "\n" +
				"Signed in as: [redacted]@contoso.onmicrosoft.com\n\n" +
				"Explanation: " + x.Title + "\n" +
				"Meaning: " + x.Meaning + "\n" +
				"What to do: " + x.Fix + "\n" +
				tc.code + "\n" +
				"Correlation id: " + x.CorrelationID + "\n" +
				"Trace id: " + x.TraceID + "\n" +
				"Timestamp: " + x.Timestamp + "\n" +
				"Entra ID said: " + x.Description + "\n" +
				"More: " + x.Link + "\n\n" +
				"Error: " + err.Error() + "\n" +
				"While: " + tc.while + "\n"
			if got != want {
				t.Fatalf("report:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// An OAuth error without an AADSTS code (the admin pastes the address the consent
// page ended on) reports its OAuth code alone, and no support id line for the ids
// Entra did not give. A known one (temporarily_unavailable: retry, per the
// authorization endpoint's error table) is explained; an unknown one points to
// support, not to a lookup page there is no link for.
func TestErrorReportOfAPastedOAuthError(t *testing.T) {
	for _, tc := range []struct{ code, explanation string }{
		{"temporarily_unavailable", "Explanation: Entra ID is temporarily unavailable\n" +
			"Meaning: Entra ID is too busy or under maintenance and could not handle the request just now.\n" +
			"What to do: Try again in a few minutes. If it keeps failing, give support the correlation id (if shown) and check Microsoft 365 service health.\n" +
			"Error code: temporarily_unavailable\n\n" +
			"Error: admin consent: temporarily_unavailable: Entra ID is temporarily unavailable\n"},
		{"invalid_request", "Explanation: Entra ID refused the request\n" +
			"Meaning: Entra ID returned an error this tool does not know yet.\n" +
			"What to do: Give support the error code above and, if shown, the correlation id.\n" +
			"Error code: invalid_request\n\n" +
			"Error: admin consent: invalid_request: Entra ID refused the request\n"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			f := start(t, "fresh", emulator.Faults{}, newFakeClock(false), nil)
			c, state := startPasteConsent(t, f)
			if ev := <-c.Events(); ev.Done {
				t.Fatalf("first event %+v", ev)
			}
			if err := c.Paste("https://www.avepointonlineservices.com/?error=" + tc.code + "&state=" + state); err != nil {
				t.Fatal(err)
			}
			evs := waitAll(t, c)
			refused := evs[len(evs)-1].Err
			got := string(flows.ErrorReport(refused, flows.ErrorFacts{What: "Admin consent did not complete."}))
			want := "# d365consent error report\n\n" +
				"What failed: Admin consent did not complete.\n\n" +
				tc.explanation +
				"While: admin consent\n"
			if got != want {
				t.Fatalf("report:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// An error Entra ID did not send has no explanation section: the report holds the
// facts and the error text, redacted (the authorization code and state in a URL, a
// token); an account name without a domain is redacted whole; no account, no line.
func TestErrorReportWithoutAnExplanation(t *testing.T) {
	netErr := fmt.Errorf("signing in: %w", errors.New(`Post "https://login.microsoftonline.com/common/oauth2/v2.0/token?code=0.AAAbcd-SECRET&state=abc&client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e": EOF eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig`))
	for _, tc := range []struct {
		name string
		err  error
		f    flows.ErrorFacts
		want string
	}{
		{"a network error, an account without a domain", netErr, flows.ErrorFacts{What: "Sign-in\x1b[31m failed.", SignedInAs: "svc-monitor"},
			"# d365consent error report\n\n" +
				"What failed: Sign-in failed.\n" +
				"Signed in as: [redacted]\n\n" +
				`Error: signing in: Post "https://login.microsoftonline.com/common/oauth2/v2.0/token?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e&code=%5BREDACTED%5D&state=%5BREDACTED%5D": EOF [REDACTED]` + "\n"},
		{"no error, no account", nil, flows.ErrorFacts{What: "Nothing failed.", TenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47"},
			"# d365consent error report\n\n" +
				"What failed: Nothing failed.\n" +
				"Tenant id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(flows.ErrorReport(tc.err, tc.f)); got != tc.want {
				t.Fatalf("report:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
