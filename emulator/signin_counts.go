package emulator

import (
	"fmt"
	"strings"
)

// SignIns counts interactive sign-ins redeemed: authorization codes and device
// codes turned into tokens (a refresh is not a sign-in).
func (s *Server) SignIns() int64 { return s.signIns.Load() }

// TokenRequests counts every request to a token endpoint (home and customer
// tenants, any grant).
func (s *Server) TokenRequests() int64 { return s.tokenRequests.Load() }

// Refreshes counts refresh-token redemptions that issued tokens.
func (s *Server) Refreshes() int64 { return s.refreshes.Load() }

// RevokeSignInSessions invalidates every refresh token issued to the user upn, as
// Microsoft Graph's revokeSignInSessions does
// (https://learn.microsoft.com/graph/api/user-revokesigninsessions): the next
// refresh is refused with AADSTS50173 and the user signs in again
// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
func (s *Server) RevokeSignInSessions(upn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var id string
	for _, u := range s.dir.users {
		if strings.EqualFold(u.UPN, upn) {
			id = u.ID
		}
	}
	if id == "" {
		return fmt.Errorf("no user %s", upn)
	}
	for _, g := range s.refresh {
		if g.UserID == id {
			g.Revoked = true
		}
	}
	return nil
}

// revokedGrant is Entra ID's answer to a refresh token revoked by
// revokeSignInSessions or a password change (AADSTS50173, FreshTokenNeeded).
func revokedGrant() *oauthError {
	return &oauthError{Code: "invalid_grant", AADSTS: 50173, Message: "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '2026-01-01T00:00:00.0000000Z' and the TokensValidFrom date (before which tokens are not valid) for this user is '2026-12-01T00:00:00.0000000Z'."}
}
