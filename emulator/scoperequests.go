package emulator

import (
	"net/url"
	"strings"
)

// ScopeRequest is one request to the authority that carried a scope parameter, as
// received: which scopes a client asked for, so a test can pin the exact strings
// (e.g. that a client pointed at this emulator with --cloud usgov still names Graph
// https://graph.microsoft.us). Scopes are not secrets; nothing else is kept.
type ScopeRequest struct {
	// Endpoint is "authorize", "devicecode" or "token".
	Endpoint string
	// GrantType is the token request's grant_type ("" elsewhere).
	GrantType string
	// Tenant is the authority's tenant segment (organizations, a GUID, a domain).
	Tenant   string
	ClientID string
	Scope    string
}

// ScopeRequests returns the scope-carrying requests received so far, in order.
func (s *Server) ScopeRequests() []ScopeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ScopeRequest(nil), s.scopeLog...)
}

// noteScope records a request's scope parameter, if it has one.
func (s *Server) noteScope(endpoint, tenant, grant string, form url.Values) {
	scope := form.Get("scope")
	if strings.TrimSpace(scope) == "" {
		return
	}
	s.mu.Lock()
	s.scopeLog = append(s.scopeLog, ScopeRequest{Endpoint: endpoint, GrantType: grant, Tenant: tenant, ClientID: form.Get("client_id"), Scope: scope})
	s.mu.Unlock()
}
