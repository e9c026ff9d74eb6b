package flows

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// Mutants gremlins found alive (BENCHMARKS.md "Mutation testing"), each killed by an
// exact outcome here.

// After consent, settled, with every row granted (the newly required one included),
// nothing blocks: "registration behind" needs a newly required row still missing.
func TestRegistrationBehindNeedsAMissingNewRow(t *testing.T) {
	uo := testkit.App(t, "uo")
	uoNew := *uo
	uoNew.Permissions = append([]permissions.Permission(nil), uo.Permissions...)
	for i := range uoNew.Permissions {
		uoNew.Permissions[i].NewlyRequired = uoNew.Permissions[i].Value == "Connector.FullAccess"
	}
	granted := resultFor(&uoNew, &ResultSP{ID: "sp", AccountEnabled: true}, func(permissions.Permission) PermStatus { return PermGranted })
	if b := consentBlocker(&uoNew, granted, true, RegistrationSettle); b != nil {
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

// An application administrator with no app chosen (or an app without Microsoft Graph
// application permissions) is told nothing is blocked, not "Blocked for this app: .".
func TestJudgeRolesDelegatedOnlyWithoutBlockedRows(t *testing.T) {
	roles := []DirectoryRole{{"Cloud Application Administrator", RoleCloudApplicationAdministrator}}
	rc := JudgeRoles("alex@contoso.example", roles, nil, nil)
	if rc.Verdict != RoleDelegatedOnly || len(rc.Blocked) != 0 || strings.Contains(rc.Message, "Blocked for this app") {
		t.Fatalf("no app: %+v", rc)
	}
	ce := testkit.App(t, "ce")
	rc = JudgeRoles("alex@contoso.example", roles, nil, ce)
	if want := " Blocked for this app: Microsoft Graph · Directory.Read.All."; rc.Verdict != RoleDelegatedOnly || !strings.Contains(rc.Message, want) {
		t.Fatalf("CE: %+v, want %q", rc, want)
	}
}

// Escape sequences cut off at the end of the text, and nF sequences whose
// intermediates are the first (SP) or last (/) of their range, are dropped whole.
func TestSanitizeEscapeEdges(t *testing.T) {
	for in, want := range map[string]string{
		"a\x1b(":              "a",  // nF intermediate, then the end
		"a\x1b[12":            "a",  // CSI parameters, then the end
		"a\x1b Fb":            "ab", // ESC SP F
		"a\x1b/Xb":            "ab", // ESC / X
		"a\x1b(Bb":            "ab",
		"a\x1b[1mb":           "ab",
		"a\x1b":               "a",
		"a\x1b]0;t":           "a",
		"a\x1b[1@b":           "ab", // CSI final bytes: the first (@) and the last (~) of their range
		"a\x1b[1~b":           "ab",
		"a\x1b[1 qb":          "ab", // a space is an intermediate byte (DECSCUSR), not the end
		"a\x1b[1\x1fb":        "ab", // a C0 control ends a malformed CSI and is dropped itself
		"a\x1b]0;t\x1b":       "a",  // an ESC as the string's very last byte
		"a\x1b]0;t\x1b\\b":    "ab", // ST as ESC \
		"a\x1b]0;t\x1b[31mb":  "ab", // a new escape (CSI) ends the string and is skipped whole
		"a\x1b]0;\\\x1b[31mb": "ab", // a backslash before that ESC is payload, not ST
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// A second assignment of a required app role is neither missing nor extra: a tenant
// that holds Directory.Read.All twice is complete with no extra grant.
func TestDuplicateRequiredAssignmentIsNotExtra(t *testing.T) {
	app := fuzzApp(t, false) // ce: Graph User.Read (D), Directory.Read.All (A); CRM user_impersonation (D)
	grants, assignments := fullGrants(app)
	dup := strings.Replace(assignments, `"id":"asg-`, `"id":"dup-asg-`, 1)
	r := verifyReply(t, app, seedTenant(app, grants, assignments+","+dup, true))
	if r.Status != StatusComplete || len(r.Extra) != 0 {
		t.Fatalf("status %s, extra %+v; want complete with no extra", r.Status, r.Extra)
	}
}

// A delegated permission only some users consented to is named in a warning; rows
// granted tenant-wide are not.
func TestUserConsentOnlyWarning(t *testing.T) {
	app := fuzzApp(t, false) // ce: Graph User.Read (D), Directory.Read.All (A); CRM user_impersonation (D)
	grants, assignments := fullGrants(app)
	grants = strings.Replace(grants, `"consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res0"`,
		`"consentType":"Principal","principalId":"user-1","resourceId":"sp-res0"`, 1)
	r := verifyReply(t, app, seedTenant(app, grants, assignments, true))
	want := []string{"Microsoft Graph User.Read is consented by some users only, not for the whole tenant: admin consent is still needed."}
	if r.Status != StatusIncomplete || strings.Join(r.Warnings, "|") != strings.Join(want, "|") {
		t.Fatalf("status %s, warnings %q; want incomplete with %q", r.Status, r.Warnings, want)
	}
}

// The re-authorize-only message gives the date creation closed, when known.
func TestReauthorizeOnlyMessageDate(t *testing.T) {
	with := reauthorizeOnlyMessage(&permissions.App{DisplayName: "UO", CreationClosedOn: "2024-06-30"})
	without := reauthorizeOnlyMessage(&permissions.App{DisplayName: "UO"})
	if !strings.HasPrefix(with, "UO can only be re-authorized: it can no longer be created since 2024-06-30, and ") ||
		!strings.HasPrefix(without, "UO can only be re-authorized: it can no longer be created, and ") {
		t.Fatalf("with a date: %q\nwithout: %q", with, without)
	}
}
