package flows_test

// Sign-in, roles and the consent wait against the emulator's tenant states
// (emulator/scenarios_more.go).

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
)

// newSession is a session on scenario's tenant without signing in.
func newSession(t *testing.T, scenario string, mut func(*flows.Config)) (*emulator.Server, *flows.Session, *demoBrowser) {
	t.Helper()
	return openSession(t, emulator.Options{Scenario: scenario}, nil, mut)
}

// The role verdict of each tenant state, read by the real sign-in (uncast
// transitiveMemberOf, directory roles picked by @odata.type).
func TestRoleVerdictScenarios(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		verdict  flows.RoleVerdict
		says     []string
	}{
		{"consented", flows.RoleCanGrantAll, nil},
		{"group-role", flows.RoleCanGrantAll, []string{"Global Administrator"}},
		{"cloud-app-admin", flows.RoleDelegatedOnly, []string{"Cloud Application Administrator", "Microsoft Graph · Directory.Read.All"}},
		{"restricted-reader", flows.RoleNone, []string{"no active directory role"}},
		{"pim-eligible", flows.RoleNone, []string{"active roles: Global Reader", "Privileged Identity Management (PIM)"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			f := start(t, tc.scenario, emulator.Faults{}, nil, nil)
			c := f.session.Admin().RoleCheck(f.app(t, "ce"))
			if c.Verdict != tc.verdict {
				t.Fatalf("verdict %s (%s), want %s", c.Verdict, c.Message, tc.verdict)
			}
			for _, s := range tc.says {
				if !strings.Contains(c.Message, s) {
					t.Errorf("lacks %q: %s", s, c.Message)
				}
			}
		})
	}
}

// Grants, assignments and the service principal replicate apart; some polls get 404
// or 503: the wait keeps going and ends with everything granted.
func TestConsentStaggeredReplication(t *testing.T) {
	clock := newFakeClock(true)
	f := start(t, "staggered-replication", emulator.Faults{}, clock, nil)
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := waitAll(t, c)
	last := evs[len(evs)-1]
	if !last.Done || last.Err != nil || last.Result.Status != flows.StatusComplete {
		t.Fatalf("final %+v", last)
	}
}

// A restricted reader cannot read the grant lists (403): the wait ends at once and
// says so, never "missing".
func TestConsentRestrictedReaderEndsAtOnce(t *testing.T) {
	f := start(t, "restricted-reader", emulator.Faults{}, nil, nil)
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	evs := waitAll(t, c)
	var b *flows.BlockedError
	if len(evs) != 1 || !errors.As(evs[0].Err, &b) || b.Reason != flows.BlockCannotRead {
		t.Fatalf("events %+v", evs)
	}
}

// Sign-in refusals explained for the sign-in app: a blocked Graph CLI client names
// --signin-client-id; MFA / Conditional Access are explained.
func TestSignInRefusalScenarios(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		code     int
		fix      string
	}{
		{"signin-app-blocked", 7000112, "--signin-client-id"},
		{"ca-blocked", 53003, "Conditional Access"},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			_, s, _ := newSession(t, tc.scenario, nil)
			_, err := s.SignIn(context.Background(), nil)
			x := explain.Explain(err)
			if !errors.Is(err, flows.ErrRefused) || x == nil || x.Code != tc.code || !strings.Contains(x.Title+x.Meaning+x.Fix, tc.fix) {
				t.Fatalf("err %v, explanation %+v", err, x)
			}
		})
	}
}

// Conditional Access starts requiring MFA after the first sign-in: the refresh fails
// with AADSTS50076 (interaction required, with claims) and the admin is asked to sign
// in again, then the work goes on.
func TestMFARequiredRefreshPromptsAgain(t *testing.T) {
	var prompts []flows.SignInPrompt
	_, s, _ := newSession(t, "mfa-required", nil)
	admin, err := s.SignIn(context.Background(), func(p flows.SignInPrompt) { prompts = append(prompts, p) })
	if err != nil {
		t.Fatal(err)
	}
	if admin == nil || len(prompts) != 2 || prompts[0].Claims || !prompts[1].Claims || !strings.Contains(prompts[1].URL, "claims=") {
		t.Fatalf("prompts %+v: the refresh needing MFA must prompt again, with the claims", prompts)
	}
}
