package emulator

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// tokenFor issues an access token as the token endpoint would, after an admin
// consented the sign-in client to read the directory.
func tokenFor(srv *Server, upn string) string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	consentSignInClient(srv.dir)
	u := srv.dir.userByUPN(upn)
	scopes, _ := srv.parseScopes("User.Read")
	return srv.tokenResponse(SignInClientID, u, scopes, false, false)["access_token"].(string)
}

func graphDo(t testing.TB, srv *Server, token, method, path string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	target := path
	if !strings.HasPrefix(path, "https://") {
		target = srv.GraphURL() + "/v1.0/" + path
	}
	req, _ := http.NewRequest(method, target, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d, not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

func errCode(t testing.TB, body map[string]any) string {
	t.Helper()
	e, _ := body["error"].(map[string]any)
	inner, _ := e["innerError"].(map[string]any)
	if e == nil || e["message"] == "" || inner["request-id"] == nil || inner["date"] == nil {
		t.Fatalf("not Graph's error shape: %v", body)
	}
	return e["code"].(string)
}

func TestGraph401(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	srv := startServer(t, Options{Now: clock.Now})
	good := tokenFor(srv, srv.DemoUser())

	other, _ := rsa.GenerateKey(rand.Reader, 1024)
	forged := func(mut func(map[string]any)) string {
		parts := strings.Split(good, ".")
		raw, _ := b64.DecodeString(parts[1])
		var c map[string]any
		_ = json.Unmarshal(raw, &c)
		mut(c)
		return srv.signJWT(c)
	}
	wrongKey := func() string {
		saved := srv.key
		srv.key = other
		defer func() { srv.key = saved }()
		return forged(func(map[string]any) {})
	}()
	cases := map[string]string{
		"no token":      "",
		"garbage":       "not-a-jwt",
		"wrong key":     wrongKey,
		"wrong aud":     forged(func(c map[string]any) { c["aud"] = "00000007-0000-0000-c000-000000000000" }),
		"wrong tenant":  forged(func(c map[string]any) { c["tid"] = "11111111-1111-1111-1111-111111111111" }),
		"unknown user":  forged(func(c map[string]any) { c["oid"] = "11111111-1111-1111-1111-111111111111" }),
		"tampered body": strings.Join([]string{strings.Split(good, ".")[0], b64.EncodeToString([]byte(`{"aud":"00000003-0000-0000-c000-000000000000"}`)), strings.Split(good, ".")[2]}, "."),
	}
	for name, tok := range cases {
		code, h, body := graphDo(t, srv, tok, http.MethodGet, "me", nil)
		if code != http.StatusUnauthorized || errCode(t, body) != "InvalidAuthenticationToken" || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %v", name, code, body)
		}
	}
	if code, _, _ := graphDo(t, srv, good, http.MethodGet, "me", nil); code != 200 {
		t.Fatalf("good token: %d", code)
	}
	clock.Advance(2 * time.Hour)
	code, _, body := graphDo(t, srv, good, http.MethodGet, "me", nil)
	if code != 401 || !strings.Contains(body["error"].(map[string]any)["message"].(string), "expired") {
		t.Fatalf("expired token: %d %v", code, body)
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestGraphEndpoints(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	tok := tokenFor(srv, srv.DemoUser())
	ce, _ := srv.Catalog().App("ce")
	get := func(path string, want int) map[string]any {
		t.Helper()
		code, _, body := graphDo(t, srv, tok, http.MethodGet, path, nil)
		if code != want {
			t.Fatalf("GET %s: %d, want %d: %v", path, code, want, body)
		}
		return body
	}
	values := func(b map[string]any) []map[string]any {
		var out []map[string]any
		for _, v := range b["value"].([]any) {
			out = append(out, v.(map[string]any))
		}
		return out
	}

	if me := get("me?$select=id,userPrincipalName", 200); me["userPrincipalName"] != srv.DemoUser() || me["displayName"] != nil || me["id"] == nil {
		t.Fatalf("/me $select: %v", me)
	}
	org := values(get("organization", 200))
	if len(org) != 1 || org[0]["id"] != srv.TenantID() || org[0]["displayName"] != srv.TenantName() {
		t.Fatalf("/organization: %v", org)
	}
	roles := directoryRoles(values(get("me/transitiveMemberOf?$select=id,displayName,roleTemplateId", 200)))
	if len(roles) != 1 || roles[0]["roleTemplateId"] != GlobalAdminTemplateID || roles[0]["@odata.type"] != "#microsoft.graph.directoryRole" {
		t.Fatalf("roles: %v", roles)
	}
	megan := tokenFor(srv, "megan@"+demoDomain)
	_, _, body := graphDo(t, srv, megan, http.MethodGet, "me/transitiveMemberOf?$select=id,displayName,roleTemplateId", nil)
	if r := directoryRoles(values(body)); len(r) != 1 || r[0]["roleTemplateId"] != PrivilegedRoleAdminTemplID {
		t.Fatalf("PRA roles: %v", r)
	}
	alex := tokenFor(srv, "alex@"+demoDomain)
	if _, _, body := graphDo(t, srv, alex, http.MethodGet, "me/transitiveMemberOf", nil); len(directoryRoles(values(body))) != 0 {
		t.Fatalf("ordinary user has roles: %v", body)
	}

	sps := values(get("servicePrincipals?$filter="+url.QueryEscape("appId eq '"+permissions.GraphAppID+"'"), 200))
	if len(sps) != 1 || sps[0]["displayName"] != "Microsoft Graph" {
		t.Fatalf("filter appId: %v", sps)
	}
	var graphRoles []string
	for _, r := range sps[0]["appRoles"].([]any) {
		graphRoles = append(graphRoles, r.(map[string]any)["id"].(string))
	}
	if !slices.Contains(graphRoles, "7ab1d382-f21e-4acd-a863-ba3e13f7da61") || !slices.Contains(graphRoles, "5b567255-7703-4780-807c-7be8301ae99b") {
		t.Fatalf("Graph app role ids: %v", graphRoles)
	}
	sp := get("servicePrincipals(appId='"+ce.ClientID+"')?$select=id,appId,displayName,accountEnabled", 200)
	if sp["appId"] != ce.ClientID || sp["accountEnabled"] != true || sp["appRoles"] != nil || len(sp) != 5 {
		t.Fatalf("alternate key + $select: %v", sp)
	}
	if byID := get("servicePrincipals/"+sp["id"].(string), 200); byID["appId"] != ce.ClientID {
		t.Fatalf("by id: %v", byID)
	}
	grants := values(get("servicePrincipals(appId='"+ce.ClientID+"')/oauth2PermissionGrants", 200))
	grants2 := values(get("oauth2PermissionGrants?$filter="+url.QueryEscape("clientId eq '"+sp["id"].(string)+"'"), 200))
	if len(grants) != 2 || len(grants2) != 2 || grants[0]["consentType"] != "AllPrincipals" || grants[0]["principalId"] != nil {
		t.Fatalf("grants: %v / %v", grants, grants2)
	}
	assigns := values(get("servicePrincipals(appId='"+ce.ClientID+"')/appRoleAssignments", 200))
	if len(assigns) != 1 || assigns[0]["appRoleId"] != "7ab1d382-f21e-4acd-a863-ba3e13f7da61" || assigns[0]["principalId"] != sp["id"] {
		t.Fatalf("assignments: %v", assigns)
	}

	for path, want := range map[string]struct {
		status int
		code   string
	}{
		"servicePrincipals(appId='00000000-0000-0000-0000-00000000beef')":                        {404, "Request_ResourceNotFound"},
		"servicePrincipals(appId='00000000-0000-0000-0000-00000000beef')/oauth2PermissionGrants": {404, "Request_ResourceNotFound"},
		"servicePrincipals?$filter=" + url.QueryEscape("endsWith(displayName,'A')"):              {400, "Request_UnsupportedQuery"},
		"me?$select=nonsense":             {400, "BadRequest"},
		"groups":                          {400, "BadRequest"},
		"servicePrincipals?$top=0":        {400, "Request_BadRequest"},
		"servicePrincipals?$skiptoken=zz": {400, "Request_BadRequest"},
	} {
		code, _, body := graphDo(t, srv, tok, http.MethodGet, path, nil)
		if code != want.status || errCode(t, body) != want.code {
			t.Errorf("GET %s: %d %v, want %d %s", path, code, body, want.status, want.code)
		}
	}
	// Without Directory.Read.All, the directory is closed: 403.
	srv.mu.Lock()
	u := srv.dir.userByUPN(srv.DemoUser())
	narrow := srv.signJWT(map[string]any{"aud": permissions.GraphAppID, "iss": "https://sts.windows.net/" + srv.TenantID() + "/", "tid": srv.TenantID(),
		"oid": u.ID, "scp": "User.Read", "exp": time.Now().Add(time.Hour).Unix(), "nbf": time.Now().Unix()})
	srv.mu.Unlock()
	if code, _, body := graphDo(t, srv, narrow, http.MethodGet, "servicePrincipals", nil); code != 403 || errCode(t, body) != "Authorization_RequestDenied" {
		t.Fatalf("403: %d %v", code, body)
	}
	if code, _, _ := graphDo(t, srv, narrow, http.MethodGet, "me", nil); code != 200 {
		t.Fatalf("/me with User.Read: %d", code)
	}
}

func TestGraphPaging(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented", Faults: Faults{PageSize: 2}})
	tok := tokenFor(srv, srv.DemoUser())
	_, _, all := graphDo(t, srv, tok, http.MethodGet, "servicePrincipals?$top=999&$select=id", nil)
	seen := map[string]bool{}
	pages := 0
	next := srv.GraphURL() + "/v1.0/servicePrincipals?$select=id,appId"
	for next != "" {
		code, _, body := graphDo(t, srv, tok, http.MethodGet, next, nil)
		if code != 200 {
			t.Fatalf("page %d: %d %v", pages, code, body)
		}
		pages++
		vals := body["value"].([]any)
		if len(vals) > 2 {
			t.Fatalf("page of %d > page size 2", len(vals))
		}
		for _, v := range vals {
			id := v.(map[string]any)["id"].(string)
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
		}
		next, _ = body["@odata.nextLink"].(string)
	}
	total := len(all["value"].([]any))
	if total != 2 { // PageSize caps $top too
		t.Fatalf("$top=999 with page size 2 returned %d", total)
	}
	// Graph, CRM, ERP, Azure Resource Manager, sign-in client, Azure CLI, Azure PowerShell, CE, UO
	if len(seen) != 9 || pages != 5 {
		t.Fatalf("paged %d objects in %d pages", len(seen), pages)
	}
	_, _, one := graphDo(t, srv, tok, http.MethodGet, "servicePrincipals?$top=1", nil)
	if len(one["value"].([]any)) != 1 || !strings.Contains(one["@odata.nextLink"].(string), "%24top=1") {
		t.Fatalf("$top=1: %v", one)
	}
}

type batchResp struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    map[string]any    `json:"body"`
}

func runBatch(t testing.TB, srv *Server, tok string, reqs []map[string]any) (int, map[string]batchResp) {
	t.Helper()
	code, _, body := graphDo(t, srv, tok, http.MethodPost, "$batch", map[string]any{"requests": reqs})
	out := map[string]batchResp{}
	if code != 200 {
		return code, out
	}
	raw, _ := json.Marshal(body["responses"])
	var list []batchResp
	_ = json.Unmarshal(raw, &list)
	for _, r := range list {
		out[r.ID] = r
	}
	return code, out
}

func TestGraphBatch(t *testing.T) {
	srv := startServer(t, Options{Scenario: "partial"})
	tok := tokenFor(srv, srv.DemoUser())
	ce, _ := srv.Catalog().App("ce")
	srv.ResetGraphRequests()
	code, res := runBatch(t, srv, tok, []map[string]any{
		{"id": "1", "method": "GET", "url": "/servicePrincipals(appId='" + ce.ClientID + "')?$select=id,appId,displayName,accountEnabled"},
		{"id": "2", "method": "GET", "url": "/servicePrincipals(appId='00000000-0000-0000-0000-000000000000')"},
		{"id": "3", "method": "GET", "url": "/me", "dependsOn": []string{"2"}},
		{"id": "4", "method": "GET", "url": "me/transitiveMemberOf?$select=id,roleTemplateId", "dependsOn": []string{"1"}},
		{"id": "5", "method": "POST", "url": "/servicePrincipals", "body": map[string]any{}},
		{"id": "6", "method": "GET", "url": "/servicePrincipals?$select=nope"},
	})
	if code != 200 || srv.GraphRequests() != 1 {
		t.Fatalf("batch: %d, %d Graph requests", code, srv.GraphRequests())
	}
	want := map[string]int{"1": 200, "2": 404, "3": 424, "4": 200, "5": 405, "6": 400}
	for id, st := range want {
		if res[id].Status != st {
			t.Errorf("request %s: %d, want %d (%v)", id, res[id].Status, st, res[id].Body)
		}
	}
	if res["1"].Body["appId"] != ce.ClientID || res["2"].Body["error"] == nil {
		t.Fatalf("bodies: %v", res)
	}
	var many []map[string]any
	for i := range 21 {
		many = append(many, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "/me"})
	}
	if code, _ := runBatch(t, srv, tok, many); code != 400 {
		t.Fatalf("21 requests: %d", code)
	}
	if code, _ := runBatch(t, srv, tok, many[:20]); code != 200 {
		t.Fatalf("20 requests: %d", code)
	}
	if code, _ := runBatch(t, srv, tok, []map[string]any{{"id": "a", "method": "GET", "url": "/me"}, {"id": "a", "method": "GET", "url": "/me"}}); code != 400 {
		t.Fatalf("duplicate ids: %d", code)
	}
	if code, _ := runBatch(t, srv, tok, []map[string]any{{"id": "a", "method": "GET", "url": "/me", "dependsOn": []string{"b"}}, {"id": "b", "method": "GET", "url": "/me"}}); code != 400 {
		t.Fatalf("forward dependsOn: %d", code)
	}
}

func TestGraphThrottleAndUnavailable(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)} // Retry-After elapses on this clock, no sleeps
	srv := startServer(t, Options{Now: clock.Now, Faults: Faults{Throttle: 2, RetryAfter: 500 * time.Millisecond}})
	tok := tokenFor(srv, srv.DemoUser())
	code, h, body := graphDo(t, srv, tok, http.MethodGet, "me", nil)
	if code != 429 || h.Get("Retry-After") != "1" || errCode(t, body) != "TooManyRequests" {
		t.Fatalf("first call: %d %q %v", code, h.Get("Retry-After"), body)
	}
	// Not honouring Retry-After gets 429 again, without using up the budget.
	for range 3 {
		if code, _, _ := graphDo(t, srv, tok, http.MethodGet, "me", nil); code != 429 {
			t.Fatalf("retry before Retry-After: %d", code)
		}
	}
	if srv.Faults().Throttle != 1 {
		t.Fatalf("throttle budget: %d", srv.Faults().Throttle)
	}
	// Honouring it: one more 429 (in a $batch sub-request: the envelope is 200), then through.
	clock.Advance(499 * time.Millisecond)
	if code, _, _ := graphDo(t, srv, tok, http.MethodGet, "me", nil); code != 429 {
		t.Fatalf("1 ms before Retry-After elapsed: %d", code)
	}
	clock.Advance(time.Millisecond)
	code, res := runBatch(t, srv, tok, []map[string]any{{"id": "1", "method": "GET", "url": "/me"}})
	if code != 200 || res["1"].Status != 429 || res["1"].Headers["Retry-After"] != "1" {
		t.Fatalf("throttled sub-request: %d %v", code, res)
	}
	clock.Advance(500 * time.Millisecond)
	if code, _, _ := graphDo(t, srv, tok, http.MethodGet, "me", nil); code != 200 {
		t.Fatalf("after honouring Retry-After: %d", code)
	}

	srv.SetFaults(Faults{Unavailable: 1})
	if code, _, body := graphDo(t, srv, tok, http.MethodGet, "organization", nil); code != 503 || errCode(t, body) != "ServiceUnavailable" {
		t.Fatalf("503: %d %v", code, body)
	}
	if code, _, _ := graphDo(t, srv, tok, http.MethodGet, "organization", nil); code != 200 {
		t.Fatalf("after 503: %d", code)
	}
	srv.SetFaults(Faults{Latency: 150 * time.Millisecond})
	t0 := time.Now()
	graphDo(t, srv, tok, http.MethodGet, "me", nil)
	if time.Since(t0) < 150*time.Millisecond {
		t.Fatal("latency not applied")
	}
}

// verifyApp is verify's check in one $batch: permission value → status.
func verifyApp(t testing.TB, srv *Server, tok string, app *permissions.App) (spExists, enabled bool, status map[string]string) {
	t.Helper()
	reqs := []map[string]any{
		{"id": "sp", "method": "GET", "url": "/servicePrincipals(appId='" + app.ClientID + "')?$select=id,appId,displayName,accountEnabled"},
		{"id": "grants", "method": "GET", "url": "/servicePrincipals(appId='" + app.ClientID + "')/oauth2PermissionGrants"},
		{"id": "roles", "method": "GET", "url": "/servicePrincipals(appId='" + app.ClientID + "')/appRoleAssignments"},
	}
	for _, r := range app.Resources() {
		reqs = append(reqs, map[string]any{"id": r, "method": "GET", "url": "/servicePrincipals(appId='" + r + "')?$select=id,appId,displayName,appRoles,oauth2PermissionScopes"})
	}
	code, res := runBatch(t, srv, tok, reqs)
	if code != 200 {
		t.Fatalf("verify batch: %d", code)
	}
	status = map[string]string{}
	if res["sp"].Status == 404 {
		for _, p := range app.Permissions {
			status[p.Value] = "missing"
		}
		return false, false, status
	}
	enabled = res["sp"].Body["accountEnabled"] == true
	for _, p := range app.Permissions {
		rs := res[p.ResourceAppID]
		if rs.Status == 404 {
			status[p.Value] = "resource-missing"
			continue
		}
		st := "missing"
		if p.Type == permissions.Delegated {
			for _, g := range rs0(res["grants"]) {
				if g["resourceId"] == rs.Body["id"] && slices.Contains(strings.Fields(g["scope"].(string)), p.Value) {
					if g["consentType"] == "AllPrincipals" {
						st = "granted"
					} else if st == "missing" {
						st = "user-consent-only"
					}
				}
			}
		} else {
			roleID := ""
			for _, r := range rs.Body["appRoles"].([]any) {
				if r.(map[string]any)["value"] == p.Value {
					roleID = r.(map[string]any)["id"].(string)
				}
			}
			for _, a := range rs0(res["roles"]) {
				if a["resourceId"] == rs.Body["id"] && a["appRoleId"] == roleID && roleID != "" {
					st = "granted"
				}
			}
		}
		status[p.Value] = st
	}
	return true, enabled, status
}

func rs0(r batchResp) []map[string]any {
	var out []map[string]any
	vals, _ := r.Body["value"].([]any)
	for _, v := range vals {
		out = append(out, v.(map[string]any))
	}
	return out
}

func TestScenarioStartingStates(t *testing.T) {
	type want struct {
		exists, enabled bool
		notGranted      map[string]string // value → status; everything else granted
	}
	all := func(st string, values ...string) map[string]string {
		m := map[string]string{}
		for _, v := range values {
			m[v] = st
		}
		return m
	}
	ceAll := []string{"User.Read", "Directory.Read.All", "user_impersonation"}
	uoAll := []string{"User.Read", "Directory.Read.All", "Group.Read.All", "AX.FullAccess", "Connector.FullAccess", "CustomService.FullAccess", "Odata.FullAccess"}
	absentCE := want{notGranted: all("missing", ceAll...)}
	absentUO := want{notGranted: all("missing", uoAll...)}
	full := want{exists: true, enabled: true}
	cases := map[string]struct{ ce, uo want }{
		"fresh":          {absentCE, absentUO},
		"loopback-reply": {absentCE, absentUO},
		"consented":      {full, full},
		"partial": {want{true, true, all("missing", "user_impersonation")},
			want{true, true, all("missing", "Group.Read.All", "AX.FullAccess")}},
		"user-consent-only": {want{true, true, map[string]string{"User.Read": "user-consent-only", "user_impersonation": "user-consent-only", "Directory.Read.All": "missing"}},
			want{true, true, map[string]string{"User.Read": "user-consent-only", "AX.FullAccess": "user-consent-only", "CustomService.FullAccess": "user-consent-only",
				"Odata.FullAccess": "user-consent-only", "Directory.Read.All": "missing", "Group.Read.All": "missing", "Connector.FullAccess": "missing"}}},
		"reauth":                {full, want{true, true, all("missing", "Odata.FullAccess")}},
		"registration-behind":   {full, want{true, true, all("missing", "Odata.FullAccess")}},
		"uo-new":                {full, absentUO},
		"non-admin":             {absentCE, want{true, true, all("missing", "Connector.FullAccess")}},
		"no-dynamics":           {absentCE, want{true, true, all("resource-missing", "AX.FullAccess", "Connector.FullAccess", "CustomService.FullAccess", "Odata.FullAccess")}},
		"throttled":             {full, full},
		"slow-propagation":      {absentCE, want{true, true, all("missing", "Odata.FullAccess")}},
		"disabled":              {want{exists: true}, want{exists: true}},
		"hostile":               {want{true, true, all("resource-missing", "user_impersonation")}, absentUO},
		"staggered-replication": {absentCE, absentUO},
		"pim-eligible":          {absentCE, absentUO},
		"pim-first-use":         {absentCE, absentUO},
		"first-use":             {absentCE, absentUO},
		"custom-role":           {absentCE, absentUO},
		"custom-role-group":     {absentCE, absentUO},
		"renamed-app":           {want{true, true, all("missing", "user_impersonation")}, absentUO},
		"cloud-app-admin":       {absentCE, absentUO},
		"group-role":            {absentCE, absentUO},
		"guest-admin":           {absentCE, absentUO},
		"restricted-reader":     {full, absentUO},
		"consent-workflow":      {absentCE, absentUO},
		"mfa-required":          {absentCE, absentUO},
		"session-revoked":       {absentCE, absentUO},
		"ca-blocked":            {absentCE, absentUO},
		"signin-app-blocked":    {absentCE, absentUO},
		"soft-deleted":          {absentCE, absentUO},
		"messy-grants":          {want{true, true, map[string]string{"Directory.Read.All": "missing", "user_impersonation": "user-consent-only"}}, absentUO},
	}
	if len(cases) != len(Scenarios()) {
		t.Fatalf("%d scenarios, %d cases", len(Scenarios()), len(cases))
	}
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			c, ok := cases[sc.Name]
			if !ok || sc.Description == "" || strings.Contains(sc.Description, "\n") {
				t.Fatalf("scenario %q: no case or bad description %q", sc.Name, sc.Description)
			}
			srv := startServer(t, Options{Scenario: sc.Name, Faults: Faults{RetryAfter: 1}})
			if sc.Name == "throttled" {
				if f := srv.Faults(); f.Throttle == 0 {
					t.Fatal("throttled scenario does not throttle")
				}
				srv.SetFaults(Faults{})
			}
			reader := srv.DemoUser()
			if sc.Name == "restricted-reader" { // the demo user cannot read grants (403): read as the admin
				reader = "admin@" + demoDomain
			}
			tok := tokenFor(srv, reader)
			cat := srv.Catalog()
			for key, w := range map[string]want{"ce": c.ce, "uo": c.uo} {
				app, _ := cat.App(key)
				exists, enabled, status := verifyApp(t, srv, tok, app)
				if exists != w.exists || enabled != (w.enabled && w.exists) {
					t.Errorf("%s: exists=%v enabled=%v, want %v %v", key, exists, enabled, w.exists, w.enabled)
				}
				for _, p := range app.Permissions {
					wantSt := "granted"
					if st, ok := w.notGranted[p.Value]; ok {
						wantSt = st
					}
					if status[p.Value] != wantSt {
						t.Errorf("%s %s: %s, want %s", key, p.Value, status[p.Value], wantSt)
					}
				}
			}
			switch sc.Name {
			case "non-admin":
				if srv.DemoUser() != "alex@"+demoDomain {
					t.Fatalf("demo user %s", srv.DemoUser())
				}
			case "reauth":
				uo, _ := cat.App("uo")
				if p := uo.Permissions[len(uo.Permissions)-1]; !p.NewlyRequired {
					t.Fatalf("reauth: %s is not marked newly required", p.Value)
				}
			case "slow-propagation":
				if srv.Faults().PropagationDelay == 0 {
					t.Fatal("no propagation delay")
				}
			}
		})
	}
}

// consentLanding is the app's loopback redirect URI for admin consent.
func consentLanding(t *testing.T) (string, <-chan url.Values) {
	ch := make(chan url.Values, 4)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch <- r.URL.Query()
		_, _ = io.WriteString(w, "<!DOCTYPE html><title>done</title>")
	}))
	t.Cleanup(ts.Close)
	return ts.URL, ch // the registered loopback URI (http://127.0.0.1), any port
}

func adminConsentURL(srv *Server, clientID, redirect string) string {
	q := url.Values{"client_id": {clientID}, "state": {"st-42"}}
	if redirect != "" {
		q.Set("redirect_uri", redirect)
	}
	return srv.PagesURL() + "/" + srv.TenantID() + "/adminconsent?" + q.Encode()
}

// landed is what the publisher's landing page received: the query of the last
// page the demo browser loaded, which must be the landing page.
func landed(t *testing.T, srv *Server, b *DemoBrowser) url.Values {
	t.Helper()
	last, err := url.Parse(b.Visited[len(b.Visited)-1])
	if err != nil || last.Scheme+"://"+last.Host+last.Path != srv.LandingURL() {
		t.Fatalf("the browser ended on %v, not the publisher's landing page", b.Visited)
	}
	return last.Query()
}

func TestAdminConsent(t *testing.T) {
	t.Run("accept", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "loopback-reply"})
		ctx := testCtx(t)
		ce, _ := srv.Catalog().App("ce")
		redirect, got := consentLanding(t)
		b := srv.Browser("megan@" + demoDomain) // Privileged Role Administrator may consent
		if err := b.Open(ctx, adminConsentURL(srv, ce.ClientID, redirect)); err != nil {
			t.Fatal(err)
		}
		q := <-got
		if q.Get("admin_consent") != "True" || q.Get("tenant") != srv.TenantID() || q.Get("state") != "st-42" {
			t.Fatalf("redirect: %v", q)
		}
		_, enabled, status := verifyApp(t, srv, tokenFor(srv, srv.DemoUser()), ce)
		for v, st := range status {
			if st != "granted" || !enabled {
				t.Fatalf("%s: %s", v, st)
			}
		}
	})
	t.Run("cancel", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "loopback-reply"})
		ctx := testCtx(t)
		ce, _ := srv.Catalog().App("ce")
		redirect, got := consentLanding(t)
		b := srv.Browser("")
		b.Decline = true
		if err := b.Open(ctx, adminConsentURL(srv, ce.ClientID, redirect)); err != nil {
			t.Fatal(err)
		}
		q := <-got
		if q.Get("error") != "access_denied" || q.Get("error_subcode") != "cancel" || q.Get("state") != "st-42" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65004:") {
			t.Fatalf("redirect: %v", q)
		}
		if exists, _, _ := verifyApp(t, srv, tokenFor(srv, srv.DemoUser()), ce); exists {
			t.Fatal("cancel created the service principal")
		}
	})
	t.Run("cancel-at-picker", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "loopback-reply"})
		ce, _ := srv.Catalog().App("ce")
		redirect, got := consentLanding(t)
		b := srv.Browser("")
		b.upn, b.Decline = "", true
		if err := b.Open(testCtx(t), adminConsentURL(srv, ce.ClientID, redirect)); err != nil {
			t.Fatal(err)
		}
		if q := <-got; q.Get("error") != "access_denied" || q.Get("error_subcode") != "cancel" || q.Get("state") != "st-42" {
			t.Fatalf("redirect: %v", q)
		}
	})
	t.Run("non-admin", func(t *testing.T) {
		// The production path: no redirect_uri, the error lands on the publisher's page.
		srv := startServer(t, Options{Scenario: "non-admin"})
		ce, _ := srv.Catalog().App("ce")
		b := srv.Browser("")
		if err := b.Open(testCtx(t), adminConsentURL(srv, ce.ClientID, "")); !errors.Is(err, ErrPageError) || !strings.Contains(err.Error(), "AADSTS90094") {
			t.Fatalf("page: %v", err)
		}
		if q := landed(t, srv, b); q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "AADSTS90094:") || q.Get("state") != "st-42" {
			t.Fatalf("landing: %v", q)
		}
	})
	t.Run("uo-cannot-be-created", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "uo-new"})
		uo, _ := srv.Catalog().App("uo")
		if err := srv.Browser("").Open(testCtx(t), adminConsentURL(srv, uo.ClientID, "")); err == nil || !strings.Contains(err.Error(), "AADSTS700016") {
			t.Fatalf("UO in uo-new: %v", err)
		}
	})
	t.Run("reauth-uo", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "reauth"})
		uo, _ := srv.Catalog().App("uo")
		if err := srv.Browser("").Open(testCtx(t), adminConsentURL(srv, uo.ClientID, "")); err != nil {
			t.Fatal(err)
		}
		_, _, status := verifyApp(t, srv, tokenFor(srv, srv.DemoUser()), uo)
		for v, st := range status {
			if st != "granted" {
				t.Fatalf("%s: %s", v, st)
			}
		}
	})
	t.Run("no-dynamics", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "no-dynamics"})
		ce, _ := srv.Catalog().App("ce")
		b := srv.Browser("")
		if err := b.Open(testCtx(t), adminConsentURL(srv, ce.ClientID, "")); !errors.Is(err, ErrPageError) {
			t.Fatal(err)
		}
		if q := landed(t, srv, b); q.Get("error") != "invalid_client" || !strings.HasPrefix(q.Get("error_description"), "AADSTS650052:") {
			t.Fatalf("landing: %v", q)
		}
	})
	t.Run("bad-redirect", func(t *testing.T) {
		srv := startServer(t, Options{}) // the production apps registered no loopback URI
		ce, _ := srv.Catalog().App("ce")
		if err := srv.Browser("").Open(testCtx(t), adminConsentURL(srv, ce.ClientID, "http://127.0.0.1:4242")); err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
			t.Fatalf("loopback redirect without a loopback registration: %v", err)
		}
	})
	t.Run("bad-redirect-loopback-reply", func(t *testing.T) {
		srv := startServer(t, Options{Scenario: "loopback-reply"})
		ce, _ := srv.Catalog().App("ce")
		if err := srv.Browser("").Open(testCtx(t), adminConsentURL(srv, ce.ClientID, "https://evil.example/")); err == nil || !strings.Contains(err.Error(), "AADSTS50011") {
			t.Fatalf("bad redirect: %v", err)
		}
	})
	t.Run("slow-propagation", func(t *testing.T) {
		clock := &fakeClock{t: time.Now()}
		srv := startServer(t, Options{Scenario: "slow-propagation", Now: clock.Now})
		ce, _ := srv.Catalog().App("ce")
		uo, _ := srv.Catalog().App("uo")
		for _, app := range []*permissions.App{ce, uo} {
			if err := srv.Browser("").Open(testCtx(t), adminConsentURL(srv, app.ClientID, "")); err != nil {
				t.Fatal(err)
			}
		}
		tok := tokenFor(srv, srv.DemoUser())
		if exists, _, _ := verifyApp(t, srv, tok, ce); exists {
			t.Fatal("CE visible before the propagation delay")
		}
		if _, _, st := verifyApp(t, srv, tok, uo); st["Odata.FullAccess"] != "missing" || st["User.Read"] != "granted" {
			t.Fatalf("UO before propagation: %v", st)
		}
		clock.Advance(srv.Faults().PropagationDelay)
		for _, app := range []*permissions.App{ce, uo} {
			_, _, status := verifyApp(t, srv, tok, app)
			for v, st := range status {
				if st != "granted" {
					t.Fatalf("%s %s after propagation: %s", app.Key, v, st)
				}
			}
		}
	})
}
