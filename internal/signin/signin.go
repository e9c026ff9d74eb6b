// Package signin is what d365consent itself asks of Entra ID when it signs an admin
// in: the public client it signs in with, and the delegated Microsoft Graph
// permissions it requests, each with the reason it needs it and when it asks for it.
// The sign-in code, the wizard's screens, the command help, the doctor and the demo
// tenant read them here.
package signin

import "strings"

// ClientID is the public "Microsoft Graph Command Line Tools" client (a first-party
// Microsoft app present in every tenant), the default of --signin-client-id.
const ClientID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

// ClientName is ClientID's display name.
const ClientName = "Microsoft Graph Command Line Tools"

// Stage is when the sign-in asks for a permission.
type Stage int

const (
	// AtSignIn: the first sign-in asks for it (what the first screens need).
	AtSignIn Stage = iota
	// WhenGrantsRead: asked for only when the app's grants are read (incremental
	// consent, entra/identity-platform/consent-types: a client may request more
	// permissions later, when it needs them).
	WhenGrantsRead
)

// Scope is a delegated Microsoft Graph permission the sign-in requests.
type Scope struct {
	// Value is the permission value, e.g. "User.Read" (fully qualified with the
	// cloud's Graph resource URI when requested).
	Value string
	// Reason says what the tool reads with it.
	Reason string
	// Stage is when it is asked for.
	Stage Stage
	// AdminConsent: only an administrator can consent to it
	// (graph/permissions-reference: "Admin consent required").
	AdminConsent bool
}

// scopes are read-only. User.Read reads /me, /organization and the signed-in user's
// memberships (graph/api/user-get, organization-list, user-list-transitivememberof:
// "User.Read" least privileged for /me); Directory.Read.All is the least that reads
// oauth2PermissionGrants and appRoleAssignments (graph/api/oauth2permissiongrant-list
// and serviceprincipal-list-approleassignments, "Permissions").
var scopes = [...]Scope{
	{"User.Read", "who you are (/me), your tenant and your directory roles", AtSignIn, false},
	{"Directory.Read.All", "read the app's grants and role assignments; the least set that can read oauth2PermissionGrants. Asked for only when the grants are read", WhenGrantsRead, true},
}

// Scopes are the delegated Graph permissions of the sign-in, with their reasons.
func Scopes() []Scope {
	s := scopes
	return s[:]
}

// Values are every Scope's permission value: User.Read, Directory.Read.All.
func Values() []string { return valuesAt(func(Stage) bool { return true }) }

// SignInValues are the permissions the first sign-in asks for: User.Read.
func SignInValues() []string { return valuesAt(func(s Stage) bool { return s == AtSignIn }) }

// GrantReadValues are the permissions reading the grants needs beyond SignInValues:
// Directory.Read.All.
func GrantReadValues() []string { return valuesAt(func(s Stage) bool { return s == WhenGrantsRead }) }

func valuesAt(keep func(Stage) bool) []string {
	var out []string
	for _, s := range scopes {
		if keep(s.Stage) {
			out = append(out, s.Value)
		}
	}
	return out
}

// List is Values for a sentence: "User.Read, Directory.Read.All".
func List() string { return strings.Join(Values(), ", ") }

// OpenIDScopes are the scopes MSAL adds to every sign-in request on its own (the ID
// token, the profile claims and a refresh token): a consent to the sign-in client
// covers them too (entra/identity-platform/scopes-oidc, "OpenID Connect scopes").
func OpenIDScopes() []string { return []string{"openid", "profile", "offline_access"} }

// Client names the sign-in client for a sentence: "Microsoft Graph Command Line
// Tools (14d82eec-…)" for the default, "your sign-in app (ID)" for --signin-client-id.
func Client(clientID string) string {
	if clientID == "" || strings.EqualFold(clientID, ClientID) {
		return ClientName + " (" + ClientID + ")"
	}
	return "your sign-in app (" + clientID + ", --signin-client-id)"
}

// GrantReadConsent is the line shown before the sign-in asks for GrantReadValues: why,
// for which client, and what the consent grants to whom
// (entra/identity-platform/permissions-consent-overview; "Consent on behalf of your
// organization" is tenant-wide admin consent, grant-admin-consent).
func GrantReadConsent(clientID string) string {
	return "To read the app's grants, d365consent now asks Microsoft to let " + Client(clientID) +
		" read directory data (" + strings.Join(GrantReadValues(), ", ") + ", read-only) as you. " +
		"Directory.Read.All needs an administrator's consent: an admin who accepts it without ticking " +
		"\"Consent on behalf of your organization\" grants it for themselves alone; ticked, it is granted for every user of the tenant, which this tool does not need."
}

// FirstUseNotice is the sign-in screen's note for a first sign-in in a tenant; it
// and SECURITY.md say the same.
const FirstUseNotice = "First sign-in in this tenant? Microsoft asks you to let the sign-in app " +
	"(Microsoft Graph Command Line Tools, or your --signin-client-id) sign you in and read your profile (User.Read); " +
	"reading the app's grants later asks for Directory.Read.All (read-only, needs an administrator). " +
	"Leave \"Consent on behalf of your organization\" UNTICKED: ticked, it lets the sign-in app read the directory for every user."
