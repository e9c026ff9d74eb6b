package emulator

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PublisherLandingPath is the page of the apps' publisher (an "AvePoint Online
// Services"-like site, served on the pages host) that the demo apps registered as
// their reply URL. The real AvePoint apps' reply URLs are AvePoint's, so admin
// consent ends there and nothing comes back to the wizard: a v1 admin consent request
// without redirect_uri is sent to the app's registered reply URL
// (entra/identity/enterprise-apps/grant-admin-consent, "Construct the URL for
// granting tenant-wide admin consent"; entra/identity-platform/v2-admin-consent,
// "Successful response" / "Error response" for the parameters that arrive).
const PublisherLandingPath = "/avepoint/consent-complete"

// LandingURL is the publisher's landing page: the reply URL the demo apps registered.
func (s *Server) LandingURL() string { return s.pagesURL + PublisherLandingPath }

// registerReplyURLs gives the published apps their reply URLs once the pages host
// is known: the publisher's landing page, and in the loopback-reply scenario also
// http://127.0.0.1 (any port), second so that a request without redirect_uri still
// lands on the publisher's page.
func (s *Server) registerReplyURLs() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.catalog.Apps {
		app := s.dir.apps[strings.ToLower(a.ClientID)]
		if app == nil {
			continue
		}
		app.ReplyURLs = []string{s.LandingURL()}
		if s.scenario.loopbackReply {
			app.ReplyURLs = append(app.ReplyURLs, "http://127.0.0.1")
		}
	}
}

// landing is the publisher's page: it shows what Entra ID sent back — admin_consent,
// tenant, error, error_description, error_subcode, state — as text, with control
// and bidirectional-override characters removed (they come from the network) and
// HTML-escaped (pages.go).
func (s *Server) landing(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	type field struct{ Name, Value string }
	var fields []field
	for _, k := range []string{"admin_consent", "tenant", "error", "error_subcode", "error_description", "state"} {
		if v := q.Get(k); v != "" {
			fields = append(fields, field{k, cleanText(v, 2000)})
		}
	}
	data := map[string]any{"Title": "AvePoint Online Services", "Fields": fields}
	switch {
	case q.Get("error") != "":
		msg := cleanText(q.Get("error_description"), 2000)
		if msg == "" {
			msg = cleanText(q.Get("error"), 200)
		}
		data["Error"] = msg
	case strings.EqualFold(q.Get("admin_consent"), "True"):
		data["Done"] = "Admin consent was granted. You can close this window and return to d365consent."
	default:
		data["Done"] = "Nothing arrived from Microsoft Entra ID."
	}
	renderPage(w, http.StatusOK, "landing", data)
}

// cleanText drops terminal escape sequences whole (CSI, OSC, DCS/SOS/PM/APC and
// their 8-bit C1 forms, and two-byte ESC sequences), then every remaining control
// character (C0, DEL, C1) and bidirectional formatting character, folds whitespace
// runs to one space, and caps the length.
func cleanText(s string, max int) string {
	s = stripEscapes(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case r == utf8.RuneError, r < 0x20 && r != '\t' && r != '\n' && r != '\r', r >= 0x7f && r < 0xa0,
			r >= 0x200e && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x061c:
			continue
		case unicode.IsSpace(r):
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
		if b.Len() >= max {
			break
		}
	}
	return b.String()
}

// stripEscapes removes ECMA-48 control sequences and control strings as a terminal
// would parse them, so that no printable remnant of one ("]52;c;…", "[2J") is left.
func stripEscapes(s string) string {
	rs := []rune(s)
	var out []rune
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		var kind rune // '[' CSI, ']' OSC, 'P' DCS-like string
		switch {
		case r == 0x1b && i+1 < len(rs):
			switch n := rs[i+1]; {
			case n == '[':
				kind = '['
			case n == ']', n == 'P', n == 'X', n == '^', n == '_':
				kind = ']'
			case n >= 0x20 && n <= 0x2f: // ESC intermediates… final
				j := i + 1
				for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x2f {
					j++
				}
				i = j
				continue
			default: // two-byte sequence (ESC c, ESC \ …)
				i++
				continue
			}
			i++
		case r == 0x9b:
			kind = '['
		case r == 0x9d, r == 0x90, r == 0x98, r == 0x9e, r == 0x9f:
			kind = ']'
		default:
			out = append(out, r)
			continue
		}
		if kind == '[' { // parameters and intermediates, then one final byte
			j := i + 1
			for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x3f {
				j++
			}
			for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x2f {
				j++
			}
			i = j // the final byte (or the end)
			continue
		}
		// A control string ends at BEL, ST (ESC \) or the 8-bit ST.
		j := i + 1
		for j < len(rs) {
			if rs[j] == 0x07 || rs[j] == 0x9c {
				break
			}
			if rs[j] == 0x1b && j+1 < len(rs) && rs[j+1] == '\\' {
				j++
				break
			}
			j++
		}
		i = j
	}
	return string(out)
}
