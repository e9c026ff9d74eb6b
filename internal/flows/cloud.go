package flows

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/d365consent/d365consent/internal/clouds"
)

// Cloud is a Microsoft cloud: its sign-in (authority) host, its Microsoft Graph
// endpoint and its Microsoft Graph resource URI, as base URLs without a trailing slash.
type Cloud struct {
	Name          string
	AuthorityHost string
	// GraphURL is where Graph requests go (--graph-url overrides it).
	GraphURL string
	// GraphResource is the cloud's Microsoft Graph resource URI, the prefix of every
	// scope MSAL requests (https://graph.microsoft.us/User.Read,
	// https://graph.microsoft.us/.default). It is not an address: --graph-url moves
	// the endpoint and leaves it alone, because Entra ID resolves a scope to the Graph
	// service principal of the tenant's own cloud by this URI — "any permission scope
	// value (including the .default scope) that contains the Microsoft Graph domain
	// MUST use the domain of the Microsoft Graph service root endpoint for the
	// national cloud deployment" (learn.microsoft.com graph/sdks/national-clouds,
	// "Permission scopes"; the roots: graph/deployments).
	GraphResource string
	// ConsentHost is the base URL of the admin consent page when it is not served by
	// AuthorityHost (the demo tenant serves its browser pages over plain http on a
	// second loopback port, so a real browser opens them without a certificate
	// warning); "" = AuthorityHost.
	ConsentHost string
}

// consentHost is where the admin consent page is.
func (c Cloud) consentHost() string {
	if c.ConsentHost != "" {
		return c.ConsentHost
	}
	return c.AuthorityHost
}

// cloudOf is the Cloud of a known cloud: its Graph endpoint is its Graph resource URI.
func cloudOf(c clouds.Cloud) Cloud {
	return Cloud{Name: c.Name, AuthorityHost: c.LoginURL, GraphURL: c.GraphURL, GraphResource: c.GraphURL}
}

// GraphScope is the fully qualified scope of a Graph permission value in this
// cloud, e.g. "https://graph.microsoft.us/User.Read" or, for ".default",
// "https://graph.microsoft.us/.default".
func (c Cloud) GraphScope(value string) string { return c.GraphResource + "/" + value }

// checkEndpoints reports a Cloud that cannot sign in or call Graph.
func (c Cloud) checkEndpoints() error {
	if c.AuthorityHost == "" || c.GraphURL == "" {
		return Usagef("no cloud endpoints configured")
	}
	if c.GraphResource == "" {
		return Usagef("no Microsoft Graph resource URI configured for cloud %q", c.Name)
	}
	return nil
}

// LookupCloud returns the named cloud (internal/clouds). An unknown name is a usage error.
func LookupCloud(name string) (Cloud, error) {
	c, ok := clouds.Lookup(name)
	if !ok {
		return Cloud{}, Usagef("unknown cloud %q: use %s", name, clouds.NameList())
	}
	return cloudOf(c), nil
}

// WithOverrides replaces the cloud's endpoints with the non-empty arguments (the
// --authority-host and --graph-url flags). Each must be an absolute http(s) base URL;
// plain http is accepted only for loopback hosts. GraphResource stays the cloud's:
// the scopes name Graph in that cloud wherever its endpoint is.
func (c Cloud) WithOverrides(authorityHost, graphURL string) (Cloud, error) {
	if authorityHost != "" {
		u, err := baseURL("--authority-host", authorityHost)
		if err != nil {
			return c, err
		}
		c.AuthorityHost = u
	}
	if graphURL != "" {
		u, err := baseURL("--graph-url", graphURL)
		if err != nil {
			return c, err
		}
		c.GraphURL = u
	}
	return c, nil
}

// Authority is the MSAL authority URL for a tenant ("" = organizations).
func (c Cloud) Authority(tenant string) string {
	if tenant == "" {
		tenant = "organizations"
	}
	return c.AuthorityHost + "/" + url.PathEscape(tenant)
}

func baseURL(flag, s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", Usagef("%s %q is not an absolute http(s) URL (e.g. https://127.0.0.1:8443)", flag, s)
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return "", Usagef("%s %q: plain http is allowed only on 127.0.0.1 or localhost", flag, s)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", Usagef("%s %q must be a base URL without credentials, query or fragment", flag, s)
	}
	return fmt.Sprintf("%s://%s%s", u.Scheme, u.Host, strings.TrimRight(u.EscapedPath(), "/")), nil
}

// isLoopbackHost reports whether host is 127.0.0.1, ::1 or localhost.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lookupHost is the login host of Microsoft's error lookup page for this cloud: its
// own authority host when that is one of Microsoft's, else (an override, the demo
// tenant) the named cloud's, else the global one.
func (c Cloud) lookupHost() string {
	if clouds.IsLoginURL(c.AuthorityHost) {
		return c.AuthorityHost
	}
	if k, ok := clouds.Lookup(c.Name); ok {
		return k.LoginURL
	}
	return clouds.All()[0].LoginURL
}

// ErrorLookupURL is Microsoft's page for an AADSTS code on this cloud's login host.
func (c Cloud) ErrorLookupURL(code int) string {
	return c.lookupHost() + "/error?code=" + strconv.Itoa(code)
}
