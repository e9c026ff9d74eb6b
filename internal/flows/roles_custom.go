package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/permissions"
)

// Custom directory roles may grant admin consent too
// (entra/identity/enterprise-apps/grant-admin-consent, "Prerequisites": "a custom
// directory role that includes the permission to grant permissions to
// applications"), and they are invisible to /me/transitiveMemberOf: they are read
// from the role assignments with their definitions
// (graph/api/rbacapplication-list-roleassignments; Directory.Read.All suffices).

// CustomRole is a custom directory role the signed-in user holds.
type CustomRole struct {
	DisplayName string
	// MayGrantConsent: its definition allows managePermissionGrantsForAll (tenant-wide
	// consent under a permission grant policy, custom-consent-permissions).
	MayGrantConsent bool
}

// customRolesURL lists the role assignments of the user oid with their definitions.
func customRolesURL(oid string) string {
	return "/roleManagement/directory/roleAssignments?$filter=" + url.QueryEscape("principalId eq '"+oid+"'") + "&$expand=roleDefinition"
}

type roleAssignmentReply struct {
	RoleDefinition *struct {
		DisplayName     string `json:"displayName"`
		IsBuiltIn       bool   `json:"isBuiltIn"`
		RolePermissions []struct {
			AllowedResourceActions []string `json:"allowedResourceActions" graph:"verbatim"`
		} `json:"rolePermissions"`
	} `json:"roleDefinition"`
}

// parseCustomRoles reads the custom roles out of a role assignment list.
func parseCustomRoles(r *graph.Response) ([]CustomRole, error) {
	switch {
	case r == nil:
		return nil, fmt.Errorf("no reply")
	case r.Err != nil:
		return nil, r.Err
	}
	var out []CustomRole
	for _, raw := range r.Value {
		var a roleAssignmentReply
		if err := jsonUnmarshal(json.RawMessage(raw), &a); err != nil {
			return nil, fmt.Errorf("decoding your role assignments: %w", err)
		}
		if a.RoleDefinition == nil || a.RoleDefinition.IsBuiltIn {
			continue
		}
		c := CustomRole{DisplayName: a.RoleDefinition.DisplayName}
		for _, p := range a.RoleDefinition.RolePermissions {
			for _, act := range p.AllowedResourceActions {
				if strings.HasPrefix(strings.ToLower(act), "microsoft.directory/serviceprincipals/managepermissiongrantsforall.") {
					c.MayGrantConsent = true
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// withCustomRoles refines a "no role" verdict: a custom role that may grant consent,
// or custom roles that could not be read, make it unknown — which never pauses the
// consent wait; the consent page itself decides.
func (a *Admin) withCustomRoles(c RoleCheck) RoleCheck {
	if c.Verdict != RoleNone || !a.customAsked {
		return c
	}
	who := a.UPN
	if who == "" {
		who = "The signed-in account"
	}
	if a.CustomRolesErr != nil {
		c.Verdict, c.Err = RoleUnknown, a.CustomRolesErr
		c.Message = fmt.Sprintf("%s has no built-in role that grants admin consent, and its custom directory roles could not be read (%v): "+
			"a custom role may still allow it. Try the consent page; Entra ID refuses it if no role allows it.", who, a.CustomRolesErr)
		return c
	}
	for _, r := range a.CustomRoles {
		if r.MayGrantConsent {
			c.Verdict = RoleUnknown
			c.Message = fmt.Sprintf("%s holds the custom role %s, which may grant tenant-wide consent (under its permission grant policy): "+
				"try the consent page; Entra ID refuses what the policy does not allow.", who, r.DisplayName)
			return c
		}
	}
	return c
}

// groupRolePrefix names the requests for the role assignments of the user's
// role-assignable groups: a custom role assigned to such a group is held by its members
// (entra/identity/role-based-access-control/groups-concept: "You can also create
// custom roles with specific permissions and assign them to groups") and is not among
// the user's own role assignments.
const groupRolePrefix = "custom-group:"

// assignableGroups are the role-assignable groups of a transitiveMemberOf reply.
func assignableGroups(r *graph.Response) []string {
	if r == nil || r.Err != nil {
		return nil
	}
	var out []string
	for _, raw := range r.Value {
		var m memberReply
		if jsonUnmarshal(raw, &m) == nil && strings.EqualFold(m.Type, "#microsoft.graph.group") && m.IsAssignableToRole && permissions.IsGUID(m.ID) {
			out = append(out, m.ID)
		}
	}
	return out
}

// addGroupRoles reads, when the user's custom roles were asked for, the role
// assignments of the user's role-assignable groups into reps (groupRolePrefix + id);
// setCustom reads them with the user's own. A failed read is kept as a missing reply:
// the custom roles are then unknown, never "none".
func (s *Session) addGroupRoles(ctx context.Context, reps map[string]*graph.Response) {
	if _, asked := reps["custom"]; !asked {
		return
	}
	var reqs []graph.Request
	for _, id := range assignableGroups(reps["roles"]) {
		reqs = append(reqs, graph.Request{ID: groupRolePrefix + id, Method: http.MethodGet, URL: customRolesURL(id)})
	}
	if len(reqs) == 0 {
		return
	}
	got, err := s.graph.BatchAll(ctx, reqs)
	if err != nil {
		s.logger.Warn("reading the role assignments of role-assignable groups", "err", err)
	}
	for _, r := range reqs {
		reps[r.ID] = got[r.ID] // nil when not read: parseCustomRoles says "no reply"
	}
}
