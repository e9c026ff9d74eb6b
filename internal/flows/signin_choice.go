package flows

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/d365consent/d365consent/internal/browser"
)

// SignInChoice is how the admin signs in, and why when it is the device code flow.
type SignInChoice struct {
	DeviceCode bool
	// Reason is the sentence to show when DeviceCode ("" otherwise).
	Reason string
}

// ChooseSignIn decides between the browser sign-in and the device code flow. The
// browser sign-in returns to http://localhost on the machine running d365consent:
// over SSH, or on a box with no display or browser opener, nobody can finish it from
// another device, so the device code flow is used there; force (--device-code) keeps
// it anywhere. sb describes this machine (its environment, OS, programs).
func ChooseSignIn(force bool, sb *browser.System) SignInChoice {
	if force {
		return SignInChoice{DeviceCode: true, Reason: "Signing in with a device code (--device-code): open the page on any device and enter the code."}
	}
	if sb == nil {
		sb = &browser.System{}
	}
	err := sb.Available()
	var nb *browser.UnavailableError
	if !errors.As(err, &nb) {
		return SignInChoice{}
	}
	why := nb.Reason
	if why == "SSH session" {
		why = "this is an SSH session"
	}
	return SignInChoice{DeviceCode: true, Reason: "Signing in with a device code because " + why +
		": the browser sign-in returns to http://localhost on this machine, which a browser elsewhere cannot reach. " +
		"Open the page below on any device and enter the code."}
}

// interactionCodes are AADSTS codes of a token refresh that a new interactive sign-in
// can satisfy: MFA (50076, 50079), the refresh token expired or revoked by policy
// (50173, 70043, 700082, 50133), sign-in frequency (70044), consent (65001), and a
// user action needed (50158, 50125, 50140).
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes,
// https://learn.microsoft.com/entra/msal/go (InteractionRequired handling).
var interactionCodes = map[int]bool{50076: true, 50079: true, 50173: true, 70043: true, 700082: true, 50133: true,
	70044: true, 65001: true, 50158: true, 50125: true, 50140: true}

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
		if c == 53003 || c == 530003 || c == 530002 {
			return false, ""
		}
	}
	need := b.Error == "interaction_required" || interactionSubErrors[b.SubError]
	for _, c := range b.ErrorCodes {
		need = need || interactionCodes[c]
	}
	if !need {
		return false, ""
	}
	return true, b.Claims
}
