// Package signin is what d365consent itself asks of Entra ID when it signs an admin
// in: the public client it signs in with, and the delegated Microsoft Graph
// permissions it requests, each with the reason it needs it. The sign-in code, the
// wizard's screens, the command help, the doctor and the demo tenant read them here.
package signin

import "strings"

// ClientID is the public "Microsoft Graph Command Line Tools" client (a first-party
// Microsoft app present in every tenant), the default of --signin-client-id.
const ClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// Scope is a delegated Microsoft Graph permission the sign-in requests.
type Scope struct {
	// Value is the permission value, e.g. "User.Read" (fully qualified with the
	// cloud's Graph resource URI when requested).
	Value string
	// Reason says what the tool reads with it.
	Reason string
}

// scopes are read-only: the least set that can read oauth2PermissionGrants and
// appRoleAssignments (graph/api/oauth2permissiongrant-list and
// serviceprincipal-list-approleassignments, "Permissions").
var scopes = [...]Scope{
	{"User.Read", "who you are (/me) and your tenant"},
	{"Directory.Read.All", "read the app's grants and role assignments, and your directory roles; the least set that can read oauth2PermissionGrants"},
}

// Scopes are the delegated Graph permissions of the sign-in, with their reasons.
func Scopes() []Scope {
	s := scopes
	return s[:]
}

// Values are the Scopes' permission values: User.Read, Directory.Read.All.
func Values() []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = s.Value
	}
	return out
}

// List is Values for a sentence: "User.Read, Directory.Read.All".
func List() string { return strings.Join(Values(), ", ") }

// OpenIDScopes are the scopes MSAL adds to every sign-in request on its own (the ID
// token, the profile claims and a refresh token): a consent to the sign-in client
// covers them too (entra/identity-platform/scopes-oidc, "OpenID Connect scopes").
func OpenIDScopes() []string { return []string{"openid", "profile", "offline_access"} }
