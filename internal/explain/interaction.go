package explain

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// interactionSubErrors are the suberror values MSAL libraries treat as "interaction
// required" on invalid_grant.
var interactionSubErrors = map[string]bool{"basic_action": true, "additional_action": true, "message_only": true,
	"consent_required": true, "user_password_expired": true, "bad_token": true, "token_expired": true}

type interactionBody struct {
	Error      string `json:"error"`
	SubError   string `json:"suberror"`
	ErrorCodes []int  `json:"error_codes"`
	Claims     string `json:"claims"`
}

// NeedsInteraction reports whether a failed silent token refresh needs the admin to
// sign in again (MSAL's interaction-required class: interaction_required,
// invalid_grant with an interaction suberror or code — MFA, Conditional Access claims,
// an expired refresh token), and the claims challenge to pass on, when there is one.
// A Conditional Access block (53003) is not: signing in again gives the same answer.
// Which codes are which is the codes table's signInAgain.
func NeedsInteraction(err error) (bool, string) {
	if err == nil {
		return false, ""
	}
	var b interactionBody
	found := false
	var ce msalerrors.CallErr
	if errors.As(err, &ce) && ce.Resp != nil && ce.Resp.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(ce.Resp.Body, 1<<20))
		ce.Resp.Body = io.NopCloser(strings.NewReader(string(data)))
		found = json.Unmarshal(data, &b) == nil && b.Error != ""
	}
	if !found {
		text := html.UnescapeString(err.Error())
		if i := strings.Index(text, "{"); i >= 0 && json.Unmarshal([]byte(text[i:]), &b) == nil && b.Error != "" {
			found = true
		}
	}
	if !found {
		return false, ""
	}
	for _, c := range b.ErrorCodes {
		if codes[c].signInAgain == futile {
			return false, ""
		}
	}
	need := b.Error == "interaction_required" || interactionSubErrors[b.SubError]
	for _, c := range b.ErrorCodes {
		need = need || codes[c].signInAgain == helps
	}
	if !need {
		return false, ""
	}
	return true, b.Claims
}
