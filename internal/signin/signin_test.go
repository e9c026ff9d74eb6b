package signin

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestScopes(t *testing.T) {
	if got, want := Values(), []string{"User.Read", "Directory.Read.All"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Values() = %q, want %q", got, want)
	}
	if got := List(); got != "User.Read, Directory.Read.All" {
		t.Errorf("List() = %q", got)
	}
	for _, s := range Scopes() {
		if s.Reason == "" {
			t.Errorf("%s has no reason", s.Value)
		}
	}
	// Scopes returns a copy: a caller cannot change the sign-in.
	Scopes()[0].Value = "Mail.Read"
	if Values()[0] != "User.Read" {
		t.Error("Scopes shares the table")
	}
}

// The first sign-in asks only for what needs no administrator; Directory.Read.All,
// which does, waits until the grants are read.
func TestSignInAsksLessThanGrantRead(t *testing.T) {
	if got, want := SignInValues(), []string{"User.Read"}; !reflect.DeepEqual(got, want) {
		t.Errorf("SignInValues() = %q, want %q", got, want)
	}
	if got, want := GrantReadValues(), []string{"Directory.Read.All"}; !reflect.DeepEqual(got, want) {
		t.Errorf("GrantReadValues() = %q, want %q", got, want)
	}
	for _, s := range Scopes() {
		if s.AdminConsent && s.Stage == AtSignIn {
			t.Errorf("%s needs an administrator but is asked for at sign-in", s.Value)
		}
	}
}

func TestGrantReadConsentNamesClientAndReach(t *testing.T) {
	def := GrantReadConsent("")
	for _, want := range []string{"Microsoft Graph Command Line Tools (" + ClientID + ")", "Directory.Read.All", "for themselves alone", "every user of the tenant"} {
		if !strings.Contains(def, want) {
			t.Errorf("GrantReadConsent(\"\") lacks %q:\n%s", want, def)
		}
	}
	own := GrantReadConsent("11111111-2222-3333-4444-555555555555")
	if !strings.Contains(own, "your sign-in app (11111111-2222-3333-4444-555555555555, --signin-client-id)") || strings.Contains(own, ClientName) {
		t.Errorf("GrantReadConsent(own client) = %q", own)
	}
	if !strings.Contains(FirstUseNotice, "UNTICKED") || !strings.Contains(FirstUseNotice, "User.Read") {
		t.Errorf("FirstUseNotice = %q", FirstUseNotice)
	}
}

// SECURITY.md says what the sign-in asks for, and when, as this package does.
func TestSecurityPageAgreesWithTheSignIn(t *testing.T) {
	data, err := os.ReadFile("../../SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.Join(strings.Fields(string(data)), " ")
	for _, want := range []string{
		"`User.Read` at sign-in",
		"`Directory.Read.All` — the least that can read `oauth2PermissionGrants` and `appRoleAssignments` — only when the app's grants are read",
		"**for the accepting admin only**",
		"Leave **\"Consent on behalf of your organization\" unticked**",
		"explained as the sign-in client's",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("SECURITY.md lacks %q", want)
		}
	}
	notice := strings.Join(strings.Fields(FirstUseNotice), " ")
	for _, want := range []string{"(User.Read)", "Directory.Read.All", "\"Consent on behalf of your organization\" UNTICKED"} {
		if !strings.Contains(notice, want) {
			t.Errorf("FirstUseNotice lacks %q", want)
		}
	}
}
