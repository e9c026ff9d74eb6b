package emulator

import (
	"net/http"
	"strings"
)

// The Azure Resource Manager lists that `az login` reads after signing in, served on
// management.azure.com through the proxy: the tenants the signed-in user belongs to
// (Microsoft Learn: rest/api/resources/tenants/list, GET /tenants) and the
// subscriptions of a tenant (rest/api/resources/subscriptions/list, GET
// /subscriptions), which in the demo tenant are none — `az login
// --allow-no-subscriptions` then keeps a tenant-level account. Nothing else of ARM is
// served.

// armError writes ARM's error shape: {"error": {"code", "message"}}
// (azure/azure-resource-manager/troubleshooting/common-deployment-errors).
func armError(w http.ResponseWriter, status int, code, msg string) {
	if status == http.StatusUnauthorized {
		// ARM names the authority a client gets a token from (RFC 6750 section 3).
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="`+msg+`"`)
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// serveARM answers GET /tenants and GET /subscriptions for a valid ARM access token.
func (s *Server) serveARM(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-request-id", randomID())
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path != "/tenants" && path != "/subscriptions" {
		armError(w, http.StatusNotFound, "NotFound", "The demo tenant's Azure Resource Manager serves GET /tenants and GET /subscriptions only, not "+r.URL.Path+".")
		return
	}
	if r.Method != http.MethodGet {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	// api-version is a required query parameter of both lists (their URI Parameters).
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if auth == "" {
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
		return
	}
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is provided in an invalid format.")
		return
	}
	// Signature, audience (Azure Resource Manager), issuer, user and lifetime, as
	// ARM checks them (management.go).
	caller, err := s.VerifyManagementToken(auth)
	if err != nil {
		armError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "The access token is invalid: "+strings.TrimPrefix(err.Error(), ErrManagementToken.Error()+"\n")+".")
		return
	}
	if path == "/subscriptions" {
		// SubscriptionListResult: the demo tenant has no Azure subscription.
		writeJSON(w, http.StatusOK, map[string]any{"value": []any{}})
		return
	}
	// TenantListResult: the tenant the token was issued in, when it is the demo tenant
	// (its users belong to no other).
	tenants := []any{}
	if t := s.dir.tenant; caller.TenantID == t.ID {
		tenants = append(tenants, map[string]any{
			"id": "/tenants/" + t.ID, "tenantId": t.ID, "tenantCategory": "Home",
			"countryCode": "US", "displayName": t.DisplayName, "domains": t.Domains,
			"defaultDomain": t.Domains[0], "tenantType": "AAD",
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": tenants})
}
