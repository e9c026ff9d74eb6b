package flows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/safetext"
)

// ErrorFacts are what the program knew when it failed, for an error report.
type ErrorFacts struct {
	// What was being done, e.g. "Admin consent did not complete."
	What       string
	App        string // app key
	ClientID   string
	TenantID   string
	SignedInAs string // redacted in the report: only its domain is kept
	Cloud      string
	At         time.Time
}

// urlRE finds URLs in an error text, so their secret-looking parameters are redacted.
var urlRE = lazyRE(`https?://[^\s"'<>]+`)

// RedactText is s sanitized, with tokens, secret URL parameters (code, state,
// tokens…) and anything token-like replaced.
func RedactText(s string) string {
	s = safetext.Sanitize(s)
	s = urlRE().ReplaceAllStringFunc(s, RedactURL)
	return Redact(s)
}

// redactAccount keeps only the domain of an account name.
func redactAccount(upn string) string {
	if _, domain, ok := strings.Cut(upn, "@"); ok {
		return "[redacted]@" + domain
	}
	if upn == "" {
		return ""
	}
	return "[redacted]"
}

// ErrorReport is a plain-text report of err to attach to a support ticket: what
// failed, the explanation, the support ids and the error text, redacted (no token,
// no authorization code or state, no account name; tenant and app ids stay, support
// needs them).
func ErrorReport(err error, f ErrorFacts) []byte {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteString("# d365consent error report\n\n")
	line("What failed", safetext.Sanitize(f.What))
	if !f.At.IsZero() {
		line("When", f.At.UTC().Format(time.RFC3339))
	}
	line("App", safetext.Sanitize(f.App))
	line("App client id", safetext.Sanitize(f.ClientID))
	line("Tenant id", safetext.Sanitize(f.TenantID))
	line("Cloud", safetext.Sanitize(f.Cloud))
	line("Signed in as", redactAccount(f.SignedInAs))
	if x := explain.Explain(err); x != nil {
		b.WriteString("\n")
		line("Explanation", x.Title)
		line("Meaning", x.Meaning)
		line("What to do", x.Fix)
		for _, id := range explain.SupportIDs(x) {
			b.WriteString(id + "\n")
		}
		line("Entra ID said", RedactText(x.Description))
		line("More", x.Link)
	}
	if err != nil {
		b.WriteString("\n")
		line("Error", RedactText(err.Error()))
		var ae *explain.AuthError
		if errors.As(err, &ae) && ae.Op != "" {
			line("While", safetext.Sanitize(ae.Op))
		}
	}
	return []byte(b.String())
}
