package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// advanced reports whether a request carries Graph's advanced query parameters:
// the ConsistencyLevel: eventual header and, unless only $search needs them,
// $count=true (graph/aad-advanced-queries).
func advanced(q url.Values, h http.Header) (header, count bool) {
	return strings.EqualFold(strings.TrimSpace(h.Get("ConsistencyLevel")), "eventual"), strings.EqualFold(q.Get("$count"), "true")
}

// advancedMissing is the error graph/aad-advanced-queries shows for a query that
// works only as an advanced query ("Operator 'endsWith' is not supported because the
// required parameters might be missing. Try adding $count=true query parameter and
// ConsistencyLevel:eventual header. …"), worded for what was asked.
func (s *Server) advancedMissing(what string) graphResult {
	return s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery", what+
		" is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information")
}

var reCast = regexp.MustCompile(`^me/(transitiveMemberOf|memberOf)/(microsoft\.graph\.\w+)$`)

// queryRules refuses what graph/aad-advanced-queries says works only as an
// advanced query, before the resource is looked at.
func (s *Server) queryRules(path string, q url.Values, h http.Header) *graphResult {
	header, count := advanced(q, h)
	fail := func(r graphResult) *graphResult { return &r }
	// "For directory objects, $search works only in advanced queries. If the
	// ConsistencyLevel header is not specified, the request returns an error."
	if q.Has("$search") && !header {
		return fail(s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery",
			"Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"))
	}
	// "$count as a URL segment" needs the header: "$count is not currently supported."
	// ($count=true without the header is silently ignored, as the same page says.)
	if strings.HasSuffix(path, "/$count") && !header {
		return fail(s.graphError(http.StatusBadRequest, "Request_BadRequest", "$count is not currently supported."))
	}
	// "Use of OData cast with transitive members list" (~/me/transitiveMemberOf/
	// microsoft.graph.group?$count=true) is an advanced query.
	if m := reCast.FindStringSubmatch(path); m != nil && !(header && count) {
		return fail(s.advancedMissing("OData cast '" + m[2] + "' on '" + m[1] + "'"))
	}
	// $orderby: servicePrincipal displayName/createdDateTime sort only as an advanced
	// query; $filter with $orderby in the same query always needs it.
	if ob := q.Get("$orderby"); ob != "" && !(header && count) {
		if q.Has("$filter") || strings.HasPrefix(path, "servicePrincipals") {
			return fail(s.advancedMissing("Sorting by '" + ob + "'"))
		}
	}
	return nil
}

// isGUID: directory object ids are GUIDs; anything else in a key segment is 400
// Request_BadRequest "Invalid object identifier" (graph/errors; the
// servicePrincipals/{id} and (appId='{appId}') keys of graph/api/serviceprincipal-get).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func (s *Server) invalidID(id string) graphResult {
	return s.graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+id+"'.")
}

// contextURL is @odata.context: with $select, the selected properties follow the
// entity set in parentheses, before /$entity for a single object — e.g.
// "$metadata#users(displayName,givenName,postalCode,identities)/$entity"
// (graph/api/user-get, example with $select).
func (s *Server) contextURL(ctx string, q url.Values) string {
	sel := q.Get("$select")
	if sel != "" {
		var fields []string
		for _, f := range strings.Split(sel, ",") {
			fields = append(fields, strings.TrimSpace(f))
		}
		list := "(" + strings.Join(fields, ",") + ")"
		if base, ok := strings.CutSuffix(ctx, "/$entity"); ok {
			ctx = base + list + "/$entity"
		} else {
			ctx += list
		}
	}
	return s.graphURL + "/v1.0/$metadata#" + ctx
}

// directoryObjectProps are the properties $select may name on a directoryObject
// collection (memberOf/transitiveMemberOf mix groups, directory roles and
// administrative units): a property of any of those types is valid, and each item
// carries the ones its type has (graph/api/user-list-transitivememberof).
var directoryObjectProps = []string{"id", "deletedDateTime", "displayName", "description", "roleTemplateId",
	"isAssignableToRole", "securityEnabled", "mailEnabled", "mailNickname", "groupTypes", "visibility", "createdDateTime"}

// Scopes that let a delegated caller read each type of object in full. Without
// them, a directoryObject collection still lists the object, with only
// @odata.type and id, every other property null ("limited information",
// graph/permissions-overview: "Limited information returned for inaccessible member
// objects"; the "Important" note of
// https://learn.microsoft.com/graph/api/user-list-memberof and of
// graph/api/user-list-transitivememberof): a User.Read token lists the signed-in
// user's directory roles without displayName or roleTemplateId, a Directory.Read.All
// token lists them whole.
var (
	roleReadScopes  = []string{"RoleManagement.Read.Directory", "RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.Read.All", "Directory.ReadWrite.All"}
	groupReadScopes = []string{"GroupMember.Read.All", "Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}
	// memberOfScopes: graph/api/user-list-transitivememberof, "Permissions for the
	// signed-in user's memberships": User.Read is the least privileged.
	memberOfScopes = []string{"User.Read", "Directory.Read.All", "Directory.ReadWrite.All", "Group.Read.All", "GroupMember.Read.All", "User.Read.All"}
	// grantReadScopes: graph/api/serviceprincipal-list-oauth2permissiongrants and
	// graph/api/oauth2permissiongrant-list (DelegatedPermissionGrant.Read.All least,
	// Directory.Read.All higher); graph/api/serviceprincipal-list-approleassignments
	// (Application.Read.All least, Directory.Read.All higher).
	grantReadScopes  = []string{"DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Application.Read.All", "Application.ReadWrite.All", "Directory.AccessAsUser.All"}
	assignReadScopes = []string{"Application.Read.All", "Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Directory.AccessAsUser.All"}
)

// limited is an object as a caller without permission to read its type sees it:
// @odata.type and id, every other property null.
func limited(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k := range obj {
		out[k] = nil
	}
	out["@odata.type"], out["id"] = obj["@odata.type"], obj["id"]
	return out
}

func roleJSON(r *directoryRole) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.directoryRole", "id": r.ID, "deletedDateTime": nil,
		"description": r.Description, "displayName": r.DisplayName, "roleTemplateId": r.TemplateID}
}

func groupJSON(g *group) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.group", "id": g.ID, "deletedDateTime": nil, "displayName": g.DisplayName,
		"description": g.Description, "isAssignableToRole": g.AssignableToRole, "securityEnabled": true, "mailEnabled": false,
		"mailNickname": strings.ReplaceAll(strings.ToLower(g.DisplayName), " ", "-"), "groupTypes": []string{}, "visibility": "Private",
		"createdDateTime": "2021-06-01T08:00:00Z"}
}

// memberships answers /me/memberOf and /me/transitiveMemberOf (with an optional
// OData cast, already checked by queryRules): the groups and active directory roles
// of the caller; transitive adds the roles its role-assignable groups hold
// (graph/api/user-list-transitivememberof, graph/api/user-list-memberof). PIM-eligible
// roles are not memberships until activated. s.mu held.
func (s *Server) memberships(path string, q url.Values, h http.Header, p *principal) graphResult {
	m := reCast.FindStringSubmatch(path)
	rel, cast := strings.TrimPrefix(path, "me/"), ""
	if m != nil {
		rel, cast = m[1], m[2]
	}
	d := p.dir
	fullRoles, fullGroups := anyFold(p.scopes, roleReadScopes), anyFold(p.scopes, groupReadScopes)
	var items []map[string]any
	if cast == "" || cast == "microsoft.graph.group" {
		for _, g := range d.groupsOf(p.user) {
			obj := groupJSON(g)
			if !fullGroups {
				obj = limited(obj)
			}
			items = append(items, obj)
		}
	}
	if cast == "" || cast == "microsoft.graph.directoryRole" {
		held := p.user.Roles
		if rel == "transitiveMemberOf" {
			held = d.activeRoles(p.user)
		}
		for _, t := range held {
			r := d.roleByTemplate(t)
			if r == nil {
				continue
			}
			obj := roleJSON(r)
			if !fullRoles {
				obj = limited(obj)
			}
			items = append(items, obj)
		}
	}
	ctx := "directoryObjects"
	if cast != "" {
		ctx = strings.TrimPrefix(cast, "microsoft.graph.") + "s"
	}
	res := s.collection(path, q, ctx, items, "directoryObject")
	if header, count := advanced(q, h); header && count && res.status == http.StatusOK {
		res.body.(map[string]any)["@odata.count"] = len(items)
	}
	return res
}

// grantReadDenied: oauth2PermissionGrants and appRoleAssignments lists need a
// Directory.Read.All-class scope and, in a delegated call, a directory role of the
// signed-in user among grantReaderRoles (graph/api/serviceprincipal-list-oauth2permissiongrants,
// graph/api/oauth2permissiongrant-list, graph/api/serviceprincipal-list-approleassignments);
// else 403 Authorization_RequestDenied. An app-only caller needs only the app role
// (its scopes here). s.mu held.
func (s *Server) grantReadDenied(p *principal, scopes []string) *graphResult {
	if anyFold(p.scopes, scopes) && (p.user == nil || p.dir.hasAnyRole(p.user, grantReaderRoles...)) {
		return nil
	}
	r := s.graphError(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	return &r
}

func anyFold(have, want []string) bool {
	for _, w := range want {
		if containsFold(have, w) {
			return true
		}
	}
	return false
}

// filterItems keeps the items (objects as Graph writes them) that the request's
// $filter selects, after holding it against what the resource's page documents:
// a $filter that does not parse is 400 BadRequest "Invalid filter clause"; a property
// or operator the page does not list is 400 Request_UnsupportedQuery; a clause that
// works only as an advanced query needs ConsistencyLevel: eventual and $count=true
// (graph/aad-advanced-queries).
func (s *Server) filterItems(q url.Values, h http.Header, schema filterSchema, items []map[string]any) ([]map[string]any, *graphResult) {
	if !q.Has("$filter") {
		return items, nil
	}
	fail := func(r graphResult) ([]map[string]any, *graphResult) { return nil, &r }
	raw := q.Get("$filter")
	n, err := parseFilter(raw)
	if err != nil {
		return fail(s.graphError(http.StatusBadRequest, "BadRequest", "Invalid filter clause: "+err.Error()))
	}
	pr := checkFilter(n, schema)
	if pr.unsupported != "" {
		return fail(s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery",
			"Unsupported or invalid query filter clause specified for property '"+pr.unsupported+"' of resource '"+schema.resource+"'."))
	}
	if header, count := advanced(q, h); pr.advanced != "" && !(header && count) {
		return fail(s.advancedMissing(pr.advanced))
	}
	kept := []map[string]any{}
	for _, it := range items {
		if match(n, it) {
			kept = append(kept, it)
		}
	}
	return kept, nil
}

// servicePrincipalRelationships are the relationships graph/api/resources/serviceprincipal
// lists ("Relationships"), which $expand may name. The demo tenant holds app role
// assignments (both ways) and delegated grants; its service principals have no
// owners, memberships, created or owned objects, or policies, so those expand empty.
var servicePrincipalRelationships = []string{"appRoleAssignedTo", "appRoleAssignments", "oauth2PermissionGrants",
	"claimsMappingPolicies", "createdObjects", "homeRealmDiscoveryPolicies", "memberOf", "ownedObjects", "owners",
	"tokenIssuancePolicies", "tokenLifetimePolicies", "transitiveMemberOf"}

// expandSP adds to obj the relationships the request's $expand names
// (graph/query-parameters, "expand parameter"; graph/api/serviceprincipal-list
// "supports the $expand OData query parameter"). A name that is no relationship of
// servicePrincipal is 400 BadRequest, as Graph answers an unknown property; $expand
// with advanced query parameters is refused ("$expand is not currently supported with
// advanced queries", graph/aad-advanced-queries). s.mu held.
func (s *Server) expandSP(q url.Values, h http.Header, d *directory, sp *servicePrincipal, obj map[string]any, now time.Time) *graphResult {
	raw := q.Get("$expand")
	if raw == "" {
		return nil
	}
	fail := func(r graphResult) *graphResult { return &r }
	if header, count := advanced(q, h); header && count {
		return fail(s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "$expand is not currently supported with advanced queries."))
	}
	for _, name := range strings.Split(raw, ",") {
		name = strings.TrimSpace(name)
		if strings.ContainsAny(name, "();$/") {
			// Nested query options ("appRoleAssignments($select=id)") and paths.
			return fail(s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported $expand clause '"+name+"': the demo tenant expands relationships by name only."))
		}
		rel := ""
		for _, r := range servicePrincipalRelationships {
			if strings.EqualFold(r, name) {
				rel = r
			}
		}
		switch rel {
		case "":
			return fail(s.graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.servicePrincipal'.", name)))
		case "appRoleAssignments":
			obj[rel] = assignmentsJSON(d, func(a *assignment) bool { return a.PrincipalID == sp.ID }, now)
		case "appRoleAssignedTo":
			obj[rel] = assignmentsJSON(d, func(a *assignment) bool { return a.ResourceID == sp.ID }, now)
		case "oauth2PermissionGrants":
			grants := s.grantsJSON(d, func(g *grant) bool { return g.ClientID == sp.ID }, now)
			if grants == nil {
				grants = []map[string]any{}
			}
			obj[rel] = grants
		default:
			obj[rel] = []map[string]any{}
		}
	}
	return nil
}

// expanded reports whether the request's $expand names property k (selectFields keeps
// expanded relationships whatever $select says, as Graph does).
func expanded(q url.Values, k string) bool {
	for _, name := range strings.Split(q.Get("$expand"), ",") {
		if strings.EqualFold(strings.TrimSpace(name), k) {
			return true
		}
	}
	return false
}

// queryOptions are the OData system query options each kind of request takes; any
// other $-option is refused, as Graph refuses what a resource does not support.
// Collections of directory objects take $select, $top, $count and the $skiptoken of a
// nextLink, but not $skip (graph/paging: "the /users endpoint supports $top but not
// $skip"); $filter where the resource's page documents filterable properties
// (servicePrincipal, oAuth2PermissionGrant, appRoleAssignment); servicePrincipals
// also $expand (graph/api/serviceprincipal-list, graph/api/serviceprincipal-get) and
// the advanced $orderby and $search (queryRules). One object takes $select (and
// $expand for a service principal); organization takes $select only
// (graph/api/organization-list: "This method supports only the $select query
// parameter").
func (s *Server) queryOptions(path string, q url.Values) *graphResult {
	list := []string{"$select", "$top", "$count", "$skiptoken"}
	var allowed []string
	switch m, sub := reAppIDKey.FindStringSubmatch(path), ""; {
	case path == "organization" || path == "me":
		allowed = []string{"$select"}
	case path == "servicePrincipals":
		allowed = append(list, "$filter", "$expand", "$orderby", "$search")
	case path == "oauth2PermissionGrants":
		allowed = append(list, "$filter")
	case path == "roleManagement/directory/roleAssignments": // rbacapplication-list-roleassignments
		allowed = append(list, "$filter", "$expand")
	case m != nil || reByID.MatchString(path):
		if m == nil {
			m = reByID.FindStringSubmatch(path)
		}
		sub = m[2]
		switch sub {
		case "":
			allowed = []string{"$select", "$expand"}
		case "oauth2PermissionGrants", "appRoleAssignments":
			allowed = append(list, "$filter")
		default:
			allowed = list
		}
	default: // memberships: no filterable or sortable property served here
		allowed = list
	}
	known := []string{"$select", "$filter", "$expand", "$top", "$count", "$orderby", "$search", "$skiptoken"}
	for k := range q {
		switch {
		case !strings.HasPrefix(k, "$") || containsFold(allowed, k):
		case containsFold(known, k):
			r := s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "The query option '"+k+"' is not supported on this resource.")
			return &r
		default:
			r := s.graphError(http.StatusBadRequest, "Request_BadRequest", "'"+k+"' is not supported by the service.")
			return &r
		}
	}
	if c := q.Get("$count"); q.Has("$count") && !strings.EqualFold(c, "true") && !strings.EqualFold(c, "false") {
		r := s.graphError(http.StatusBadRequest, "BadRequest", "Invalid value '"+c+"' for $count: true or false.")
		return &r
	}
	return nil
}
