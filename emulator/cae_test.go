package emulator

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Graph sends a claims challenge only to a token that declares cp1; the token it
// refused stays refused, a new one is served; without cp1 the old behaviour stays.
func TestClaimsChallengeOnlyToCP1(t *testing.T) {
	srv, err := Start(Options{Faults: Faults{ClaimsChallenge: 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	issue := func(cp1 bool) string {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		consentSignInClient(srv.dir)
		scopes, _ := srv.parseScopes("User.Read")
		return srv.tokenResponse(SignInClientID, srv.dir.users[0], scopes, false, cp1)["access_token"].(string)
	}
	if code, _, body := graphDo(t, srv, issue(false), http.MethodGet, "me", nil); code != http.StatusOK {
		t.Fatalf("a token without cp1: %d %v, want 200 (no challenge)", code, body)
	}
	if n := srv.Faults().ClaimsChallenge; n != 1 {
		t.Fatalf("a token without cp1 used the challenge: %d left", n)
	}
	old := issue(true)
	for i := 0; i < 2; i++ {
		code, h, _ := graphDo(t, srv, old, http.MethodGet, "me", nil)
		www := h.Get("WWW-Authenticate")
		if code != http.StatusUnauthorized || !strings.HasPrefix(www, "Bearer ") || !strings.Contains(www, `error="insufficient_claims"`) {
			t.Fatalf("cp1 token, request %d: %d %q, want 401 with a claims challenge", i, code, www)
		}
		_, raw, _ := strings.Cut(www, `claims="`)
		raw, _, _ = strings.Cut(raw, `"`)
		if b, err := base64.StdEncoding.DecodeString(raw); err != nil || !strings.HasPrefix(string(b), `{"access_token":{"nbf":{"essential":true,"value":"`) {
			t.Fatalf("claims %q (%v): want a base64 nbf claims request", b, err)
		}
	}
	if code, _, body := graphDo(t, srv, issue(true), http.MethodGet, "me", nil); code != http.StatusOK {
		t.Fatalf("a new cp1 token after the challenge: %d %v, want 200", code, body)
	}
}

func TestDeclaresCP1(t *testing.T) {
	for claims, want := range map[string]bool{
		`{"access_token":{"xms_cc":{"values":["cp1"]}}}`:                                            true,
		`{"access_token":{"nbf":{"essential":true,"value":"1"},"xms_cc":{"values":["cp2","cp1"]}}}`: true,
		`{"access_token":{"xms_cc":{"values":["cp2"]}}}`:                                            false,
		`{"id_token":{"xms_cc":{"values":["cp1"]}}}`:                                                false,
		"": false,
	} {
		if got := declaresCP1(url.Values{"claims": {claims}}); got != want {
			t.Errorf("declaresCP1(%s) = %v, want %v", claims, got, want)
		}
	}
}
