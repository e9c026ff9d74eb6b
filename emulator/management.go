package emulator

import (
	"encoding/json"
	"errors"
	"strings"
)

// ManagementCaller is who an Azure Resource Manager access token speaks for.
type ManagementCaller struct {
	// TenantID is the tenant the token was issued by; UserID and UPN the signed-in
	// user; ClientID the app that asked for the token (Azure CLI, …).
	TenantID, UserID, UPN, ClientID string
}

// ErrManagementToken is wrapped by every refusal of VerifyManagementToken.
var ErrManagementToken = errors.New("invalid Azure Resource Manager access token")

// VerifyManagementToken checks an Authorization header's bearer token as Azure
// Resource Manager would: signed by this tenant's key, issued for Azure Resource
// Manager (its audience one of ManagementResources, or its appId), by this tenant's
// issuer, and unexpired ("This value must be validated, reject the token if the value
// doesn't match the intended audience", entra/identity-platform/access-token-claims-reference).
// It guards the Azure Resource Manager endpoints a client signs in to (the tenant
// and subscription lists of `az login`, served through the proxy: proxy_resourcemanager.go).
func (s *Server) VerifyManagementToken(authorization string) (ManagementCaller, error) {
	scheme, tok, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return ManagementCaller{}, errors.Join(ErrManagementToken, errors.New("no bearer token"))
	}
	claims, err := s.verifyJWT(strings.TrimSpace(tok))
	if err != nil {
		return ManagementCaller{}, errors.Join(ErrManagementToken, err)
	}
	str := func(k string) string { v, _ := claims[k].(string); return v }
	num := func(k string) int64 { n, _ := claims[k].(json.Number); v, _ := n.Int64(); return v }
	aud := str("aud")
	if aud != ManagementAppID && !containsFold(ManagementResources(), aud) {
		return ManagementCaller{}, errors.Join(ErrManagementToken, errors.New("the audience is not Azure Resource Manager"))
	}
	if now := s.now().Unix(); now >= num("exp") {
		return ManagementCaller{}, errors.Join(ErrManagementToken, errors.New("the token is expired"))
	}
	tid := strings.ToLower(str("tid"))
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.tenantDir(tid)
	if d == nil || tid != d.tenant.ID || str("iss") != s.cloud.IssuerV1+"/"+tid+"/" {
		return ManagementCaller{}, errors.Join(ErrManagementToken, errors.New("the issuer is not this tenant"))
	}
	u := d.userByID(str("oid"))
	if u == nil {
		return ManagementCaller{}, errors.Join(ErrManagementToken, errors.New("the user does not exist in the tenant"))
	}
	return ManagementCaller{TenantID: tid, UserID: u.ID, UPN: u.UPN, ClientID: str("appid")}, nil
}
