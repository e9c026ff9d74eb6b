package emulator

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// App identities for unattended checks: the client credentials grant
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)
// with a client secret, a certificate (a client_assertion JWT signed with the
// certificate's key, https://learn.microsoft.com/entra/identity-platform/certificate-credentials)
// or a federated identity credential (a client_assertion issued by an external
// identity provider, https://learn.microsoft.com/entra/workload-id/workload-identity-federation).
// App-only access tokens carry the Graph application permissions granted to the
// app's service principal in the tenant as `roles`; Graph authorizes app-only
// callers by them. Every refusal is the AADSTS error Entra ID returns, as listed in
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes.

// TokenExchangeAudience is the audience a federated identity credential expects by default.
const TokenExchangeAudience = "api://AzureADTokenExchange"

// AppRegistration is an app identity (a monitoring app) the emulator knows.
type AppRegistration struct {
	// ClientID is the application (client) id; "" derives one from DisplayName.
	ClientID    string
	DisplayName string
	// Secret is a client secret value; SecretExpires, when set, is its end date.
	Secret        string
	SecretExpires time.Time
	// Certificates are the public certificates uploaded to the registration.
	Certificates []*x509.Certificate
	// Federated are its federated identity credentials.
	Federated []FederatedCredential
	// GraphRoles are the Microsoft Graph application permissions admin-consented
	// for it in each of its tenants (e.g. Directory.Read.All).
	GraphRoles []string
	// Tenants are the tenant ids where it has a service principal with GraphRoles;
	// nil = the demo tenant only.
	Tenants []string
}

// FederatedCredential trusts tokens that an external identity provider issued to
// one subject (e.g. a Kubernetes service account).
type FederatedCredential struct {
	Issuer, Subject string
	// Audiences default to TokenExchangeAudience.
	Audiences []string
	// IssuerKey verifies the external token's signature: what Entra ID reads from
	// the issuer's OpenID Connect discovery document and JWKS.
	IssuerKey crypto.PublicKey
}

type appRegistration struct {
	AppRegistration
	app *application
}

// RegisterApp registers an app identity and gives it a service principal, with
// its Graph application permissions, in each of its tenants. It returns the client id.
func (s *Server) RegisterApp(a AppRegistration) (string, error) {
	if a.DisplayName == "" {
		return "", errors.New("emulator: an app registration needs a display name")
	}
	if a.ClientID == "" {
		a.ClientID = stableID("monitoring-app:" + a.DisplayName)
	}
	a.ClientID = strings.ToLower(a.ClientID)
	for i := range a.Federated {
		if len(a.Federated[i].Audiences) == 0 {
			a.Federated[i].Audiences = []string{TokenExchangeAudience}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fleet.appRegs == nil {
		s.fleet.appRegs = map[string]*appRegistration{}
	}
	if _, dup := s.fleet.appRegs[a.ClientID]; dup {
		return "", fmt.Errorf("emulator: app %s is already registered", a.ClientID)
	}
	app := &application{AppID: a.ClientID, DisplayName: a.DisplayName, Publisher: s.dir.tenant.DisplayName, OwnerTenant: s.dir.tenant.ID}
	tenants := a.Tenants
	if tenants == nil {
		tenants = []string{s.dir.tenant.ID}
	}
	for _, tid := range tenants {
		d := s.tenantDir(tid)
		if d == nil {
			return "", fmt.Errorf("emulator: no tenant %s", tid)
		}
		d.apps[a.ClientID] = app
		sp := d.addSP(app, true, time.Time{})
		sp.ID = stableID(d.tenant.ID + ":sp:" + a.ClientID)
		graph := d.spByAppID(permissions.GraphAppID, time.Time{})
		for _, role := range a.GraphRoles {
			r := graph.App.role(role)
			if r == nil {
				return "", fmt.Errorf("emulator: Microsoft Graph publishes no app role %q", role)
			}
			d.assignRole(sp, graph, r.ID, s.now(), time.Time{})
		}
	}
	s.fleet.appRegs[a.ClientID] = &appRegistration{AppRegistration: a, app: app}
	return a.ClientID, nil
}

// clientCredentials is the client credentials grant at tenant seg.
func (s *Server) clientCredentials(w http.ResponseWriter, r *http.Request, seg string) {
	f := r.PostForm
	clientID := strings.ToLower(f.Get("client_id"))
	switch strings.ToLower(seg) {
	case "common", "organizations", "consumers":
		s.writeOAuthError(w, &oauthError{Code: "invalid_request", AADSTS: 9001023,
			Message: "The grant type isn't supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.tenantDir(seg)
	if d == nil {
		s.writeOAuthError(w, s.unknownTenant(seg))
		return
	}
	reg := s.fleet.appRegs[clientID]
	var sp *servicePrincipal
	if reg != nil {
		sp = d.spByAppID(clientID, time.Time{})
	}
	if sp == nil {
		s.writeOAuthError(w, &oauthError{Code: "unauthorized_client", AADSTS: 700016, Message: fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
			f.Get("client_id"), d.tenant.DisplayName)})
		return
	}
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		s.writeOAuthError(w, &oauthError{Code: "unsupported_grant_type", AADSTS: 70003, Message: fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt)})
		return
	}
	acr, oerr := s.authenticateClient(reg, d, seg, f.Get("client_secret"), f.Get("client_assertion_type"), f.Get("client_assertion"))
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	res, oerr := s.clientCredentialsResource(f.Get("scope"), d)
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	now := s.now()
	claims := map[string]any{
		"aud": s.graphAudience(res), "iss": s.cloud.IssuerV1 + "/" + d.tenant.ID + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"appid": reg.ClientID, "app_displayname": reg.DisplayName, "appidacr": acr, "idtyp": "app", "ver": "1.0",
		"oid": sp.ID, "sub": sp.ID, "tid": d.tenant.ID, "uti": randomToken(16),
	}
	if roles := graphRolesOf(d, sp); len(roles) > 0 { // Entra omits the claim when the app holds no role
		claims["roles"] = roles
	}
	at := s.signJWT(claims)
	s.issued = append(s.issued, at)
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": at})
}

// clientCredentialsResource is the resource of a client credentials request's scope,
// which must be one "{resource}/.default"
// (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#first-case-access-token-request-with-a-shared-secret).
// MSAL adds the OpenID Connect scopes to every request; Entra ignores them here.
func (s *Server) clientCredentialsResource(scopeParam string, d *directory) (string, *oauthError) {
	var rest []string
	for _, sc := range strings.Fields(scopeParam) {
		if !containsFold(oidcScopes, sc) {
			rest = append(rest, sc)
		}
	}
	scope := strings.Join(rest, " ")
	res, ok := strings.CutSuffix(scope, "/.default")
	if !ok || len(rest) != 1 {
		return "", &oauthError{Code: "invalid_scope", AADSTS: 1002012, Message: fmt.Sprintf(
			"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)}
	}
	// The cloud's Graph resource URI or Graph's appId; anything else (another cloud's
	// Graph, this emulator's address) names no resource here (parseScopes).
	switch strings.ToLower(strings.TrimSuffix(res, "/")) {
	case s.cloud.GraphURL, permissions.GraphAppID, "api://" + permissions.GraphAppID:
		return res, nil
	}
	return "", &oauthError{Code: "invalid_resource", AADSTS: 500011, Message: fmt.Sprintf(
		"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
		res, d.tenant.DisplayName)}
}

// graphRolesOf are the values of the Microsoft Graph app roles assigned to sp: an
// app-only token's roles claim.
func graphRolesOf(d *directory, sp *servicePrincipal) []string {
	graph := d.spByAppID(permissions.GraphAppID, time.Time{})
	var roles []string
	for _, a := range d.assigns {
		if a.PrincipalID == sp.ID && a.ResourceID == graph.ID {
			for _, role := range graph.App.Roles {
				if role.ID == a.AppRoleID {
					roles = append(roles, role.Value)
				}
			}
		}
	}
	return roles
}

// authenticateClient checks the client's credential and returns its appidacr
// ("1" secret, "2" certificate or assertion). s.mu held.
func (s *Server) authenticateClient(reg *appRegistration, d *directory, seg, secret, assertionType, assertion string) (string, *oauthError) {
	invalid := func(code int, msg string) *oauthError {
		return &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", AADSTS: code, Message: msg}
	}
	switch {
	case secret != "" && assertion != "":
		return "", &oauthError{Code: "invalid_request", AADSTS: 90014, Message: "Only one of 'client_secret' and 'client_assertion' may be presented."}
	case secret != "":
		if reg.Secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(reg.Secret)) != 1 {
			// AADSTS7000215: invalid client secret.
			return "", invalid(7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", reg.ClientID))
		}
		if !reg.SecretExpires.IsZero() && !s.now().Before(reg.SecretExpires) {
			// AADSTS7000222: expired client secret.
			return "", invalid(7000222, fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", reg.ClientID))
		}
		return "1", nil
	case assertion != "":
		if assertionType != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			return "", &oauthError{Code: "invalid_request", AADSTS: 90014, Message: "The request body must contain the following parameter: 'client_assertion_type'."}
		}
		hdr, claims, signed, sig, err := splitJWT(assertion)
		if err != nil {
			// AADSTS50027 InvalidJwtToken: token format isn't proper.
			return "", invalid(50027, "JWT token is invalid or malformed.")
		}
		if iss, _ := claims["iss"].(string); !strings.EqualFold(iss, reg.ClientID) {
			return s.federatedAssertion(reg, hdr, claims, signed, sig)
		}
		return s.certificateAssertion(reg, d, seg, hdr, claims, signed, sig)
	}
	// AADSTS7000218: a confidential client sent no credential.
	return "", invalid(7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
}

// certificateAssertion validates a client assertion the app signed with its
// certificate's key: the certificate (x5t#S256 or x5t) must be registered, the
// signature must verify with it, aud must be this tenant's token endpoint, iss and
// sub the client id, and now within nbf..exp
// (https://learn.microsoft.com/entra/identity-platform/certificate-credentials).
func (s *Server) certificateAssertion(reg *appRegistration, d *directory, seg string, hdr, claims map[string]any, signed string, sig []byte) (string, *oauthError) {
	invalid := func(code int, msg string) (string, *oauthError) {
		return "", &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", AADSTS: code, Message: msg}
	}
	var cert *x509.Certificate
	thumb := ""
	if v, ok := hdr["x5t#S256"].(string); ok {
		thumb = v
		cert = findCert(reg.Certificates, v, func(raw []byte) []byte { h := sha256.Sum256(raw); return h[:] })
	} else if v, ok := hdr["x5t"].(string); ok {
		thumb = v
		cert = findCert(reg.Certificates, v, func(raw []byte) []byte { h := sha1.Sum(raw); return h[:] })
	}
	if cert == nil {
		// AADSTS700027: client assertion failed signature validation.
		tp := thumb
		if b, err := decodeB64(thumb); err == nil {
			tp = strings.ToUpper(hex.EncodeToString(b))
		}
		return invalid(700027, fmt.Sprintf("Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '%s'. Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", tp, reg.ClientID))
	}
	alg, _ := hdr["alg"].(string)
	if verifySignature(cert.PublicKey, alg, signed, sig) != nil {
		return invalid(700027, "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]")
	}
	if sub, _ := claims["sub"].(string); !strings.EqualFold(sub, reg.ClientID) {
		// AADSTS700021: the assertion's application identifier does not match client_id.
		return invalid(700021, "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials.")
	}
	aud, _ := claims["aud"].(string)
	okAud := false
	for _, t := range append([]string{d.tenant.ID, seg}, d.tenant.Domains...) {
		if strings.EqualFold(aud, s.authorityHost+"/"+t+"/oauth2/v2.0/token") {
			okAud = true
		}
	}
	if !okAud {
		// AADSTS50027 InvalidJwtToken: unexpected audience.
		return invalid(50027, fmt.Sprintf("JWT token is invalid or malformed. The audience '%s' is not this tenant's token endpoint.", aud))
	}
	if oerr := s.assertionTime(claims); oerr != nil {
		return "", oerr
	}
	return "2", nil
}

// federatedAssertion validates a token from an external identity provider against
// the app's federated identity credentials: issuer, then subject, then audience
// must match one credential (AADSTS70021 / 700213 / 700212), its signature must
// verify with the issuer's key and it must be within its validity
// (https://learn.microsoft.com/entra/workload-id/workload-identity-federation).
func (s *Server) federatedAssertion(reg *appRegistration, hdr, claims map[string]any, signed string, sig []byte) (string, *oauthError) {
	invalid := func(code int, msg string) (string, *oauthError) {
		return "", &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", AADSTS: code, Message: msg}
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	auds := audiences(claims["aud"])
	var byIssuer, bySubject []FederatedCredential
	for _, fc := range reg.Federated {
		if fc.Issuer == iss {
			byIssuer = append(byIssuer, fc)
			if fc.Subject == sub {
				bySubject = append(bySubject, fc)
			}
		}
	}
	if len(byIssuer) == 0 {
		return invalid(70021, fmt.Sprintf("No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.", iss, sub, strings.Join(auds, ",")))
	}
	if len(bySubject) == 0 {
		return invalid(700213, fmt.Sprintf("No matching federated identity record found for presented assertion subject '%s'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.", sub))
	}
	var match *FederatedCredential
	for i := range bySubject {
		for _, a := range auds {
			if containsFold(bySubject[i].Audiences, a) {
				match = &bySubject[i]
			}
		}
	}
	if match == nil {
		return invalid(700212, fmt.Sprintf("No matching federated identity record found for presented assertion audience '%s'.", strings.Join(auds, ",")))
	}
	alg, _ := hdr["alg"].(string)
	if match.IssuerKey == nil || verifySignature(match.IssuerKey, alg, signed, sig) != nil {
		return invalid(700027, "Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value.]")
	}
	if oerr := s.assertionTime(claims); oerr != nil {
		return "", oerr
	}
	return "2", nil
}

// assertionTime: AADSTS700024, the assertion is not within its valid time range
// (five minutes of clock skew allowed).
func (s *Server) assertionTime(claims map[string]any) *oauthError {
	now := s.now()
	exp, nbf := numClaim(claims["exp"]), numClaim(claims["nbf"])
	if exp == 0 || now.Add(-5*time.Minute).Unix() >= exp || nbf > now.Add(5*time.Minute).Unix() {
		return &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", AADSTS: 700024, Message: fmt.Sprintf(
			"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/develop/active-directory-certificate-credentials.",
			now.UTC().Format("2006-01-02T15:04:05.0000000Z"), time.Unix(nbf, 0).UTC().Format("2006-01-02T15:04:05.0000000Z"), time.Unix(exp, 0).UTC().Format("2006-01-02T15:04:05.0000000Z"))}
	}
	return nil
}

func audiences(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func numClaim(v any) int64 {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			f, _ := n.Float64()
			return int64(f)
		}
		return i
	case float64:
		return int64(n)
	}
	return 0
}

// decodeB64 accepts base64url or standard base64, padded or not (MSAL Go sends a
// standard-encoded x5t#S256).
func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func findCert(certs []*x509.Certificate, thumb string, sum func([]byte) []byte) *x509.Certificate {
	want, err := decodeB64(thumb)
	if err != nil {
		return nil
	}
	for _, c := range certs {
		if subtle.ConstantTimeCompare(sum(c.Raw), want) == 1 {
			return c
		}
	}
	return nil
}

// splitJWT decodes a compact JWS without verifying it.
func splitJWT(tok string) (hdr, claims map[string]any, signed string, sig []byte, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, "", nil, errBadToken
	}
	hb, err1 := decodeB64(parts[0])
	cb, err2 := decodeB64(parts[1])
	sig, err3 := decodeB64(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, nil, "", nil, errBadToken
	}
	if json.Unmarshal(hb, &hdr) != nil {
		return nil, nil, "", nil, errBadToken
	}
	dec := json.NewDecoder(strings.NewReader(string(cb)))
	dec.UseNumber()
	if dec.Decode(&claims) != nil {
		return nil, nil, "", nil, errBadToken
	}
	return hdr, claims, parts[0] + "." + parts[1], sig, nil
}

// verifySignature checks a JWS signature: RS256, PS256 (MSAL Go's default for
// Entra ID) or ES256.
func verifySignature(pub crypto.PublicKey, alg, signed string, sig []byte) error {
	sum := sha256.Sum256([]byte(signed))
	switch k := pub.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256":
			return rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig)
		case "PS256":
			return rsa.VerifyPSS(k, crypto.SHA256, sum[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto})
		}
	case *ecdsa.PublicKey:
		if alg == "ES256" && len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if ecdsa.Verify(k, sum[:], r, s) {
				return nil
			}
			return errors.New("signature is invalid")
		}
	}
	return fmt.Errorf("unsupported signing algorithm %q", alg)
}

// DemoMonitorSecret is the client secret of the demo's monitoring app (an emulated
// app: the secret opens nothing but the demo tenant).
const DemoMonitorSecret = "demo-monitor-secret"

// RegisterDemoMonitor registers the demo's monitoring app, "Demo Consent Monitor",
// with Directory.Read.All in the demo tenant and every customer tenant added so far
// that the app could be consented in, and returns its client id. Its secret is
// DemoMonitorSecret.
func (s *Server) RegisterDemoMonitor() (string, error) {
	var tenants []string
	for _, t := range s.Tenants() {
		tenants = append(tenants, t.ID)
	}
	return s.RegisterApp(AppRegistration{DisplayName: "Demo Consent Monitor", Secret: DemoMonitorSecret,
		GraphRoles: []string{"Directory.Read.All"}, Tenants: tenants})
}
