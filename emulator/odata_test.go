package emulator

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/permissions"
)

// TestParseFilter: the parser reads Graph's documented $filter forms (precedence, case
// of keywords and functions, quotes, lambdas) and says where a broken one breaks.
func TestParseFilter(t *testing.T) {
	for in, want := range map[string]string{
		"appId eq 'x'":                                    "appId eq 'x'",
		"startswith(displayName,'A')":                     "startswith(displayName, 'A')",
		"servicePrincipalNames/any(c:c eq 'abc')":         "servicePrincipalNames/any(c:c eq 'abc')",
		"a eq 'x' or b eq 'y' and c eq 'z'":               "(a eq 'x' or (b eq 'y' and c eq 'z'))",
		"(a eq 'x' or b eq 'y') and c eq 'z'":             "((a eq 'x' or b eq 'y') and c eq 'z')",
		"NOT startsWith(displayName, 'Conf')":             "not startsWith(displayName, 'Conf')",
		"displayName eq 'O''Neil'":                        "displayName eq 'O''Neil'",
		"accountEnabled eq false and displayName ne null": "(accountEnabled eq false and displayName ne null)",
		"id in ('a', 'b')":                                "id in ('a', 'b')",
		"not(tags/any(t:t eq 'x'))":                       "not tags/any(t:t eq 'x')",
	} {
		n, err := parseFilter(in)
		if err != nil {
			t.Errorf("parse %q: %v", in, err)
			continue
		}
		if n.String() != want {
			t.Errorf("parse %q = %s, want %s", in, n, want)
		}
	}
	for in, want := range map[string]string{
		"appId eq":                  "a value is missing",
		"appId 'x'":                 "an operator expected after 'appId'",
		"appId eq 'x":               "unterminated string",
		"(appId eq 'x'":             "')' expected",
		"appId eq 'x' extra":        "unexpected 'extra'",
		"startswith(displayName)":   "',' expected",
		"appId eq 'x' and":          "an expression is missing",
		"appId eq 'x' # comment":    "unexpected '#'",
		"appId in ()":               "a value expected",
		"tags/any(t t eq 'x')":      "':' expected",
		"displayName eq 12.3.4":     "not a number",
		"servicePrincipalNames/any": "an operator is missing",
	} {
		if _, err := parseFilter(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parse %q: %v, want an error with %q", in, err, want)
		}
	}
}

// TestGraphFilterServicePrincipals: $filter on servicePrincipals as the servicePrincipal
// page documents it, the clients' own queries among them (az ad sp list --display-name,
// az ad sp show --id), the negations only as advanced queries, the rest refused.
func TestGraphFilterServicePrincipals(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	tok := tokenFor(srv, srv.DemoUser())
	ce, _ := srv.Catalog().App("ce")
	ev := map[string]string{"ConsistencyLevel": "eventual"}
	names := func(body map[string]any) []string {
		var out []string
		for _, v := range values(body) {
			out = append(out, v["displayName"].(string))
		}
		sort.Strings(out)
		return out
	}
	all := func() []string {
		_, _, body := graphDoH(t, srv, tok, "servicePrincipals?$top=999", nil)
		return names(body)
	}()
	without := func(drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(drop, n) })
	}
	for _, c := range []struct {
		filter string
		hdr    map[string]string
		count  bool
		want   []string
	}{
		{filter: "startswith(displayName,'Microsoft')", want: []string{"Microsoft Azure CLI", "Microsoft Azure PowerShell", "Microsoft Graph", "Microsoft Graph Command Line Tools"}},
		{filter: "servicePrincipalNames/any(c:c eq 'https://management.azure.com/')", want: []string{"Windows Azure Service Management API"}},
		{filter: "startsWith(displayName, 'avepoint cloud')", want: []string{ce.DisplayName}},
		{filter: "servicePrincipalNames/any(c:c eq '" + ce.ClientID + "')", want: []string{ce.DisplayName}},
		{filter: "servicePrincipalNames/any(c:startswith(c, '" + ce.ClientID[:8] + "'))", want: []string{ce.DisplayName}},
		{filter: "appId eq '" + strings.ToUpper(permissions.GraphAppID) + "'", want: []string{"Microsoft Graph"}},
		{filter: "appId in ('" + permissions.GraphAppID + "', '" + permissions.DynamicsCRMAppID + "')", want: []string{"Dynamics CRM", "Microsoft Graph"}},
		{filter: "displayName eq 'Dynamics CRM' or displayName eq 'Dynamics ERP'", want: []string{"Dynamics CRM", "Dynamics ERP"}},
		{filter: "tags/any(t:t eq 'WindowsAzureActiveDirectoryIntegratedApp') and accountEnabled eq true", want: []string{ce.DisplayName, mustApp(t, srv, "uo").DisplayName}},
		{filter: "displayName ne 'Microsoft Graph'", hdr: ev, count: true, want: without("Microsoft Graph")},
		{filter: "not(startsWith(displayName,'Microsoft'))", hdr: ev, count: true, want: without("Microsoft Azure CLI", "Microsoft Azure PowerShell", "Microsoft Graph", "Microsoft Graph Command Line Tools")},
		{filter: "not(servicePrincipalNames/any(c:c eq '" + permissions.GraphAppID + "'))", hdr: ev, count: true, want: without("Microsoft Graph")},
		{filter: "displayName eq null", hdr: ev, count: true, want: nil},
	} {
		path := "servicePrincipals?$top=999&$filter=" + url.QueryEscape(c.filter)
		if c.count {
			path += "&$count=true"
		}
		code, _, body := graphDoH(t, srv, tok, path, c.hdr)
		if code != 200 {
			t.Errorf("%s: %d %v", c.filter, code, body)
			continue
		}
		if got := names(body); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.filter, got, c.want)
		}
		if c.count && body["@odata.count"] != float64(len(c.want)) {
			t.Errorf("%s: @odata.count %v, want %d", c.filter, body["@odata.count"], len(c.want))
		}
	}
	for filter, want := range map[string]struct{ code, message string }{
		// The negations and eq null work only as advanced queries.
		"displayName ne 'Microsoft Graph'":         {"Request_UnsupportedQuery", "Operator 'ne' is not supported because the required parameters might be missing"},
		"not(startsWith(displayName,'Microsoft'))": {"Request_UnsupportedQuery", "Operator 'not' is not supported because the required parameters might be missing"},
		"displayName eq null":                      {"Request_UnsupportedQuery", "Filtering on null values of 'displayName' is not supported because"},
		"servicePrincipalNames eq 'x'":             {"Request_UnsupportedQuery", "property 'servicePrincipalNames' of resource 'ServicePrincipal'"},
		"appId/any(c:c eq 'x')":                    {"Request_UnsupportedQuery", "property 'appId'"},
		"tags/all(t:t eq 'x')":                     {"Request_UnsupportedQuery", "property 'tags'"},
		"endsWith(displayName,'Graph')":            {"Request_UnsupportedQuery", "property 'displayName'"},
		"contains(displayName,'Graph')":            {"Request_UnsupportedQuery", "property 'displayName'"},
		"publisherName eq 'Microsoft'":             {"Request_UnsupportedQuery", "property 'publisherName'"},
		"servicePrincipalNames/any(c:c ne 'x')":    {"Request_UnsupportedQuery", "property 'servicePrincipalNames'"},
		"accountEnabled gt false":                  {"Request_UnsupportedQuery", "property 'accountEnabled'"},
		"appOwnerOrganizationId in ('x')":          {"Request_UnsupportedQuery", "property 'appOwnerOrganizationId'"},
		"startswith(displayName,'Microsoft'":       {"BadRequest", "Invalid filter clause: syntax error"},
		"displayName eq Microsoft":                 {"BadRequest", "Invalid filter clause: syntax error"},
		"servicePrincipalNames/any(c:d eq 'x')":    {"Request_UnsupportedQuery", "property 'd'"},
	} {
		code, _, body := graphDoH(t, srv, tok, "servicePrincipals?$filter="+url.QueryEscape(filter), nil)
		if code != 400 || errCode(t, body) != want.code || !strings.Contains(errMessage(body), want.message) {
			t.Errorf("%s: %d %s %q, want 400 %s %q", filter, code, errCode(t, body), errMessage(body), want.code, want.message)
		}
	}
}

func mustApp(t *testing.T, srv *Server, key string) *permissions.App {
	t.Helper()
	a, ok := srv.Catalog().App(key)
	if !ok {
		t.Fatalf("no app %s", key)
	}
	return a
}

// TestGraphFilterGrantsAndAssignments: oauth2PermissionGrants and appRoleAssignments
// filter as their pages document (eq only; principalDisplayName also startsWith), the
// way az ad app permission list-grants --id asks.
func TestGraphFilterGrantsAndAssignments(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	tok := tokenFor(srv, srv.DemoUser())
	ce := mustApp(t, srv, "ce")
	_, _, sp := graphDoH(t, srv, tok, "servicePrincipals(appId='"+ce.ClientID+"')?$select=id", nil)
	spID := sp["id"].(string)
	_, _, graphSP := graphDoH(t, srv, tok, "servicePrincipals(appId='"+permissions.GraphAppID+"')?$select=id", nil)
	for path, want := range map[string]int{
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("clientId eq '"+spID+"'"):                                                    2,
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("clientId eq '"+spID+"' and consentType eq 'AllPrincipals'"):                 2,
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("clientId eq '"+spID+"' and resourceId eq '"+graphSP["id"].(string)+"'"):     1,
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("consentType eq 'Principal'"):                                                1, // the demo user's own consent to the sign-in client
		"servicePrincipals/" + spID + "/oauth2PermissionGrants?$filter=" + url.QueryEscape("resourceId eq '"+graphSP["id"].(string)+"'"): 1,
		"servicePrincipals/" + spID + "/appRoleAssignments?$filter=" + url.QueryEscape("resourceId eq '"+graphSP["id"].(string)+"'"):     1,
		"servicePrincipals/" + spID + "/appRoleAssignments?$filter=" + url.QueryEscape("startswith(principalDisplayName,'AvePoint')"):    1,
		"servicePrincipals/" + spID + "/appRoleAssignments?$filter=" + url.QueryEscape("resourceId eq '"+spID+"'"):                       0,
	} {
		code, _, body := graphDoH(t, srv, tok, path, nil)
		if code != 200 || len(values(body)) != want {
			t.Errorf("%s: %d, %d items, want %d: %v", path, code, len(values(body)), want, body)
		}
	}
	for _, path := range []string{
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("clientId ne 'x'"),
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("startswith(scope,'User')"),
		"oauth2PermissionGrants?$filter=" + url.QueryEscape("clientId in ('x')"),
		"servicePrincipals/" + spID + "/appRoleAssignments?$filter=" + url.QueryEscape("appRoleId eq 'x'"),
	} {
		if code, _, body := graphDoH(t, srv, tok, path, nil); code != 400 || errCode(t, body) != "Request_UnsupportedQuery" {
			t.Errorf("%s: %d %v, want 400 Request_UnsupportedQuery", path, code, body)
		}
	}
}

// TestGraphExpand: $expand on the servicePrincipal relationships (what m365 entra
// approleassignment list --appId asks), kept past $select; an unknown one is 400.
func TestGraphExpand(t *testing.T) {
	srv := startServer(t, Options{Scenario: "consented"})
	tok := tokenFor(srv, srv.DemoUser())
	ce := mustApp(t, srv, "ce")
	_, _, body := graphDoH(t, srv, tok, "servicePrincipals?$expand=appRoleAssignments&$filter="+url.QueryEscape("appId eq '"+ce.ClientID+"'"), nil)
	sps := values(body)
	if len(sps) != 1 {
		t.Fatalf("list with $expand: %v", body)
	}
	assigns, _ := sps[0]["appRoleAssignments"].([]any)
	if len(assigns) != 1 || assigns[0].(map[string]any)["appRoleId"] != "7ab1d382-f21e-4acd-a863-ba3e13f7da61" {
		t.Fatalf("expanded appRoleAssignments: %v", sps[0]["appRoleAssignments"])
	}
	code, _, one := graphDoH(t, srv, tok, "servicePrincipals(appId='"+ce.ClientID+"')?$select=id&$expand=oauth2PermissionGrants,owners", nil)
	grants, _ := one["oauth2PermissionGrants"].([]any)
	owners, isList := one["owners"].([]any)
	if code != 200 || len(grants) != 2 || !isList || len(owners) != 0 || one["displayName"] != nil {
		t.Fatalf("entity $select+$expand: %d %v", code, one)
	}
	_, _, graph := graphDoH(t, srv, tok, "servicePrincipals(appId='"+permissions.GraphAppID+"')?$expand=appRoleAssignedTo", nil)
	if to, _ := graph["appRoleAssignedTo"].([]any); len(to) != 3 { // CE: Directory.Read.All; UO: Directory.Read.All, Group.Read.All
		t.Fatalf("appRoleAssignedTo of Graph: %v", graph["appRoleAssignedTo"])
	}
	for path, want := range map[string]string{
		"servicePrincipals?$expand=nonsense":                              "Could not find a property named 'nonsense' on type 'microsoft.graph.servicePrincipal'.",
		"servicePrincipals(appId='" + ce.ClientID + "')?$expand=appRoles": "Could not find a property named 'appRoles'",
		"servicePrincipals?$expand=appRoleAssignments($select=id)":        "Unsupported $expand clause",
		"servicePrincipals?$expand=appRoleAssignments&$count=true":        "$expand is not currently supported with advanced queries.",
		"me?$expand=manager": "The query option '$expand' is not supported on this resource.",
		"organization?$filter=" + url.QueryEscape("id eq 'x'"):                     "The query option '$filter' is not supported on this resource.",
		"servicePrincipals?$apply=groupby((appId))":                                "'$apply' is not supported by the service.",
		"servicePrincipals?$skip=1":                                                "'$skip' is not supported by the service.",
		"servicePrincipals/" + srv.dir.sps[0].ID + "/appRoleAssignments?$expand=x": "The query option '$expand' is not supported on this resource.",
		"servicePrincipals?$count=maybe":                                           "Invalid value 'maybe' for $count",
		"me/transitiveMemberOf?$filter=" + url.QueryEscape("id eq 'x'"):            "The query option '$filter' is not supported on this resource.",
	} {
		hdr := map[string]string{}
		if strings.Contains(path, "$count=true") {
			hdr["ConsistencyLevel"] = "eventual"
		}
		code, _, body := graphDoH(t, srv, tok, path, hdr)
		if code != 400 || !strings.Contains(errMessage(body), want) {
			t.Errorf("%s: %d %q, want 400 %q", path, code, errMessage(body), want)
		}
	}
}

// values is a collection answer's items.
func values(body map[string]any) []map[string]any {
	var out []map[string]any
	vs, _ := body["value"].([]any)
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// FuzzParseFilter: the parser never panics, and what it parses prints as a $filter
// that parses to the same tree.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"appId eq 'x'", "startswith(displayName,'A') or not(id in ('a','b'))",
		"servicePrincipalNames/any(c:c eq 'O''Neil')", "accountEnabled eq true and displayName ne null", "x ge -1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseFilter(s)
		if err != nil {
			return
		}
		again, err := parseFilter(n.String())
		if err != nil || again.String() != n.String() {
			t.Fatalf("%q printed as %q, which parses to %v (%v)", s, n.String(), again, err)
		}
		_ = checkFilter(n, servicePrincipalFilter)
		_ = match(n, map[string]any{"displayName": "x", "tags": []any{"a"}})
	})
}
