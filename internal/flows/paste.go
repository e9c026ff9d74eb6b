package flows

import (
	"net/url"
	"strings"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/safetext"
)

// PastedConsent is what the admin pasted after the consent page: the address the
// browser ended on (or just its query), or an AADSTS code.
// Its text is display-safe: what was pasted is sanitized where it is parsed.
type PastedConsent struct {
	ConsentRedirect
	// State is the state parameter, when the address carried one.
	State string
}

// maxPaste bounds what is parsed: a consent redirect is well under 4 KiB.
const maxPaste = 8 << 10

var (
	bareCodeRE = lazyRE(`^(?i:AADSTS)?(\d{4,8})\b`)
)

// ParsePastedConsentResult parses what the admin pasted once the browser landed on
// the publisher's page (production sends no redirect_uri back to us): a URL, a query
// string (with or without "?"), or an AADSTS code ("AADSTS90094", "90094", or the
// line copied from the error page). The parameters of
// https://learn.microsoft.com/entra/identity-platform/v2-admin-consent are read
// (admin_consent, error, error_description, error_subcode, tenant, state), from the
// query or the fragment; every string is sanitized. Anything else is a usage error
// that says what to paste.
func ParsePastedConsentResult(s string) (PastedConsent, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return PastedConsent{}, Usagef("nothing pasted: paste the address your browser ended on after the consent page, or the AADSTS code it shows")
	}
	if len(s) > maxPaste {
		return PastedConsent{}, Usagef("that is too long (%d characters) to be the consent page's address", len(s))
	}
	if m := bareCodeRE().FindStringSubmatch(s); m != nil {
		desc := s
		if !strings.HasPrefix(strings.ToUpper(s), "AADSTS") {
			desc = "AADSTS" + s
		}
		return PastedConsent{ConsentRedirect: ConsentRedirect{Err: explain.NewConsentRedirectError("", "", desc)}}, nil
	}
	var query string
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return PastedConsent{}, Usagef("that is not a web address: paste the address your browser ended on after the consent page")
		}
		query = u.RawQuery
		if f := u.EscapedFragment(); f != "" {
			if query != "" {
				query += "&"
			}
			query += f
		}
	} else {
		query = strings.TrimPrefix(s, "?")
		if strings.Contains(query, " ") || !strings.Contains(query, "=") {
			return PastedConsent{}, Usagef("that is neither the consent page's address nor an AADSTS code")
		}
	}
	form, err := url.ParseQuery(query)
	if err != nil {
		return PastedConsent{}, Usagef("the address's parameters cannot be read: %s", safetext.Sanitize(err.Error()))
	}
	if form.Get("admin_consent") == "" && form.Get("error") == "" {
		return PastedConsent{}, Usagef("that address carries no consent result (no admin_consent or error): paste the address the browser ended on right after Accept or Cancel")
	}
	p := PastedConsent{ConsentRedirect: ParseConsentRedirect(form), State: safetext.Sanitize(form.Get("state"))}
	return p, nil
}
