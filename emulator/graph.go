package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// graphResult is one Graph answer, before it is written (or put in a $batch).
type graphResult struct {
	status  int
	headers map[string]string
	body    any
}

// principal is the verified caller of a Graph request.
type principal struct {
	user   *user
	scopes []string // delegated scopes (scp), or an app-only caller's app roles
	// app is the service principal of an app-only caller (user is nil then).
	app *servicePrincipal
	// dir is the tenant the token was issued for (the demo tenant or a customer).
	dir *directory
}

func (s *Server) graphError(status int, code, message string) graphResult {
	return graphResult{status: status, body: map[string]any{"error": map[string]any{
		"code": code, "message": message,
		"innerError": map[string]any{"date": s.now().UTC().Format("2006-01-02T15:04:05"), "request-id": randomID(), "client-request-id": randomID()},
	}}}
}

func (s *Server) writeGraph(w http.ResponseWriter, r graphResult) {
	h := w.Header()
	for k, v := range r.headers {
		h.Set(k, v)
	}
	if h.Get("request-id") == "" {
		h.Set("request-id", randomID())
	}
	if r.body == nil {
		w.WriteHeader(r.status)
		return
	}
	b, _ := json.Marshal(r.body)
	h.Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(r.status)
	_, _ = w.Write(b)
}

// serveGraph is Microsoft Graph v1.0.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	s.graphRequests.Add(1)
	if s.Faults().Hang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	p, errRes := s.authenticate(r)
	if errRes != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="", authorization_uri="`+s.authorityHost+`/common/oauth2/authorize", client_id="`+permissions.GraphAppID+`"`)
		s.writeGraph(w, *errRes)
		return
	}
	path := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/v1.0"), "/")
	if path == "$batch" {
		if r.Method != http.MethodPost {
			s.writeGraph(w, s.graphError(http.StatusMethodNotAllowed, "Request_BadRequest", "The $batch endpoint only accepts POST."))
			return
		}
		s.writeGraph(w, s.batch(r, p))
		return
	}
	if res, faulted := s.fault(); faulted {
		s.writeGraph(w, res)
		return
	}
	s.writeGraph(w, s.dispatch(r.Method, path, r.URL.Query(), r.Header, p))
}

// authenticate verifies the bearer token: RS256 signature by this emulator,
// audience Microsoft Graph, issuer and tenant, lifetime.
func (s *Server) authenticate(r *http.Request) (*principal, *graphResult) {
	deny := func(msg string) (*principal, *graphResult) {
		res := s.graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", msg)
		return nil, &res
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if auth == "" || tok == "" {
		return deny("Access token is empty.")
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return deny("Access token validation failure. Invalid authorization scheme.")
	}
	claims, err := s.verifyJWT(strings.TrimSpace(tok))
	if err == errBadToken {
		return deny("IDX14100: JWT is not well formed, there are no dots (.).")
	} else if err != nil {
		return deny("Access token validation failure. Invalid signature.")
	}
	str := func(k string) string { v, _ := claims[k].(string); return v }
	num := func(k string) int64 {
		n, _ := claims[k].(json.Number)
		v, _ := n.Int64()
		return v
	}
	switch {
	case !s.graphAccepts(str("aud")):
		return deny("Access token validation failure. Invalid audience.")
	case s.now().Unix() >= num("exp"):
		return deny("Lifetime validation failed, the token is expired.")
	case s.now().Add(5*time.Minute).Unix() < num("nbf"):
		return deny("Lifetime validation failed, the token is not yet valid.")
	}
	// Issuer, tenant and caller (user, or app for an app-only token): tenants.go.
	p, reason := s.principalFor(claims)
	if p == nil {
		return deny(reason)
	}
	if res := s.claimsChallenge(claims); res != nil {
		return nil, res
	}
	return p, nil
}

// fault applies injected 504s, 503s and 429s to one Graph operation, with
// Retry-After in the configured format (graph/throttling).
func (s *Server) fault() (graphResult, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.faults
	now := s.now() // Options.Now: a test's fake clock decides when Retry-After has elapsed
	if f.GatewayTimeout > 0 {
		f.GatewayTimeout--
		return s.faultResult(http.StatusGatewayTimeout), true
	}
	if f.Unavailable > 0 {
		f.Unavailable--
		return s.faultResult(http.StatusServiceUnavailable), true
	}
	if f.UnavailableRate > 0 && s.rng.Float64() < f.UnavailableRate {
		return s.faultResult(http.StatusServiceUnavailable), true
	}
	if now.Before(s.throttleUntil) {
		return s.faultResult(http.StatusTooManyRequests), true
	}
	if f.Throttle > 0 {
		f.Throttle--
		if f.RetryAfter > 0 {
			s.throttleUntil = now.Add(f.RetryAfter)
		}
		return s.faultResult(http.StatusTooManyRequests), true
	}
	return graphResult{}, false
}

var (
	reAppIDKey   = regexp.MustCompile(`^servicePrincipals\(appId='([^']*)'\)(?:/(.*))?$`)
	reByID       = regexp.MustCompile(`^servicePrincipals/([^/]+)(?:/(.*))?$`)
	readAllScope = []string{"Directory.Read.All", "Directory.ReadWrite.All", "Application.Read.All", "Application.ReadWrite.All", "Directory.AccessAsUser.All"}
)

// dispatch answers one GET on a Graph path (without /v1.0/); h are the request's
// headers (a $batch sub-request's own, graph/json-batching).
func (s *Server) dispatch(method, path string, q url.Values, h http.Header, p *principal) graphResult {
	if method != http.MethodGet {
		return s.graphError(http.StatusMethodNotAllowed, "Request_BadRequest", fmt.Sprintf("The HTTP method '%s' is not allowed on this demo resource.", method))
	}
	if r := s.queryOptions(path, q); r != nil {
		return *r
	}
	if r := s.queryRules(path, q, h); r != nil {
		return *r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reviewDue(s.now())
	if p.user == nil && (path == "me" || strings.HasPrefix(path, "me/")) {
		// An app-only token has no signed-in user (https://learn.microsoft.com/graph/api/user-get).
		return s.graphError(http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
	}
	switch {
	case path == "me":
		if r := s.need(p, "User.Read", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.AccessAsUser.All"); r != nil {
			return *r
		}
		return s.entity(q, "users/$entity", userJSON(p.user), "user")
	case path == "me/transitiveMemberOf" || path == "me/memberOf" || reCast.MatchString(path):
		if r := s.need(p, memberOfScopes...); r != nil {
			return *r
		}
		return s.memberships(path, q, h, p)
	case path == "organization":
		if r := s.need(p, "User.Read", "Organization.Read.All", "Directory.Read.All"); r != nil {
			return *r
		}
		return s.collection(path, q, "organization", []map[string]any{orgJSON(p.dir.tenant)}, "organization")
	case path == "servicePrincipals/$count":
		if r := s.need(p, readAllScope...); r != nil {
			return *r
		}
		return graphResult{status: http.StatusOK, body: len(s.visibleSPs(p.dir))}
	case path == "servicePrincipals":
		if r := s.need(p, readAllScope...); r != nil {
			return *r
		}
		return s.listServicePrincipals(path, q, h, p.dir)
	case path == "roleManagement/directory/roleAssignments":
		return s.roleAssignments(q, p) // roles.go
	case path == "oauth2PermissionGrants":
		if r := s.grantReadDenied(p, grantReadScopes); r != nil {
			return *r
		}
		return s.listGrants(path, q, h, p.dir)
	}
	return s.servicePrincipalPath(path, q, h, p)
}

// need answers 403 unless the caller holds one of scopes (delegated scopes, or an
// app-only caller's app roles).
func (s *Server) need(p *principal, scopes ...string) *graphResult {
	for _, sc := range scopes {
		if containsFold(p.scopes, sc) {
			return nil
		}
	}
	r := s.graphError(http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
	return &r
}

// visibleSPs are the tenant's service principals that have replicated by now.
func (s *Server) visibleSPs(d *directory) []*servicePrincipal {
	now := s.now()
	var sps []*servicePrincipal
	for _, sp := range d.sps {
		if visible(sp.VisibleAt, now) {
			sps = append(sps, sp)
		}
	}
	return sps
}

// listServicePrincipals is GET /servicePrincipals with $filter as the servicePrincipal
// page documents it, $expand on its relationships, and the advanced queries $orderby
// and $search (queryRules checked their headers)
// (https://learn.microsoft.com/graph/api/serviceprincipal-list).
func (s *Server) listServicePrincipals(path string, q url.Values, h http.Header, d *directory) graphResult {
	now := s.now()
	var items []map[string]any
	for _, sp := range s.visibleSPs(d) {
		obj := spJSON(sp)
		if r := s.expandSP(q, h, d, sp, obj, now); r != nil {
			return *r
		}
		items = append(items, obj)
	}
	items, errRes := s.filterItems(q, h, servicePrincipalFilter, items)
	if errRes != nil {
		return *errRes
	}
	if ob := q.Get("$orderby"); ob != "" {
		field, dir, _ := strings.Cut(strings.TrimSpace(ob), " ")
		dir = strings.TrimSpace(dir)
		if !strings.EqualFold(field, "displayName") || dir != "" && !strings.EqualFold(dir, "asc") && !strings.EqualFold(dir, "desc") {
			return s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "Sorting by '"+field+"' is not supported.")
		}
		name := func(i int) string { v, _ := items[i]["displayName"].(string); return v }
		sort.SliceStable(items, func(i, j int) bool {
			if strings.EqualFold(dir, "desc") {
				return name(i) > name(j)
			}
			return name(i) < name(j)
		})
	}
	if se := q.Get("$search"); se != "" { // "displayName:word"
		prop, word, ok := strings.Cut(strings.Trim(se, `"`), ":")
		if !ok || !strings.EqualFold(prop, "displayName") {
			return s.graphError(http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid $search clause '"+se+"'.")
		}
		var kept []map[string]any
		for _, it := range items {
			if v, _ := it["displayName"].(string); strings.Contains(strings.ToLower(v), strings.ToLower(word)) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	return withCount(s.collection(path, q, "servicePrincipals", items, "servicePrincipal"), q, h, len(items))
}

// withCount adds @odata.count to a directory collection when the request is an
// advanced query ($count=true and ConsistencyLevel: eventual); "$count=true" alone
// is ignored (graph/aad-advanced-queries, "Error handling for advanced queries").
func withCount(res graphResult, q url.Values, h http.Header, n int) graphResult {
	if header, count := advanced(q, h); header && count && res.status == http.StatusOK {
		res.body.(map[string]any)["@odata.count"] = n
	}
	return res
}

// listGrants is GET /oauth2PermissionGrants, with $filter as the oAuth2PermissionGrant
// page documents it (https://learn.microsoft.com/graph/api/oauth2permissiongrant-list).
func (s *Server) listGrants(path string, q url.Values, h http.Header, d *directory) graphResult {
	items, errRes := s.filterItems(q, h, grantFilter, s.grantsJSON(d, func(*grant) bool { return true }, s.now()))
	if errRes != nil {
		return *errRes
	}
	return withCount(s.collection(path, q, "oauth2PermissionGrants", items, "oAuth2PermissionGrant"), q, h, len(items))
}

// servicePrincipalPath answers a service principal addressed by its appId alternate key
// or its object id, and its oauth2PermissionGrants and appRoleAssignments
// (https://learn.microsoft.com/graph/api/serviceprincipal-get).
func (s *Server) servicePrincipalPath(path string, q url.Values, h http.Header, p *principal) graphResult {
	d, now := p.dir, s.now()
	var sp *servicePrincipal
	var key, sub string
	if m := reAppIDKey.FindStringSubmatch(path); m != nil {
		key, sub = m[1], m[2]
		if !isGUID(key) {
			return s.invalidID(key)
		}
		sp = d.spByAppID(key, now)
	} else if m := reByID.FindStringSubmatch(path); m != nil {
		key, sub = m[1], m[2]
		if !isGUID(key) {
			return s.invalidID(key)
		}
		sp = d.spByID(key, now)
	} else {
		seg, _, _ := strings.Cut(path, "/")
		return s.graphError(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+seg+"'.")
	}
	if r := s.need(p, readAllScope...); r != nil {
		return *r
	}
	switch sub {
	case "oauth2PermissionGrants":
		if r := s.grantReadDenied(p, grantReadScopes); r != nil {
			return *r
		}
	case "appRoleAssignments":
		if r := s.grantReadDenied(p, assignReadScopes); r != nil {
			return *r
		}
	}
	if sp == nil {
		return s.graphError(http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+key+"' does not exist or one of its queried reference-property objects are not present.")
	}
	if sub == "oauth2PermissionGrants" || sub == "appRoleAssignments" {
		if r := s.laggingReplica(sp, now); r != nil {
			return *r
		}
	}
	switch sub {
	case "":
		obj := spJSON(sp)
		if r := s.expandSP(q, h, d, sp, obj, now); r != nil {
			return *r
		}
		return s.entity(q, "servicePrincipals/$entity", obj, "servicePrincipal")
	case "oauth2PermissionGrants":
		// Least privileged: Directory.Read.All, delegated and application alike;
		// Application.Read.All is not enough
		// (https://learn.microsoft.com/graph/api/serviceprincipal-list-oauth2permissiongrants).
		if r := s.need(p, "Directory.Read.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"); r != nil {
			return *r
		}
		items, errRes := s.filterItems(q, h, grantFilter, s.grantsJSON(d, func(g *grant) bool { return g.ClientID == sp.ID }, now))
		if errRes != nil {
			return *errRes
		}
		return withCount(s.collection(path, q, "oauth2PermissionGrants", items, "oAuth2PermissionGrant"), q, h, len(items))
	case "appRoleAssignments":
		items, errRes := s.filterItems(q, h, assignmentFilter, assignmentsJSON(d, func(a *assignment) bool { return a.PrincipalID == sp.ID }, now))
		if errRes != nil {
			return *errRes
		}
		return withCount(s.collection(path, q, "servicePrincipals('"+sp.ID+"')/appRoleAssignments", items, "appRoleAssignment"), q, h, len(items))
	}
	return s.graphError(http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+sub+"'.")
}

// entity writes one object, honouring $select.
func (s *Server) entity(q url.Values, ctx string, obj map[string]any, typ string) graphResult {
	sel, err := s.selectFields(q, obj, typ)
	if err != nil {
		return *err
	}
	sel["@odata.context"] = s.contextURL(ctx, q)
	return graphResult{status: http.StatusOK, body: sel}
}

// selectFields applies $select (unknown properties are a 400, as in Graph).
func (s *Server) selectFields(q url.Values, obj map[string]any, typ string) (map[string]any, *graphResult) {
	raw := q.Get("$select")
	if raw == "" {
		out := make(map[string]any, len(obj))
		for k, v := range obj {
			out[k] = v
		}
		return out, nil
	}
	out := map[string]any{}
	if t, ok := obj["@odata.type"]; ok {
		out["@odata.type"] = t
	}
	for _, f := range strings.Split(raw, ",") {
		f = strings.TrimSpace(f)
		found := false
		for k, v := range obj {
			if strings.EqualFold(k, f) {
				out[k], found = v, true
			}
		}
		if !found && !(typ == "directoryObject" && containsFold(directoryObjectProps, f)) {
			r := s.graphError(http.StatusBadRequest, "BadRequest", fmt.Sprintf("Could not find a property named '%s' on type 'microsoft.graph.%s'.", f, typ))
			return nil, &r
		}
	}
	for k, v := range obj {
		if expanded(q, k) {
			out[k] = v
		}
	}
	return out, nil
}

// collection pages items: $top and the injected page size bound a page, and
// @odata.nextLink (an absolute URL with $skiptoken) leads to the next.
func (s *Server) collection(path string, q url.Values, ctx string, items []map[string]any, typ string) graphResult {
	size := s.faults.PageSize
	if size <= 0 {
		size = 100
	}
	if t := q.Get("$top"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || n > 999 {
			return s.graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid page size specified: '"+t+"'. Must be between 1 and 999 inclusive.")
		}
		if n < size {
			size = n
		}
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		b, err := b64.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "demo:"))
		if err != nil || err2 != nil || n < 0 || !strings.HasPrefix(string(b), "demo:") {
			return s.graphError(http.StatusBadRequest, "Request_BadRequest", "Invalid $skiptoken.")
		}
		offset = n
	}
	if offset > len(items) {
		offset = len(items)
	}
	end := min(offset+size, len(items))
	page := []map[string]any{}
	for _, it := range items[offset:end] {
		sel, err := s.selectFields(q, it, typ)
		if err != nil {
			return *err
		}
		page = append(page, sel)
	}
	body := map[string]any{"@odata.context": s.contextURL(ctx, q), "value": page}
	if end < len(items) {
		nq := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" {
				nq[k] = v
			}
		}
		nq.Set("$skiptoken", b64.EncodeToString([]byte("demo:"+strconv.Itoa(end))))
		body["@odata.nextLink"] = s.graphURL + "/v1.0/" + path + "?" + nq.Encode()
	}
	return graphResult{status: http.StatusOK, body: body}
}

func userJSON(u *user) map[string]any {
	return map[string]any{"id": u.ID, "displayName": u.DisplayName, "userPrincipalName": u.UPN, "mail": u.UPN,
		"givenName": u.GivenName, "surname": u.Surname, "jobTitle": u.JobTitle, "businessPhones": []string{},
		"mobilePhone": nil, "officeLocation": nil, "preferredLanguage": "en-US"}
}

func orgJSON(t tenant) map[string]any {
	var doms []map[string]any
	for i, d := range t.Domains {
		doms = append(doms, map[string]any{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": i == 0, "isInitial": i == 0, "name": d, "type": "Managed"})
	}
	return map[string]any{"id": t.ID, "displayName": t.DisplayName, "verifiedDomains": doms, "tenantType": "AAD",
		"countryLetterCode": "US", "createdDateTime": t.Created.Format(time.RFC3339), "preferredLanguage": "en", "businessPhones": []string{}}
}

func spJSON(sp *servicePrincipal) map[string]any {
	a := sp.App
	roles := []map[string]any{}
	for _, r := range a.Roles {
		roles = append(roles, map[string]any{"allowedMemberTypes": []string{"Application"}, "description": r.Description,
			"displayName": r.DisplayName, "id": r.ID, "isEnabled": true, "origin": "Application", "value": r.Value})
	}
	scopes := []map[string]any{}
	for _, sc := range a.Scopes {
		typ := "User"
		if sc.AdminOnly {
			typ = "Admin"
		}
		scopes = append(scopes, map[string]any{"adminConsentDescription": sc.AdminDescription, "adminConsentDisplayName": sc.AdminDisplayName,
			"id": sc.ID, "isEnabled": !sc.Disabled, "type": typ, "userConsentDescription": sc.UserDescription,
			"userConsentDisplayName": sc.UserDisplayName, "value": sc.Value})
	}
	replies := append([]string{}, a.ReplyURLs...)
	tags := append([]string{}, a.Tags...)
	return map[string]any{"id": sp.ID, "deletedDateTime": nil, "accountEnabled": sp.AccountEnabled, "appId": a.AppID,
		"appDisplayName": a.DisplayName, "displayName": sp.displayName(), "appOwnerOrganizationId": a.OwnerTenant,
		"publisherName": a.Publisher, "servicePrincipalType": "Application", "signInAudience": "AzureADMultipleOrgs",
		"servicePrincipalNames": append([]string{a.AppID}, a.IdentifierURIs...), "replyUrls": replies, "tags": tags,
		"appRoles": roles, "oauth2PermissionScopes": scopes, "appRoleAssignmentRequired": false}
}

func (s *Server) grantsJSON(d *directory, keep func(*grant) bool, now time.Time) []map[string]any {
	var out []map[string]any
	for _, g := range d.grants {
		if !keep(g) || !visible(g.VisibleAt, now) {
			continue
		}
		var principalID any
		if g.PrincipalID != "" {
			principalID = g.PrincipalID
		}
		out = append(out, map[string]any{"id": g.ID, "clientId": g.ClientID, "consentType": g.ConsentType,
			"principalId": principalID, "resourceId": g.ResourceID, "scope": " " + strings.Join(g.scopesAt(now), " ") + " "})
	}
	return out
}

// assignmentsJSON are the app role assignments keep selects that have replicated by now.
func assignmentsJSON(d *directory, keep func(*assignment) bool, now time.Time) []map[string]any {
	out := []map[string]any{}
	for _, a := range d.assigns {
		if keep(a) && visible(a.VisibleAt, now) {
			out = append(out, assignmentJSON(d, a))
		}
	}
	return out
}

func assignmentJSON(d *directory, a *assignment) map[string]any {
	principal, resource := d.spByID(a.PrincipalID, time.Time{}), d.spByID(a.ResourceID, time.Time{})
	pname, rname := "", ""
	if principal != nil {
		pname = principal.App.DisplayName
	}
	if resource != nil {
		rname = resource.App.DisplayName
	}
	return map[string]any{"id": a.ID, "deletedDateTime": nil, "appRoleId": a.AppRoleID, "createdDateTime": a.Created.UTC().Format(time.RFC3339),
		"principalDisplayName": pname, "principalId": a.PrincipalID, "principalType": "ServicePrincipal",
		"resourceDisplayName": rname, "resourceId": a.ResourceID}
}
