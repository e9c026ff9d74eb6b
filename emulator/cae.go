package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/d365consent/d365consent/permissions"
)

// Claims challenges follow entra/identity-platform/claims-challenge: "Your
// application receives claims challenges from popular services like Microsoft Graph
// only if it declares its client capabilities in its calls to the service." A client
// declares cp1 in the claims parameter of its token requests,
// {"access_token":{"xms_cc":{"values":["cp1"]}}}, and its access token then carries
// xms_cc. Continuous access evaluation
// (entra/identity/conditional-access/concept-continuous-access-evaluation) answers a
// critical event (a revoked session, a changed location) with HTTP 401 and
//
//	WWW-Authenticate: Bearer realm="", authorization_uri="…/common/oauth2/authorize",
//	error="insufficient_claims", claims="<base64 of {"access_token":{"nbf":…}}>"
//
// to such a client; a client without the capability keeps its token until it
// expires. The token a challenge refused stays refused; a new one is served.

// declaresCP1: the token request's claims parameter declares the client capability
// cp1.
func declaresCP1(f url.Values) bool {
	var c struct {
		AccessToken struct {
			XMSCC struct {
				Values []string `json:"values"`
			} `json:"xms_cc"`
		} `json:"access_token"`
	}
	if json.Unmarshal([]byte(f.Get("claims")), &c) != nil {
		return false
	}
	for _, v := range c.AccessToken.XMSCC.Values {
		if v == "cp1" {
			return true
		}
	}
	return false
}

// claimsChallenge is the answer to a Graph request whose token (claims) declares cp1
// while Faults.ClaimsChallenge is set or the token was refused before; nil serves it.
func (s *Server) claimsChallenge(claims map[string]any) *graphResult {
	if !tokenDeclaresCP1(claims) {
		return nil
	}
	uti, _ := claims["uti"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.caeRevoked[uti] {
		if s.faults.ClaimsChallenge <= 0 {
			return nil
		}
		s.faults.ClaimsChallenge--
		if s.caeRevoked == nil {
			s.caeRevoked = map[string]bool{}
		}
		s.caeRevoked[uti] = true
	}
	req := fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, s.now().Unix())
	res := s.graphError(http.StatusUnauthorized, "InvalidAuthenticationToken", "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp")
	res.headers = map[string]string{"WWW-Authenticate": `Bearer realm="", authorization_uri="` + s.authorityHost +
		`/common/oauth2/authorize", client_id="` + permissions.GraphAppID + `", error="insufficient_claims", claims="` +
		base64.StdEncoding.EncodeToString([]byte(req)) + `"`}
	return &res
}

func tokenDeclaresCP1(claims map[string]any) bool {
	vs, _ := claims["xms_cc"].([]any)
	for _, v := range vs {
		if v == "cp1" {
			return true
		}
	}
	return false
}
