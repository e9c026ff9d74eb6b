package emulator

import (
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Directory role template ids beyond the two that may grant everything. Ids from
// entra/identity/role-based-access-control/permissions-reference.
const (
	CloudAppAdminTemplateID    = "158c047a-c907-4556-b7ef-446551a6b5f7"
	AppAdminTemplateID         = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	GlobalReaderTemplateID     = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	DirectoryReadersTemplateID = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	AppDeveloperTemplateID     = "cf1c38e5-3621-4004-a7cb-879624dced7c"
	DirectoryWritersTemplateID = "9360feb5-f418-4baf-8175-e2a00bac4301"
	UserAdminTemplateID        = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	directorySyncTemplateID    = "d29b2b05-8046-44ba-8758-1e26182fcf32"
)

// moreRoles are the activated directory roles the scenarios use (a directoryRole
// object exists in a tenant once someone holds the role).
func moreRoles() []directoryRole {
	return []directoryRole{
		{ID: stableID("role:cloudappadmin"), TemplateID: CloudAppAdminTemplateID, DisplayName: "Cloud Application Administrator",
			Description: "Can create and manage all aspects of app registrations and enterprise apps except App Proxy."},
		{ID: stableID("role:appadmin"), TemplateID: AppAdminTemplateID, DisplayName: "Application Administrator",
			Description: "Can create and manage all aspects of app registrations and enterprise apps."},
		{ID: stableID("role:globalreader"), TemplateID: GlobalReaderTemplateID, DisplayName: "Global Reader",
			Description: "Can read everything that a Global Administrator can, but not update anything."},
	}
}

// grantReaderRoles may read oauth2PermissionGrants and appRoleAssignments in a
// delegated call. graph/api/serviceprincipal-list-oauth2permissiongrants (its
// rbac-oauth2permissiongrant-serviceprincipal-apis-read include: "the signed-in user
// must be assigned a supported Microsoft Entra role"): Directory Readers, Global
// Reader, Application Developer, Directory Writers, Cloud Application Administrator,
// Application Administrator, Privileged Role Administrator, User Administrator,
// Directory Synchronization Accounts — and Global Administrator, which holds every
// permission those roles have.
var grantReaderRoles = []string{
	DirectoryReadersTemplateID, GlobalReaderTemplateID, AppDeveloperTemplateID, DirectoryWritersTemplateID,
	CloudAppAdminTemplateID, AppAdminTemplateID, PrivilegedRoleAdminTemplID, UserAdminTemplateID, directorySyncTemplateID,
	GlobalAdminTemplateID,
}

// group is a security group; a role-assignable group (isAssignableToRole) may hold
// directory roles, which its members then hold transitively
// (entra/identity/role-based-access-control/groups-concept).
type group struct {
	ID, DisplayName, Description string
	AssignableToRole             bool
	Roles                        []string // role template ids assigned to the group
	CustomRoles                  []string // custom role ids assigned to the group (customRole)
	Members                      []string // user ids
}

// activeRoles are the role template ids the user holds now: assigned directly or
// through a role-assignable group. PIM-eligible roles are not among them until
// activated (entra/id-governance/privileged-identity-management/pim-how-to-activate-role).
func (d *directory) activeRoles(u *user) []string {
	out := append([]string(nil), u.Roles...)
	for _, g := range d.groupsOf(u) {
		for _, r := range g.Roles {
			if !containsFold(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

func (d *directory) groupsOf(u *user) []*group {
	var out []*group
	for _, g := range d.groups {
		for _, m := range g.Members {
			if m == u.ID {
				out = append(out, g)
			}
		}
	}
	return out
}

func (d *directory) hasAnyRole(u *user, templates ...string) bool {
	for _, r := range d.activeRoles(u) {
		if containsFold(templates, r) {
			return true
		}
	}
	return false
}

// canGrantAll: consent to Microsoft Graph application permissions needs Global
// Administrator or Privileged Role Administrator
// (entra/identity/enterprise-apps/grant-admin-consent, "Prerequisites").
func (d *directory) canGrantAll(u *user) bool {
	return d.hasAnyRole(u, GlobalAdminTemplateID, PrivilegedRoleAdminTemplID)
}

// canGrantDelegated: Cloud Application Administrator and Application Administrator
// may grant tenant-wide consent to delegated permissions (and to application
// permissions of APIs other than Microsoft Graph)
// (entra/identity/enterprise-apps/grant-admin-consent, "Prerequisites").
func (d *directory) canGrantDelegated(u *user) bool {
	return d.canGrantAll(u) || d.hasAnyRole(u, CloudAppAdminTemplateID, AppAdminTemplateID) || d.customRoleGrants(u)
}

// roleByTemplate finds the directory role object for a template id.
func (d *directory) roleByTemplate(t string) *directoryRole {
	for i := range d.roles {
		if d.roles[i].TemplateID == t {
			return &d.roles[i]
		}
	}
	return nil
}

// addGroup adds a role-assignable group holding roles with the user as its member.
func (d *directory) addGroup(name string, roles []string, members ...string) *group {
	g := &group{ID: stableID("group:" + name), DisplayName: name, Description: "Role-assignable group " + name,
		AssignableToRole: true, Roles: roles, Members: members}
	d.groups = append(d.groups, g)
	return g
}

// addStaffGroup adds "All staff", an ordinary security group (not role-assignable,
// no roles) of every user: membership lists mix groups with directory roles
// (graph/api/user-list-transitivememberof), so a role read must pick roles by
// @odata.type.
func (d *directory) addStaffGroup() {
	g := &group{ID: stableID("group:all-staff"), DisplayName: "All staff", Description: "Everyone in the organization"}
	for _, u := range d.users {
		g.Members = append(g.Members, u.ID)
	}
	d.groups = append(d.groups, g)
}

// replaceDelegated makes the client's tenant-wide (AllPrincipals) grant on resource
// hold exactly scopes, as admin consent does: "granting tenant-wide admin consent
// may revoke permissions that have already been granted tenant-wide for that
// application. Permissions that users have already granted on their own behalf
// aren't affected" (entra/identity/enterprise-apps/grant-admin-consent). Scopes the
// grant lacks become visible at visibleAt; an empty set deletes the grant.
func (d *directory) replaceDelegated(client, resource *servicePrincipal, scopes []string, visibleAt time.Time) {
	for i, g := range d.grants {
		if g.ClientID != client.ID || g.ResourceID != resource.ID || g.ConsentType != "AllPrincipals" {
			continue
		}
		if len(scopes) == 0 {
			d.grants = append(d.grants[:i], d.grants[i+1:]...)
			return
		}
		var kept []string
		for _, sc := range g.Scopes {
			if containsFold(scopes, sc) {
				kept = append(kept, sc)
			}
		}
		g.Scopes = kept
		for sc := range g.Pending {
			if !containsFold(scopes, sc) {
				delete(g.Pending, sc)
			}
		}
		break
	}
	if len(scopes) > 0 {
		d.grantDelegated(client, resource, "AllPrincipals", "", scopes, visibleAt)
	}
}

// customRole is a custom directory role definition
// (entra/identity/role-based-access-control/custom-create): its allowed resource
// actions. managePermissionGrantsForAll.{policy} lets its holder grant tenant-wide
// consent under that permission grant policy
// (entra/identity/enterprise-apps/grant-admin-consent, "Prerequisites";
// role-based-access-control/custom-consent-permissions).
type customRole struct {
	ID, DisplayName string
	Actions         []string
}

// ConsentGrantAction is the custom role action that lets its holder grant tenant-wide
// consent under Microsoft's company-admin permission grant policy.
const ConsentGrantAction = "microsoft.directory/servicePrincipals/managePermissionGrantsForAll.microsoft-company-admin"

// customRoleGrants: one of the user's custom roles may grant tenant-wide consent to
// delegated permissions.
func (d *directory) customRoleGrants(u *user) bool {
	ids := append([]string(nil), u.CustomRoles...)
	for _, g := range d.groupsOf(u) {
		if g.AssignableToRole {
			ids = append(ids, g.CustomRoles...)
		}
	}
	for _, id := range ids {
		for _, r := range d.customRoles {
			if r.ID == id && containsFold(r.Actions, ConsentGrantAction) {
				return true
			}
		}
	}
	return false
}

// rePrincipalFilter is the one $filter the demo tenant's role assignment list takes.
var rePrincipalFilter = regexp.MustCompile(`^\s*principalId\s+eq\s+'([^']*)'\s*$`)

// roleAssignmentScopes: graph/api/rbacapplication-list-roleassignments, delegated
// RoleManagement.Read.Directory least privileged; Directory.Read.All among the higher.
var roleAssignmentScopes = []string{"RoleManagement.Read.Directory", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"}

// roleAssignments answers GET /roleManagement/directory/roleAssignments with
// $filter=principalId eq '…' (required here) and an optional $expand=roleDefinition:
// the principal's built-in and custom role assignments at directory scope. s.mu held.
func (s *Server) roleAssignments(q url.Values, p *principal) graphResult {
	if r := s.need(p, roleAssignmentScopes...); r != nil {
		return *r
	}
	m := rePrincipalFilter.FindStringSubmatch(q.Get("$filter"))
	if m == nil {
		return s.graphError(400, "Request_UnsupportedQuery", "This demo tenant lists role assignments by $filter=principalId eq '<id>' only.")
	}
	expand := strings.EqualFold(strings.TrimSpace(q.Get("$expand")), "roleDefinition")
	// The principal is a user or a role-assignable group, which holds built-in and
	// custom roles for its members (role-based-access-control/groups-concept).
	var roles, custom []string
	for _, cand := range p.dir.users {
		if strings.EqualFold(cand.ID, m[1]) {
			roles, custom = cand.Roles, cand.CustomRoles
		}
	}
	for _, g := range p.dir.groups {
		if strings.EqualFold(g.ID, m[1]) && g.AssignableToRole {
			roles, custom = g.Roles, g.CustomRoles
		}
	}
	items := []map[string]any{}
	add := func(defID string, def map[string]any) {
		a := map[string]any{"id": stableID("assignment:" + m[1] + defID), "principalId": m[1], "roleDefinitionId": defID, "directoryScopeId": "/"}
		if expand {
			a["roleDefinition"] = def
		}
		items = append(items, a)
	}
	{
		for _, t := range roles {
			name := t
			if r := p.dir.roleByTemplate(t); r != nil {
				name = r.DisplayName
			}
			add(t, map[string]any{"id": t, "displayName": name, "isBuiltIn": true, "templateId": t, "rolePermissions": []any{}})
		}
		for _, id := range custom {
			for _, r := range p.dir.customRoles {
				if r.ID == id {
					add(r.ID, map[string]any{"id": r.ID, "displayName": r.DisplayName, "isBuiltIn": false, "templateId": r.ID,
						"rolePermissions": []any{map[string]any{"allowedResourceActions": r.Actions}}})
				}
			}
		}
	}
	return s.collection("roleManagement/directory/roleAssignments", q, "roleManagement/directory/roleAssignments", items, "unifiedRoleAssignment")
}
