package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// A custom directory role that may grant consent is invisible to memberOf; it is read
// from the role assignments with their definitions, and makes the verdict "unknown"
// (never "cannot grant"), so the consent wait does not pause for an admin who can.
func TestCustomRoleThatMayGrantNeverPauses(t *testing.T) {
	for _, scenario := range []string{"custom-role", "custom-role-group"} {
		t.Run(scenario, func(t *testing.T) { customRoleNeverPauses(t, scenario) })
	}
}

// customRoleNeverPauses: the scenario's admin holds "Consent Granter (custom)",
// directly (custom-role) or through a role-assignable group (custom-role-group).
func customRoleNeverPauses(t *testing.T, scenario string) {
	f := start(t, scenario, emulator.Faults{}, newFakeClock(false), nil)
	a := f.session.Admin()
	c := a.RoleCheck(f.app(t, "ce"))
	if c.Verdict != flows.RoleUnknown || !strings.Contains(c.Message, "Consent Granter (custom)") {
		t.Fatalf("role check %+v, want unknown naming the custom role", c)
	}
	if len(a.CustomRoles) != 1 || !a.CustomRoles[0].MayGrantConsent || a.CustomRolesErr != nil {
		t.Fatalf("custom roles %+v (%v)", a.CustomRoles, a.CustomRolesErr)
	}
	f.browser.away = true
	w, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if ev := nextEvent(t, w); ev.Paused != nil || ev.Done {
		t.Fatalf("first event %+v: the wait paused for an admin whose custom role may grant", ev)
	}
}

// Without such a role, no built-in consent role still says "cannot grant" and names
// PIM: the custom roles were read and hold nothing that grants.
func TestNoCustomRoleKeepsTheVerdict(t *testing.T) {
	f := start(t, "pim-eligible", emulator.Faults{}, nil, nil)
	a := f.session.Admin()
	if c := a.RoleCheck(nil); c.Verdict != flows.RoleNone || a.CustomRolesErr != nil || len(a.CustomRoles) != 0 {
		t.Fatalf("role check %+v, custom %+v (%v)", c, a.CustomRoles, a.CustomRolesErr)
	}
}
