package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/d365consent/d365consent/permissions"
)

// Role template ids that matter for admin consent
// (https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference,
// https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent).
const (
	RoleGlobalAdministrator         = "62e90394-69f5-4237-9190-012177145e10"
	RolePrivilegedRoleAdministrator = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	// Cloud Application Administrator and Application Administrator can grant
	// tenant-wide consent to delegated permissions and to application permissions of
	// APIs other than Microsoft Graph, but not to Microsoft Graph app roles.
	RoleCloudApplicationAdministrator = "158c047a-c907-4556-b7ef-446551a6b5f7"
	RoleApplicationAdministrator      = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
)

// RolesRequestURL reads the signed-in user's memberships with the plain (uncast)
// form: the OData cast /microsoft.graph.directoryRole is an advanced query that needs
// ConsistencyLevel: eventual and $count=true
// (https://learn.microsoft.com/graph/aad-advanced-queries); directory roles are
// picked by @odata.type in code.
const RolesRequestURL = "/me/transitiveMemberOf?$select=id,displayName,roleTemplateId,isAssignableToRole"

// DirectoryRole is an active directory role of the signed-in user.
// Its name is display-safe (graph.Unmarshal).
type DirectoryRole struct {
	DisplayName    string
	RoleTemplateID string
}

// RoleVerdict is what the signed-in account's roles let it grant.
type RoleVerdict string

// Role verdicts.
const (
	// RoleCanGrantAll: Global Administrator or Privileged Role Administrator.
	RoleCanGrantAll RoleVerdict = "can-grant-all"
	// RoleDelegatedOnly: Cloud Application Administrator or Application
	// Administrator: everything but Microsoft Graph application permissions.
	RoleDelegatedOnly RoleVerdict = "delegated-only"
	// RoleNone: no role that can grant admin consent is active.
	RoleNone RoleVerdict = "none"
	// RoleUnknown: the roles could not be read. Never reported as "no role".
	RoleUnknown RoleVerdict = "unknown"
)

// RoleCheck is the verdict on the signed-in account's roles for one app. It is
// advice: it never changes a verification's verdict or an exit code.
type RoleCheck struct {
	Verdict RoleVerdict
	// Roles are the active directory roles' display names.
	Roles []string
	// Blocked lists the app's rows the account cannot grant ("API · permission").
	Blocked []string
	// Message says it in plain words ("" for RoleCanGrantAll with nothing to add).
	Message string
	// Err is why the roles could not be read (RoleUnknown).
	Err error
}

// CanGrantAll reports whether the account can grant every permission.
func (c RoleCheck) CanGrantAll() bool { return c.Verdict == RoleCanGrantAll }

type memberReply struct {
	Type           string `json:"@odata.type"`
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	RoleTemplateID string `json:"roleTemplateId"`
	// IsAssignableToRole: a role-assignable group, which may hold roles for its members.
	IsAssignableToRole bool `json:"isAssignableToRole"`
}

// errLimitedRoles: Graph returned role objects without their properties (the caller
// may not read them: "limited information").
var errLimitedRoles = errors.New("Microsoft Graph returned your role objects without their details")

// parseDirectoryRoles picks the directory roles out of a transitiveMemberOf reply.
// readErr (the request's own failure) is passed through: a failed read is never an
// empty role list.
func parseDirectoryRoles(items []json.RawMessage, readErr error) ([]DirectoryRole, error) {
	if readErr != nil {
		return nil, readErr
	}
	var out []DirectoryRole
	limited := false
	for _, raw := range items {
		var m memberReply
		if err := jsonUnmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("decoding your memberships: %w", err)
		}
		if !strings.EqualFold(m.Type, "#microsoft.graph.directoryRole") {
			continue
		}
		if m.RoleTemplateID == "" {
			limited = true
			continue
		}
		out = append(out, DirectoryRole{DisplayName: m.DisplayName, RoleTemplateID: strings.ToLower(m.RoleTemplateID)})
	}
	if limited && len(out) == 0 {
		return nil, errLimitedRoles
	}
	return out, nil
}

// JudgeRoles gives the verdict for app (nil = no app chosen yet: rows are not named).
func JudgeRoles(upn string, roles []DirectoryRole, readErr error, app *permissions.App) RoleCheck {
	who := upn
	if who == "" {
		who = "The signed-in account"
	}
	if readErr != nil {
		return RoleCheck{Verdict: RoleUnknown, Err: readErr, Message: fmt.Sprintf(
			"Could not read your directory roles (%v), so this tool cannot tell whether %s can grant admin consent. "+
				"It does not mean you lack a role: try the consent page; Entra ID itself will refuse it if the role is missing. "+
				"Granting needs Global Administrator or Privileged Role Administrator (Cloud Application Administrator and "+
				"Application Administrator can grant all but Microsoft Graph application permissions).",
			readErr, who)}
	}
	c := RoleCheck{}
	all, appAdmin := "", ""
	for _, r := range roles {
		c.Roles = append(c.Roles, r.DisplayName)
		switch strings.ToLower(r.RoleTemplateID) {
		case RoleGlobalAdministrator, RolePrivilegedRoleAdministrator:
			if all == "" {
				all = r.DisplayName
			}
		case RoleCloudApplicationAdministrator, RoleApplicationAdministrator:
			if appAdmin == "" {
				appAdmin = r.DisplayName
			}
		}
	}
	switch {
	case all != "":
		c.Verdict = RoleCanGrantAll
		c.Message = fmt.Sprintf("%s is %s: can grant every permission of the app.", who, all)
	case appAdmin != "":
		c.Verdict = RoleDelegatedOnly
		if app != nil {
			for _, p := range app.Permissions {
				if p.Type == permissions.Application && strings.EqualFold(p.ResourceAppID, permissions.GraphAppID) {
					c.Blocked = append(c.Blocked, p.API+" · "+p.Value)
				}
			}
		}
		c.Message = fmt.Sprintf("%s is %s: it can grant the delegated permissions (and application permissions of other APIs), "+
			"but not Microsoft Graph application permissions.", who, appAdmin)
		if len(c.Blocked) > 0 {
			c.Message += " Blocked for this app: " + strings.Join(c.Blocked, ", ") + "."
		}
		c.Message += " A Global Administrator or Privileged Role Administrator must grant those (or activate such a role in Privileged Identity Management, PIM)."
	default:
		c.Verdict = RoleNone
		have := "no active directory role"
		if len(c.Roles) > 0 {
			have = "active roles: " + strings.Join(c.Roles, ", ")
		}
		c.Message = fmt.Sprintf("%s has %s. Granting admin consent to Microsoft Graph application permissions needs "+
			"Global Administrator or Privileged Role Administrator. If you are eligible through Privileged Identity "+
			"Management (PIM), activate the role first (eligible roles stay invisible until activated), then sign in again; "+
			"otherwise ask someone who holds the role to open the consent link.", who, have)
	}
	return c
}
