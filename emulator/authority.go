package emulator

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

var formPostScriptHash = func() string {
	sum := sha256.Sum256([]byte("document.forms[0].submit();"))
	return base64.StdEncoding.EncodeToString(sum[:])
}()

// txn is one browser visit in progress: an authorize request, an admin consent, or
// a device-code login, from the account picker to its outcome.
type txn struct {
	ID, Kind                     string // "authorize", "admin", "device"
	Tenant                       string // the authority's tenant segment
	ClientID, RedirectURI, State string
	ResponseMode                 string
	Scopes                       []string // permission values of Resource (and OIDC scopes)
	Resource                     string   // the resource's appId
	Challenge, ChallengeMethod   string
	UserID                       string
	Device                       *deviceGrant
	Created                      time.Time
	done                         bool
}

type authCode struct {
	ClientID, RedirectURI, Challenge, Method, UserID string
	Scopes                                           []string
	Expires                                          time.Time
	Used                                             bool
}

type refreshGrant struct {
	ClientID, UserID string
	Scopes           []string
	// Revoked: RevokeSignInSessions invalidated it.
	Revoked bool
}

type deviceGrant struct {
	DeviceCode, UserCode, ClientID string
	// Tenant is the authority's tenant segment of the device authorization request:
	// the sign-in at /devicelogin happens there (a guest signs in at the tenant that
	// invited it, not at /organizations).
	Tenant  string
	Scopes  scopeSet // of the device authorization request
	Expires time.Time
	UserID  string
	Status  string // pending, approved, declined, redeemed
	// Refusal is why Entra ID ended the sign-in (Conditional Access, a guest at the
	// wrong authority); nil when the user declined.
	Refusal *oauthError
}

// oauthError is Entra ID's token endpoint error.
type oauthError struct {
	Status   int
	Code     string // error
	AADSTS   int
	Message  string
	SubError string
	Claims   string // a claims challenge (Conditional Access, MFA)
}

func (e *oauthError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.AADSTS, e.Message) }

// describe is an error description as Entra writes it: the AADSTS text, then the
// ids support asks for, on their own lines.
func describe(e *oauthError, trace, corr string, now time.Time) string {
	return fmt.Sprintf("%s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.Error(), trace, corr, now.Format("2006-01-02 15:04:05Z"))
}

// redirectDescription is describe with fresh ids, for an error sent back to a
// redirect URI (sign-in and admin consent redirects carry the ids too).
func (s *Server) redirectDescription(e *oauthError) string {
	return describe(e, randomID(), randomID(), s.now().UTC())
}

func (s *Server) writeOAuthError(w http.ResponseWriter, e *oauthError) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	now := s.now().UTC()
	trace, corr := randomID(), randomID()
	body := map[string]any{
		"error":             e.Code,
		"error_description": describe(e, trace, corr, now),
		"error_codes":       []int{e.AADSTS},
		"timestamp":         now.Format("2006-01-02 15:04:05Z"),
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         s.authorityHost + "/error?code=" + strconv.Itoa(e.AADSTS),
	}
	if e.SubError != "" {
		body["suberror"] = e.SubError
	}
	if e.Claims != "" {
		body["claims"] = e.Claims
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// serveHTTPS routes the authority and Graph.
func (s *Server) serveHTTPS(w http.ResponseWriter, r *http.Request) {
	if lat := s.Faults().Latency; lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			return
		}
	}
	p := r.URL.Path
	if p == "/v1.0" || strings.HasPrefix(p, "/v1.0/") {
		s.serveGraph(w, r)
		return
	}
	seg, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	rest = "/" + rest
	switch rest {
	case "/v2.0/.well-known/openid-configuration", "/.well-known/openid-configuration":
		s.openIDConfig(w, r, seg)
	case "/discovery/v2.0/keys", "/discovery/keys":
		writeJSON(w, http.StatusOK, s.jwks())
	case "/oauth2/v2.0/token":
		if s.fleetToken(w, r, seg) {
			return
		}
		s.token(w, r, seg)
	case "/oauth2/v2.0/devicecode":
		s.deviceCode(w, r, seg)
	case "/discovery/instance":
		s.instanceDiscovery(w, r)
	case "/adminconsent", "/v2.0/adminconsent", "/oauth2/v2.0/authorize", "/oauth2/authorize":
		// Entra ID serves its sign-in and consent pages at the authority host: the link
		// consent-url prints is https://login.microsoftonline.com/{tenant}/adminconsent
		// (entra/identity/enterprise-apps/grant-admin-consent, "Construct the URL for
		// granting tenant-wide admin consent"). The demo tenant's pages are on plain HTTP,
		// which any browser opens without trusting its CA: the authority sends the
		// browser there.
		http.Redirect(w, r, s.pagesURL+r.URL.RequestURI(), http.StatusFound)
	default:
		s.writeOAuthError(w, &oauthError{Status: http.StatusNotFound, Code: "invalid_request", AADSTS: 90002,
			Message: "The endpoint " + p + " does not exist in the demo tenant."})
	}
}

func (s *Server) unknownTenant(seg string) *oauthError {
	return &oauthError{Code: "invalid_tenant", AADSTS: 90002, Message: fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.", seg)}
}

func (s *Server) openIDConfig(w http.ResponseWriter, r *http.Request, seg string) {
	d := s.tenantForSegment(seg) // the demo tenant or a customer tenant (tenants.go)
	if d == nil {
		s.writeOAuthError(w, s.unknownTenant(seg))
		return
	}
	tid := d.tenant.ID
	if seg == "organizations" || seg == "common" {
		tid = "{tenantid}"
	}
	doc := map[string]any{
		"issuer":                                s.authorityHost + "/" + tid + "/v2.0",
		"authorization_endpoint":                s.pagesURL + "/" + seg + "/oauth2/v2.0/authorize",
		"token_endpoint":                        s.authorityHost + "/" + seg + "/oauth2/v2.0/token",
		"device_authorization_endpoint":         s.authorityHost + "/" + seg + "/oauth2/v2.0/devicecode",
		"jwks_uri":                              s.authorityHost + "/" + seg + "/discovery/v2.0/keys",
		"end_session_endpoint":                  s.pagesURL + "/" + seg + "/oauth2/v2.0/logout",
		"userinfo_endpoint":                     s.graphURL + "/v1.0/me",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"msgraph_host":                          strings.TrimPrefix(s.cloud.GraphURL, "https://"),
		"request_uri_parameter_supported":       false,
	}
	for k, v := range s.cloudInstance.openIDCloudFields() {
		doc[k] = v
	}
	writeJSON(w, http.StatusOK, doc)
}

// tokenResponse issues tokens for user, for the resource of scopes; s.mu held.
//
// cp1: the token request declared the client capability cp1 (its claims parameter,
// declaresCP1); the access token then carries xms_cc, which Graph reads to send
// claims challenges (cae.go).
func (s *Server) tokenResponse(clientID string, u *user, scopes scopeSet, withRefresh, cp1 bool) map[string]any {
	now := s.now()
	tid := s.dir.tenant.ID
	consented, _ := s.consentFor(clientID, scopes.resource, u)
	appName := clientID
	if a := s.dir.apps[strings.ToLower(clientID)]; a != nil {
		appName = a.DisplayName
	}
	atClaims := map[string]any{
		"aud": s.audience(scopes), "iss": s.issuerV1(),
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"appid": clientID, "app_displayname": appName, "idtyp": "user", "ver": "1.0",
		"oid": u.ID, "sub": stableID("sub:" + u.ID + clientID), "tid": tid, "upn": u.UPN, "unique_name": u.UPN,
		"name": u.DisplayName, "given_name": u.GivenName, "family_name": u.Surname,
		"scp": strings.Join(consented, " "), "wids": s.dir.activeRoles(u), "uti": randomToken(16), "scenario": s.scenario.Name,
	}
	if cp1 {
		atClaims["xms_cc"] = []string{"cp1"}
	}
	at := s.signJWT(atClaims)
	idt := s.signJWT(map[string]any{
		"aud": clientID, "iss": s.authorityHost + "/" + tid + "/v2.0",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"name": u.DisplayName, "oid": u.ID, "preferred_username": u.UPN, "sub": stableID("sub:" + u.ID + clientID),
		"tid": tid, "ver": "2.0", "uti": randomToken(16),
	})
	ci, _ := json.Marshal(map[string]string{"uid": u.ID, "utid": tid})
	resp := map[string]any{
		"token_type": "Bearer", "scope": grantedScope(consented, scopes), "expires_in": s.tokenLifetime(u), "ext_expires_in": s.tokenLifetime(u),
		"access_token": at, "id_token": idt, "client_info": b64.EncodeToString(ci),
	}
	if withRefresh {
		rt := "0.demo." + randomToken(48)
		s.refresh[rt] = &refreshGrant{ClientID: clientID, UserID: u.ID, Scopes: scopes.raw}
		resp["refresh_token"] = rt
		s.issued = append(s.issued, rt)
	}
	s.issued = append(s.issued, at, idt)
	return resp
}

// audience is the "aud" of an access token for scopes' resource: for Graph, see
// graphAudience; for another resource the identifier the request named it by, or its
// appId for bare values (v1.0 tokens: "it can be the client ID or the resource URI
// used in the request", entra/identity-platform/access-token-claims-reference, "aud").
func (s *Server) audience(scopes scopeSet) string {
	if scopes.resource.AppID == permissions.GraphAppID {
		return s.graphAudience(scopes.prefix)
	}
	if scopes.prefix == "" {
		return scopes.resource.AppID
	}
	for _, u := range scopes.resource.IdentifierURIs {
		if strings.EqualFold(strings.TrimSuffix(u, "/"), strings.TrimSuffix(scopes.prefix, "/")) {
			return u
		}
	}
	return scopes.prefix
}

func (s *Server) token(w http.ResponseWriter, r *http.Request, seg string) {
	s.tokenRequests.Add(1)
	if r.Method != http.MethodPost {
		s.writeOAuthError(w, &oauthError{Status: http.StatusMethodNotAllowed, Code: "invalid_request", AADSTS: 900561, Message: "The endpoint only accepts POST requests. Received a GET request."})
		return
	}
	if !s.dir.matchesTenant(seg) {
		s.writeOAuthError(w, s.unknownTenant(seg))
		return
	}
	if err := r.ParseForm(); err != nil {
		s.writeOAuthError(w, &oauthError{Code: "invalid_request", AADSTS: 900144, Message: "The request body must contain the following parameter: 'grant_type'."})
		return
	}
	f := r.PostForm
	clientID := f.Get("client_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if oerr := s.checkPublicClient(clientID); oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	scopes, oerr := s.parseScopes(f.Get("scope"))
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	var resp map[string]any
	switch gt := f.Get("grant_type"); gt {
	case "authorization_code":
		resp, oerr = s.redeemCode(f, clientID, scopes)
	case "refresh_token":
		resp, oerr = s.redeemRefresh(f, clientID, scopes)
	case "device_code", "urn:ietf:params:oauth:grant-type:device_code":
		resp, oerr = s.redeemDeviceCode(f, clientID)
	default:
		oerr = &oauthError{Code: "unsupported_grant_type", AADSTS: 70003, Message: fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt)}
	}
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// redeemCode is the authorization code grant: a code is single use, bound to its
// client, redirect URI and PKCE challenge
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token).
func (s *Server) redeemCode(f url.Values, clientID string, scopes scopeSet) (map[string]any, *oauthError) {
	c := s.codes[f.Get("code")]
	switch {
	case c == nil:
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 70000, Message: "The provided value for the 'code' parameter is not valid. The code has expired or is invalid."}
	case c.Used:
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 54005, Message: "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."}
	}
	c.Used = true // single use, even when the redemption fails below
	switch {
	case s.now().After(c.Expires):
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 70008, Message: "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."}
	case c.ClientID != clientID:
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 70000, Message: "The provided value for the 'code' parameter is not valid. The code was issued to a different client."}
	case c.RedirectURI != f.Get("redirect_uri"):
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 70000, Message: "The provided value for the 'redirect_uri' is not valid. The value must exactly match the redirect URI used to obtain the authorization code."}
	case c.Challenge != "" && !pkceMatches(c.Challenge, c.Method, f.Get("code_verifier")):
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 50148, Message: "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE."}
	}
	s.signIns.Add(1)
	return s.tokenResponse(clientID, s.dir.userByID(c.UserID), scopes, containsFold(scopes.values, "offline_access"), declaresCP1(f)), nil
}

// redeemRefresh is the refresh token grant; a refresh can need MFA again or consent
// the user has not given (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token).
func (s *Server) redeemRefresh(f url.Values, clientID string, scopes scopeSet) (map[string]any, *oauthError) {
	rg := s.refresh[f.Get("refresh_token")]
	if rg == nil || rg.ClientID != clientID {
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 9002313, Message: "Invalid request. Request is malformed or invalid. The refresh token is invalid or was issued to another client."}
	}
	if rg.Revoked {
		return nil, revokedGrant()
	}
	if len(scopes.raw) == 0 { // the scopes of the grant the refresh token came from
		scopes, _ = s.parseScopes(strings.Join(rg.Scopes, " "))
	}
	u := s.dir.userByID(rg.UserID)
	if e := s.refreshNeedsMFA(u); e != nil {
		return nil, e
	}
	if missing := s.missingConsent(clientID, scopes.resource.AppID, u, scopes.values); len(missing) > 0 {
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 65001, SubError: "consent_required", Message: fmt.Sprintf(
			"The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", clientID, s.dir.apps[strings.ToLower(clientID)].DisplayName)}
	}
	s.refreshes.Add(1)
	return s.tokenResponse(clientID, u, scopes, containsFold(scopes.values, "offline_access"), declaresCP1(f)), nil
}

// redeemDeviceCode is the device code grant's polling; pending, declined, expired and
// redeemed codes each have their own error
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code#expected-errors).
// The token request carries no scope (grant_type, client_id and device_code are its
// parameters): the tokens are for the scopes of the device authorization request, and
// "refresh_token: Issued if the original scope parameter included offline_access"
// (v2-oauth2-device-code, "Successful authentication response").
func (s *Server) redeemDeviceCode(f url.Values, clientID string) (map[string]any, *oauthError) {
	d := s.devices[f.Get("device_code")]
	switch {
	case d == nil || d.ClientID != clientID:
		return nil, &oauthError{Code: "bad_verification_code", AADSTS: 70000, Message: "The provided value for the 'device_code' parameter is not valid."}
	case s.now().After(d.Expires):
		return nil, &oauthError{Code: "expired_token", AADSTS: 70019, Message: "Verification code expired."}
	case d.Status == "pending":
		return nil, &oauthError{Code: "authorization_pending", AADSTS: 70016, Message: "OAuth 2.0 device flow error. Authorization is pending. Continue polling."}
	case d.Status == "declined" && d.Refusal != nil:
		// A sign-in Entra ID refused (not the user) answers the poll with that refusal:
		// "AADSTS53003: Access has been blocked by Conditional Access policies" is what
		// a device code client receives when Conditional Access blocks the sign-in
		// (entra/identity/conditional-access/troubleshoot-conditional-access).
		e := *d.Refusal
		e.Code = "invalid_grant"
		return nil, &e
	case d.Status == "declined":
		return nil, &oauthError{Code: "authorization_declined", AADSTS: 70000, Message: "The user denied the authorization request."}
	case d.Status == "redeemed":
		return nil, &oauthError{Code: "invalid_grant", AADSTS: 54005, Message: "The device code was already redeemed."}
	}
	d.Status = "redeemed"
	s.signIns.Add(1)
	return s.tokenResponse(clientID, s.dir.userByID(d.UserID), d.Scopes, containsFold(d.Scopes.values, "offline_access"), declaresCP1(f)), nil
}

func pkceMatches(challenge, method, verifier string) bool {
	if verifier == "" {
		return false
	}
	if strings.EqualFold(method, "plain") {
		return verifier == challenge
	}
	sum := sha256.Sum256([]byte(verifier))
	return b64.EncodeToString(sum[:]) == challenge
}

func (s *Server) deviceCode(w http.ResponseWriter, r *http.Request, seg string) {
	if !s.dir.matchesTenant(seg) {
		s.writeOAuthError(w, s.unknownTenant(seg))
		return
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		s.writeOAuthError(w, &oauthError{Code: "invalid_request", AADSTS: 900561, Message: "The endpoint only accepts POST requests."})
		return
	}
	clientID := r.PostForm.Get("client_id")
	s.noteScope("devicecode", seg, "", r.PostForm)
	s.mu.Lock()
	defer s.mu.Unlock()
	if oerr := s.checkPublicClient(clientID); oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	scopes, oerr := s.parseScopes(r.PostForm.Get("scope"))
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	d := &deviceGrant{DeviceCode: "DAQABAAEAAA" + randomToken(48), UserCode: userCode(), ClientID: clientID, Tenant: seg, Scopes: scopes,
		Expires: s.now().Add(15 * time.Minute), Status: "pending"}
	s.devices[d.DeviceCode] = d
	uri := s.pagesURL + "/devicelogin"
	writeJSON(w, http.StatusOK, map[string]any{
		"device_code": d.DeviceCode, "user_code": d.UserCode, "verification_uri": uri,
		"expires_in": 900, "interval": 5,
		"message": fmt.Sprintf("To sign in, use a web browser to open the page %s and enter the code %s to authenticate.", uri, d.UserCode),
	})
}

// userCode is 9 characters from an unambiguous alphabet, like Entra's.
func userCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	raw := []byte(randomToken(12))
	out := make([]byte, 9)
	for i := range out {
		out[i] = alphabet[int(raw[i])%len(alphabet)]
	}
	return string(out)
}

// loopbackMatch: a registered loopback reply URL matches any port (RFC 8252 §7.3).
func loopbackMatch(registered, uri string) bool {
	ru, err1 := url.Parse(registered)
	u, err2 := url.Parse(uri)
	if err1 != nil || err2 != nil || ru.Scheme != "http" || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h != ru.Hostname() || !(h == "localhost" || net.ParseIP(h).IsLoopback()) {
		return false
	}
	return strings.TrimSuffix(ru.Path, "/") == strings.TrimSuffix(u.Path, "/") && u.User == nil && u.Fragment == ""
}

// scopeDetails describes scopes of resource (OpenID Connect ones are Graph's) for
// the consent page.
func (s *Server) scopeDetails(resourceAppID string, values []string) []map[string]string {
	out := []map[string]string{}
	for _, v := range values {
		res := s.dir.apps[strings.ToLower(resourceAppID)]
		if containsFold(oidcScopes, v) || res == nil {
			res = s.dir.apps[permissions.GraphAppID]
		}
		ps := res.scope(v)
		if ps == nil {
			continue
		}
		out = append(out, map[string]string{"Value": ps.Value, "Name": ps.UserDisplayName, "Description": ps.UserDescription})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["Value"] < out[j]["Value"] })
	return out
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkPublicClient: the first-party public clients (the sign-in client, Azure CLI,
// Azure PowerShell) sign users in without a secret; the AvePoint apps are
// confidential (they would need one): AADSTS7000218. s.mu held.
func (s *Server) checkPublicClient(clientID string) *oauthError {
	app := s.dir.apps[strings.ToLower(clientID)]
	switch {
	case app != nil && app.Public:
		return s.disabledClient(clientID)
	case app != nil:
		return &oauthError{Code: "invalid_client", AADSTS: 7000218, Message: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}
	return &oauthError{Code: "unauthorized_client", AADSTS: 700016, Message: fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
		clientID, s.dir.tenant.DisplayName)}
}
