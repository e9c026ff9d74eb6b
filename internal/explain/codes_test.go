package explain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A new code is one entry in codes.go and, here, one of the lists below (which kind of
// code it is) plus its words in TestExplanationsSayWhatTheirCodeMeans.

// designCodes is every AADSTS code of consent and sign-in the tool explains.
var designCodes = []int{65001, 65004, 90094, 90095, 700016, 50011, 50020, 50105, 900971, 500113, 7000218, 90008, 650051, 650052, 16000, 50076, 50079, 53003, 7000112}

func TestExplainEveryDesignCode(t *testing.T) {
	shapes := map[string]func(int) error{
		"form_post":      formPostErr,
		"token endpoint": func(c int) error { return callErr(c, false) },
		"device code":    func(c int) error { return callErr(c, true) },
		"consent redirect": func(c int) error {
			return &ConsentRedirectError{ErrorCode: "access_denied", Description: entraDescription(c)}
		},
		"wrapped": func(c int) error { return fmt.Errorf("signing in: %w", callErr(c, false)) },
	}
	for _, code := range designCodes {
		for name, mk := range shapes {
			t.Run(fmt.Sprintf("%d/%s", code, name), func(t *testing.T) {
				x := Explain(mk(code))
				if x == nil {
					t.Fatal("no explanation")
				}
				if x.Code != code {
					t.Errorf("code %d", x.Code)
				}
				k := codes[code].text
				if x.Title != k.title || k.title == "" || k.meaning == "" || k.fix == "" || x.Fix != k.fix {
					t.Errorf("not explained in plain words: %+v", x)
				}
				if x.TraceID != traceID || x.CorrelationID != corrID || !strings.HasPrefix(x.Timestamp, "2025-03-04") {
					t.Errorf("ids: trace %q corr %q time %q", x.TraceID, x.CorrelationID, x.Timestamp)
				}
				if want := fmt.Sprintf("AADSTS%d: Something <happened> & more.", code); x.Description != want {
					t.Errorf("description %q, want %q", x.Description, want)
				}
				if x.Link != fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", code) {
					t.Errorf("link %q", x.Link)
				}
			})
		}
	}
	explained := 0
	for _, e := range codes {
		if e.title != "" {
			explained++
		}
	}
	if want := len(designCodes) + len(appIdentityCodes) + len(partnerAndTransientCodes); explained != want {
		t.Errorf("codes explains %d codes, want %d (%d for consent and sign-in, %d for app identities, %d partner and transient)",
			explained, want, len(designCodes), len(appIdentityCodes), len(partnerAndTransientCodes))
	}
}

// Each design code's explanation is checked against words written here, independent
// of the knownCodes table, so two entries swapped or pasted under the wrong code fail
// (comparing the table with itself cannot). The words come from the meaning of each
// code on https://learn.microsoft.com/entra/identity-platform/reference-error-codes;
// "not" lists a word that belongs to a code easily confused with this one.
func TestExplanationsSayWhatTheirCodeMeans(t *testing.T) {
	for _, tc := range []struct {
		code  int
		title []string // all, in the title (case-insensitive)
		text  []string // all, in title + meaning + fix
		not   []string // none, anywhere
	}{
		{65001, []string{"consent", "not been granted"}, []string{"grant admin consent"}, []string{"declined", "workflow"}},
		{65004, []string{"declined"}, []string{"cancel", "accept"}, []string{"workflow", "request approval"}},
		{90094, []string{"admin approval"}, []string{"pim"}, []string{"workflow", "declined"}},
		{90095, []string{"workflow"}, []string{"request", "admin consent requests"}, []string{"declined", "cancel"}},
		{700016, []string{"not found"}, []string{"client id", "--cloud"}, nil},
		{50011, []string{"redirect uri"}, []string{"registered"}, []string{"no reply address"}},
		{50020, []string{"not in this tenant"}, []string{"another tenant", "--tenant"}, nil},
		{50105, []string{"not assigned"}, []string{"assignment required"}, nil},
		{900971, []string{"no reply address provided"}, []string{"redirect uri"}, []string{"registered on"}},
		{500113, []string{"no reply address registered"}, []string{"publisher"}, nil},
		{7000218, []string{"public client"}, []string{"allow public client flows"}, nil},
		{90008, []string{"sign-in permission"}, []string{"user.read"}, nil},
		{650051, []string{"conflict"}, []string{"already exists"}, nil},
		{650052, []string{"missing"}, []string{"subscription", "resource-missing"}, nil},
		{16000, []string{"account"}, []string{"pick"}, nil},
		{50076, []string{"multi-factor"}, []string{"mfa prompt"}, []string{"register"}},
		{50079, []string{"registration"}, []string{"aka.ms/mfasetup"}, nil},
		{53003, []string{"conditional access"}, []string{"sign-in logs", "correlation id"}, nil},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			x := Explain(formPostErr(tc.code))
			if x == nil || x.Code != tc.code {
				t.Fatalf("Explain(AADSTS%d) = %+v", tc.code, x)
			}
			title := strings.ToLower(x.Title)
			all := strings.ToLower(x.Title + "\n" + x.Meaning + "\n" + x.Fix)
			for _, w := range tc.title {
				if !strings.Contains(title, w) {
					t.Errorf("title %q does not say %q", x.Title, w)
				}
			}
			for _, w := range tc.text {
				if !strings.Contains(all, w) {
					t.Errorf("explanation does not say %q: %s", w, all)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(all, w) {
					t.Errorf("explanation says %q, which belongs to another code: %s", w, all)
				}
			}
		})
	}
}

// The fixes that depend on where the error came from (the sign-in client or the
// AvePoint app's consent), and the lookup link from the caller's cloud.
func TestExplainInContext(t *testing.T) {
	lookup := func(code int) string { return fmt.Sprintf("https://login.example/error?code=%d", code) }
	for _, tc := range []struct {
		name  string
		code  int
		src   Source
		title string
		fix   []string
		noFix []string
	}{
		{"blocked sign-in app", 7000112, SignIn, "The sign-in app is disabled in this tenant",
			[]string{"--signin-client-id", "public client", "http://localhost", "Allow public client flows"}, nil},
		{"disabled AvePoint app", 7000112, Consent, "The app is disabled in this tenant",
			[]string{"Enterprise applications", "Enabled for users to sign-in"}, []string{"--signin-client-id"}},
		{"sign-in app not assigned", 50105, SignIn, "Account not assigned to the sign-in app",
			[]string{"--signin-client-id", "Users and groups"}, nil},
		{"redirect mismatch at sign-in", 50011, SignIn, "Redirect URI mismatch",
			[]string{"--signin-client-id", "http://localhost", "--device-code"}, []string{"AvePoint"}},
		{"redirect mismatch at consent", 50011, Consent, "Redirect URI mismatch",
			[]string{"AvePoint", "consent link"}, []string{"--signin-client-id"}},
		{"admin consent workflow", 90095, Consent, "An approval request was filed (admin consent workflow)",
			[]string{"Admin consent requests", "reviewers"}, nil},
		{"MFA", 50076, SignIn, "Multi-factor authentication required", []string{"MFA"}, nil},
		{"registration", 50079, SignIn, "MFA registration required", []string{"aka.ms/mfasetup"}, nil},
		{"conditional access", 53003, SignIn, "Blocked by Conditional Access", []string{"correlation id", "Sign-in logs"}, nil},
		{"guest from another tenant", 50020, SignIn, "Account not in this tenant", []string{"--tenant", "guest"}, nil},
		{"no reply address", 900971, Consent, "No reply address provided", []string{"AOS", "AvePoint"}, []string{"this tool prints unchanged (it includes redirect_uri"}},
		{"declined", 65004, Consent, "Consent was declined", []string{"Accept"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := ExplainIn(callErr(tc.code, false), tc.src, lookup)
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
			if want := lookup(tc.code); x.Link != want {
				t.Errorf("link %q, want %q", x.Link, want)
			}
		})
	}
}

// A sign-in error is the sign-in app's: its explanation names the sign-in app and its
// own next steps, and never sends the admin to the AvePoint app's consent link.
func TestSignInErrorsAreTheSignInAppsOwn(t *testing.T) {
	for _, tc := range []struct {
		code  int
		title string
		fix   []string
	}{
		{65001, "The sign-in app is not consented in this tenant", []string{"not the AvePoint app", "--signin-client-id", "PIM"}},
		{90094, "The sign-in app needs an administrator's consent", []string{"Directory.Read.All", "PIM", "--signin-client-id", "Global Readers"}},
		{90095, "An approval request was filed for the sign-in app", []string{"not the AvePoint app", "Admin consent requests", "read-only"}},
		{65004, "The sign-in app's consent was declined", []string{"Accept", "--signin-client-id"}},
		{700016, "Sign-in app not found", []string{"--signin-client-id"}},
	} {
		x := ExplainIn(callErr(tc.code, false), SignIn, nil)
		if x == nil || x.Title != tc.title {
			t.Errorf("AADSTS%d at sign-in: %+v, want title %q", tc.code, x, tc.title)
			continue
		}
		for _, w := range tc.fix {
			if !strings.Contains(x.Meaning+" "+x.Fix, w) {
				t.Errorf("AADSTS%d at sign-in lacks %q: %s | %s", tc.code, w, x.Meaning, x.Fix)
			}
		}
		for _, bad := range []string{"with this tool", "opens the consent link", "Open the consent link", "--client-id "} {
			if strings.Contains(x.Fix, bad) {
				t.Errorf("AADSTS%d at sign-in gives the AvePoint app's step %q: %s", tc.code, bad, x.Fix)
			}
		}
		if c := ExplainIn(callErr(tc.code, false), Consent, nil); c.Title == tc.title {
			t.Errorf("AADSTS%d at consent reads like the sign-in app's: %q", tc.code, c.Title)
		}
	}
}

// The words of codes whose meaning is easy to get wrong: AADSTS9001023 is about the
// /common and /consumers endpoints (not /organizations); a workload identity's
// audience differs per cloud (workload-identity-federation-create-trust).
func TestEndpointAndAudienceMeanings(t *testing.T) {
	x := Explain(callErr(9001023, false))
	if !strings.Contains(x.Meaning, "/common or /consumers") || !strings.Contains(x.Fix, "/organizations") || strings.Contains(x.Meaning, "/organizations") {
		t.Errorf("AADSTS9001023: %s | %s", x.Meaning, x.Fix)
	}
	for _, code := range []int{70021, 700212} {
		x := Explain(callErr(code, false))
		for _, aud := range []string{"api://AzureADTokenExchange ", "api://AzureADTokenExchangeUSGov", "api://AzureADTokenExchangeChina"} {
			if !strings.Contains(x.Fix+" ", aud) {
				t.Errorf("AADSTS%d lacks %q: %s", code, aud, x.Fix)
			}
		}
	}
}

// partnerAndTransientCodes are explained for a partner's customer tenants (90099) and
// Entra ID's own temporary failure (90033).
var partnerAndTransientCodes = []int{90099, 90033}

// appIdentityCodes are the codes an app identity (verify --auth certificate|secret|
// workload-identity) and a partner's per-tenant tokens meet, each explained.
var appIdentityCodes = []int{7000215, 7000222, 700027, 700024, 700021, 70021, 700211, 700212, 700213, 1002012, 9001023, 90002, 500213}

func TestAppIdentityCodesAreExplained(t *testing.T) {
	for _, code := range appIdentityCodes {
		x := Explain(callErr(code, false))
		if x == nil || x.Code != code || x.Title == "Entra ID refused the request" || x.Meaning == "" || x.Fix == "" {
			t.Errorf("AADSTS%d: %+v", code, x)
		}
	}
	for code, want := range map[int]string{7000215: "Invalid client secret", 700024: "Client assertion outside its valid time",
		70021: "No matching federated credential", 500213: "Blocked by the tenant's cross-tenant access policy"} {
		if x := Explain(callErr(code, false)); x.Title != want {
			t.Errorf("AADSTS%d: title %q, want %q", code, x.Title, want)
		}
	}
}

// The codes that mean the account has no way into the tenant (a fleet check's "no
// access"), and no others.
func TestMeansNoAccess(t *testing.T) {
	want := map[int]bool{50020: true, 16000: true, 50034: true, 51004: true, 50014: true, 90072: true,
		500212: true, 500213: true, 530034: true}
	for code := range want {
		if !MeansNoAccess(code) {
			t.Errorf("MeansNoAccess(%d) = false", code)
		}
	}
	for _, code := range []int{0, 65001, 90099, 53003, 50076, 700016, 7000215, 12345} {
		if MeansNoAccess(code) {
			t.Errorf("MeansNoAccess(%d) = true", code)
		}
	}
	n := 0
	for code, e := range codes {
		if e.noAccess {
			n++
			if !want[code] {
				t.Errorf("AADSTS%d is marked no access", code)
			}
		}
	}
	if n != len(want) {
		t.Errorf("%d codes mean no access, want %d", n, len(want))
	}
}

// AADSTS90099 (a partner's delegated admin using an app not authorised in the
// customer tenant) and 65001 say the sign-in client needs consent there; no other
// code does. 90099 names the sign-in app's consent link and Partner Center.
func TestNeedsSignInClientConsent(t *testing.T) {
	for code, want := range map[int]bool{90099: true, 65001: true, 50020: false, 90094: false, 53003: false, 0: false} {
		if got := NeedsSignInClientConsent(code); got != want {
			t.Errorf("NeedsSignInClientConsent(%d) = %v", code, got)
		}
	}
	x := Explain(callErr(90099, false))
	if x.Title != "The sign-in app is not authorised in the customer tenant" || !strings.Contains(x.Fix, "Partner Center") || !strings.Contains(x.Fix, "consent-url --signin-client") {
		t.Errorf("AADSTS90099: %+v", x)
	}
}

// AADSTS90033 and the OAuth errors server_error and temporarily_unavailable are
// Entra ID's own temporary failures: transient, never a refusal.
func TestTransientIsNoRefusal(t *testing.T) {
	for _, tc := range []struct {
		err       error
		transient bool
	}{
		{callErr(90033, false), true},
		{errors.New(`{"error":"temporarily_unavailable","error_description":"busy"}`), true},
		{errors.New(`{"error":"server_error","error_description":"oops"}`), true},
		{callErr(90094, false), false},
		{callErr(65001, false), false},
	} {
		err := &AuthError{Op: "signing in", Explanation: Explain(tc.err), Err: tc.err}
		if errors.Is(err, ErrTransient) != tc.transient || errors.Is(err, ErrRefused) == tc.transient {
			t.Errorf("%v: transient %v refused %v, want transient %v", tc.err, errors.Is(err, ErrTransient), errors.Is(err, ErrRefused), tc.transient)
		}
	}
}

// An entry with attributes only (no words of its own) is explained with Entra ID's
// description, as an unknown code is.
func TestAttributeOnlyCodeUsesEntrasWords(t *testing.T) {
	x := Explain(callErr(50034, false))
	if x == nil || x.Title != "Entra ID refused the request" || !strings.Contains(x.Meaning, "AADSTS50034: Something") {
		t.Fatalf("%+v", x)
	}
}
