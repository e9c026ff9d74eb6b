package emulator

import (
	"fmt"
	"strings"

	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/permissions"
)

// A demo tenant imitates one of the Microsoft clouds of internal/clouds: its Microsoft
// Graph resource URI (the prefix of fully qualified Graph scopes and of the token
// response's "scope"), the issuer of v1.0 access tokens, and the openid-configuration's
// cloud_instance_name / msgraph_host (the sources are in that package).

// Clouds names the clouds Options.Cloud accepts.
func Clouds() []string { return clouds.Names() }

func lookupCloud(name string) (clouds.Cloud, error) {
	if name == "" {
		name = "global"
	}
	c, ok := clouds.Lookup(name)
	if !ok {
		return clouds.Cloud{}, fmt.Errorf("emulator: unknown cloud %q (one of: %s)", name, strings.Join(Clouds(), ", "))
	}
	return c, nil
}

// issuerV1 is the "iss" of the access tokens this tenant issues for Graph.
func (s *Server) issuerV1() string { return s.cloud.IssuerV1 + "/" + s.dir.tenant.ID + "/" }

// GraphScopePrefix is the cloud's Graph resource URI, e.g. https://graph.microsoft.us
// for --cloud usgov: fully qualified Graph scopes start with it.
func (s *Server) GraphScopePrefix() string { return s.cloud.GraphURL }

// CloudName is the cloud the tenant imitates ("global" unless Options.Cloud said otherwise).
func (s *Server) CloudName() string { return s.cloud.Name }

// graphAudience is the "aud" of a Graph access token whose request named Graph by
// prefix (a scope's resource part; "" = bare scope values): the cloud's Graph
// resource URI when the request used it, else Graph's application id. Graph's access
// tokens are v1.0 tokens, and "in v1.0 tokens, it can be the client ID or the
// resource URI used in the request" (entra/identity-platform/access-token-claims-reference, "aud").
func (s *Server) graphAudience(prefix string) string {
	if strings.EqualFold(strings.TrimSuffix(prefix, "/"), s.cloud.GraphURL) {
		return s.cloud.GraphURL
	}
	return permissions.GraphAppID
}

// graphAccepts reports whether Graph in this cloud takes a token with audience aud:
// its application id or this cloud's Graph resource URI. A token for another cloud's
// Graph is not for this service ("This value must be validated, reject the token if
// the value doesn't match the intended audience", access-token-claims-reference).
func (s *Server) graphAccepts(aud string) bool {
	return aud == permissions.GraphAppID || strings.TrimSuffix(aud, "/") == s.cloud.GraphURL
}
