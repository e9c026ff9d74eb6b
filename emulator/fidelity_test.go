package emulator

// Each test here pins one behaviour of the real service (request in; status, body,
// headers out) and names the Microsoft Learn page it follows.

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// tokenWith signs an access token for upn with exactly the delegated scopes scp,
// as the token endpoint would after such a consent.
func tokenWith(t testing.TB, srv *Server, upn, scp string) string {
	t.Helper()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	u := srv.dir.userByUPN(upn)
	if u == nil {
		t.Fatalf("no user %s", upn)
	}
	now := srv.now()
	return srv.signJWT(map[string]any{"aud": permissions.GraphAppID, "iss": srv.issuerV1(), "tid": srv.TenantID(),
		"oid": u.ID, "scp": scp, "exp": now.Add(time.Hour).Unix(), "nbf": now.Unix()})
}

// graphDoH is graphDo with request headers.
func graphDoH(t testing.TB, srv *Server, token, path string, hdr map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.GraphURL()+"/v1.0/"+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("GET %s: %d, not JSON: %q", path, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

func items(body map[string]any) []map[string]any {
	var out []map[string]any
	vals, _ := body["value"].([]any)
	for _, v := range vals {
		out = append(out, v.(map[string]any))
	}
	return out
}

// directoryRoles keeps the directory roles of a membership list (picked by @odata.type).
func directoryRoles(list []map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range list {
		if it["@odata.type"] == "#microsoft.graph.directoryRole" {
			out = append(out, it)
		}
	}
	return out
}

func errMessage(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

// https://learn.microsoft.com/graph/api/user-list-memberof ("Important": a caller
// that may not read a member's type gets it "with limited information", only
// @odata.type and id, other properties null), as graph/api/user-list-transitivememberof:
// with User.Read alone both lists name the signed-in user's directory role without
// its details; with Directory.Read.All (what the sign-in client is given to read the
// grants) both list it whole.
func TestMembershipsGiveRolesWithLimitedInformationUnderUserRead(t *testing.T) {
	srv := startServer(t, Options{Scenario: "first-use"})
	admin := srv.DemoUser()
	for _, list := range []string{"me/memberOf", "me/transitiveMemberOf"} {
		path := list + "?$select=id,displayName,roleTemplateId"
		code, _, body := graphDoH(t, srv, tokenWith(t, srv, admin, "User.Read"), path, nil)
		roles := directoryRoles(items(body))
		if code != 200 || len(roles) != 1 {
			t.Fatalf("%s with User.Read: %d %v", list, code, body)
		}
		if r := roles[0]; r["id"] == nil || r["displayName"] != nil || r["roleTemplateId"] != nil {
			t.Errorf("%s with User.Read: %v, want only @odata.type and id", list, r)
		}
		code, _, body = graphDoH(t, srv, tokenWith(t, srv, admin, "User.Read Directory.Read.All"), path, nil)
		roles = directoryRoles(items(body))
		if code != 200 || len(roles) != 1 || roles[0]["roleTemplateId"] != GlobalAdminTemplateID || roles[0]["displayName"] != "Global Administrator" {
			t.Errorf("%s with Directory.Read.All: %d %v", list, code, body)
		}
	}
}

// graph/api/user-list-transitivememberof: User.Read is the least privileged
// permission for the signed-in user's memberships; without permission to read a
// member's type the object comes back with only @odata.type and id ("limited
// information"); graph/aad-advanced-queries: the OData cast on a transitive
// membership list needs ConsistencyLevel: eventual and $count=true.
func TestRoleReadsAsTransitiveMemberOfDocumentsThem(t *testing.T) {
	srv := startServer(t, Options{})
	admin := srv.DemoUser()
	path := "me/transitiveMemberOf?$select=id,displayName,roleTemplateId"

	// User.Read alone: 200, the role (and the group) listed with only @odata.type and id.
	code, _, body := graphDoH(t, srv, tokenWith(t, srv, admin, "User.Read"), path, nil)
	if code != 200 || len(items(body)) != 2 || len(directoryRoles(items(body))) != 1 {
		t.Fatalf("User.Read: %d %v", code, body)
	}
	for _, r := range items(body) {
		if r["id"] == nil || r["displayName"] != nil || r["roleTemplateId"] != nil {
			t.Fatalf("limited information: %v", r)
		}
	}
	if ctx := body["@odata.context"]; ctx != srv.GraphURL()+"/v1.0/$metadata#directoryObjects(id,displayName,roleTemplateId)" {
		t.Fatalf("@odata.context %v", ctx)
	}
	// With Directory.Read.All: the whole role.
	code, _, body = graphDoH(t, srv, tokenWith(t, srv, admin, "User.Read Directory.Read.All"), path, nil)
	if r := directoryRoles(items(body)); code != 200 || len(r) != 1 || r[0]["roleTemplateId"] != GlobalAdminTemplateID || r[0]["displayName"] != "Global Administrator" {
		t.Fatalf("Directory.Read.All: %d %v", code, body)
	}
	// No scope that reads memberships: 403.
	if code, _, body := graphDoH(t, srv, tokenWith(t, srv, admin, "Mail.Read"), path, nil); code != 403 || errCode(t, body) != "Authorization_RequestDenied" {
		t.Fatalf("no scope: %d %v", code, body)
	}

	// The OData cast: refused without both advanced query parameters.
	tok := tokenWith(t, srv, admin, "User.Read Directory.Read.All")
	cast := "me/transitiveMemberOf/microsoft.graph.directoryRole"
	for name, c := range map[string]struct {
		path string
		hdr  map[string]string
	}{
		"neither":      {cast, nil},
		"header only":  {cast, map[string]string{"ConsistencyLevel": "eventual"}},
		"$count only":  {cast + "?$count=true", nil},
		"memberOf too": {"me/memberOf/microsoft.graph.group", nil},
	} {
		code, _, body := graphDoH(t, srv, tok, c.path, c.hdr)
		if code != 400 || errCode(t, body) != "Request_UnsupportedQuery" || !strings.Contains(errMessage(body), "Try adding $count=true query parameter and ConsistencyLevel:eventual header") {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	code, _, body = graphDoH(t, srv, tok, cast+"?$count=true&$select=id,roleTemplateId", map[string]string{"ConsistencyLevel": "eventual"})
	if code != 200 || body["@odata.count"] != float64(1) || items(body)[0]["roleTemplateId"] != GlobalAdminTemplateID {
		t.Fatalf("advanced cast: %d %v", code, body)
	}
}

// graph/api/user-list-transitivememberof: roles held through a role-assignable group
// are transitive memberships (memberOf lists only the group); PIM-eligible roles are
// not memberships until activated (entra/id-governance/privileged-identity-management/pim-how-to-activate-role).
func TestRolesThroughGroupsAndEligibility(t *testing.T) {
	srv := startServer(t, Options{})
	srv.mu.Lock()
	u := srv.dir.users[2]
	u.EligibleRoles = []string{GlobalAdminTemplateID}
	g := srv.dir.addGroup("Cloud App Admins", []string{CloudAppAdminTemplateID}, u.ID)
	srv.mu.Unlock()
	tok := tokenWith(t, srv, u.UPN, "User.Read Directory.Read.All")
	_, _, body := graphDoH(t, srv, tok, "me/transitiveMemberOf?$select=id,displayName,roleTemplateId", nil)
	var types, tmpl []string
	for _, it := range items(body) {
		types = append(types, it["@odata.type"].(string))
		if s, ok := it["roleTemplateId"].(string); ok {
			tmpl = append(tmpl, s)
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, []string{"#microsoft.graph.directoryRole", "#microsoft.graph.group", "#microsoft.graph.group"}) || !slices.Equal(tmpl, []string{CloudAppAdminTemplateID}) {
		t.Fatalf("transitive: %v / %v", types, tmpl)
	}
	_, _, body = graphDoH(t, srv, tok, "me/memberOf?$select=id,displayName", nil)
	if it := items(body); len(it) != 2 || len(directoryRoles(it)) != 0 || it[0]["id"] != g.ID && it[1]["id"] != g.ID {
		t.Fatalf("memberOf: %v", it)
	}
}

// graph/api/serviceprincipal-list-oauth2permissiongrants, graph/api/oauth2permissiongrant-list,
// graph/api/serviceprincipal-list-approleassignments: a Directory.Read.All-class scope
// and, in a delegated call, a supported directory role of the signed-in user; else
// 403 Authorization_RequestDenied.
func TestGrantListsNeedScopeAndDirectoryRole(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	ce, _ := srv.Catalog().App("ce")
	paths := []string{
		"servicePrincipals(appId='" + ce.ClientID + "')/oauth2PermissionGrants",
		"servicePrincipals(appId='" + ce.ClientID + "')/appRoleAssignments",
		"oauth2PermissionGrants",
	}
	reader := "alex@" + demoDomain
	cases := []struct {
		name, upn, scp string
		role           string
		want           int
	}{
		{"admin with Directory.Read.All", srv.DemoUser(), "User.Read Directory.Read.All", "", 200},
		{"admin with User.Read only", srv.DemoUser(), "User.Read", "", 403},
		{"no role, Directory.Read.All", reader, "User.Read Directory.Read.All", "", 403},
		{"Directory Readers", reader, "User.Read Directory.Read.All", DirectoryReadersTemplateID, 200},
		{"Global Reader", reader, "User.Read Directory.Read.All", GlobalReaderTemplateID, 200},
		{"Cloud Application Administrator", reader, "User.Read Directory.Read.All", CloudAppAdminTemplateID, 200},
	}
	for _, c := range cases {
		srv.mu.Lock()
		srv.dir.userByUPN(reader).Roles = nil
		if c.role != "" {
			srv.dir.userByUPN(reader).Roles = []string{c.role}
		}
		srv.mu.Unlock()
		tok := tokenWith(t, srv, c.upn, c.scp)
		for _, p := range paths {
			code, _, body := graphDoH(t, srv, tok, p, nil)
			if code != c.want || code == 403 && (errCode(t, body) != "Authorization_RequestDenied" || errMessage(body) != "Insufficient privileges to complete the operation.") {
				t.Errorf("%s: GET %s: %d %v, want %d", c.name, p, code, body, c.want)
			}
		}
	}
}

// graph/throttling: 429 with Retry-After, which may be fractional ("Retry-After:
// 2.128" in its sample response) or, as HTTP allows, a date; the body is the sample's.
func TestRetryAfterFormats(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	srv := startServer(t, Options{Now: clock.Now})
	tok := tokenWith(t, srv, srv.DemoUser(), "User.Read")
	for _, c := range []struct {
		format string
		after  time.Duration
		want   string
	}{
		{RetryWholeSeconds, 2128 * time.Millisecond, "3"},
		{RetryFractional, 2128 * time.Millisecond, "2.128"},
		{RetryHTTPDate, 2128 * time.Millisecond, "Sun, 01 Mar 2026 10:00:07 GMT"}, // 10:00:04.256 + 2.128 s, rounded up
	} {
		srv.SetFaults(Faults{Throttle: 1, RetryAfter: c.after, RetryAfterFormat: c.format})
		code, h, body := graphDoH(t, srv, tok, "me", nil)
		e := body["error"].(map[string]any)
		inner := e["innerError"].(map[string]any)
		if code != 429 || h.Get("Retry-After") != c.want || e["code"] != "TooManyRequests" || e["message"] != "Please retry again later." || inner["code"] != "429" {
			t.Errorf("%q: %d Retry-After %q %v", c.format, code, h.Get("Retry-After"), body)
		}
		clock.Advance(c.after)
		if code, _, _ := graphDoH(t, srv, tok, "me", nil); code != 200 {
			t.Errorf("%q: after the wait: %d", c.format, code)
		}
	}
}

// graph/json-batching and graph/throttling: the $batch envelope is itself a request
// that can be answered 429/503/504 (with Retry-After) before any sub-request runs;
// sub-requests get their own 429/503/504; a request whose dependsOn failed is 424.
func TestBatchEnvelopeAndSubRequestFaults(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	srv := startServer(t, Options{Now: clock.Now, Faults: Faults{Envelope: []int{429, 503, 504}, RetryAfter: 2128 * time.Millisecond, RetryAfterFormat: RetryFractional}})
	tok := tokenWith(t, srv, srv.DemoUser(), "User.Read")
	reqs := []map[string]any{{"id": "me", "method": "GET", "url": "/me"}, {"id": "org", "method": "GET", "url": "/organization", "dependsOn": []string{"me"}}}
	for _, want := range []int{429, 503, 504} {
		code, h, body := graphDo(t, srv, tok, http.MethodPost, "$batch", map[string]any{"requests": reqs})
		if code != want || h.Get("Retry-After") != "2.128" || body["responses"] != nil || errCode(t, body) == "" {
			t.Fatalf("envelope: %d (want %d) Retry-After %q %v", code, want, h.Get("Retry-After"), body)
		}
	}
	srv.SetFaults(Faults{GatewayTimeout: 1, RetryAfter: 3 * time.Second})
	code, res := runBatch(t, srv, tok, reqs)
	if code != 200 || res["me"].Status != 504 || res["me"].Headers["Retry-After"] != "3" || res["org"].Status != 424 || res["org"].Body["error"] == nil {
		t.Fatalf("sub-request 504 + 424: %d %+v", code, res)
	}
	srv.SetFaults(Faults{Unavailable: 1})
	if _, res := runBatch(t, srv, tok, reqs); res["me"].Status != 503 || res["org"].Status != 424 {
		t.Fatalf("sub-request 503: %+v", res)
	}
	if _, res := runBatch(t, srv, tok, reqs); res["me"].Status != 200 || res["org"].Status != 200 {
		t.Fatalf("after the faults: %+v", res)
	}
}

// graph/json-batching: responses may come back in any order (match them by id);
// each request needs id, method and a url relative to the version.
func TestBatchOrderAndRequestShape(t *testing.T) {
	srv := startServer(t, Options{})
	tok := tokenWith(t, srv, srv.DemoUser(), "User.Read")
	var reqs []map[string]any
	for i := range 6 {
		reqs = append(reqs, map[string]any{"id": strconv.Itoa(i), "method": "GET", "url": "/me?$select=id"})
	}
	code, _, body := graphDo(t, srv, tok, http.MethodPost, "$batch", map[string]any{"requests": reqs})
	var order []string
	for _, r := range body["responses"].([]any) {
		order = append(order, r.(map[string]any)["id"].(string))
	}
	if code != 200 || len(order) != 6 || slices.Equal(order, []string{"0", "1", "2", "3", "4", "5"}) {
		t.Fatalf("responses in request order: %d %v", code, order)
	}
	for name, rq := range map[string]map[string]any{
		"no method": {"id": "1", "url": "/me"},
		"no url":    {"id": "1", "method": "GET"},
		"no id":     {"method": "GET", "url": "/me"},
	} {
		if code, _ := runBatch(t, srv, tok, []map[string]any{rq}); code != 400 {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	for name, u := range map[string]string{
		"absolute":         srv.GraphURL() + "/v1.0/me",
		"version repeated": "/v1.0/me",
	} {
		code, res := runBatch(t, srv, tok, []map[string]any{{"id": "1", "method": "GET", "url": u}})
		if code != 200 || res["1"].Status != 400 {
			t.Errorf("%s url: %d %+v", name, code, res)
		}
	}
	// Headers of a sub-request are its own (ConsistencyLevel in the JSON body,
	// graph/aad-advanced-queries: "specify the ConsistencyLevel header in the JSON body").
	code, res := runBatch(t, srv, tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All"), []map[string]any{
		{"id": "a", "method": "GET", "url": "/servicePrincipals?$search=\"displayName:graph\"", "headers": map[string]string{"ConsistencyLevel": "eventual"}},
		{"id": "b", "method": "GET", "url": "/servicePrincipals?$search=\"displayName:graph\""},
	})
	if code != 200 || res["a"].Status != 200 || res["b"].Status != 400 {
		t.Fatalf("sub-request headers: %+v", res)
	}
}

// graph/aad-advanced-queries, graph/api/serviceprincipal-get, graph/query-parameters.
func TestQueryRules(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented", Faults: Faults{PageSize: 2}})
	tok := tokenWith(t, srv, srv.DemoUser(), "User.Read Directory.Read.All")
	ev := map[string]string{"ConsistencyLevel": "eventual"}
	for name, c := range map[string]struct {
		path          string
		hdr           map[string]string
		status        int
		code, message string
	}{
		"non-GUID id":           {"servicePrincipals/not-a-guid", nil, 400, "Request_BadRequest", "Invalid object identifier 'not-a-guid'."},
		"non-GUID appId":        {"servicePrincipals(appId='ce')", nil, 400, "Request_BadRequest", "Invalid object identifier 'ce'."},
		"$search, no header":    {"servicePrincipals?$search=%22displayName:graph%22", nil, 400, "Request_UnsupportedQuery", "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"},
		"$count segment":        {"servicePrincipals/$count", nil, 400, "Request_BadRequest", "$count is not currently supported."},
		"$orderby, no params":   {"servicePrincipals?$orderby=displayName", nil, 400, "Request_UnsupportedQuery", ""},
		"$orderby, header only": {"servicePrincipals?$orderby=displayName", ev, 400, "Request_UnsupportedQuery", ""},
		"$filter+$orderby":      {"servicePrincipals?$orderby=displayName&$filter=" + url.QueryEscape("appId eq '"+permissions.GraphAppID+"'"), nil, 400, "Request_UnsupportedQuery", ""},
	} {
		code, _, body := graphDoH(t, srv, tok, c.path, c.hdr)
		if code != c.status || errCode(t, body) != c.code || c.message != "" && errMessage(body) != c.message {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	// With the advanced query parameters: sorted, counted; $count=true without
	// the header is silently ignored (no @odata.count), as the page says.
	code, _, body := graphDoH(t, srv, tok, "servicePrincipals?$orderby=displayName&$count=true&$top=999&$select=displayName", ev)
	if code != 200 || body["@odata.count"] != float64(9) {
		t.Fatalf("advanced $orderby: %d %v", code, body)
	}
	if it := items(body); len(it) != 2 || it[0]["displayName"].(string) > it[1]["displayName"].(string) {
		t.Fatalf("not sorted: %v", it)
	}
	if _, _, body := graphDoH(t, srv, tok, "servicePrincipals?$count=true", nil); body["@odata.count"] != nil || body["value"] == nil {
		t.Fatalf("$count=true without the header: %v", body)
	}
	// $select projects @odata.context (graph/api/user-get: "$metadata#users(…)/$entity").
	_, _, me := graphDoH(t, srv, tok, "me?$select=id,displayName", nil)
	if me["@odata.context"] != srv.GraphURL()+"/v1.0/$metadata#users(id,displayName)/$entity" {
		t.Fatalf("entity context: %v", me["@odata.context"])
	}
	// nextLinks carry $skiptoken and keep the other query options (graph/paging).
	_, _, page := graphDoH(t, srv, tok, "servicePrincipals?$select=id", nil)
	next, _ := page["@odata.nextLink"].(string)
	nu, err := url.Parse(next)
	if err != nil || nu.Query().Get("$skiptoken") == "" || nu.Query().Get("$select") != "id" || page["@odata.context"] != srv.GraphURL()+"/v1.0/$metadata#servicePrincipals(id)" {
		t.Fatalf("nextLink %q context %v", next, page["@odata.context"])
	}
}

// deviceToken runs the device code flow over HTTP as MSAL does and returns the
// token endpoint's JSON.
func deviceToken(t *testing.T, srv *Server, scope string) (int, map[string]any) {
	t.Helper()
	code, dc := postAuthority(t, srv, "/oauth2/v2.0/devicecode", url.Values{"client_id": {SignInClientID}, "scope": {scope}})
	if code != 200 {
		return code, dc
	}
	if err := srv.Browser("").OpenDeviceLogin(testCtx(t), dc["user_code"].(string)); err != nil {
		t.Fatal(err)
	}
	return postAuthority(t, srv, "/oauth2/v2.0/token", url.Values{"client_id": {SignInClientID}, "grant_type": {"device_code"}, "device_code": {dc["device_code"].(string)}, "scope": {scope}})
}

// entra/identity-platform/v2-oauth2-auth-code-flow ("Successful response"): the
// token response's scope lists the resource's scopes the token is valid for —
// everything the tenant consented for the client, in the request's resource form —
// and never offline_access.
func TestTokenScopeListsWhatTheTenantConsented(t *testing.T) {
	srv := startServer(t, Options{Scenario: "non-admin"}) // the sign-in client is consented tenant-wide
	prefix := srv.GraphScopePrefix()
	code, tok := deviceToken(t, srv, "openid profile offline_access "+prefix+"/User.Read")
	if code != 200 {
		t.Fatalf("token: %d %v", code, tok)
	}
	got := strings.Fields(tok["scope"].(string))
	slices.Sort(got)
	if want := []string{prefix + "/Directory.Read.All", prefix + "/User.Read"}; !slices.Equal(got, want) {
		t.Fatalf("scope %q, want %q", got, want)
	}
	if tok["refresh_token"] == nil {
		t.Fatal("offline_access asked, no refresh token")
	}
}

// graph/deployments and entra/identity-platform/authentication-national-cloud: a
// tenant in US Government or in the cloud operated by 21Vianet names Graph by that
// cloud's URI, so fully qualified scopes and the token's scope use it, and v1.0
// access tokens are issued by sts.windows.net (US Government) or sts.chinacloudapi.cn.
func TestNationalClouds(t *testing.T) {
	for _, c := range []struct{ cloud, graph, iss, instance string }{
		{"usgov", "https://graph.microsoft.us", "https://sts.windows.net/", "microsoftonline.us"},
		{"usgov-dod", "https://dod-graph.microsoft.us", "https://sts.windows.net/", "microsoftonline.us"},
		{"china", "https://microsoftgraph.chinacloudapi.cn", "https://sts.chinacloudapi.cn/", "partner.microsoftonline.cn"},
		{"global", "https://graph.microsoft.com", "https://sts.windows.net/", "microsoftonline.com"},
	} {
		t.Run(c.cloud, func(t *testing.T) {
			srv := startServer(t, Options{Scenario: "non-admin", Cloud: c.cloud})
			if srv.GraphScopePrefix() != c.graph {
				t.Fatalf("prefix %s", srv.GraphScopePrefix())
			}
			code, tok := deviceToken(t, srv, "openid offline_access "+c.graph+"/User.Read")
			if code != 200 || !strings.Contains(" "+tok["scope"].(string)+" ", " "+c.graph+"/User.Read ") {
				t.Fatalf("token: %d %v", code, tok)
			}
			parts := strings.Split(tok["access_token"].(string), ".")
			raw, _ := b64.DecodeString(parts[1])
			var claims map[string]any
			_ = json.Unmarshal(raw, &claims)
			if claims["iss"] != c.iss+srv.TenantID()+"/" {
				t.Fatalf("iss %v", claims["iss"])
			}
			if code, _, _ := graphDoH(t, srv, tok["access_token"].(string), "me", nil); code != 200 {
				t.Fatalf("Graph refused the cloud's token: %d", code)
			}
			other := "https://graph.microsoft.com"
			if c.cloud == "global" {
				other = "https://graph.microsoft.us"
			}
			code, e := deviceToken(t, srv, other+"/User.Read")
			if codes, _ := e["error_codes"].([]any); code != 400 || len(codes) != 1 || codes[0] != float64(500011) {
				t.Fatalf("another cloud's Graph: %d %v", code, e)
			}
			_, oidc := graphGetOIDC(t, srv)
			if oidc["cloud_instance_name"] != c.instance || oidc["msgraph_host"] != strings.TrimPrefix(c.graph, "https://") {
				t.Fatalf("openid-configuration %v", oidc)
			}
		})
	}
}

func graphGetOIDC(t *testing.T, srv *Server) (int, map[string]any) {
	t.Helper()
	resp, err := srv.HTTPClient().Get(srv.AuthorityHost() + "/" + srv.TenantID() + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// The publisher's landing page shows what arrived, with terminal escape sequences
// removed whole and everything escaped.
func TestLandingPageShowsWhatArrivedSafely(t *testing.T) {
	srv := startServer(t, Options{})
	q := url.Values{"error": {"access_denied"}, "error_subcode": {"cancel"}, "state": {"<s>"},
		"error_description": {"AADSTS65004: Dynamics " + HostileText + " CRM <script>alert(1)</script>"}}
	resp, err := http.Get(srv.LandingURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)
	doc := parseHTML(body)
	if resp.StatusCode != 200 || doc.byID["error"] != "AADSTS65004: Dynamics clickevil CRM <script>alert(1)</script>" {
		t.Fatalf("%d error %q", resp.StatusCode, doc.byID["error"])
	}
	for _, bad := range []string{"\x1b", "\u009b", "\u202e", "pwned", "52;c;", "[2J", "<script>", "<s>"} {
		if strings.Contains(body, bad) {
			t.Errorf("landing page carries %q", bad)
		}
	}
	if !strings.Contains(body, "&lt;s&gt;") || !strings.Contains(body, "cancel") {
		t.Errorf("state/subcode not shown:\n%s", body)
	}
}

// entra/identity/enterprise-apps/grant-admin-consent: admin consent grants what the
// app registration requests, and "granting tenant-wide admin consent may revoke
// permissions that have already been granted tenant-wide for that application";
// users' own grants are not affected.
func TestConsentGrantsTheRegistrationAndReplacesTenantWideGrants(t *testing.T) {
	srv := startServer(t, Options{Scenario: "registration-behind"})
	uo, _ := srv.Catalog().App("uo")
	newly := uo.Permissions[len(uo.Permissions)-1]
	if !newly.NewlyRequired {
		t.Fatalf("%s is not newly required in the catalog", newly.Value)
	}
	if err := srv.GrantExtra(uo.ClientID, permissions.GraphAppID, permissions.Delegated, "Application.Read.All"); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	uoSP := srv.dir.spByAppID(uo.ClientID, time.Time{})
	graphSP := srv.dir.spByAppID(permissions.GraphAppID, time.Time{})
	srv.dir.grantDelegated(uoSP, graphSP, "Principal", srv.dir.users[1].ID, []string{"Group.Read.All"}, time.Time{})
	srv.mu.Unlock()

	b := srv.Browser("")
	if err := b.Open(testCtx(t), adminConsentURL(srv, uo.ClientID, "")); err != nil {
		t.Fatal(err)
	}
	if q := landed(t, srv, b); q.Get("admin_consent") != "True" || q.Get("state") != "st-42" || q.Get("tenant") != srv.TenantID() {
		t.Fatalf("landing %v", q)
	}
	tok := tokenFor(srv, srv.DemoUser())
	_, _, status := verifyApp(t, srv, tok, uo)
	for _, p := range uo.Permissions {
		want := "granted"
		if p.Value == newly.Value {
			want = "missing" // the registration does not request it: consent cannot grant it
		}
		if status[p.Value] != want {
			t.Errorf("%s: %s, want %s", p.Value, status[p.Value], want)
		}
	}
	_, _, body := graphDoH(t, srv, tok, "servicePrincipals(appId='"+uo.ClientID+"')/oauth2PermissionGrants", nil)
	for _, g := range items(body) {
		scope := g["scope"].(string)
		if g["consentType"] == "AllPrincipals" && strings.Contains(scope, "Application.Read.All") {
			t.Errorf("the earlier tenant-wide Application.Read.All survived consent: %q", scope)
		}
		if g["consentType"] == "Principal" && !strings.Contains(scope, "Group.Read.All") {
			t.Errorf("a user's own grant was touched: %q", scope)
		}
	}
}

// entra/identity-platform/v2-admin-consent: scope and redirect_uri are required on
// the v2.0 endpoint; on the v1 endpoint a request without redirect_uri goes to the
// registered reply URL, and an app with none ends in AADSTS900971 "No reply address
// provided." (entra/identity-platform/reference-error-codes).
func TestAdminConsentParameters(t *testing.T) {
	srv := startServer(t, Options{})
	ce, _ := srv.Catalog().App("ce")
	v2 := func(q url.Values) string {
		return srv.PagesURL() + "/" + srv.TenantID() + "/v2.0/adminconsent?" + q.Encode()
	}
	for name, c := range map[string]struct {
		u    string
		want string
	}{
		"v2 without scope":        {v2(url.Values{"client_id": {ce.ClientID}, "redirect_uri": {srv.LandingURL()}}), "AADSTS900144"},
		"v2 without redirect_uri": {v2(url.Values{"client_id": {ce.ClientID}, "scope": {"https://graph.microsoft.com/.default"}}), "AADSTS900144"},
	} {
		if err := srv.Browser("").Open(testCtx(t), c.u); !errors.Is(err, ErrPageError) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	b := srv.Browser("")
	if err := b.Open(testCtx(t), v2(url.Values{"client_id": {ce.ClientID}, "scope": {"https://graph.microsoft.com/.default"}, "redirect_uri": {srv.LandingURL()}, "state": {"st-42"}})); err != nil {
		t.Fatalf("v2 with both: %v", err)
	}
	if q := landed(t, srv, b); q.Get("admin_consent") != "True" {
		t.Fatalf("v2 landing %v", q)
	}
	srv.mu.Lock()
	srv.dir.apps[strings.ToLower(ce.ClientID)].ReplyURLs = nil
	srv.mu.Unlock()
	if err := srv.Browser("").Open(testCtx(t), adminConsentURL(srv, ce.ClientID, "")); !errors.Is(err, ErrPageError) || !strings.Contains(err.Error(), "AADSTS900971: No reply address provided.") {
		t.Fatalf("no reply URL: %v", err)
	}
}

// The tenant-wide admin consent URL as Microsoft documents it, client_id alone
// (entra/identity/enterprise-apps/grant-admin-consent, "Construct the URL for granting
// tenant-wide admin consent"): the link a phone scans, with no state and no
// redirect_uri. On the authority host it sends the browser to the consent page; after
// Accept, Entra ID sends the browser to the app's first registered reply URL, the
// publisher's page, with admin_consent=True, the tenant and no state — also where the
// apps registered http://127.0.0.1 besides (loopback-reply) — and Graph shows the
// grants.
func TestAdminConsentDocumentedLink(t *testing.T) {
	for _, scenario := range []string{"fresh", "loopback-reply"} {
		t.Run(scenario, func(t *testing.T) {
			srv := startServer(t, Options{Scenario: scenario})
			ce, _ := srv.Catalog().App("ce")
			path := "/" + srv.TenantID() + "/adminconsent?client_id=" + ce.ClientID
			c := *srv.HTTPClient() // trusts the authority host's CA
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Get(srv.AuthorityHost() + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != srv.PagesURL()+path {
				t.Fatalf("the documented link on the authority host: %s, Location %q; want 302 to %s", resp.Status, loc, srv.PagesURL()+path)
			}
			b := srv.Browser("")
			if err := b.Open(testCtx(t), srv.PagesURL()+path); err != nil {
				t.Fatalf("the consent page of the documented link: %v (visited %v)", err, b.Visited)
			}
			if q := landed(t, srv, b); q.Get("admin_consent") != "True" || q.Get("tenant") != srv.TenantID() || q.Has("state") {
				t.Errorf("the publisher's page received %v; want admin_consent=True, tenant=%s, no state", q, srv.TenantID())
			}
			_, enabled, status := verifyApp(t, srv, tokenFor(srv, srv.DemoUser()), ce)
			if !enabled || len(status) != len(ce.Permissions) {
				t.Fatalf("after consent: enabled %v, %d of %d permissions: %v", enabled, len(status), len(ce.Permissions), status)
			}
			for v, st := range status {
				if st != "granted" {
					t.Errorf("%s: %s after consent", v, st)
				}
			}
		})
	}
}
