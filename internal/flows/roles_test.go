package flows

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

func testCatalog(t *testing.T) *permissions.Catalog {
	t.Helper()
	return testkit.Catalog(t)
}

func member(typ, name, tmpl string) json.RawMessage {
	m := map[string]string{"@odata.type": typ, "id": "00000000-0000-0000-0000-00000000000" + string(rune('a'+len(name)%6))}
	if name != "" {
		m["displayName"] = name
	}
	if tmpl != "" {
		m["roleTemplateId"] = tmpl
	}
	b, _ := json.Marshal(m)
	return b
}

const dirRole = "#microsoft.graph.directoryRole"

// The verdict table of issue 10 ("Role check that is never wrong").
func TestRoleVerdicts(t *testing.T) {
	cat := testCatalog(t)
	ce, _ := cat.App("ce")
	uo, _ := cat.App("uo")
	group := member("#microsoft.graph.group", "Global Administrator fans", RoleGlobalAdministrator) // a group is never a role
	for _, tc := range []struct {
		name    string
		app     *permissions.App
		members []json.RawMessage
		readErr error
		verdict RoleVerdict
		blocked []string
		says    []string
		never   []string
	}{
		{name: "global admin", app: ce, members: []json.RawMessage{group, member(dirRole, "Global Administrator", RoleGlobalAdministrator)},
			verdict: RoleCanGrantAll, says: []string{"Global Administrator", "can grant every permission"}},
		{name: "privileged role admin", app: uo, members: []json.RawMessage{member(dirRole, "Privileged Role Administrator", RolePrivilegedRoleAdministrator)},
			verdict: RoleCanGrantAll},
		{name: "template id upper case", app: ce, members: []json.RawMessage{member(dirRole, "Global Administrator", strings.ToUpper(RoleGlobalAdministrator))},
			verdict: RoleCanGrantAll},
		{name: "cloud app admin, CE", app: ce, members: []json.RawMessage{member(dirRole, "Cloud Application Administrator", RoleCloudApplicationAdministrator)},
			verdict: RoleDelegatedOnly, blocked: []string{"Microsoft Graph · Directory.Read.All"},
			says: []string{"Cloud Application Administrator", "delegated", "not Microsoft Graph application permissions", "Microsoft Graph · Directory.Read.All"}},
		{name: "app admin, UO: Dynamics ERP application permission is not blocked", app: uo,
			members: []json.RawMessage{member(dirRole, "Application Administrator", RoleApplicationAdministrator)},
			verdict: RoleDelegatedOnly, blocked: []string{"Microsoft Graph · Directory.Read.All", "Microsoft Graph · Group.Read.All"},
			never: []string{"Connector.FullAccess"}},
		{name: "cloud app admin and GA", app: ce, members: []json.RawMessage{member(dirRole, "Cloud Application Administrator", RoleCloudApplicationAdministrator), member(dirRole, "Global Administrator", RoleGlobalAdministrator)},
			verdict: RoleCanGrantAll},
		{name: "no role: PIM", app: ce, members: []json.RawMessage{group, member(dirRole, "Directory Readers", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b")},
			verdict: RoleNone, says: []string{"Directory Readers", "Privileged Identity Management", "activate"}},
		{name: "nothing at all", app: ce, verdict: RoleNone, says: []string{"no active directory role", "PIM"}},
		{name: "read failed", app: ce, readErr: &graph.Error{Status: 403, Code: "Authorization_RequestDenied", Message: "Insufficient privileges"},
			verdict: RoleUnknown, says: []string{"Could not read your directory roles", "Insufficient privileges"}, never: []string{"no active directory role", "no role"}},
		{name: "limited information: role objects without template id", app: ce, members: []json.RawMessage{member(dirRole, "", "")},
			verdict: RoleUnknown, says: []string{"Could not read your directory roles"}, never: []string{"no active directory role"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roles, err := parseDirectoryRoles(tc.members, tc.readErr)
			c := JudgeRoles("admin@contoso.example", roles, err, tc.app)
			if c.Verdict != tc.verdict {
				t.Fatalf("verdict %q, want %q (%s)", c.Verdict, tc.verdict, c.Message)
			}
			if strings.Join(c.Blocked, "|") != strings.Join(tc.blocked, "|") {
				t.Errorf("blocked %q, want %q", c.Blocked, tc.blocked)
			}
			for _, s := range tc.says {
				if !strings.Contains(c.Message, s) {
					t.Errorf("message lacks %q:\n%s", s, c.Message)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(c.Message, s) {
					t.Errorf("message has %q:\n%s", s, c.Message)
				}
			}
			if (tc.verdict == RoleCanGrantAll) != c.CanGrantAll() {
				t.Errorf("CanGrantAll %v", c.CanGrantAll())
			}
		})
	}
	if _, err := parseDirectoryRoles(nil, errors.New("x")); err == nil {
		t.Fatal("read error lost")
	}
}
