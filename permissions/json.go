package permissions

import (
	"io"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The JSON writer appends the document itself instead of calling encoding/json:
// `permissions --format json` is a start-up path, and the reflection encoder's
// first use (walking and caching the struct types) cost more than the rest of the
// command's own work (issue 13). The output is byte for byte what
// json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false) writes for
// jsonList; TestWriteJSONMatchesEncodingJSON and FuzzWriteJSON hold it to that.

// appendJSONList appends the jsonList document for service and apps, indented by
// two spaces, and a final newline.
func appendJSONList(b []byte, service string, apps []App) []byte {
	b = append(b, "{\n"...)
	b = appendField(b, 1, "schema", ListSchema, true)
	b = appendField(b, 1, "service", service, true)
	b = appendKey(b, 1, "apps")
	if apps == nil {
		b = append(b, "null"...)
	} else {
		b = appendList(b, 1, len(apps), func(b []byte, i int) []byte { return appendApp(b, 2, &apps[i]) })
	}
	return append(b, "\n}\n"...)
}

func appendApp(b []byte, depth int, a *App) []byte {
	b = append(b, "{\n"...)
	b = appendField(b, depth+1, "key", a.Key, true)
	b = appendField(b, depth+1, "category", a.Category, true)
	b = appendField(b, depth+1, "appType", a.AppType, true)
	b = appendField(b, depth+1, "setupMethod", a.SetupMethod, true)
	b = appendField(b, depth+1, "displayName", a.DisplayName, true)
	b = appendField(b, depth+1, "newOrUpdated", a.NewOrUpdated, true)
	b = appendField(b, depth+1, "consent", a.Consent, true)
	if a.ProfileNote != "" {
		b = appendField(b, depth+1, "profileNote", a.ProfileNote, true)
	}
	b = appendField(b, depth+1, "clientId", a.ClientID, true)
	if len(a.ClientIDs) > 0 {
		b = appendKey(b, depth+1, "clientIds")
		clouds := make([]string, 0, len(a.ClientIDs))
		for k := range a.ClientIDs {
			clouds = append(clouds, k)
		}
		slices.Sort(clouds) // encoding/json sorts map keys
		b = append(b, "{\n"...)
		for i, k := range clouds {
			b = appendField(b, depth+2, k, a.ClientIDs[k], i < len(clouds)-1)
		}
		b = appendIndent(b, depth+1)
		b = append(b, "},\n"...)
	}
	if a.RedirectURI != "" {
		b = appendField(b, depth+1, "redirectUri", a.RedirectURI, true)
	}
	b = appendKey(b, depth+1, "reauthorizeOnly")
	b = strconv.AppendBool(b, a.ReauthorizeOnly)
	b = append(b, ",\n"...)
	if a.CreationClosedOn != "" {
		b = appendField(b, depth+1, "creationClosedOn", a.CreationClosedOn, true)
	}
	if a.Notice != "" {
		b = appendField(b, depth+1, "notice", a.Notice, true)
	}
	b = appendKey(b, depth+1, "permissions")
	if a.Permissions == nil {
		b = append(b, "null"...)
	} else {
		b = appendList(b, depth+1, len(a.Permissions), func(b []byte, i int) []byte {
			return appendPermission(b, depth+2, &a.Permissions[i])
		})
	}
	b = append(b, '\n')
	b = appendIndent(b, depth)
	return append(b, '}')
}

func appendPermission(b []byte, depth int, p *Permission) []byte {
	b = append(b, "{\n"...)
	b = appendField(b, depth+1, "api", p.API, true)
	b = appendField(b, depth+1, "resourceAppId", p.ResourceAppID, true)
	b = appendField(b, depth+1, "value", p.Value, true)
	b = appendField(b, depth+1, "friendlyName", p.FriendlyName, true)
	b = appendField(b, depth+1, "type", string(p.Type), true)
	b = appendField(b, depth+1, "purpose", p.Purpose, true)
	b = appendKey(b, depth+1, "newlyRequired")
	b = strconv.AppendBool(b, p.NewlyRequired)
	if p.ID != "" {
		b = append(b, ",\n"...)
		b = appendField(b, depth+1, "id", p.ID, false)
	} else {
		b = append(b, '\n')
	}
	b = appendIndent(b, depth)
	return append(b, '}')
}

// appendList appends a JSON array of n elements at depth ("[]" when empty).
func appendList(b []byte, depth, n int, elem func([]byte, int) []byte) []byte {
	if n == 0 {
		return append(b, "[]"...)
	}
	b = append(b, "[\n"...)
	for i := range n {
		b = appendIndent(b, depth+1)
		b = elem(b, i)
		if i < n-1 {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = appendIndent(b, depth)
	return append(b, ']')
}

// appendField appends `"key": "value"` on its own line, with a comma when more follow.
func appendField(b []byte, depth int, key, value string, more bool) []byte {
	b = appendKey(b, depth, key)
	b = appendString(b, value)
	if more {
		b = append(b, ',')
	}
	return append(b, '\n')
}

func appendKey(b []byte, depth int, key string) []byte {
	b = appendIndent(b, depth)
	b = appendString(b, key)
	return append(b, ": "...)
}

func appendIndent(b []byte, depth int) []byte {
	for range depth {
		b = append(b, "  "...)
	}
	return b
}

// appendString appends s as a JSON string the way encoding/json does without HTML
// escaping: \" \\ \b \f \n \r \t, other C0 controls as \u00XX, invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// writeJSONList writes the document to w in one write.
func writeJSONList(w io.Writer, service string, apps []App) error {
	_, err := w.Write(appendJSONList(make([]byte, 0, 16<<10), service, apps))
	return err
}
