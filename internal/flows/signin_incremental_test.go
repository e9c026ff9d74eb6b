package flows_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/signin"
)

// A PIM-eligible Global Administrator signing in for the first time gets through the
// sign-in (it asks only User.Read, which the user may consent to), so the first
// screens and the role check run; reading the grants then asks the sign-in client's
// Directory.Read.All with the reason on screen, and Entra ID's refusal (AADSTS90094)
// is explained as the sign-in client's, never the AvePoint app's.
func TestFirstSignInAsksOnlyWhatTheFirstScreensNeed(t *testing.T) {
	srv, s, _ := openSession(t, emulator.Options{Scenario: "pim-first-use"}, nil, nil)
	ctx := context.Background()
	var prompts []flows.SignInPrompt
	admin, err := s.SignIn(ctx, func(p flows.SignInPrompt) { prompts = append(prompts, p) })
	if err != nil {
		t.Fatalf("first sign-in refused: %v", err)
	}
	if admin.UPN != srv.DemoUser() || len(prompts) != 1 || prompts[0].Consent != "" {
		t.Fatalf("admin %+v, prompts %+v", admin, prompts)
	}
	if c := admin.RoleCheck(nil); c.Verdict == flows.RoleNone {
		t.Errorf("roles not readable yet reported as no role: %+v", c)
	}
	err = s.EnsureGrantRead(ctx)
	var ae *explain.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, explain.ErrRefused) || ae.Explanation.Code != 90094 {
		t.Fatalf("grant read: %v, want AADSTS90094 refused", err)
	}
	if ae.Explanation.Title != "The sign-in app needs an administrator's consent" || !strings.Contains(ae.Explanation.Fix, "PIM") {
		t.Errorf("explained as %q: %s", ae.Explanation.Title, ae.Explanation.Fix)
	}
	if len(prompts) != 2 || prompts[1].Consent != signin.GrantReadConsent(srv.SignInClientID()) {
		t.Fatalf("second prompt %+v: a sign-in for Directory.Read.All must say why", prompts)
	}
	var asked []string
	for _, r := range srv.ScopeRequests() {
		if r.Endpoint == "authorize" {
			asked = append(asked, r.Scope)
		}
	}
	if len(asked) != 2 || strings.Contains(asked[0], "Directory.Read.All") || !strings.Contains(asked[1], "Directory.Read.All") {
		t.Errorf("authorize scopes %q: the first sign-in must not ask Directory.Read.All, the second must", asked)
	}
	// The first sign-in's token still reads /me: the session is not broken.
	if _, err := s.Graph().GetAll(ctx, "/organization?$select=id"); err != nil {
		t.Errorf("after the refusal, /organization: %v", err)
	}
}

// A sign-in client consented earlier (here tenant-wide by an admin) needs no second
// sign-in: the grant read gets its token silently, and the roles, not readable with
// User.Read alone, are read with it.
func TestGrantReadIsSilentWhenTheSignInClientIsConsented(t *testing.T) {
	_, s, _ := openSession(t, emulator.Options{Scenario: "pim-eligible"}, nil, nil)
	ctx := context.Background()
	n := 0
	if _, err := s.SignIn(ctx, func(flows.SignInPrompt) { n++ }); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureGrantRead(ctx); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d sign-in prompts, want 1", n)
	}
	if c := s.Admin().RoleCheck(nil); c.Verdict != flows.RoleNone || !strings.Contains(c.Message, "PIM") {
		t.Errorf("role check %+v, want no active role with PIM advice", c)
	}
}
