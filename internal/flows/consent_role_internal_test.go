package flows

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// "Sign-in account without the role" is a state consent from this account
// cannot fix. roleBlocker decides it from roles that were read, never from a guess.
func TestRoleBlocker(t *testing.T) {
	ce, uo := testkit.App(t, "ce"), testkit.App(t, "uo")
	enabled := &ResultSP{ID: "sp", AccountEnabled: true}
	missing := func(permissions.Permission) PermStatus { return PermMissing }
	graphAppGranted := func(p permissions.Permission) PermStatus {
		if p.Type == permissions.Application && p.ResourceAppID == permissions.GraphAppID {
			return PermGranted
		}
		return PermMissing
	}
	read := func(upn string, roles ...DirectoryRole) *Admin {
		return &Admin{UPN: upn, DirectoryRoles: roles, RolesRead: true}
	}
	ga := read("adele@contoso.example", DirectoryRole{"Global Administrator", RoleGlobalAdministrator})
	pra := read("megan@contoso.example", DirectoryRole{"Privileged Role Administrator", RolePrivilegedRoleAdministrator})
	reader := read("adele@contoso.example", DirectoryRole{"Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"})
	cloudApp := read("cara@contoso.example", DirectoryRole{"Cloud Application Administrator", RoleCloudApplicationAdministrator})
	appAdmin := read("ann@contoso.example", DirectoryRole{"Application Administrator", RoleApplicationAdministrator})
	none := read("alex@contoso.example")
	notRead := &Admin{UPN: "alex@contoso.example"}                                               // roles never read
	failed := &Admin{UPN: "alex@contoso.example", RolesErr: errors.New("403"), RolesRead: false} // could not read
	for _, tc := range []struct {
		name  string
		app   *permissions.App
		r     *Result
		admin *Admin
		rows  []string // nil: not blocked
		says  []string
	}{
		{"Global Administrator", ce, resultFor(ce, nil, missing), ga, nil, nil},
		{"Privileged Role Administrator", uo, resultFor(uo, enabled, missing), pra, nil, nil},
		{"no admin", ce, resultFor(ce, nil, missing), nil, nil, nil},
		{"roles never read", ce, resultFor(ce, nil, missing), notRead, nil, nil},
		{"roles unreadable", ce, resultFor(ce, nil, missing), failed, nil, nil},
		{"Global Reader only", ce, resultFor(ce, nil, missing), reader,
			[]string{"Microsoft Graph · User.Read", "Microsoft Graph · Directory.Read.All", "Dynamics CRM · user_impersonation"},
			[]string{"adele@contoso.example", "active roles: Global Reader", "AADSTS90094", "Global Administrator or Privileged Role Administrator", "PIM", "admin consent workflow"}},
		{"no role at all", ce, resultFor(ce, nil, missing), none, nil, []string{"no active directory role"}},
		{"Cloud Application Administrator, a Graph app permission missing", ce, resultFor(ce, nil, missing), cloudApp,
			[]string{"Microsoft Graph · Directory.Read.All"}, []string{"Cloud Application Administrator", "Directory.Read.All is still missing", "not Microsoft Graph application permissions"}},
		{"Application Administrator, Graph app permissions granted already", uo, resultFor(uo, enabled, graphAppGranted), appAdmin, nil, nil},
		{"Cloud Application Administrator, UO's Graph app permissions missing", uo, resultFor(uo, enabled, missing), cloudApp,
			graphAppRows(uo), []string{"are still missing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := roleBlocker(tc.app, tc.r, tc.admin)
			if tc.rows == nil && tc.says == nil {
				if b != nil {
					t.Fatalf("blocked: %v", b)
				}
				return
			}
			if b == nil || b.Reason != BlockNoRole {
				t.Fatalf("got %+v, want %s", b, BlockNoRole)
			}
			if !errors.Is(b, ErrCannotFix) || !errors.Is(b, ErrIncomplete) {
				t.Errorf("%v does not match ErrCannotFix and ErrIncomplete (exit 3)", b)
			}
			if tc.rows != nil && !reflect.DeepEqual(b.Rows, tc.rows) {
				t.Errorf("rows %q, want %q", b.Rows, tc.rows)
			}
			// flows does not know the screen's keys: the ui says which key waits.
			if strings.Contains(strings.ToLower(b.Error()), "press ") {
				t.Errorf("names a key: %s", b.Error())
			}
			for _, s := range tc.says {
				if !strings.Contains(b.Error(), s) {
					t.Errorf("lacks %q: %s", s, b.Error())
				}
			}
		})
	}
}

func graphAppRows(app *permissions.App) []string {
	var out []string
	for _, p := range app.Permissions {
		if p.Type == permissions.Application && p.ResourceAppID == permissions.GraphAppID {
			out = append(out, p.API+" · "+p.Value)
		}
	}
	return out
}
