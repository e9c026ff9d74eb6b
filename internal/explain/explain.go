// Package explain turns Entra ID's errors, and the failures around them (network,
// TLS, timeouts), into plain words: what happened, what it means, what fixes it, and
// the ids support asks for. Everything it knows about an AADSTS code is one entry of
// the codes table (codes.go).
package explain

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/d365consent/d365consent/internal/safetext"
)

// ErrRefused means Entra ID refused sign-in or consent (an AADSTS error,
// access_denied...). Every *AuthError matches it, but a transient one.
var ErrRefused = errors.New("refused by Entra ID")

// ErrTransient means Entra ID failed for a reason of its own that trying again
// later may clear (AADSTS90033, server_error, temporarily_unavailable): no refusal.
var ErrTransient = errors.New("a transient Entra ID error")

// Explanation is an Entra ID error in plain words, with the raw details support asks for.
//
// Its text is display-safe: Entra ID's words are sanitized where Explain reads them,
// and the rest is this package's own.
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
	// RequestID and ClientRequestID are Microsoft Graph's ids of a refused request
	// (its error's innerError), which Graph support asks for.
	RequestID       string
	ClientRequestID string
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

// Is makes AuthError match ErrRefused, or ErrTransient when Entra ID's failure was
// its own temporary one.
func (e *AuthError) Is(target error) bool {
	t := IsTransient(e.Explanation)
	return (target == ErrRefused && !t) || (target == ErrTransient && t)
}

// IsTransient reports whether x is Entra ID's own temporary failure: trying again
// later helps (reference-error-codes AADSTS90033; the OAuth errors server_error and
// temporarily_unavailable, v2-oauth2-auth-code-flow "Error codes": "Retry the request").
func IsTransient(x *Explanation) bool {
	if x == nil {
		return false
	}
	if x.Code != 0 {
		return codes[x.Code].transient
	}
	return x.OAuthError == "server_error" || x.OAuthError == "temporarily_unavailable"
}

// NeedsSignInClientConsent reports whether code says the sign-in client has no
// consent in the tenant a token was asked of (AADSTS65001, or AADSTS90099 for a
// partner's delegated administrators): a fleet row's "signin-consent".
func NeedsSignInClientConsent(code int) bool {
	return codes[code].signInConsent
}

// ConsentRedirectError is the error an admin consent redirect carried back
// (?error=…&error_subcode=…&error_description=…). Its fields are display-safe when it
// is made by NewConsentRedirectError.
type ConsentRedirectError struct {
	ErrorCode   string
	Subcode     string
	Description string // sanitized for display
	// rawDescription is the description as received, for Explain to read the AADSTS
	// code and ids from: sanitizing first could join digits across a dropped control
	// character and misread the code.
	rawDescription string
}

// NewConsentRedirectError is the error a consent redirect's parameters describe, as
// received from the browser or a pasted address: it is sanitized here, where it
// enters, and the description is also kept as received for Explain.
func NewConsentRedirectError(code, subcode, description string) *ConsentRedirectError {
	return &ConsentRedirectError{ErrorCode: safetext.Sanitize(code), Subcode: safetext.Sanitize(subcode),
		Description: safetext.SanitizeMultiline(description), rawDescription: description}
}

func (e *ConsentRedirectError) Error() string {
	s := "admin consent: " + e.ErrorCode
	if e.Subcode != "" {
		s += " (" + e.Subcode + ")"
	}
	if d := strings.Join(strings.Fields(e.Description), " "); d != "" {
		// One line: Entra ID's description runs over several ("…\r\nTrace ID: …"),
		// and an error's text is a line of a log or an exit summary.
		s += ": " + d
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

// Compiled on first use, not at init (start-up of every command).
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
	x := &Explanation{OAuthError: safetext.Sanitize(body.Error)}
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
	x.Description = strings.TrimSpace(safetext.SanitizeMultiline(strings.ReplaceAll(desc, "\r\n", "\n")))
	x.TraceID, x.CorrelationID, x.Timestamp = safetext.Sanitize(x.TraceID), safetext.Sanitize(x.CorrelationID), safetext.Sanitize(x.Timestamp)
	if k := codes[x.Code].text; k.title != "" && x.Code != 0 {
		x.Title, x.Meaning, x.Fix = k.title, k.meaning, k.fix
	} else if k, ok := oauthCodes[body.Error]; ok && x.Code == 0 {
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
// host (ExplainIn takes each cloud's own).
func ErrorLookupURL(code int) string {
	return "https://login.microsoftonline.com/error?code=" + strconv.Itoa(code)
}

// ExplainIn is Explain with the fix for where the error came from and the lookup link
// from lookup (the cloud's own login host).
func ExplainIn(err error, src Source, lookup func(code int) string) *Explanation {
	x := Explain(err)
	if x == nil {
		return nil
	}
	c := *x
	if k, ok := codes[c.Code].bySource[src]; ok && c.Code != 0 {
		c.Title, c.Meaning, c.Fix = k.title, k.meaning, k.fix
	}
	if c.Code != 0 && lookup != nil {
		c.Link = lookup(c.Code)
	}
	return &c
}

// MeansNoAccess reports whether an AADSTS code says the account has no way into the
// tenant (not a member or guest, a pending guest, a cross-tenant policy, a partner
// relationship that does not allow it).
func MeansNoAccess(code int) bool {
	return codes[code].noAccess
}

// SupportFields are the explanation's ids for support, label and value, each whole:
// the AADSTS code (and OAuth error), correlation id, trace id and timestamp of an
// Entra ID refusal, Microsoft Graph's request ids. Empty when e carries none.
func SupportFields(e *Explanation) [][2]string {
	if e == nil {
		return nil
	}
	var out [][2]string
	switch {
	case e.Code != 0 && e.OAuthError != "":
		out = append(out, [2]string{"Error code:", fmt.Sprintf("AADSTS%d (%s)", e.Code, e.OAuthError)})
	case e.Code != 0:
		out = append(out, [2]string{"Error code:", fmt.Sprintf("AADSTS%d", e.Code)})
	case e.OAuthError != "":
		out = append(out, [2]string{"Error code:", e.OAuthError})
	}
	for _, f := range [][2]string{{"Correlation id:", e.CorrelationID}, {"Trace id:", e.TraceID}, {"Timestamp:", e.Timestamp},
		{"Request id:", e.RequestID}, {"Client request id:", e.ClientRequestID}} {
		if f[1] != "" {
			out = append(out, f)
		}
	}
	return out
}

// Source is who refused: Microsoft Graph when the explanation carries Graph's request
// ids, Entra ID otherwise. Its Description is that service's own text.
func (e *Explanation) Source() string {
	if e.RequestID != "" || e.ClientRequestID != "" {
		return "Microsoft Graph"
	}
	return "Entra ID"
}

// SupportIDs are SupportFields as lines, "label value".
func SupportIDs(e *Explanation) []string {
	var out []string
	for _, f := range SupportFields(e) {
		out = append(out, f[0]+" "+f[1])
	}
	return out
}
