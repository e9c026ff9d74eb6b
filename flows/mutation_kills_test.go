package flows

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// Mutants gremlins found alive (BENCHMARKS.md "Mutation testing"), each killed by an
// exact outcome here.

// After consent, settled, with every row granted (the newly required one included),
// nothing blocks: "registration behind" needs a newly required row still missing.
func TestRegistrationBehindNeedsAMissingNewRow(t *testing.T) {
	uo, _ := permissions.Embedded().App("uo")
	uoNew := *uo
	uoNew.Permissions = append([]permissions.Permission(nil), uo.Permissions...)
	for i := range uoNew.Permissions {
		uoNew.Permissions[i].NewlyRequired = uoNew.Permissions[i].Value == "Connector.FullAccess"
	}
	granted := resultFor(&uoNew, &ResultSP{ID: "sp", AccountEnabled: true}, func(permissions.Permission) PermStatus { return PermGranted })
	if b := consentBlocker(&uoNew, granted, nil, true, RegistrationSettle); b != nil {
		t.Fatalf("everything granted: blocked by %v", b)
	}
}

// pathOnly cuts a Graph path at its query, a query alone included.
func TestPathOnly(t *testing.T) {
	for in, want := range map[string]string{
		"/servicePrincipals/x/appRoleAssignments?$top=999": "/servicePrincipals/x/appRoleAssignments",
		"?$top=999": "",
		"/me":       "/me",
	} {
		if got := pathOnly(in); got != want {
			t.Errorf("pathOnly(%q) = %q, want %q", in, got, want)
		}
	}
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

// A C1 string control (OSC, DCS, PM, APC, SOS) at the very start is skipped with its
// payload up to BEL or ST.
func TestSanitizeC1StringAtStart(t *testing.T) {
	for in, want := range map[string]string{
		"\u009d0;evil title\u0007after": "after",
		"\u0090payload\u009cafter":      "after",
		"x\u009fpm\u0007y":              "xy",
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// A paste of exactly the limit is read; one character more is refused as too long.
func TestPasteLengthLimit(t *testing.T) {
	prefix := "https://www.avepointonlineservices.com/?admin_consent=True&pad="
	exact := prefix + strings.Repeat("a", maxPaste-len(prefix))
	if p, err := ParsePastedConsentResult(exact); err != nil || !p.AdminConsent {
		t.Fatalf("%d characters: %+v, %v", len(exact), p, err)
	}
	_, err := ParsePastedConsentResult(exact + "a")
	if want := "that is too long (8193 characters) to be the consent page's address"; err == nil || err.Error() != want {
		t.Fatalf("%d characters: %v, want %q", len(exact)+1, err, want)
	}
}

// A result in the address's fragment is read with its query, joined by "&".
func TestPasteQueryAndFragment(t *testing.T) {
	p, err := ParsePastedConsentResult("https://www.avepointonlineservices.com/?state=abc#admin_consent=True")
	if err != nil || p.State != "abc" || !p.AdminConsent {
		t.Fatalf("query and fragment: %+v, %v", p, err)
	}
	p, err = ParsePastedConsentResult("https://www.avepointonlineservices.com/#admin_consent=True&state=abc")
	if err != nil || p.State != "abc" || !p.AdminConsent {
		t.Fatalf("fragment only: %+v, %v", p, err)
	}
}

// When the roles cannot be read, the message names the account, or says "the
// signed-in account" when its name is unknown.
func TestJudgeRolesNamesTheAccount(t *testing.T) {
	for upn, who := range map[string]string{"adele@contoso.example": "whether adele@contoso.example can", "": "whether The signed-in account can"} {
		rc := JudgeRoles(upn, nil, errors.New("HTTP 403"), nil)
		if rc.Verdict != RoleUnknown || !strings.Contains(rc.Message, who) || !strings.Contains(rc.Message, "(HTTP 403)") {
			t.Errorf("upn %q: %+v", upn, rc)
		}
	}
}
