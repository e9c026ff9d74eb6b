package explain

// Source is which app an Entra ID error came from: the sign-in client (our own
// sign-in, Microsoft Graph Command Line Tools or --signin-client-id) or the AvePoint
// app's admin consent. Some fixes differ.
type Source int

// Error sources.
const (
	Unknown Source = iota
	SignIn
	Consent
)

// retry is what a new interactive sign-in does for a failed silent token refresh.
type retry int

const (
	// undecided: the OAuth error and suberror decide (NeedsInteraction).
	undecided retry = iota
	// helps: signing in again can satisfy the request (MFA, an expired session...).
	helps
	// futile: signing in again gives the same answer (a Conditional Access block).
	futile
)

// text is an explanation in plain words: a title, what it means, what fixes it.
type text struct{ title, meaning, fix string }

// entry is everything this tool knows about one AADSTS code.
type entry struct {
	// text explains the code wherever it came from; empty: the code is not explained
	// beyond Entra ID's own description.
	text
	// bySource replaces text for errors from one Source.
	bySource map[Source]text
	// signInAgain says whether a new interactive sign-in satisfies a refused refresh.
	signInAgain retry
	// noAccess: the account has no way into the tenant (a fleet check's "no access").
	noAccess bool
	// signInConsent: the sign-in client is not consented (or not authorised for
	// partner delegated administrators) in the tenant a token was asked of.
	signInConsent bool
	// transient: Entra ID's own temporary failure; trying again later helps, and it
	// is no refusal.
	transient bool
}

// codes is every AADSTS code this tool knows, with all its attributes. Adding a code
// is one entry here (and a test in codes_test.go). Wording and attributes checked
// against https://learn.microsoft.com/entra/identity-platform/reference-error-codes;
// which refresh errors a new sign-in satisfies follows MSAL's interaction-required
// class (https://learn.microsoft.com/entra/msal/go).
var codes = map[int]entry{
	// Consent, sign-in and the app registrations they use.
	65001: {
		text: text{"Consent has not been granted",
			"Nobody has consented to this app using these permissions in your tenant yet, so Entra ID will not issue it a token.",
			"Grant admin consent with this tool (or Entra admin center > Enterprise applications > the app > Permissions > Grant admin consent), signed in as a Global Administrator or Privileged Role Administrator."},
		signInAgain:   helps,
		signInConsent: true,
		bySource: map[Source]text{
			SignIn: {"The sign-in app is not consented in this tenant",
				"Nobody has consented to the app d365consent signs in with (Microsoft Graph Command Line Tools unless --signin-client-id is set) reading the directory (Directory.Read.All) in this tenant, so Entra ID will not issue it a token. This is about the sign-in app, not the AvePoint app.",
				"Sign in again and accept the sign-in app's consent page; Directory.Read.All needs an administrator (Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator): activate an eligible role in PIM first, or have such an admin consent for the sign-in app, " +
					"or use the organisation's own public client with --signin-client-id."},
		},
	},
	65004: {
		text: text{"Consent was declined",
			"The consent page was closed with Cancel, so nothing was granted.",
			"Open the consent link again and choose Accept. If you did not mean to grant it, nothing changed in your tenant."},
		bySource: map[Source]text{
			SignIn: {"The sign-in app's consent was declined",
				"The consent page of the app d365consent signs in with was closed with Cancel, so it may not read the directory and cannot read the AvePoint app's grants.",
				"Run again and choose Accept on the sign-in app's page (leave \"Consent on behalf of your organization\" unticked unless every user should have it), or use --signin-client-id with the organisation's own public client."},
		},
	},
	90094: {
		text: text{"Admin approval is required",
			"The permissions need an administrator's consent and the account that signed in cannot grant it (or a tenant policy blocks user consent).",
			"Sign in with a Global Administrator or Privileged Role Administrator account; if the role is eligible through PIM, activate it first."},
		bySource: map[Source]text{
			SignIn: {"The sign-in app needs an administrator's consent",
				"The app d365consent signs in with (Microsoft Graph Command Line Tools unless --signin-client-id is set) asks to read the directory (Directory.Read.All, read-only) so it can read the AvePoint app's grants; that permission needs an administrator's consent, which this account cannot give. Nothing about the AvePoint app was asked or changed.",
				"Activate an eligible Global Administrator, Privileged Role Administrator, Cloud Application Administrator or Application Administrator role in PIM and run again; or have such an admin sign in once and accept the sign-in app's consent (for themselves, or ticked for the organisation so Global Readers and Directory Readers can run verify); " +
					"or use the organisation's own public client with --signin-client-id."},
		},
	},
	90095: {
		text: text{"An approval request was filed (admin consent workflow)",
			"The tenant's admin consent workflow is on and the account that signed in cannot grant this consent, so Entra ID filed a request for approval instead; nothing is granted yet.",
			"The reviewers named in the tenant's admin consent settings (Entra admin center > Enterprise applications > Consent and permissions > Admin consent settings) approve it under Enterprise applications > Admin consent requests — or a Global Administrator or Privileged Role Administrator opens the consent link directly. Run verify after approval."},
		bySource: map[Source]text{
			SignIn: {"An approval request was filed for the sign-in app",
				"The tenant's admin consent workflow is on and this account cannot consent, so Entra ID filed a request for the app d365consent signs in with (Microsoft Graph Command Line Tools unless --signin-client-id is set) to read the directory (Directory.Read.All, read-only). The request is for the sign-in app, not the AvePoint app; nothing is granted yet.",
				"Tell the reviewers what the request is for: d365consent reads the AvePoint app's grants with it, read-only. After approval (Enterprise applications > Admin consent requests), run again. Or sign in with an account that can consent (activate its PIM role first), or use --signin-client-id with the organisation's own public client."},
		},
	},
	7000112: {
		text: text{"The app is disabled in this tenant",
			"Entra ID refused the request because the application's service principal is disabled in this tenant.",
			"Enable it: Entra admin center > Enterprise applications > the app > Properties > 'Enabled for users to sign-in?' = Yes, then try again."},
		bySource: map[Source]text{
			SignIn: {"The sign-in app is disabled in this tenant",
				"This tenant has disabled the app d365consent signs in with (by default Microsoft Graph Command Line Tools, 14d82eec-204b-4c2f-b7e8-296a70dab67e).",
				"Sign in through the tenant's own public client: register an app (Entra admin center > App registrations > New registration), add the redirect URI http://localhost under 'Mobile and desktop applications', " +
					"turn on 'Allow public client flows' (for --device-code), add the delegated Microsoft Graph permissions User.Read and Directory.Read.All, then run with --signin-client-id <its Application (client) ID>. " +
					"Or ask an admin to re-enable Microsoft Graph Command Line Tools under Enterprise applications."},
		},
	},
	700016: {
		text: text{"App not found in this directory",
			"Entra ID does not know an application with this client id in the tenant or cloud the request went to.",
			"Check the client id (--client-id), the tenant (--tenant) and the cloud (--cloud); a client id from another cloud does not exist here."},
		bySource: map[Source]text{
			SignIn: {"Sign-in app not found",
				"Entra ID does not know the app given with --signin-client-id in this tenant or cloud.",
				"Check --signin-client-id, --tenant and --cloud, or omit --signin-client-id to sign in with Microsoft Graph Command Line Tools."},
		},
	},
	50011: {
		text: text{"Redirect URI mismatch",
			"The redirect URI sent with the request is not one registered on the application.",
			"Use the redirect URI the app registration lists (the catalog's redirectUri), or ask the app's publisher which one to use."},
		bySource: map[Source]text{
			SignIn: {"Redirect URI mismatch",
				"The sign-in app (--signin-client-id) does not list the redirect URI d365consent signs in with, http://localhost.",
				"On that app registration, add http://localhost under Authentication > 'Mobile and desktop applications', or sign in with --device-code (no redirect URI), or omit --signin-client-id to use Microsoft Graph Command Line Tools."},
			Consent: {"Redirect URI mismatch",
				"The redirect_uri sent with the consent request is not one of the AvePoint app's reply URLs.",
				"Use the consent link AOS gives you unchanged (paste it where the client id is asked), or the link this tool prints without a redirect_uri; AvePoint support can confirm the app's reply URLs."},
		},
	},
	50020: {
		text: text{"Account not in this tenant",
			"The account that signed in belongs to another tenant or is a personal Microsoft account, and is not a member or guest of the tenant the sign-in went to.",
			"Sign in with a work account of the target tenant. A guest (B2B) or partner (GDAP) admin must name the customer tenant with --tenant (its id or domain); without it the sign-in goes to the account's home tenant."},
		noAccess: true,
	},
	50105: {
		text: text{"Account not assigned to the sign-in app",
			"The tenant requires users to be assigned to the app used for sign-in, and this account is not.",
			"In Entra admin center > Enterprise applications > the sign-in app (e.g. Microsoft Graph Command Line Tools) > Users and groups, assign the account, or set 'Assignment required' to No."},
		bySource: map[Source]text{
			SignIn: {"Account not assigned to the sign-in app",
				"The tenant requires users to be assigned to the app d365consent signs in with (Microsoft Graph Command Line Tools unless --signin-client-id is set), and this account is not.",
				"Assign the account under Entra admin center > Enterprise applications > the sign-in app > Users and groups, or sign in through the tenant's own public client with --signin-client-id " +
					"(an app registration with redirect URI http://localhost, 'Allow public client flows' on, delegated User.Read and Directory.Read.All)."},
		},
	},
	900971: {
		text: text{"No reply address provided",
			"The consent request carried no redirect URI and the app registration lists none Entra ID could use, so it cannot send the result anywhere.",
			"Use the consent link AOS gives you (it carries AvePoint's redirect_uri): paste it where this tool asks for the client id. Otherwise ask AvePoint support for the app's reply URL."},
	},
	500113: {
		text: text{"No reply address registered",
			"The application has no redirect URI registered, so Entra ID has nowhere to send the result.",
			"The app registration must list a redirect URI: contact its publisher (AvePoint) or check that the client id is the right one."},
	},
	7000218: {
		text: text{"Public client flows are not allowed for the sign-in app",
			"The app used to sign in is not allowed to sign in without a client secret (device code and similar flows need 'Allow public client flows').",
			"Use the default sign-in client (omit --signin-client-id), or enable 'Allow public client flows' on that app registration (Authentication blade)."},
	},
	90008: {
		text: text{"The app must request sign-in permission",
			"The application is misconfigured: it must at least request Microsoft Graph User.Read (sign in and read user profile) before it can be consented to.",
			"Check the client id; the app's publisher must add User.Read to its requested permissions."},
	},
	650051: {
		text: text{"Service principal conflict",
			"Consent tried to create the app's service principal, but one with the same identifier already exists in the tenant.",
			"A recently deleted service principal still holds the identifier for 30 days: in Entra admin center > Enterprise applications > Deleted applications, restore the app (its grants come back) or permanently delete it, then grant consent again. If it is not there, find the existing app under Enterprise applications > All applications."},
	},
	650052: {
		text: text{"A required service is missing from your tenant",
			"The app needs a service (for example Dynamics ERP or Dynamics CRM) that your tenant has not subscribed to or has no service principal for.",
			"Make sure the tenant has the Dynamics 365 service the app needs (an active subscription), then grant consent again; verify shows which API is 'resource-missing'."},
	},
	16000: {
		text: text{"Choose a different account",
			"The account chosen does not exist in this tenant, or several signed-in accounts need a choice.",
			"Sign in again and pick a work account of the target tenant; sign out of other accounts in the browser if needed."},
		noAccess: true,
	},
	50076: {
		text: text{"Multi-factor authentication required",
			"Your tenant's policy requires multi-factor authentication for this sign-in (because of a configuration change, or your location).",
			"Sign in again and complete the MFA prompt; device code sign-in (--device-code) works when the browser on this machine cannot."},
		signInAgain: helps,
	},
	50079: {
		text: text{"MFA registration required",
			"Your account must register for multi-factor authentication before it can sign in.",
			"Register your MFA methods at https://aka.ms/mfasetup, then sign in again."},
		signInAgain: helps,
	},
	53003: {
		text: text{"Blocked by Conditional Access",
			"A Conditional Access policy of your tenant blocked this sign-in (device, location, app or risk conditions).",
			"Ask your identity admin to look up the sign-in by its correlation id in Entra admin center > Sign-in logs, and adjust or exclude the policy; sign in from a compliant device."},
		signInAgain: futile,
	},
	// An app identity (verify --auth certificate|secret|workload-identity) and a
	// partner's per-tenant tokens; https://learn.microsoft.com/entra/workload-id/workload-identity-federation.
	7000215: {
		text: text{"Invalid client secret",
			"The client secret sent is not a current secret of the app registration (often the secret's ID was copied instead of its value).",
			"Create a new client secret in Entra admin center > App registrations > the monitoring app > Certificates & secrets, and put its value in D365CONSENT_CLIENT_SECRET."},
	},
	7000222: {
		text: text{"Client secret expired",
			"The app's client secret has passed its expiry date.",
			"Create a new client secret (or better, upload a certificate) for the monitoring app and update D365CONSENT_CLIENT_SECRET."},
	},
	700027: {
		text: text{"Certificate not accepted",
			"The client assertion's signature did not validate: the certificate used is not one uploaded to the app registration, or the key does not match it.",
			"Upload the certificate's public part to the monitoring app (Certificates & secrets > Certificates), or pass the certificate that is uploaded there with --certificate."},
	},
	700024: {
		text: text{"Client assertion outside its valid time",
			"The signed assertion was expired or not yet valid when Entra ID received it: this machine's clock is off, or the federated token file is stale.",
			"Synchronize this machine's clock (NTP); with workload identity, make sure the token file is being refreshed (AZURE_FEDERATED_TOKEN_FILE)."},
	},
	700021: {
		text: text{"Client assertion for another app",
			"The assertion's issuer or subject is not the client id the request named.",
			"Use the monitoring app's own client id (--identity-client-id or AZURE_CLIENT_ID) with its certificate."},
	},
	70021: {
		text: text{"No matching federated credential",
			"No federated identity credential of the app trusts the token's issuer, subject and audience together.",
			"Add a federated credential to the monitoring app with the issuer, subject and audience of your cluster or pipeline token (the audience is api://AzureADTokenExchange in the global cloud, api://AzureADTokenExchangeUSGov in US Government clouds, api://AzureADTokenExchangeChina in China)."},
	},
	700211: {
		text: text{"No federated credential for this issuer",
			"The app has no federated identity credential for the issuer of the presented token.",
			"Add a federated credential whose issuer is exactly the token's issuer (your cluster's OIDC issuer URL or your CI provider's)."},
	},
	700212: {
		text: text{"No federated credential for this audience",
			"A federated credential matches the issuer and subject, but not the token's audience.",
			"Request the token with the cloud's audience — api://AzureADTokenExchange (global), api://AzureADTokenExchangeUSGov (US Government), api://AzureADTokenExchangeChina (China) — or add that audience to the federated credential."},
	},
	700213: {
		text: text{"No federated credential for this subject",
			"A federated credential trusts the issuer, but none names the token's subject (service account, branch or environment).",
			"Add a federated credential whose subject is exactly the token's subject (e.g. system:serviceaccount:NAMESPACE:NAME)."},
	},
	1002012: {
		text: text{"Client credentials need a .default scope",
			"App-only tokens are requested for a resource's .default scope.",
			"This is a bug in the request: please report it."},
	},
	9001023: {
		// reference-error-codes: "The grant type isn't supported over the /common or
		// /consumers endpoints. Please use the /organizations or tenant-specific endpoint."
		text: text{"This sign-in needs /organizations or a tenant",
			"The grant type used is not supported at the /common or /consumers endpoints.",
			"Name the tenant with --tenant (or AZURE_TENANT_ID for an app identity); without one the tool uses /organizations."},
	},
	90002: {
		text: text{"Tenant not found",
			"Entra ID has no tenant with this id or domain in this cloud.",
			"Check the tenant id or domain (and --cloud); a domain must be one of the tenant's verified domains."},
	},
	500213: {
		text: text{"Blocked by the tenant's cross-tenant access policy",
			"The customer tenant's inbound cross-tenant access settings do not let accounts from your tenant in.",
			"Ask the customer's admin to allow your tenant in External Identities > Cross-tenant access settings, or use your GDAP relationship."},
		noAccess: true,
	},
	// The account has no way into the tenant: not explained beyond Entra ID's own words,
	// a fleet check reports the tenant as "no access".
	50034:  {noAccess: true}, // UserAccountNotFound
	51004:  {noAccess: true}, // UserAccountNotInDirectory
	50014:  {noAccess: true}, // GuestUserInPendingState
	90072:  {noAccess: true}, // external account does not exist on the tenant
	500212: {noAccess: true}, // NotAllowedByOutboundPolicyTenant
	530034: {noAccess: true}, // DelegatedAdminBlockedDueToSuspiciousActivity
	// reference-error-codes: "Applications must be authorized to access the external
	// tenant before partner delegated administrators can use them. Provide
	// pre-consent or execute the appropriate Partner Center API."
	90099: {
		text: text{"The sign-in app is not authorised in the customer tenant",
			"A partner (GDAP) administrator may use an app in a customer tenant only once the app is consented there: the app d365consent signs in with (Microsoft Graph Command Line Tools unless --signin-client-id is set) is not.",
			"A Global Administrator of the customer tenant opens the sign-in app's consent link (d365consent consent-url --signin-client --tenants FILE prints one per tenant) and accepts for the organisation, or the partner pre-consents the app through Partner Center (application consent API)."},
		signInConsent: true,
	},
	// reference-error-codes: AADSTS90033 MsodsServiceUnavailable, "A transient error has occurred. Try again."
	90033: {
		text: text{"Entra ID had a transient error",
			"Entra ID could not answer just now (a temporary failure on its side); nothing was refused.",
			"Try again in a minute. If it keeps failing, check Microsoft 365 service health and give support the correlation id."},
		transient: true,
	},
	// A silent token refresh refused; a new interactive sign-in satisfies it.
	50173:  {signInAgain: helps}, // FreshTokenNeeded: the grant was revoked, a fresh sign-in is needed
	70043:  {signInAgain: helps}, // BadTokenDueToSignInFrequency: the refresh token expired (Conditional Access sign-in frequency)
	700082: {signInAgain: helps}, // ExpiredOrRevokedGrantInactiveToken: the refresh token expired from inactivity
	50133:  {signInAgain: helps}, // SsoArtifactInvalidOrExpired: the session is invalid after a password change or expiry
	70044:  {signInAgain: helps}, // the session expired (Conditional Access sign-in frequency)
	50158:  {signInAgain: helps}, // ExternalSecurityChallenge: an external security challenge was not satisfied
	50125:  {signInAgain: helps}, // PasswordResetRegistrationRequiredInterrupt: sign-in interrupted by a password reset or registration
	50140:  {signInAgain: helps}, // KmsiInterrupt: the "Keep me signed in" interrupt
	// A Conditional Access block: signing in again gives the same answer.
	530003: {signInAgain: futile}, // the device must be managed to reach this resource
	530002: {signInAgain: futile}, // the device must be compliant to reach this resource
}

// oauthCodes explains OAuth errors that come without an AADSTS code. server_error
// and temporarily_unavailable: "Retry the request", per the authorization endpoint's
// error codes in https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow.
var oauthCodes = map[string]text{
	"server_error": {"Entra ID had an unexpected error",
		"Entra ID could not handle the request because of an error on its side; these are usually temporary.",
		"Try again in a few minutes. If it keeps failing, give support the correlation id (if shown) and check Microsoft 365 service health."},
	"temporarily_unavailable": {"Entra ID is temporarily unavailable",
		"Entra ID is too busy or under maintenance and could not handle the request just now.",
		"Try again in a few minutes. If it keeps failing, give support the correlation id (if shown) and check Microsoft 365 service health."},
	"access_denied": {"Access denied",
		"The request was refused, usually because consent was cancelled on the consent page.",
		"Open the link again and choose Accept, signed in as a Global Administrator or Privileged Role Administrator."},
	"authorization_declined": {"Sign-in declined",
		"The device-code sign-in was declined on the other device.",
		"Start again and approve the sign-in."},
	"expired_token": {"Device code expired",
		"The device code was not entered in time.",
		"Start again and enter the new code within 15 minutes."},
	"bad_verification_code": {"Device code not recognised",
		"The code entered did not match.",
		"Start again and type the code exactly as shown."},
}
