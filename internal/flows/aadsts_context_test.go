package flows

import (
	"fmt"
	"strings"
	"testing"
)

// Issue 10 "Errors in plain words": the fixes that depend on where the error came
// from (the sign-in client or the AvePoint app's consent) and the cloud's own lookup host.
func TestExplainInContext(t *testing.T) {
	global, _ := LookupCloud("global")
	usgov, _ := LookupCloud("usgov")
	china, _ := LookupCloud("china")
	demo := Cloud{Name: "demo", AuthorityHost: "https://127.0.0.1:8443", GraphURL: "https://127.0.0.1:8443"}
	for _, tc := range []struct {
		name  string
		code  int
		src   ErrorSource
		cloud Cloud
		title string
		fix   []string
		noFix []string
		link  string
	}{
		{"blocked sign-in app", 7000112, SourceSignIn, global, "The sign-in app is disabled in this tenant",
			[]string{"--signin-client-id", "public client", "http://localhost", "Allow public client flows"}, nil, "https://login.microsoftonline.com/error?code=7000112"},
		{"disabled AvePoint app", 7000112, SourceConsent, global, "The app is disabled in this tenant",
			[]string{"Enterprise applications", "Enabled for users to sign-in"}, []string{"--signin-client-id"}, ""},
		{"sign-in app not assigned", 50105, SourceSignIn, usgov, "Account not assigned to the sign-in app",
			[]string{"--signin-client-id", "Users and groups"}, nil, "https://login.microsoftonline.us/error?code=50105"},
		{"redirect mismatch at sign-in", 50011, SourceSignIn, global, "Redirect URI mismatch",
			[]string{"--signin-client-id", "http://localhost", "--device-code"}, []string{"AvePoint"}, ""},
		{"redirect mismatch at consent", 50011, SourceConsent, china, "Redirect URI mismatch",
			[]string{"AvePoint", "consent link"}, []string{"--signin-client-id"}, "https://login.partner.microsoftonline.cn/error?code=50011"},
		{"admin consent workflow", 90095, SourceConsent, global, "An approval request was filed (admin consent workflow)",
			[]string{"Admin consent requests", "reviewers"}, nil, ""},
		{"MFA", 50076, SourceSignIn, global, "Multi-factor authentication required", []string{"MFA"}, nil, ""},
		{"registration", 50079, SourceSignIn, global, "MFA registration required", []string{"aka.ms/mfasetup"}, nil, ""},
		{"conditional access", 53003, SourceSignIn, global, "Blocked by Conditional Access", []string{"correlation id", "Sign-in logs"}, nil, ""},
		{"guest from another tenant", 50020, SourceSignIn, global, "Account not in this tenant", []string{"--tenant", "guest"}, nil, ""},
		{"no reply address", 900971, SourceConsent, global, "No reply address provided", []string{"AOS", "AvePoint"}, []string{"this tool prints unchanged (it includes redirect_uri"}, ""},
		{"declined", 65004, SourceConsent, global, "Consent was declined", []string{"Accept"}, nil, ""},
		{"emulator cloud falls back to the global host", 65004, SourceConsent, demo, "Consent was declined", nil, nil, "https://login.microsoftonline.com/error?code=65004"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := ExplainIn(callErr(tc.code, false), tc.src, tc.cloud)
			if x == nil {
				t.Fatal("no explanation")
			}
			if x.Title != tc.title {
				t.Errorf("title %q, want %q", x.Title, tc.title)
			}
			for _, s := range tc.fix {
				if !strings.Contains(x.Meaning+" "+x.Fix, s) {
					t.Errorf("lacks %q: %s | %s", s, x.Meaning, x.Fix)
				}
			}
			for _, s := range tc.noFix {
				if strings.Contains(x.Fix, s) {
					t.Errorf("has %q: %s", s, x.Fix)
				}
			}
			want := tc.link
			if want == "" {
				want = fmt.Sprintf("%s/error?code=%d", tc.cloud.lookupHost(), tc.code)
			}
			if x.Link != want {
				t.Errorf("link %q, want %q", x.Link, want)
			}
		})
	}
}

// AADSTS65004 reaches a consent listener (or a pasted address) as
// admin_consent=True&error=consent_required&error_description=AADSTS65004…: the error
// wins over admin_consent and the code is explained.
func TestConsentDeclinedRealShape(t *testing.T) {
	rd, err := ParsePastedConsentResult("https://www.avepointonlineservices.com/?admin_consent=True&error=consent_required&error_description=AADSTS65004%3a+User+declined+to+consent+to+access+the+app.%0d%0aTrace+ID%3a+" + traceID + "%0d%0aCorrelation+ID%3a+" + corrID + "&state=abc")
	if err != nil {
		t.Fatal(err)
	}
	if rd.AdminConsent || rd.Err == nil || rd.Err.ErrorCode != "consent_required" {
		t.Fatalf("%+v", rd)
	}
	x := Explain(rd.Err)
	if x == nil || x.Code != 65004 || x.Title != "Consent was declined" || x.CorrelationID != corrID {
		t.Fatalf("%+v", x)
	}
}
