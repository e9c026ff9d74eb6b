// Package safetext makes text from outside the program (Microsoft Graph, Entra ID,
// MSAL, a pasted address, a browser's redirect) safe to print on a terminal. It is
// applied once, where such text enters: the packages that decode it (graph, entra,
// the consent listener and paste parser, the doctor) call it, and the types they fill
// hold display-safe text from then on. Sanitize is idempotent, so a renderer that
// cleans again does no harm.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sanitize makes a string from the network safe to print on a terminal: it drops
// escape sequences (CSI, OSC, DCS... and their 8-bit C1 forms), every other control
// character, and the Unicode bidirectional overrides and isolates that can make text
// read differently from what it is (CVE-2021-42574). Invalid UTF-8 becomes U+FFFD.
// Tabs and newlines become single spaces, so a value stays on one line.
func Sanitize(s string) string {
	return sanitize(s, false)
}

// SanitizeMultiline is Sanitize but keeps newlines (for multi-line descriptions).
func SanitizeMultiline(s string) string {
	return sanitize(s, true)
}

func sanitize(s string, keepNewlines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 { // invalid UTF-8 (a real U+FFFD has size 3)
			b.WriteRune(utf8.RuneError)
			i++
			continue
		}
		switch {
		case r == 0x1b: // ESC: skip the whole sequence
			i = skipEscape(s, i+1)
			continue
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f || r == 0x98: // C1 OSC, DCS, PM, APC, SOS
			i = skipString(s, i+size)
			continue
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			// other C0/C1 controls: dropped
		case unicode.Is(unicode.Cf, r) && r != 0x200d:
			// format characters except ZWJ (emoji): dropped. Every bidirectional
			// control of CVE-2021-42574 is one (LRE…RLO U+202A–202E, LRI…PDI
			// U+2066–2069, LRM, RLM, ALM; TestBidiControlsAreDropped).
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape skips an escape sequence whose ESC was at i-1.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', '^', '_', 'X':
		return skipString(s, i+1)
	}
	// two-character sequences (ESC c, ESC 7...) and nF sequences (ESC SP F, ESC ( B)
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	_, size := utf8.DecodeRuneInString(s[i:]) // the final character; size 0 at the end
	return i + size
}

// skipCSI skips parameters and intermediates up to and including the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x7e {
			return i - 1 // malformed: stop the sequence here, the byte is handled by the caller
		}
	}
	return i
}

// skipString skips an OSC/DCS/PM/APC/SOS payload up to BEL, ST (ESC \) or C1 ST.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // a new escape: let the caller handle it
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + 2
		}
		i++
	}
	return i
}

// Error is an error whose text is display-safe: Error sanitizes the text of the
// error it wraps, which errors.Is, errors.As and errors.Unwrap still see as it came.
type Error struct{ err error }

// WrapError makes a non-nil err's text display-safe (nil stays nil). A boundary uses
// it on errors whose text carries what another program sent: MSAL's errors (Entra
// ID's description), a transport error (a proxy's status line).
func WrapError(err error) error {
	if err == nil {
		return nil
	}
	if safe, ok := err.(*Error); ok {
		return safe
	}
	return &Error{err: err}
}

func (e *Error) Error() string { return Sanitize(e.err.Error()) }

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.err }
