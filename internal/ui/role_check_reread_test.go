package ui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
)

// grantReadEngine signs in with roles it cannot read (User.Read sees directory roles
// without their details: graph/api/user-list-memberof, "limited information"), asks
// one more sign-in during its first Verify for permission to read the grants, and
// then knows the admin's roles.
func grantReadEngine() *repromptEngine {
	unknown := &flows.Admin{UPN: "admin@contoso.onmicrosoft.com", ObjectID: "7d3c", TenantID: testTenant, TenantName: "Contoso",
		RolesErr: errors.New("Microsoft Graph returned your role objects without their details")}
	read := *unknown
	read.RolesErr, read.RolesRead, read.CanConsent = nil, true, true
	read.DirectoryRoles = []flows.DirectoryRole{{DisplayName: "Global Administrator", RoleTemplateID: flows.RoleGlobalAdministrator}}
	read.Roles = []string{"Global Administrator"}
	return &repromptEngine{
		fakeEngine: fakeEngine{admin: unknown, reread: &read, verify: []*flows.Result{result("ce", false, nil)}},
		again: &flows.SignInPrompt{URL: "https://login.example/authorize?scope=Directory.Read.All",
			Consent: "To read the app's grants, d365consent now asks Microsoft to let the sign-in app read directory data."},
		signedIn: make(chan struct{}),
	}
}

// The state screen's role check, unknown after the first sign-in, shows the roles
// the engine read with the token of the one more sign-in; that sign-in's headline says
// it is for reading the grants.
func TestStateShowsTheRolesReadAfterTheGrantReadSignIn(t *testing.T) {
	eng := grantReadEngine()
	s := startSession(t, eng, 100, 40, func(o *Options) { o.App = "ce" })
	s.waitFor("read-only scopes")
	s.keys("enter")
	text := s.waitFor("One more sign-in")
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{"One more sign-in: your sign-in app needs permission to read the app's grants.", "Could not read your directory roles"} {
		if !strings.Contains(flat, want) {
			t.Errorf("while signing in again, lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(flat, "the session needs a new sign-in") {
		t.Errorf("the sign-in for reading the grants is called a session's:\n%s", text)
	}
	close(eng.signedIn)
	text = s.waitFor("Enter opens the admin consent page")
	flat = strings.Join(strings.Fields(text), " ")
	if !strings.Contains(flat, "admin@contoso.onmicrosoft.com is Global Administrator: can grant every permission of the app.") ||
		strings.Contains(flat, "Could not read your directory roles") {
		t.Errorf("the role check is not the one read again:\n%s", text)
	}
	s.keys("q")
	s.finish()
}

// Line mode said the unknown role check before the grants were read: it says the
// role check again once the roles are read.
func TestAccessibleSaysTheRolesReadAgain(t *testing.T) {
	eng := grantReadEngine()
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"},
		{prompt: "https://login.example/authorize?scope=Directory.Read.All\n", do: func() { close(eng.signedIn) }},
		{prompt: "open the admin consent page", answer: "q"},
	})
	if _, err := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, out); err != nil {
		t.Fatalf("%v:\n%s", err, out.String())
	}
	text := out.String()
	before, after, ok := strings.Cut(text, "One more sign-in: your sign-in app needs permission to read the app's grants.")
	if !ok || !strings.Contains(before, "Warning, role check: Could not read your directory roles") {
		t.Fatalf("no unknown role check, then the one more sign-in:\n%s", text)
	}
	if !strings.Contains(after, "Role check (read again with the new sign-in): Global Administrator. You can grant admin consent.") {
		t.Errorf("the role check is not said again:\n%s", text)
	}
}
