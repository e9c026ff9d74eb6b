package wizard

import "github.com/d365consent/d365consent/internal/flows"

// SignInAgainLine is the headline of a sign-in the flows ask for after the sign-in
// step, with its true reason, for both renderers: the sign-in client's added
// permission to read the app's grants (p.Consent, flows.Session.EnsureGrantRead:
// the first use of the tool in the tenant), multi-factor authentication or
// Conditional Access (a claims challenge), else a session that needs a new sign-in
// (a refresh token Entra ID no longer accepts).
func SignInAgainLine(p flows.SignInPrompt) string {
	switch {
	case p.Consent != "":
		return "One more sign-in: your sign-in app needs permission to read the app's grants. This step goes on once you have."
	case p.Claims:
		return "Sign in again: multi-factor authentication or a Conditional Access policy asks for it. This step goes on once you have."
	}
	return "Sign in again: the session needs a new sign-in. This step goes on once you have."
}
