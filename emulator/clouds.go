package emulator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/d365consent/d365consent/permissions"
)

// cloud is the Microsoft cloud a demo tenant imitates: its Microsoft Graph resource
// URI (the prefix of fully qualified Graph scopes and of the token response's
// "scope"), the issuer of v1.0 access tokens, and the openid-configuration's
// cloud_instance_name / msgraph_host. graph/deployments (root endpoints per
// national cloud); entra/identity-platform/authentication-national-cloud;
// v1.0 issuers: https://sts.windows.net/{tid}/ in the global and US Government
// clouds, https://sts.chinacloudapi.cn/{tid}/ in the one operated by 21Vianet
// (entra/identity-platform/access-token-claims-reference, "iss").
type cloud struct {
	Name, GraphURI, IssuerV1Host, Instance, RegionScope string
}

var clouds = map[string]cloud{
	"global":    {"global", "https://graph.microsoft.com", "https://sts.windows.net", "microsoftonline.com", "WW"},
	"usgov":     {"usgov", "https://graph.microsoft.us", "https://sts.windows.net", "microsoftonline.us", "USGov"},
	"usgov-dod": {"usgov-dod", "https://dod-graph.microsoft.us", "https://sts.windows.net", "microsoftonline.us", "USGov"},
	"china":     {"china", "https://microsoftgraph.chinacloudapi.cn", "https://sts.chinacloudapi.cn", "partner.microsoftonline.cn", "WW"},
}

// Clouds names the clouds Options.Cloud accepts.
func Clouds() []string {
	var n []string
	for k := range clouds {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func lookupCloud(name string) (cloud, error) {
	if name == "" {
		name = "global"
	}
	c, ok := clouds[strings.ToLower(name)]
	if !ok {
		return cloud{}, fmt.Errorf("emulator: unknown cloud %q (one of: %s)", name, strings.Join(Clouds(), ", "))
	}
	return c, nil
}

// issuerV1 is the "iss" of the access tokens this tenant issues for Graph.
func (s *Server) issuerV1() string { return s.cloud.IssuerV1Host + "/" + s.dir.tenant.ID + "/" }

// GraphScopePrefix is the cloud's Graph resource URI, e.g. https://graph.microsoft.us
// for --cloud usgov: fully qualified Graph scopes start with it.
func (s *Server) GraphScopePrefix() string { return s.cloud.GraphURI }

// CloudName is the cloud the tenant imitates ("global" unless Options.Cloud said otherwise).
func (s *Server) CloudName() string { return s.cloud.Name }

// graphAudience is the "aud" of a Graph access token whose request named Graph by
// prefix (a scope's resource part; "" = bare scope values): the cloud's Graph
// resource URI when the request used it, else Graph's application id. Graph's access
// tokens are v1.0 tokens, and "in v1.0 tokens, it can be the client ID or the
// resource URI used in the request" (entra/identity-platform/access-token-claims-reference, "aud").
func (s *Server) graphAudience(prefix string) string {
	if strings.EqualFold(strings.TrimSuffix(prefix, "/"), s.cloud.GraphURI) {
		return s.cloud.GraphURI
	}
	return permissions.GraphAppID
}

// graphAccepts reports whether Graph in this cloud takes a token with audience aud:
// its application id or this cloud's Graph resource URI. A token for another cloud's
// Graph is not for this service ("This value must be validated, reject the token if
// the value doesn't match the intended audience", access-token-claims-reference).
func (s *Server) graphAccepts(aud string) bool {
	return aud == permissions.GraphAppID || strings.TrimSuffix(aud, "/") == s.cloud.GraphURI
}
