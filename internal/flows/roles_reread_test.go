package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// The first use of the tool in a tenant: the sign-in asks only User.Read, with which
// Microsoft Graph lists the admin's directory roles without their details
// (graph/api/user-list-memberof, "limited information"), so the role check is
// unknown; once the second sign-in gave the sign-in client Directory.Read.All, the
// roles are read again and the role check names Global Administrator.
func TestRolesReadAgainAfterTheGrantReadSignIn(t *testing.T) {
	srv, s, _ := openSession(t, emulator.Options{Scenario: "first-use"}, nil, nil)
	ctx := context.Background()
	var prompts []flows.SignInPrompt
	first, err := s.SignIn(ctx, func(p flows.SignInPrompt) { prompts = append(prompts, p) })
	if err != nil {
		t.Fatal(err)
	}
	if c := first.RoleCheck(nil); c.Verdict != flows.RoleUnknown || !strings.Contains(c.Message, "without their details") {
		t.Fatalf("with User.Read alone the role check is %q: %s", c.Verdict, c.Message)
	}
	if _, err := s.Verify(ctx, (&fixture{catalog: srv.Catalog()}).app(t, "ce")); err != nil {
		t.Fatal(err)
	}
	if len(prompts) != 2 || prompts[1].Consent == "" {
		t.Fatalf("prompts %+v: reading the grants asks a second sign-in that says why", prompts)
	}
	a := s.Admin()
	if a == first {
		t.Fatal("the admin was not read again")
	}
	if c := a.RoleCheck(nil); c.Verdict != flows.RoleCanGrantAll || !a.RolesRead || !strings.Contains(c.Message, "Global Administrator") {
		t.Errorf("after the grant-read sign-in the role check is %q: %s", c.Verdict, c.Message)
	}
	if first.RolesRead || first.RolesErr == nil {
		t.Errorf("the sign-in's admin changed under its reader: %+v", first)
	}
}

// A Cloud Application Administrator using their own sign-in app for the first time
// may consent to its Directory.Read.All for themselves, so the second sign-in goes
// through; the roles read again then say what this account cannot grant, and the
// consent wait pauses before the consent page is answered.
func TestRolesReadAgainPauseTheConsentOfAnAccountThatCannotGrant(t *testing.T) {
	const ownClient = "5e7f2a3b-9c1d-4e8f-a0b2-c3d4e5f60718"
	srv, s, _ := openSession(t, emulator.Options{Scenario: "cloud-app-admin", SignInClientID: ownClient}, nil,
		func(c *flows.Config) { c.SignInClientID = ownClient })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	if _, err := s.SignIn(ctx, func(flows.SignInPrompt) { n++ }); err != nil {
		t.Fatal(err)
	}
	app := (&fixture{catalog: srv.Catalog()}).app(t, "ce")
	if _, err := s.Verify(ctx, app); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d sign-ins, want 2 (the own sign-in app is new in the tenant)", n)
	}
	if c := s.Admin().RoleCheck(app); c.Verdict != flows.RoleDelegatedOnly || len(c.Blocked) == 0 {
		t.Fatalf("role check %q blocked %v: %s", c.Verdict, c.Blocked, c.Message)
	}
	c, err := s.StartConsent(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for ev := range c.Events() {
		if ev.Err != nil || ev.Done {
			t.Fatalf("the wait ended before pausing: %+v", ev)
		}
		if ev.Paused != nil {
			if ev.Paused.Reason != flows.BlockNoRole || !strings.Contains(ev.Paused.Cause, "Cloud Application Administrator") {
				t.Errorf("paused as %+v", ev.Paused)
			}
			return
		}
	}
	t.Fatal("the consent wait closed without pausing")
}
