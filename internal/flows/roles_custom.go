package flows

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/d365consent/d365consent/internal/flows/graph"
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
