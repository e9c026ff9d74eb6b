package emulator

import (
	"net/http"
	"net/url"
	"strings"
)

// entraInstances are Entra ID's answer to instance discovery: each cloud's login
// hosts, the one to send requests to (preferred_network) and the one to key a token
// cache by (preferred_cache). MSAL reads them to treat tokens of aliased authorities
// as one ("A token issued to an authority in the set is valid for all other
// authorities in the set", MSAL's "Custom authority aliases" wiki).
var entraInstances = []instanceMetadata{
	{PreferredNetwork: "login.microsoftonline.com", PreferredCache: "login.windows.net",
		Aliases: []string{"login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"}},
	{PreferredNetwork: "login.partner.microsoftonline.cn", PreferredCache: "login.partner.microsoftonline.cn",
		Aliases: []string{"login.partner.microsoftonline.cn", "login.chinacloudapi.cn"}},
	{PreferredNetwork: "login.microsoftonline.de", PreferredCache: "login.microsoftonline.de",
		Aliases: []string{"login.microsoftonline.de"}},
	{PreferredNetwork: "login.microsoftonline.us", PreferredCache: "login.microsoftonline.us",
		Aliases: []string{"login.microsoftonline.us", "login.usgovcloudapi.net"}},
	{PreferredNetwork: "login-us.microsoftonline.com", PreferredCache: "login-us.microsoftonline.com",
		Aliases: []string{"login-us.microsoftonline.com"}},
}

// instanceMetadata is one entry of the discovery answer's metadata.
type instanceMetadata struct {
	PreferredNetwork string   `json:"preferred_network"`
	PreferredCache   string   `json:"preferred_cache"`
	Aliases          []string `json:"aliases"`
}

// instanceDiscovery answers GET /common/discovery/instance (and its tenant-relative
// form /{tenant}/discovery/instance) as Entra ID does for MSAL's instance discovery:
// MSAL Go calls https://{host}/common/discovery/instance?api-version=1.1&
// authorization_endpoint=https://{host}/{tenant}/oauth2/v2.0/authorize and reads
// tenant_discovery_endpoint and metadata[] (preferred_network, preferred_cache,
// aliases); MSAL Python sends api-version=1.0. The tenant discovery endpoint is the
// tenant's OpenID configuration, v2.0 for api-version 1.1; an authorization endpoint
// on a host that is no known instance is 400 invalid_instance, AADSTS50049
// NoSuchInstanceForDiscovery ("Unknown or invalid instance",
// entra/identity-platform/reference-error-codes), which MSAL reports as
// "invalid_instance: the authority host is not valid".
func (s *Server) instanceDiscovery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	version := q.Get("api-version")
	if version == "" {
		s.writeOAuthError(w, &oauthError{Code: "invalid_request", AADSTS: 900144, Message: "The request body must contain the following parameter: 'api-version'."})
		return
	}
	host := strings.ToLower(r.Host)
	metadata := entraInstances
	if !knownInstance(metadata, host) {
		// This tenant's own host (127.0.0.1:PORT, or localhost:PORT, which the
		// listener also answers to), an instance of its own.
		aliases := []string{host}
		if h, port, ok := strings.Cut(host, ":"); ok && (h == "127.0.0.1" || h == "localhost") {
			aliases = []string{"127.0.0.1:" + port, "localhost:" + port}
		}
		metadata = append([]instanceMetadata{{PreferredNetwork: host, PreferredCache: host, Aliases: aliases}}, metadata...)
	}
	tenant := "common"
	if raw := q.Get("authorization_endpoint"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || !knownInstance(metadata, strings.ToLower(u.Host)) {
			s.writeOAuthError(w, &oauthError{Code: "invalid_instance", AADSTS: 50049, Message: "Unknown or invalid instance."})
			return
		}
		if seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/"); seg != "" {
			tenant = seg
		}
	}
	discovery := "https://" + host + "/" + tenant + "/v2.0/.well-known/openid-configuration"
	if version == "1.0" {
		discovery = "https://" + host + "/" + tenant + "/.well-known/openid-configuration"
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": discovery,
		"api-version":               version,
		"metadata":                  metadata,
	})
}

func knownInstance(metadata []instanceMetadata, host string) bool {
	for _, m := range metadata {
		if containsFold(m.Aliases, host) {
			return true
		}
	}
	return false
}
