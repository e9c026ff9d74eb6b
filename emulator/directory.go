package emulator

import (
	"sort"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// SignInClientID is the wizard's sign-in client (internal/signin): the public
// "Microsoft Graph Command Line Tools" app, registered in the demo tenant.
const SignInClientID = signin.ClientID

// The first-party public clients admins sign in with, registered in every demo
// tenant under their real client ids, and the Azure Resource Manager resource that
// Azure CLI and Azure PowerShell sign in to.
const (
	AzureCLIClientID        = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
	AzurePowerShellClientID = "1950a258-227b-4e31-a9cf-717495945fc2"
	// ManagementAppID is "Windows Azure Service Management API", the resource behind
	// https://management.core.windows.net/ and https://management.azure.com/.
	ManagementAppID = "797f4846-ba00-4fd7-ba43-dac1f8f63013"
)

// managementResources are the Azure Resource Manager identifier URIs a client may
// ask a token for; the token's audience is the one asked.
var managementResources = [...]string{"https://management.core.windows.net/", "https://management.azure.com/"}

// ManagementResources are the Azure Resource Manager identifier URIs a client may ask
// a token for (global cloud): https://management.core.windows.net/ (what Azure CLI
// asks) and https://management.azure.com/.
func ManagementResources() []string {
	r := managementResources
	return r[:]
}

// Directory role template ids that may grant admin consent to Graph application permissions.
const (
	GlobalAdminTemplateID      = "62e90394-69f5-4237-9190-012177145e10"
	PrivilegedRoleAdminTemplID = "e8611ab8-c189-46e8-94e1-60213ab1f814"
)

const (
	microsoftTenantID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a" // owner of first-party apps
	demoTenantID      = "3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44"
	demoDomain        = "contosodemo.onmicrosoft.com"
	demoTenantName    = "Contoso Demo"
)

type tenant struct {
	ID, DisplayName string
	Domains         []string
	Created         time.Time
}

type user struct {
	ID, UPN, DisplayName, GivenName, Surname, JobTitle string
	Roles                                              []string // active role template ids, assigned directly
	// EligibleRoles are PIM-eligible, not active: invisible to Graph's membership
	// reads and no use for consent until activated.
	EligibleRoles []string
	// UserType is "Member" or "Guest"; a guest's HomeTenant is the tenant that
	// issued its account (entra/external-id/user-properties).
	UserType, HomeTenant string
	// CustomRoles are custom directory roles assigned to the user (customRole ids):
	// invisible to memberOf, listed by roleManagement.
	CustomRoles []string
}

type directoryRole struct {
	ID, TemplateID, DisplayName, Description string
}

type permissionScope struct {
	ID, Value, AdminDisplayName, AdminDescription, UserDisplayName, UserDescription string
	AdminOnly                                                                       bool
	Disabled                                                                        bool // isEnabled false
}

type appRole struct {
	ID, Value, DisplayName, Description string
}

// application is an app registration that can appear in the tenant: a first-party
// resource, a published multi-tenant app, or the sign-in client.
type application struct {
	AppID, DisplayName, Publisher, OwnerTenant string
	ReplyURLs                                  []string
	Scopes                                     []permissionScope
	Roles                                      []appRole
	Required                                   []permissions.Permission // what consent grants
	ReauthorizeOnly                            bool
	Tags                                       []string
	// IdentifierURIs name the app as a resource in a scope ("{uri}/.default"),
	// besides its appId; they are its service principal's servicePrincipalNames.
	IdentifierURIs []string
	// Public: a public client (no secret), which may sign users in by the
	// authorization code and device code grants.
	Public bool
	// PreAuthorized are the delegated permissions, by resource appId, that the
	// resource pre-authorized this client for: users are not asked to consent to them
	// (graph/api/resources/apiapplication, preAuthorizedApplications: "Users aren't
	// required to consent to any preauthorized application"). Microsoft pre-authorizes
	// its own first-party clients so.
	PreAuthorized map[string][]string
}

type servicePrincipal struct {
	ID             string
	App            *application
	AccountEnabled bool
	VisibleAt      time.Time
	// Renamed is the display name a tenant admin gave the enterprise application
	// ("" = the app's own): displayName changes, appDisplayName (the publisher's
	// registration) does not (entra/identity-platform/application-properties; graph
	// resources/serviceprincipal: appDisplayName "The display name exposed by the
	// associated application").
	Renamed string
}

// displayName is the service principal's displayName as Graph shows it.
func (sp *servicePrincipal) displayName() string {
	if sp.Renamed != "" {
		return sp.Renamed
	}
	return sp.App.DisplayName
}

type grant struct {
	ID, ClientID, ConsentType, PrincipalID, ResourceID string
	Scopes                                             []string
	VisibleAt                                          time.Time
	// Pending scopes were added to an existing grant by a consent that has not
	// replicated yet: each becomes visible at its time.
	Pending map[string]time.Time
}

// scopesAt is the grant's scope list as Graph sees it at now (zero = everything).
func (g *grant) scopesAt(now time.Time) []string {
	out := append([]string(nil), g.Scopes...)
	for _, sc := range sortedKeys(g.Pending) {
		if visible(g.Pending[sc], now) {
			out = append(out, sc)
		}
	}
	return out
}

func sortedKeys(m map[string]time.Time) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type assignment struct {
	ID, AppRoleID, PrincipalID, ResourceID string
	Created, VisibleAt                     time.Time
}

// directory is the tenant's state. The Server's mutex guards it.
type directory struct {
	tenant tenant
	users  []*user
	roles  []directoryRole
	apps   map[string]*application // by appId (lower case): every app known to Entra ID
	groups []*group
	// customRoles are the tenant's custom directory role definitions.
	customRoles []customRole
	st          scenarioState // policies and the demo user a scenario sets (policies.go)
	sps         []*servicePrincipal
	grants      []*grant
	assigns     []*assignment
}

func newDirectory(cat *permissions.Catalog, now time.Time) *directory {
	d := &directory{
		tenant: tenant{ID: demoTenantID, DisplayName: demoTenantName, Domains: []string{demoDomain, "contosodemo.example"},
			Created: time.Date(2019, 4, 1, 9, 30, 0, 0, time.UTC)},
		apps: map[string]*application{},
	}
	d.roles = []directoryRole{
		{ID: stableID("role:ga"), TemplateID: GlobalAdminTemplateID, DisplayName: "Global Administrator",
			Description: "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."},
		{ID: stableID("role:pra"), TemplateID: PrivilegedRoleAdminTemplID, DisplayName: "Privileged Role Administrator",
			Description: "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management."},
		{ID: stableID("role:reader"), TemplateID: "88d8e3e3-8f55-4a1e-953a-9b9898b8876b", DisplayName: "Directory Readers",
			Description: "Can read basic directory information. Commonly used to grant directory read access to applications and guests."},
	}
	d.roles = append(d.roles, moreRoles()...)
	defer d.addStaffGroup() // every tenant has ordinary groups among a user's memberships
	d.users = []*user{
		{ID: stableID("user:admin"), UPN: "admin@" + demoDomain, DisplayName: "Adele Vance", GivenName: "Adele", Surname: "Vance",
			JobTitle: "IT Administrator", Roles: []string{GlobalAdminTemplateID}},
		{ID: stableID("user:pra"), UPN: "megan@" + demoDomain, DisplayName: "Megan Bowen", GivenName: "Megan", Surname: "Bowen",
			JobTitle: "Identity Administrator", Roles: []string{PrivilegedRoleAdminTemplID}},
		{ID: stableID("user:alex"), UPN: "alex@" + demoDomain, DisplayName: "Alex Wilber", GivenName: "Alex", Surname: "Wilber",
			JobTitle: "Sales Representative"},
	}
	for _, a := range firstPartyApps(cat) {
		d.apps[strings.ToLower(a.AppID)] = a
	}
	for i := range cat.Apps {
		ca := &cat.Apps[i]
		a := &application{
			AppID: ca.ClientID, DisplayName: ca.DisplayName, Publisher: "AvePoint", OwnerTenant: stableID("tenant:avepoint"),
			// Reply URLs: the publisher's landing page, set by registerReplyURLs once the pages host is known.
			Required: append([]permissions.Permission(nil), ca.Permissions...), ReauthorizeOnly: ca.ReauthorizeOnly,
			Tags: []string{"WindowsAzureActiveDirectoryIntegratedApp"},
		}
		d.apps[strings.ToLower(a.AppID)] = a
	}
	// Resource service principals and the first-party clients are in every tenant.
	for _, id := range []string{permissions.GraphAppID, permissions.DynamicsCRMAppID, permissions.DynamicsERPAppID, ManagementAppID,
		SignInClientID, AzureCLIClientID, AzurePowerShellClientID} {
		d.addSP(d.apps[id], true, now)
	}
	return d
}

// newScope is a delegated permission of resource res; id "" = a stable made-up id.
func newScope(res, value, name, desc string, adminOnly bool, id string) permissionScope {
	if id == "" {
		id = stableID("scope:" + res + ":" + value)
	}
	return permissionScope{ID: id, Value: value, AdminDisplayName: name, AdminDescription: desc,
		UserDisplayName: name, UserDescription: desc, AdminOnly: adminOnly}
}

// newRole is an application permission of resource res; id "" = a stable made-up id.
func newRole(res, value, name, desc, id string) appRole {
	if id == "" {
		id = stableID("role:" + res + ":" + value)
	}
	return appRole{ID: id, Value: value, DisplayName: name, Description: desc}
}

// firstPartyApps are Microsoft's apps every demo tenant has: the resource APIs (with
// whatever the catalog requires that their definitions lack, by value), Azure Resource
// Manager, and the public clients admins sign in with.
func firstPartyApps(cat *permissions.Catalog) []*application {
	byID := resourceAPIs()
	addRequired(byID, cat)
	out := publicClients()
	for _, a := range byID {
		out = append(out, a)
	}
	return out
}

// resourceAPIs are Microsoft Graph, Dynamics CRM and Dynamics ERP with the scopes and
// roles the demo uses (Graph's ids as published in its permissions reference), by appId.
func resourceAPIs() map[string]*application {
	scope, role := newScope, newRole
	g := permissions.GraphAppID
	graph := &application{AppID: g, DisplayName: "Microsoft Graph", Publisher: "Microsoft", OwnerTenant: microsoftTenantID,
		Scopes: []permissionScope{
			scope(g, "openid", "Sign users in", "Allows users to sign in to the app with their work or school accounts and allows the app to see basic user profile information.", false, ""),
			scope(g, "profile", "View users' basic profile", "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address).", false, ""),
			scope(g, "email", "View users' email address", "Allows the app to read your users' primary email address.", false, ""),
			scope(g, "offline_access", "Maintain access to data you have given it access to", "Allows the app to see and update the data you gave it access to, even when users are not currently using the app.", false, ""),
			scope(g, "User.Read", "Sign in and read user profile", "Allows users to sign-in to the app, and allows the app to read the profile of signed-in users. It also allows the app to read basic company information of signed-in users.", false, "e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
			scope(g, "Directory.Read.All", "Read directory data", "Allows the app to read data in your organization's directory, such as users, groups and apps.", true, ""),
			scope(g, "Group.Read.All", "Read all groups", "Allows the app to list groups, and to read their properties and all group memberships on behalf of the signed-in user.", true, ""),
			scope(g, "Application.Read.All", "Read applications", "Allows the app to read applications and service principals on behalf of the signed-in user.", true, ""),
			scope(g, "Application.ReadWrite.All", "Read and write all applications", "Allows the app to create, read, update and delete applications and service principals on behalf of the signed-in user.", true, ""),
			scope(g, "AppRoleAssignment.ReadWrite.All", "Manage app permission grants and app role assignments", "Allows the app to manage permission grants for application permissions to any API (including Microsoft Graph) and application assignments for any app, on behalf of the signed-in user.", true, ""),
			scope(g, "DelegatedPermissionGrant.ReadWrite.All", "Manage all delegated permission grants", "Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), on behalf of the signed in user.", true, ""),
			scope(g, "Directory.AccessAsUser.All", "Access directory as the signed in user", "Allows the app to have the same access to information in the directory as the signed-in user.", true, ""),
			scope(g, "Group.ReadWrite.All", "Read and write all groups", "Allows the app to create groups and read all group properties and memberships on behalf of the signed-in user.", true, ""),
			scope(g, "User.ReadWrite.All", "Read and write all users' full profiles", "Allows the app to read and write the full set of profile properties, reports, and managers of other users in your organization, on behalf of the signed-in user.", true, ""),
		},
		Roles: []appRole{
			role(g, "Directory.Read.All", "Read directory data", "Allows the app to read data in your organization's directory, such as users, groups and apps, without a signed-in user.", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
			role(g, "Group.Read.All", "Read all groups", "Allows the app to read group properties and memberships, and read conversations for all groups, without a signed-in user.", "5b567255-7703-4780-807c-7be8301ae99b"),
			role(g, "User.Read.All", "Read all users' full profiles", "Allows the app to read user profiles without a signed in user.", ""),
			role(g, "Application.Read.All", "Read all applications", "Allows the app to read all applications and service principals without a signed-in user.", ""),
		},
	}
	c := permissions.DynamicsCRMAppID
	crm := &application{AppID: c, DisplayName: "Dynamics CRM", Publisher: "Microsoft", OwnerTenant: microsoftTenantID,
		Scopes: []permissionScope{
			scope(c, "user_impersonation", "Access Common Data Service as organization users", "Allows the application to access Common Data Service acting as users in your organization.", false, "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4"),
		},
	}
	e := permissions.DynamicsERPAppID
	erp := &application{AppID: e, DisplayName: "Dynamics ERP", Publisher: "Microsoft", OwnerTenant: microsoftTenantID,
		Scopes: []permissionScope{
			scope(e, "AX.FullAccess", "Access Dynamics AX online as organization users", "Allows the application to access Dynamics AX Online using the identity of the signed-in user.", false, ""),
			scope(e, "CustomService.FullAccess", "Access Dynamics AX Custom Service", "Allows the application to access Dynamics AX custom services using the identity of the signed-in user.", false, ""),
			scope(e, "Odata.FullAccess", "Access Dynamics AX data", "Allows the application to access Dynamics AX data through OData using the identity of the signed-in user.", false, ""),
		},
		Roles: []appRole{
			role(e, "Connector.FullAccess", "Connector.FullAccess", "Allows the application to access Dynamics AX connectors without a signed-in user.", ""),
		},
	}
	return map[string]*application{g: graph, c: crm, e: erp}
}

// addRequired adds the permissions the catalog requires that byID's definitions lack.
func addRequired(byID map[string]*application, cat *permissions.Catalog) {
	scope, role := newScope, newRole
	for _, a := range cat.Apps {
		for _, p := range a.Permissions {
			res := byID[strings.ToLower(p.ResourceAppID)]
			if res == nil {
				res = &application{AppID: strings.ToLower(p.ResourceAppID), DisplayName: p.API, Publisher: "Microsoft", OwnerTenant: microsoftTenantID}
				byID[res.AppID] = res
			}
			switch p.Type {
			case permissions.Delegated:
				if res.scope(p.Value) == nil {
					res.Scopes = append(res.Scopes, scope(res.AppID, p.Value, p.FriendlyName, p.Purpose, false, p.ID))
				}
			case permissions.Application:
				if res.role(p.Value) == nil {
					res.Roles = append(res.Roles, role(res.AppID, p.Value, p.FriendlyName, p.Purpose, p.ID))
				}
			}
		}
	}
}

// publicClients are Azure Resource Manager and the public clients admins sign in with.
func publicClients() []*application {
	scope := newScope
	arm := &application{AppID: ManagementAppID, DisplayName: "Windows Azure Service Management API", Publisher: "Microsoft",
		OwnerTenant: microsoftTenantID, IdentifierURIs: ManagementResources(),
		Scopes: []permissionScope{
			scope(ManagementAppID, "user_impersonation", "Access Azure Service Management as organization users (preview)", "Allows the application to access Azure Service Management as organization users.", false, ""),
		},
	}
	nativeReplies := []string{"http://localhost", "https://login.microsoftonline.com/common/oauth2/nativeclient"}
	// The sign-in client asks for consent like any app; Azure CLI and Azure PowerShell
	// are pre-authorized by Microsoft Graph and Azure Resource Manager, so signing in
	// with them asks none (the scopes their Graph tokens carry).
	signin := &application{AppID: SignInClientID, DisplayName: "Microsoft Graph Command Line Tools", Publisher: "Microsoft",
		OwnerTenant: microsoftTenantID, ReplyURLs: nativeReplies, Public: true}
	azureAdmin := map[string][]string{
		permissions.GraphAppID: {"openid", "profile", "offline_access", "email", "User.Read", "Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All",
			"DelegatedPermissionGrant.ReadWrite.All", "Directory.AccessAsUser.All", "Group.ReadWrite.All", "User.ReadWrite.All"},
		ManagementAppID: {"user_impersonation"},
	}
	cli := &application{AppID: AzureCLIClientID, DisplayName: "Microsoft Azure CLI", Publisher: "Microsoft",
		OwnerTenant: microsoftTenantID, ReplyURLs: nativeReplies, Public: true, PreAuthorized: azureAdmin}
	ps := &application{AppID: AzurePowerShellClientID, DisplayName: "Microsoft Azure PowerShell", Publisher: "Microsoft",
		OwnerTenant: microsoftTenantID, ReplyURLs: nativeReplies, Public: true, PreAuthorized: azureAdmin}
	return []*application{signin, cli, ps, arm}
}

func (a *application) scope(value string) *permissionScope {
	for i := range a.Scopes {
		if strings.EqualFold(a.Scopes[i].Value, value) {
			return &a.Scopes[i]
		}
	}
	return nil
}

func (a *application) role(value string) *appRole {
	for i := range a.Roles {
		if strings.EqualFold(a.Roles[i].Value, value) {
			return &a.Roles[i]
		}
	}
	return nil
}

// replyURLAllowed matches a redirect URI against the registered reply URLs; a
// loopback URI matches ignoring its port, as Entra ID does.
func (a *application) replyURLAllowed(uri string) bool {
	for _, r := range a.ReplyURLs {
		if r == uri || loopbackMatch(r, uri) {
			return true
		}
	}
	return false
}

func (d *directory) addSP(a *application, enabled bool, visibleAt time.Time) *servicePrincipal {
	if sp := d.spByAppID(a.AppID, time.Time{}); sp != nil {
		return sp
	}
	sp := &servicePrincipal{ID: stableID("sp:" + a.AppID), App: a, AccountEnabled: enabled, VisibleAt: visibleAt}
	d.sps = append(d.sps, sp)
	return sp
}

func (d *directory) removeSP(appID string) {
	sp := d.spByAppID(appID, time.Time{})
	if sp == nil {
		return
	}
	for i, x := range d.sps {
		if x == sp {
			d.sps = append(d.sps[:i], d.sps[i+1:]...)
			break
		}
	}
}

// visible: a zero now means "regardless of replication".
func visible(at, now time.Time) bool { return now.IsZero() || !at.After(now) }

func (d *directory) spByAppID(appID string, now time.Time) *servicePrincipal {
	for _, sp := range d.sps {
		if strings.EqualFold(sp.App.AppID, appID) && visible(sp.VisibleAt, now) {
			return sp
		}
	}
	return nil
}

func (d *directory) spByID(id string, now time.Time) *servicePrincipal {
	for _, sp := range d.sps {
		if strings.EqualFold(sp.ID, id) && visible(sp.VisibleAt, now) {
			return sp
		}
	}
	return nil
}

func (d *directory) userByUPN(upn string) *user {
	for _, u := range d.users {
		if strings.EqualFold(u.UPN, upn) {
			return u
		}
	}
	return nil
}

func (d *directory) userByID(id string) *user {
	for _, u := range d.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

func (d *directory) roleNames(u *user) []string {
	var out []string
	for _, r := range d.roles {
		for _, t := range d.activeRoles(u) {
			if r.TemplateID == t {
				out = append(out, r.DisplayName)
			}
		}
	}
	return out
}

// matchesTenant reports whether an authority's tenant segment names this tenant.
func (d *directory) matchesTenant(seg string) bool {
	seg = strings.ToLower(seg)
	switch seg {
	case "organizations", "common", d.tenant.ID:
		return true
	}
	for _, dom := range d.tenant.Domains {
		if seg == strings.ToLower(dom) {
			return true
		}
	}
	return false
}

// grantDelegated adds scopes to the (client, resource, consentType, principal) grant,
// creating it when absent, exactly as consent does.
func (d *directory) grantDelegated(client, resource *servicePrincipal, consentType, principalID string, scopes []string, visibleAt time.Time) *grant {
	for _, g := range d.grants {
		if g.ClientID == client.ID && g.ResourceID == resource.ID && g.ConsentType == consentType && g.PrincipalID == principalID {
			for _, sc := range scopes {
				if containsFold(g.Scopes, sc) {
					continue
				}
				if visibleAt.After(g.VisibleAt) {
					if g.Pending == nil {
						g.Pending = map[string]time.Time{}
					}
					if _, ok := g.Pending[sc]; !ok {
						g.Pending[sc] = visibleAt
					}
					continue
				}
				g.Scopes = append(g.Scopes, sc)
			}
			return g
		}
	}
	g := &grant{ID: grantID(), ClientID: client.ID, ConsentType: consentType, PrincipalID: principalID, ResourceID: resource.ID,
		Scopes: append([]string(nil), scopes...), VisibleAt: visibleAt}
	d.grants = append(d.grants, g)
	return g
}

// assignRole gives the client an app role of the resource, unless it has it.
func (d *directory) assignRole(client, resource *servicePrincipal, roleID string, now, visibleAt time.Time) *assignment {
	for _, a := range d.assigns {
		if a.PrincipalID == client.ID && a.ResourceID == resource.ID && a.AppRoleID == roleID {
			return a
		}
	}
	a := &assignment{ID: grantID(), AppRoleID: roleID, PrincipalID: client.ID, ResourceID: resource.ID, Created: now, VisibleAt: visibleAt}
	d.assigns = append(d.assigns, a)
	return a
}

// grantID looks like Entra's 43-character base64url grant and assignment ids.
func grantID() string { return randomToken(32)[:43] }

// consentedScopes is what a user has consented to for client on resource:
// the AllPrincipals grant plus the user's own.
func (d *directory) consentedScopes(client, resource *servicePrincipal, userID string) []string {
	var out []string
	for _, g := range d.grants {
		if g.ClientID == client.ID && g.ResourceID == resource.ID && (g.ConsentType == "AllPrincipals" || g.PrincipalID == userID) {
			for _, sc := range g.scopesAt(time.Time{}) {
				if !containsFold(out, sc) {
					out = append(out, sc)
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
