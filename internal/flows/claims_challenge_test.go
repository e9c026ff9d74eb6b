package flows_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// The real MSAL clients declare cp1, so the emulator's Graph sends them its claims
// challenge (continuous access evaluation); the session signs in again with the
// claims and the work goes on.
func TestGraphClaimsChallengeToCP1Client(t *testing.T) {
	srv, s, _ := openSession(t, emulator.Options{Scenario: "consented", Faults: emulator.Faults{ClaimsChallenge: 1}}, nil, nil)
	var prompts []flows.SignInPrompt
	if _, err := s.SignIn(context.Background(), func(p flows.SignInPrompt) { prompts = append(prompts, p) }); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureGrantRead(context.Background()); err != nil {
		t.Fatal(err)
	}
	ce, ok := srv.Catalog().App("ce")
	if !ok {
		t.Fatal("no CE in the catalog")
	}
	r, err := s.Verify(context.Background(), ce)
	if err != nil || r.Status != flows.StatusComplete {
		t.Fatalf("verify after the challenge: %v %v", r, err)
	}
	if n := srv.Faults().ClaimsChallenge; n != 0 {
		t.Fatalf("Graph sent no claims challenge (%d left): the token did not declare cp1", n)
	}
	if len(prompts) != 2 || prompts[0].Claims || !prompts[1].Claims {
		t.Fatalf("prompts %+v: want the second one to answer the claims challenge", prompts)
	}
	claims := ""
	if u, err := url.Parse(prompts[1].URL); err == nil {
		claims = u.Query().Get("claims")
	}
	if !strings.Contains(claims, `"nbf"`) || !strings.Contains(claims, `"xms_cc"`) {
		t.Fatalf("the sign-in again asks for %q, want the challenge's nbf and the cp1 capability", claims)
	}
}

// The session-revoked demo scenario sends that challenge once: the sign-in prompts a
// second time with the claims and reads the admin.
func TestSessionRevokedScenarioChallenges(t *testing.T) {
	srv, s, _ := openSession(t, emulator.Options{Scenario: "session-revoked"}, nil, nil)
	var prompts []flows.SignInPrompt
	admin, err := s.SignIn(context.Background(), func(p flows.SignInPrompt) { prompts = append(prompts, p) })
	if err != nil || admin == nil || admin.UPN != srv.DemoUser() {
		t.Fatalf("sign-in: %+v %v", admin, err)
	}
	if n := srv.Faults().ClaimsChallenge; n != 0 || len(prompts) != 2 || !prompts[1].Claims {
		t.Fatalf("%d challenges left, prompts %+v: want one challenge answered by a second sign-in", n, prompts)
	}
}
