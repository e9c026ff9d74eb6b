package flows

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows/graph"
)

// The role-assignable groups of a membership list are the ones whose role assignments
// are read; when one of those reads fails or is missing, the custom roles are unknown
// (the verdict "unknown" never pauses), never "none".
func TestGroupCustomRolesUnreadAreUnknown(t *testing.T) {
	const grp = "11111111-2222-3333-4444-555555555555"
	roles := &graph.Response{Status: 200, Value: []json.RawMessage{
		json.RawMessage(`{"@odata.type":"#microsoft.graph.group","id":"` + grp + `","isAssignableToRole":true}`),
		json.RawMessage(`{"@odata.type":"#microsoft.graph.group","id":"99999999-2222-3333-4444-555555555555","isAssignableToRole":false}`),
		json.RawMessage(`{"@odata.type":"#microsoft.graph.directoryRole","id":"r","displayName":"Global Reader","roleTemplateId":"f2ef992c-3afb-46b9-b7cf-a126ee74c451"}`),
	}}
	if got := assignableGroups(roles); len(got) != 1 || got[0] != grp {
		t.Fatalf("assignable groups %v, want only %s", got, grp)
	}
	for name, gr := range map[string]*graph.Response{
		"refused": {Status: 403, Err: &graph.Error{Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges"}},
		"missing": nil,
	} {
		a := &Admin{UPN: "admin@contoso.example"}
		a.setCustom(map[string]*graph.Response{"roles": roles, "custom": {Status: 200}, groupRolePrefix + grp: gr})
		a.setRoles(roles)
		if c := a.RoleCheck(nil); c.Verdict != RoleUnknown || a.CustomRolesErr == nil || !strings.Contains(c.Message, "could not be read") {
			t.Errorf("%s: role check %+v (custom err %v), want unknown", name, c, a.CustomRolesErr)
		}
	}
}
