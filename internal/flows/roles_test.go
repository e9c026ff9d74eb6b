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

// The verdict table of the role check, which is never wrong.
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

// When the roles cannot be read, the message names the account, or says "the
// signed-in account" when its name is unknown.
func TestJudgeRolesNamesTheAccount(t *testing.T) {
	for upn, who := range map[string]string{"adele@contoso.example": "whether adele@contoso.example can", "": "whether The signed-in account can"} {
		rc := JudgeRoles(upn, nil, errors.New("HTTP 403"), nil)
		if rc.Verdict != RoleUnknown || !strings.Contains(rc.Message, who) || !strings.Contains(rc.Message, "(HTTP 403)") {
			t.Errorf("upn %q: %+v", upn, rc)
		}
	}
}

// An application administrator with no app chosen (or an app without Microsoft Graph
// application permissions) is told nothing is blocked, not "Blocked for this app: .".
func TestJudgeRolesDelegatedOnlyWithoutBlockedRows(t *testing.T) {
	roles := []DirectoryRole{{"Cloud Application Administrator", RoleCloudApplicationAdministrator}}
	rc := JudgeRoles("alex@contoso.example", roles, nil, nil)
	if rc.Verdict != RoleDelegatedOnly || len(rc.Blocked) != 0 || strings.Contains(rc.Message, "Blocked for this app") {
		t.Fatalf("no app: %+v", rc)
	}
	ce := testkit.App(t, "ce")
	rc = JudgeRoles("alex@contoso.example", roles, nil, ce)
	if want := " Blocked for this app: Microsoft Graph · Directory.Read.All."; rc.Verdict != RoleDelegatedOnly || !strings.Contains(rc.Message, want) {
		t.Fatalf("CE: %+v, want %q", rc, want)
	}
}
