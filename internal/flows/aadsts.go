package flows

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"
)

// Explanation is an Entra ID error in plain words, with the raw details support asks for.
type Explanation struct {
	// Code is the AADSTS number (0 when the error carried only an OAuth error code).
	Code int
	// OAuthError is the OAuth 2.0 error code, e.g. "access_denied", "invalid_grant".
	OAuthError string
	Title      string
	Meaning    string
	Fix        string
	// Description is Entra ID's own text, sanitized.
	Description   string
	CorrelationID string
	TraceID       string
	Timestamp     string
	// Link is Microsoft's error lookup page for the code.
	Link string
}

// AuthError is a sign-in or consent refused by Entra ID. errors.Is(err, ErrRefused) holds.
type AuthError struct {
	// Op is what we were doing, e.g. "signing in".
	Op          string
	Explanation *Explanation
	Err         error
}

func (e *AuthError) Error() string {
	x := e.Explanation
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if x.Code != 0 {
		b.WriteString("AADSTS" + strconv.Itoa(x.Code) + ": ")
	} else if x.OAuthError != "" {
		b.WriteString(x.OAuthError + ": ")
	}
	b.WriteString(x.Title)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *AuthError) Unwrap() error { return e.Err }

// Is makes AuthError match ErrRefused.
func (e *AuthError) Is(target error) bool { return target == ErrRefused }

// wrapAuth turns an MSAL error carrying an AADSTS/OAuth error into an AuthError; other
// errors are wrapped with op.
func wrapAuth(op string, err error) error {
	if x := Explain(err); x != nil {
		return &AuthError{Op: op, Explanation: x, Err: err}
	}
	return &opError{op: op, err: err}
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

// ConsentRedirectError is the error an admin consent redirect carried back
// (?error=…&error_subcode=…&error_description=…).
type ConsentRedirectError struct {
	ErrorCode   string
	Subcode     string
	Description string // sanitized for display
	// rawDescription is the description as received, for Explain to read the AADSTS
	// code and ids from: sanitizing first could join digits across a dropped control
	// character and misread the code.
	rawDescription string
}

func (e *ConsentRedirectError) Error() string {
	s := "admin consent: " + e.ErrorCode
	if e.Subcode != "" {
		s += " (" + e.Subcode + ")"
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

// tokenErrorBody is the token endpoint's error JSON (RFC 6749 §5.2 plus Entra's fields).
type tokenErrorBody struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	ErrorCodes    []int  `json:"error_codes"`
	Timestamp     string `json:"timestamp"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}

// Compiled on first use, not at init (startup of every command, BENCHMARKS.md).
var (
	codeRE  = lazyRE(`AADSTS(\d{4,8})`)
	traceRE = lazyRE(`(?i)Trace ID:\s*([0-9a-f-]{36})`)
	corrRE  = lazyRE(`(?i)Correlation ID:\s*([0-9a-f-]{36})`)
	timeRE  = lazyRE(`(?i)Timestamp:\s*([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+Z?)`)
)

func lazyRE(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// oauthOnly are OAuth error codes worth explaining even without an AADSTS number
// (device-code and consent-redirect errors).
var oauthOnly = map[string]bool{
	"access_denied": true, "authorization_declined": true, "expired_token": true,
	"bad_verification_code": true, "consent_required": true, "interaction_required": true,
	"invalid_grant": true, "invalid_client": true, "unauthorized_client": true, "invalid_scope": true,
	"invalid_request": true, "login_required": true, "server_error": true, "temporarily_unavailable": true,
}

// Explain extracts an Entra ID error from err — an MSAL CallErr with the token
// endpoint's JSON, the form_post error text MSAL returns from interactive sign-in
// ("AADSTSnnnnn: …", HTML-escaped), a device-code error, or a ConsentRedirectError —
// and explains it. It returns nil when err carries no AADSTS or OAuth error.
func Explain(err error) *Explanation {
	if err == nil {
		return nil
	}
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Explanation
	}
	var body tokenErrorBody
	found := false
	var ce msalerrors.CallErr
	if errors.As(err, &ce) {
		if ce.Resp != nil && ce.Resp.Body != nil {
			data, _ := io.ReadAll(io.LimitReader(ce.Resp.Body, 1<<20))
			// Put it back: MSAL or a later caller may read it again.
			ce.Resp.Body = io.NopCloser(strings.NewReader(string(data)))
			found = json.Unmarshal(data, &body) == nil && (body.Error != "" || len(body.ErrorCodes) > 0)
		}
	}
	var cre *ConsentRedirectError
	if !found && errors.As(err, &cre) {
		desc := cre.rawDescription
		if desc == "" {
			desc = cre.Description
		}
		body = tokenErrorBody{Error: cre.ErrorCode, Description: desc}
		found = true
	}
	text := err.Error()
	if !found {
		// MSAL puts the body in the error text too ("…status code was 400:\n{json}"),
		// which is all that is left once it has consumed the body (device code).
		if i := strings.Index(text, "{"); i >= 0 {
			if json.Unmarshal([]byte(text[i:]), &body) == nil && (body.Error != "" || len(body.ErrorCodes) > 0) {
				found = true
			}
		}
	}
	if !found {
		// Interactive sign-in: MSAL's form_post handler returns the HTML-escaped
		// error_description as a plain error.
		unescaped := html.UnescapeString(text)
		if m := codeRE().FindStringIndex(unescaped); m != nil {
			body.Description = unescaped[m[0]:]
			found = true
		}
	}
	if !found {
		return nil
	}
	x := &Explanation{OAuthError: Sanitize(body.Error)}
	desc := body.Description
	for _, c := range body.ErrorCodes { // the first real code; a bad body may carry 0 or negatives
		if c > 0 {
			x.Code = c
			break
		}
	}
	if m := codeRE().FindStringSubmatch(desc); m != nil && x.Code == 0 {
		x.Code, _ = strconv.Atoi(m[1])
	}
	if x.Code == 0 && !oauthOnly[body.Error] {
		return nil
	}
	x.TraceID, x.CorrelationID, x.Timestamp = body.TraceID, body.CorrelationID, body.Timestamp
	if m := traceRE().FindStringSubmatch(desc); m != nil && x.TraceID == "" {
		x.TraceID = m[1]
	}
	if m := corrRE().FindStringSubmatch(desc); m != nil && x.CorrelationID == "" {
		x.CorrelationID = m[1]
	}
	if m := timeRE().FindStringSubmatch(desc); m != nil && x.Timestamp == "" {
		x.Timestamp = m[1]
	}
	// The description proper ends where Entra appends its ids.
	if i := strings.Index(desc, "Trace ID:"); i >= 0 {
		desc = desc[:i]
	}
	x.Description = strings.TrimSpace(SanitizeMultiline(strings.ReplaceAll(desc, "\r\n", "\n")))
	x.TraceID, x.CorrelationID, x.Timestamp = Sanitize(x.TraceID), Sanitize(x.CorrelationID), Sanitize(x.Timestamp)
	if k, ok := knownCodes[x.Code]; ok && x.Code != 0 {
		x.Title, x.Meaning, x.Fix = k.title, k.meaning, k.fix
	} else if k, ok := knownOAuth[body.Error]; ok && x.Code == 0 {
		x.Title, x.Meaning, x.Fix = k.title, k.meaning, k.fix
	} else {
		x.Title = "Entra ID refused the request"
		if m := strings.Join(strings.Fields(x.Description), " "); m != "" {
			x.Meaning = m
		} else {
			x.Meaning = "Entra ID returned an error this tool does not know yet."
		}
		x.Fix = "Look the code up on Microsoft's error page (link below) and give support the correlation id."
		if x.Code == 0 { // no AADSTS number: no lookup page to link
			x.Fix = "Give support the error code above and, if shown, the correlation id."
		}
	}
	if x.Code != 0 {
		x.Link = ErrorLookupURL(x.Code)
	}
	return x
}

// ErrorLookupURL is Microsoft's page for an AADSTS code, on the global cloud's login
// host (Cloud.ErrorLookupURL uses each cloud's own).
func ErrorLookupURL(code int) string {
	return "https://login.microsoftonline.com/error?code=" + strconv.Itoa(code)
}

// ErrorSource is which app an Entra ID error came from: the sign-in client (our own
// sign-in, Microsoft Graph Command Line Tools or --signin-client-id) or the AvePoint
// app's admin consent. Some fixes differ.
type ErrorSource int

// Error sources.
const (
	SourceUnknown ErrorSource = iota
	SourceSignIn
	SourceConsent
)

// bySource overrides knownCodes for one source.
var bySource = map[int]map[ErrorSource]known{
	7000112: {SourceSignIn: {"The sign-in app is disabled in this tenant",
		"This tenant has disabled the app d365consent signs in with (by default Microsoft Graph Command Line Tools, 14d82eec-204b-4c2f-b7e8-296a70dab67e).",
		"Sign in through the tenant's own public client: register an app (Entra admin center > App registrations > New registration), add the redirect URI http://localhost under 'Mobile and desktop applications', " +
			"turn on 'Allow public client flows' (for --device-code), add the delegated Microsoft Graph permissions User.Read and Directory.Read.All, then run with --signin-client-id <its Application (client) ID>. " +
			"Or ask an admin to re-enable Microsoft Graph Command Line Tools under Enterprise applications."}},
	50105: {SourceSignIn: {"Account not assigned to the sign-in app",
		"The tenant requires users to be assigned to the app d365consent signs in with (Microsoft Graph Command Line Tools unless --signin-client-id is set), and this account is not.",
		"Assign the account under Entra admin center > Enterprise applications > the sign-in app > Users and groups, or sign in through the tenant's own public client with --signin-client-id " +
			"(an app registration with redirect URI http://localhost, 'Allow public client flows' on, delegated User.Read and Directory.Read.All)."}},
	50011: {
		SourceSignIn: {"Redirect URI mismatch",
			"The sign-in app (--signin-client-id) does not list the redirect URI d365consent signs in with, http://localhost.",
			"On that app registration, add http://localhost under Authentication > 'Mobile and desktop applications', or sign in with --device-code (no redirect URI), or omit --signin-client-id to use Microsoft Graph Command Line Tools."},
		SourceConsent: {"Redirect URI mismatch",
			"The redirect_uri sent with the consent request is not one of the AvePoint app's reply URLs.",
			"Use the consent link AOS gives you unchanged (paste it where the client id is asked), or the link this tool prints without a redirect_uri; AvePoint support can confirm the app's reply URLs."},
	},
}

// ExplainIn is Explain with the fix for where the error came from and the lookup link
// on cloud's own login host.
func ExplainIn(err error, src ErrorSource, cloud Cloud) *Explanation {
	x := Explain(err)
	if x == nil {
		return nil
	}
	c := *x
	if k, ok := bySource[c.Code][src]; ok && c.Code != 0 {
		c.Title, c.Meaning, c.Fix = k.title, k.meaning, k.fix
	}
	if c.Code != 0 {
		c.Link = cloud.ErrorLookupURL(c.Code)
	}
	return &c
}

type known struct{ title, meaning, fix string }

// knownCodes explains every code DESIGN.md lists. Wording checked against
// https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
var knownCodes = map[int]known{
	65001: {"Consent has not been granted",
		"Nobody has consented to this app using these permissions in your tenant yet, so Entra ID will not issue it a token.",
		"Grant admin consent with this tool (or Entra admin center > Enterprise applications > the app > Permissions > Grant admin consent), signed in as a Global Administrator or Privileged Role Administrator."},
	65004: {"Consent was declined",
		"The consent page was closed with Cancel, so nothing was granted.",
		"Open the consent link again and choose Accept. If you did not mean to grant it, nothing changed in your tenant."},
	90094: {"Admin approval is required",
		"The permissions need an administrator's consent and the account that signed in cannot grant it (or a tenant policy blocks user consent).",
		"Sign in with a Global Administrator or Privileged Role Administrator account; if the role is eligible through PIM, activate it first."},
	90095: {"An approval request was filed (admin consent workflow)",
		"The tenant's admin consent workflow is on and the account that signed in cannot grant this consent, so Entra ID filed a request for approval instead; nothing is granted yet.",
		"The reviewers named in the tenant's admin consent settings (Entra admin center > Enterprise applications > Consent and permissions > Admin consent settings) approve it under Enterprise applications > Admin consent requests — or a Global Administrator or Privileged Role Administrator opens the consent link directly. Run verify after approval."},
	7000112: {"The app is disabled in this tenant",
		"Entra ID refused the request because the application's service principal is disabled in this tenant.",
		"Enable it: Entra admin center > Enterprise applications > the app > Properties > 'Enabled for users to sign-in?' = Yes, then try again."},
	700016: {"App not found in this directory",
		"Entra ID does not know an application with this client id in the tenant or cloud the request went to.",
		"Check the client id (--client-id), the tenant (--tenant) and the cloud (--cloud); a client id from another cloud does not exist here."},
	50011: {"Redirect URI mismatch",
		"The redirect URI sent with the request is not one registered on the application.",
		"Use the redirect URI the app registration lists (the catalog's redirectUri), or ask the app's publisher which one to use."},
	50020: {"Account not in this tenant",
		"The account that signed in belongs to another tenant or is a personal Microsoft account, and is not a member or guest of the tenant the sign-in went to.",
		"Sign in with a work account of the target tenant. A guest (B2B) or partner (GDAP) admin must name the customer tenant with --tenant (its id or domain); without it the sign-in goes to the account's home tenant."},
	50105: {"Account not assigned to the sign-in app",
		"The tenant requires users to be assigned to the app used for sign-in, and this account is not.",
		"In Entra admin center > Enterprise applications > the sign-in app (e.g. Microsoft Graph Command Line Tools) > Users and groups, assign the account, or set 'Assignment required' to No."},
	900971: {"No reply address provided",
		"The consent request carried no redirect URI and the app registration lists none Entra ID could use, so it cannot send the result anywhere.",
		"Use the consent link AOS gives you (it carries AvePoint's redirect_uri): paste it where this tool asks for the client id. Otherwise ask AvePoint support for the app's reply URL."},
	500113: {"No reply address registered",
		"The application has no redirect URI registered, so Entra ID has nowhere to send the result.",
		"The app registration must list a redirect URI: contact its publisher (AvePoint) or check that the client id is the right one."},
	7000218: {"Public client flows are not allowed for the sign-in app",
		"The app used to sign in is not allowed to sign in without a client secret (device code and similar flows need 'Allow public client flows').",
		"Use the default sign-in client (omit --signin-client-id), or enable 'Allow public client flows' on that app registration (Authentication blade)."},
	90008: {"The app must request sign-in permission",
		"The application is misconfigured: it must at least request Microsoft Graph User.Read (sign in and read user profile) before it can be consented to.",
		"Check the client id; the app's publisher must add User.Read to its requested permissions."},
	650051: {"Service principal conflict",
		"Consent tried to create the app's service principal, but one with the same identifier already exists in the tenant.",
		"In Entra admin center > Enterprise applications, find the existing app with this name or identifier, remove the stale one if it is a leftover, then grant consent again."},
	650052: {"A required service is missing from your tenant",
		"The app needs a service (for example Dynamics ERP or Dynamics CRM) that your tenant has not subscribed to or has no service principal for.",
		"Make sure the tenant has the Dynamics 365 service the app needs (an active subscription), then grant consent again; verify shows which API is 'resource-missing'."},
	16000: {"Choose a different account",
		"The account chosen does not exist in this tenant, or several signed-in accounts need a choice.",
		"Sign in again and pick a work account of the target tenant; sign out of other accounts in the browser if needed."},
	50076: {"Multi-factor authentication required",
		"Your tenant's policy requires multi-factor authentication for this sign-in (because of a configuration change, or your location).",
		"Sign in again and complete the MFA prompt; device code sign-in (--device-code) works when the browser on this machine cannot."},
	50079: {"MFA registration required",
		"Your account must register for multi-factor authentication before it can sign in.",
		"Register your MFA methods at https://aka.ms/mfasetup, then sign in again."},
	53003: {"Blocked by Conditional Access",
		"A Conditional Access policy of your tenant blocked this sign-in (device, location, app or risk conditions).",
		"Ask your identity admin to look up the sign-in by its correlation id in Entra admin center > Sign-in logs, and adjust or exclude the policy; sign in from a compliant device."},
}

// knownOAuth explains OAuth errors that come without an AADSTS code. server_error
// and temporarily_unavailable: "Retry the request", per the authorization endpoint's
// error codes in https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow.
var knownOAuth = map[string]known{
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
