package flows

import (
	"testing"

	"github.com/d365consent/d365consent/permissions"
)

// Mutants gremlins found alive (BENCHMARKS.md "Mutation testing"), each killed by an
// exact outcome here.

// After consent, settled, with every row granted (the newly required one included),
// nothing blocks: "registration behind" needs a newly required row still missing.
func TestRegistrationBehindNeedsAMissingNewRow(t *testing.T) {
	uo, _ := permissions.Embedded().App("uo")
	uoNew := *uo
	uoNew.Permissions = append([]permissions.Permission(nil), uo.Permissions...)
	for i := range uoNew.Permissions {
		uoNew.Permissions[i].NewlyRequired = uoNew.Permissions[i].Value == "Connector.FullAccess"
	}
	granted := resultFor(&uoNew, &ResultSP{ID: "sp", AccountEnabled: true}, func(permissions.Permission) PermStatus { return PermGranted })
	if b := consentBlocker(&uoNew, granted, nil, true, RegistrationSettle); b != nil {
		t.Fatalf("everything granted: blocked by %v", b)
	}
}

// pathOnly cuts a Graph path at its query, a query alone included.
func TestPathOnly(t *testing.T) {
	for in, want := range map[string]string{
		"/servicePrincipals/x/appRoleAssignments?$top=999": "/servicePrincipals/x/appRoleAssignments",
		"?$top=999": "",
		"/me":       "/me",
	} {
		if got := pathOnly(in); got != want {
			t.Errorf("pathOnly(%q) = %q, want %q", in, got, want)
		}
	}
}
