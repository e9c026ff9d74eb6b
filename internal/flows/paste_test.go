package flows

import (
	"errors"
	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
	"net/url"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/explain"
)

// What the admin pastes after the browser landed
// on the publisher's page (or an AADSTS code) is parsed and sanitized.
func TestParsePastedConsentResult(t *testing.T) {
	const tenant = "9a7b4c3d-2e1f-4a5b-8c7d-6e5f4a3b2c1d"
	for _, tc := range []struct {
		name, in      string
		granted       bool
		oauthErr, sub string
		code          int
		tenant, state string
		usage         bool
	}{
		{name: "granted", in: "https://www.avepointonlineservices.com/consent?admin_consent=True&tenant=" + tenant + "&state=s1",
			granted: true, tenant: tenant, state: "s1"},
		{name: "granted, lower-case true, spaces around", in: "  https://x.example/?admin_consent=true&tenant=" + tenant + "  \n",
			granted: true, tenant: tenant},
		{name: "query only", in: "?admin_consent=True&tenant=" + tenant, granted: true, tenant: tenant},
		{name: "query without ?", in: "admin_consent=True&state=abc", granted: true, state: "abc"},
		{name: "cancel", in: "https://x.example/?error=access_denied&error_subcode=cancel&error_description=AADSTS65004%3a+User+declined+to+consent&state=s2",
			oauthErr: "access_denied", sub: "cancel", code: 65004, state: "s2"},
		{name: "65004 real shape: admin_consent=True and an error", in: "https://x.example/?admin_consent=True&error=consent_required&error_description=AADSTS65004%3a+User+declined",
			oauthErr: "consent_required", code: 65004},
		{name: "non-admin", in: "https://x.example/?error=access_denied&error_description=AADSTS90094%3a+The+grant+requires+admin+permission.",
			oauthErr: "access_denied", code: 90094},
		{name: "error in the fragment", in: "https://x.example/#error=access_denied&error_description=AADSTS650052%3a+missing+service",
			oauthErr: "access_denied", code: 650052},
		{name: "bare code", in: "AADSTS90095", code: 90095},
		{name: "code with text copied from the page", in: "AADSTS50020: User account from identity provider does not exist in tenant", code: 50020},
		{name: "just digits", in: "700016", code: 700016},
		{name: "hostile description", in: "https://x.example/?error=access_denied&error_description=AADSTS65004%3a+no%1b%5d8%3b%3bhttps%3a%2f%2fevil%07+%1b%5b31mred",
			oauthErr: "access_denied", code: 65004},
		{name: "empty", in: "   ", usage: true},
		{name: "nothing we know", in: "https://x.example/welcome", usage: true},
		{name: "prose", in: "it says something went wrong", usage: true},
		{name: "javascript", in: "javascript:alert(1)", usage: true},
		{name: "huge", in: "https://x.example/?admin_consent=True&pad=" + strings.Repeat("a", 20000), usage: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePastedConsentResult(tc.in)
			if tc.usage {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("err %v, want a usage error (%+v)", err, p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.AdminConsent != tc.granted || p.Tenant != tc.tenant || p.State != tc.state {
				t.Fatalf("%+v", p)
			}
			if tc.oauthErr == "" && tc.code == 0 {
				if p.Err != nil {
					t.Fatalf("error %+v", p.Err)
				}
				return
			}
			if p.Err == nil || p.Err.ErrorCode != tc.oauthErr || p.Err.Subcode != tc.sub {
				t.Fatalf("err %+v", p.Err)
			}
			x := explain.Explain(p.Err)
			if x == nil || x.Code != tc.code {
				t.Fatalf("explanation %+v, want AADSTS%d", x, tc.code)
			}
			for _, s := range []string{x.Description, p.Err.Description, x.Title, x.Meaning} {
				if strings.ContainsAny(s, "\x1b\x07\r") {
					t.Fatalf("unsanitized %q", s)
				}
			}
		})
	}
}

// AADSTS65004 reaches a consent listener (or a pasted address) as
// admin_consent=True&error=consent_required&error_description=AADSTS65004…: the error
// wins over admin_consent and the code is explained.
func TestConsentDeclinedRealShape(t *testing.T) {
	rd, err := ParsePastedConsentResult("https://www.avepointonlineservices.com/?admin_consent=True&error=consent_required&error_description=AADSTS65004%3a+User+declined+to+consent+to+access+the+app.%0d%0aTrace+ID%3a+0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0%0d%0aCorrelation+ID%3a+11111111-2222-3333-4444-555555555555&state=abc")
	if err != nil {
		t.Fatal(err)
	}
	if rd.AdminConsent || rd.Err == nil || rd.Err.ErrorCode != "consent_required" {
		t.Fatalf("%+v", rd)
	}
	x := explain.Explain(rd.Err)
	if x == nil || x.Code != 65004 || x.Title != "Consent was declined" || x.CorrelationID != "11111111-2222-3333-4444-555555555555" {
		t.Fatalf("%+v", x)
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

// What the admin pastes enters here: every field of a pasted address, and a pasted
// code with the page's text, comes out display-safe (the hostile scenario's text in
// each), while explain still reads the code.
func TestPastedConsentIsDisplaySafe(t *testing.T) {
	q := url.Values{"state": {"s" + emulator.HostileText}, "tenant": {"Contoso " + emulator.HostileText}, "error": {"access_denied" + emulator.HostileText},
		"error_subcode": {"cancel" + emulator.HostileText}, "error_description": {"AADSTS65004: declined " + emulator.HostileText}}
	p, err := ParsePastedConsentResult("https://x.example/?" + q.Encode())
	if err != nil || p.Err == nil {
		t.Fatalf("%+v, %v", p, err)
	}
	for what, s := range map[string]string{"state": p.State, "tenant": p.Tenant, "error": p.Err.ErrorCode, "subcode": p.Err.Subcode,
		"description": p.Err.Description, "error text": p.Err.Error()} {
		testkit.CheckInert(t, what, s)
		testkit.CheckNoControls(t, s, false)
	}
	if p.State != "sclickevil" || p.Err.Description != "AADSTS65004: declined clickevil" {
		t.Errorf("state %q, description %q", p.State, p.Err.Description)
	}
	if x := explain.Explain(p.Err); x == nil || x.Code != 65004 {
		t.Fatalf("Explain = %+v", x)
	}
	bare, err := ParsePastedConsentResult("AADSTS50020: not in tenant " + emulator.HostileText)
	if err != nil || bare.Err == nil {
		t.Fatalf("%+v, %v", bare, err)
	}
	testkit.CheckInert(t, "pasted code", bare.Err.Description)
	if x := explain.Explain(bare.Err); x == nil || x.Code != 50020 {
		t.Fatalf("Explain = %+v", x)
	}
}
