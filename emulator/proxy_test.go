package emulator

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// connect sends "CONNECT target" to the proxy and returns the proxy's answer and the
// connection (open when the answer is 200).
func connect(t *testing.T, srv *Server, target string) (*http.Response, string, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.ProxyURL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		t.Fatal(err)
	}
	body := ""
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
	}
	return resp, body, c
}

// The proxy answers for the imitated cloud's sign-in and Graph hosts, and in the
// global cloud for Azure Resource Manager; every other host is refused with the
// reason (RFC 9110 section 9.3.6: a non-2xx answer to CONNECT forms no tunnel): 502
// for another Microsoft cloud's host, naming the --cloud that imitates it, 403 for the
// rest, for another port, and for plain-HTTP forwarding.
func TestProxyRefusesHostsItDoesNotImitate(t *testing.T) {
	for _, tc := range []struct {
		cloud, target string
		status        int
		reason        string
	}{
		{"global", "login.microsoftonline.com:443", 200, ""},
		{"global", "graph.microsoft.com:443", 200, ""},
		{"global", "management.azure.com:443", 200, ""},
		{"global", "LOGIN.microsoftonline.com:443", 200, ""},
		{"global", "example.com:443", 403, "opens no tunnel to the internet"},
		{"global", "login.microsoftonline.com:80", 403, "port 443"},
		{"global", "login.microsoftonline.com", 403, "port 443"},
		{"global", "127.0.0.1:443", 403, "opens no tunnel"},
		{"global", "login.microsoftonline.us:443", 502, "(run the emulator with --cloud usgov)"},
		{"global", "microsoftgraph.chinacloudapi.cn:443", 502, "(run the emulator with --cloud china)"},
		{"usgov", "login.microsoftonline.us:443", 200, ""},
		{"usgov", "graph.microsoft.us:443", 200, ""},
		{"usgov", "dod-graph.microsoft.us:443", 502, "--cloud usgov-dod"},
		{"usgov", "management.azure.com:443", 403, "answers only for graph.microsoft.us, login.microsoftonline.us and opens"},
		{"usgov", "login.microsoftonline.com:443", 502, "(run the emulator with --cloud global)"},
	} {
		t.Run(tc.cloud+" "+tc.target, func(t *testing.T) {
			srv := startServer(t, Options{Cloud: tc.cloud, Proxy: "127.0.0.1:0"})
			resp, body, _ := connect(t, srv, tc.target)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.reason) {
				t.Fatalf("CONNECT %s: %d %q, want %d with %q", tc.target, resp.StatusCode, body, tc.status, tc.reason)
			}
		})
	}
	srv := startServer(t, Options{Proxy: "127.0.0.1:0"})
	c, err := net.Dial("tcp", strings.TrimPrefix(srv.ProxyURL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = io.WriteString(c, "GET http://login.microsoftonline.com/common/discovery/instance HTTP/1.1\r\nHost: login.microsoftonline.com\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 403 || !strings.Contains(string(b), "only opens HTTPS tunnels") {
		t.Fatalf("plain-HTTP forwarding: %d %q, want 403", resp.StatusCode, b)
	}
}

// Start refuses a proxy address that is not loopback, as it refuses the listeners'.
func TestProxyListensOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.1:0"} {
		if srv, err := Start(Options{Proxy: addr}); err == nil {
			srv.Close()
			t.Fatalf("Start(Proxy: %s) succeeded", addr)
		}
	}
	srv := startServer(t, Options{Proxy: "localhost:0"})
	if !strings.HasPrefix(srv.ProxyURL(), "http://127.0.0.1:") {
		t.Fatalf("ProxyURL %q", srv.ProxyURL())
	}
	if startServer(t, Options{}).ProxyURL() != "" {
		t.Fatal("a server without Options.Proxy has a proxy")
	}
}

// Inside a tunnel the proxy presents a certificate for the tunnel's host only, signed
// by the emulator's CA, and refuses a request whose Host names another host (421, as
// hostGuard does) or a TLS session whose SNI names another host.
func TestProxyTunnelServesItsOwnHostOnly(t *testing.T) {
	srv := startServer(t, Options{Proxy: "127.0.0.1:0"})
	open := func(host, sni string) (*tls.Conn, error) {
		resp, body, c := connect(t, srv, host+":443")
		if resp.StatusCode != 200 {
			t.Fatalf("CONNECT %s: %d %s", host, resp.StatusCode, body)
		}
		tc := tls.Client(c, &tls.Config{RootCAs: srv.CertPool(), ServerName: sni})
		return tc, tc.Handshake()
	}
	tc, err := open("graph.microsoft.com", "graph.microsoft.com")
	if err != nil {
		t.Fatalf("TLS to graph.microsoft.com: %v", err)
	}
	leaf := tc.ConnectionState().PeerCertificates[0]
	if leaf.VerifyHostname("graph.microsoft.com") != nil || leaf.VerifyHostname("login.microsoftonline.com") == nil || leaf.IsCA {
		t.Fatalf("leaf for graph.microsoft.com names %v (CA %v)", leaf.DNSNames, leaf.IsCA)
	}
	_, _ = io.WriteString(tc, "GET /v1.0/me HTTP/1.1\r\nHost: login.microsoftonline.com\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(tc), nil)
	if err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("Host of another name in the tunnel: %v %v, want 421", resp, err)
	}
	// The client checks the name too: a tunnel to login.microsoftonline.com presents
	// no certificate for graph.microsoft.com.
	if _, err := open("login.microsoftonline.com", "graph.microsoft.com"); err == nil {
		t.Fatal("TLS for graph.microsoft.com in a tunnel to login.microsoftonline.com succeeded")
	}
}

// Through the proxy the tenant carries Microsoft's names: the OpenID configuration's
// issuer and endpoints are on login.microsoftonline.com (the pages a browser opens
// stay on loopback HTTP), tokens are issued by it, Graph answers on
// graph.microsoft.com with its own links, and each host serves its own part only.
func TestProxyTenantHasMicrosoftNames(t *testing.T) {
	srv := startServer(t, Options{Scenario: "non-admin", Proxy: "127.0.0.1:0"}) // the sign-in client is consented
	login, tid := "https://login.microsoftonline.com", srv.TenantID()
	if srv.AuthorityHost() != login || srv.GraphURL() != "https://graph.microsoft.com" {
		t.Fatalf("AuthorityHost %s, GraphURL %s", srv.AuthorityHost(), srv.GraphURL())
	}
	get := func(u string) (int, map[string]any) {
		t.Helper()
		resp, err := srv.HTTPClient().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code, doc := get(login + "/" + tid + "/v2.0/.well-known/openid-configuration")
	if code != 200 || doc["issuer"] != login+"/"+tid+"/v2.0" || doc["token_endpoint"] != login+"/"+tid+"/oauth2/v2.0/token" ||
		doc["device_authorization_endpoint"] != login+"/"+tid+"/oauth2/v2.0/devicecode" ||
		doc["authorization_endpoint"] != srv.PagesURL()+"/"+tid+"/oauth2/v2.0/authorize" {
		t.Fatalf("openid-configuration through the proxy: %d %v", code, doc)
	}
	code, tok := deviceToken(t, srv, "openid offline_access https://graph.microsoft.com/User.Read")
	if code != 200 {
		t.Fatalf("device code through the proxy: %d %v", code, tok)
	}
	idt, err := srv.verifyJWT(tok["id_token"].(string))
	if err != nil || idt["iss"] != login+"/"+tid+"/v2.0" {
		t.Fatalf("id_token iss %v (%v)", idt["iss"], err)
	}
	code, _, me := graphDoH(t, srv, tok["access_token"].(string), "me", nil)
	if code != 200 || me["@odata.context"] != "https://graph.microsoft.com/v1.0/$metadata#users/$entity" {
		t.Fatalf("Graph /me through the proxy: %d %v", code, me)
	}
	if code, body := get(login + "/v1.0/me"); code != 404 {
		t.Fatalf("Graph on the sign-in host: %d %v, want 404", code, body)
	}
	if code, body := get("https://graph.microsoft.com/" + tid + "/v2.0/.well-known/openid-configuration"); code != 400 {
		t.Fatalf("the authority on Graph's host: %d %v, want 400", code, body)
	}
}

// Azure Resource Manager through the proxy: GET /tenants lists the demo tenant for a
// token issued in it to one of its users (rest/api/resources/tenants/list), GET /subscriptions lists none
// (rest/api/resources/subscriptions/list); a request without api-version, without a
// token, with a token for another resource or an expired one, or for another path is
// refused in ARM's error shape.
func TestProxyResourceManagerLists(t *testing.T) {
	srv := startServer(t, Options{Proxy: "127.0.0.1:0"})
	now := time.Now()
	token := func(aud string, exp time.Time) string {
		return srv.signJWT(map[string]any{"aud": aud, "iss": srv.issuerV1(), "tid": srv.TenantID(), "oid": srv.dir.users[0].ID,
			"iat": now.Unix(), "nbf": now.Unix(), "exp": exp.Unix(), "ver": "1.0"})
	}
	arm := token("https://management.core.windows.net/", now.Add(time.Hour))
	get := func(path, tok string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "https://management.azure.com"+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("GET %s: %d, not JSON", path, resp.StatusCode)
		}
		return resp.StatusCode, out
	}
	code, body := get("/tenants?api-version=2022-12-01", arm)
	tenants, _ := body["value"].([]any)
	if code != 200 || len(tenants) != 1 {
		t.Fatalf("GET /tenants: %d %v", code, body)
	}
	if ten := tenants[0].(map[string]any); ten["tenantId"] != srv.TenantID() || ten["id"] != "/tenants/"+srv.TenantID() ||
		ten["defaultDomain"] != srv.TenantDomain() || ten["displayName"] != srv.TenantName() {
		t.Fatalf("GET /tenants: %v", ten)
	}
	code, body = get("/subscriptions?api-version=2022-12-01", token("797f4846-ba00-4fd7-ba43-dac1f8f63013", now.Add(time.Hour)))
	if subs, ok := body["value"].([]any); code != 200 || !ok || len(subs) != 0 {
		t.Fatalf("GET /subscriptions: %d %v", code, body)
	}
	for _, tc := range []struct {
		path, tok string
		status    int
		code      string
	}{
		{"/tenants", arm, 400, "MissingApiVersionParameter"},
		{"/tenants?api-version=2022-12-01", "", 401, "AuthenticationFailed"},
		{"/tenants?api-version=2022-12-01", "not.a.token", 401, "InvalidAuthenticationToken"},
		{"/tenants?api-version=2022-12-01", token("https://graph.microsoft.com", now.Add(time.Hour)), 401, "InvalidAuthenticationToken"},
		{"/subscriptions?api-version=2022-12-01", token("https://management.azure.com/", now.Add(-time.Minute)), 401, "InvalidAuthenticationToken"},
		{"/resourcegroups?api-version=2022-12-01", arm, 404, "NotFound"},
	} {
		code, body := get(tc.path, tc.tok)
		e, _ := body["error"].(map[string]any)
		if code != tc.status || e["code"] != tc.code || e["message"] == "" {
			t.Errorf("GET %s: %d %v, want %d %s", tc.path, code, body, tc.status, tc.code)
		}
	}
}
