package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

// The browser pages: plain, accessible HTML (landmarks, labels, real buttons), no
// external assets, every value escaped.
//
// The pages are written in a small subset of Go's template syntax — {{.Field}},
// {{.Field | safeURL}}, {{if .Field}}…{{else}}…{{end}}, {{range .Field}}…{{end}} and
// {{template "body" .}} — run by the few lines below, which HTML-escape every value
// the way html/template does (safeURL in URL attributes: href, action).
// TestPagesSameAsHTMLTemplate renders every page both ways over hostile values and
// compares the bytes.
//
// Why not html/template, or text/template: every d365consent command links the
// emulator (for demo), and issue 13 measured both. html/template's initialisation
// ran at every start; and any use of text/template makes reflect's MethodByName
// reachable, which stops the linker from dropping unused exported methods anywhere
// in the program: 2.6 MB of the 14.8 MB binary, and start-up time with them.

const layout = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} - Contoso Demo</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b;background:#fff}
header{border-bottom:1px solid #ccc;margin-bottom:1rem;font-size:.9rem}
button{font-size:1rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0;cursor:pointer}
button.primary{background:#0f5bb5;color:#fff;border:1px solid #0f5bb5}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
.error{border-left:4px solid #b00020;padding-left:.75rem}
:focus{outline:3px solid #e8a200;outline-offset:2px}
</style>
</head>
<body>
<header><p>Contoso Demo &middot; d365consent demo tenant (an emulator on this computer, not Microsoft)</p></header>
<main>
{{template "body" .}}
</main>
</body>
</html>
`

// pages are parsed on first use, not at init: every d365consent command links the
// emulator, and `permissions` should not pay for the demo's pages (BENCHMARKS.md).
var pages = map[string][]pageNode{}

var parsePagesOnce sync.Once

// pageBodies are the pages' bodies by name, each shown inside layout.
var pageBodies = map[string]string{}

// layoutNodes is layout, parsed with the pages.
var layoutNodes []pageNode

// page registers a page, shown inside layout: a whole HTML document with its title,
// styles and landmarks (the html/template version rendered the body alone, so the
// pages had no <html>, no title and no styles until this was noticed in issue 13).
func page(name, body string) {
	pageBodies[name] = body
	pages[name] = parsePage(body)
}

// A pageNode is text, a value ({{.Field}}, escaped), {{if}}, {{range}} or the
// page's body ({{template "body" .}}).
type pageNode struct {
	kind      byte // 't' text, 'v' value, 'i' if, 'r' range, 'b' body
	text      string
	field     string
	url       bool // {{.Field | safeURL}}
	then, els []pageNode
}

// parsePage parses a page's source; it panics on anything outside the subset (the
// pages are constants, parsed by every test).
func parsePage(src string) []pageNode {
	type frame struct {
		n      pageNode
		inElse bool
	}
	var stack []frame
	var top []pageNode
	add := func(n pageNode) {
		if len(stack) == 0 {
			top = append(top, n)
			return
		}
		f := &stack[len(stack)-1]
		if f.inElse {
			f.n.els = append(f.n.els, n)
		} else {
			f.n.then = append(f.n.then, n)
		}
	}
	for src != "" {
		i := strings.Index(src, "{{")
		if i < 0 {
			add(pageNode{kind: 't', text: src})
			break
		}
		if i > 0 {
			add(pageNode{kind: 't', text: src[:i]})
		}
		j := strings.Index(src[i:], "}}")
		if j < 0 {
			panic("emulator page: unclosed action in " + src[i:])
		}
		action := strings.TrimSpace(src[i+2 : i+j])
		src = src[i+j+2:]
		word, rest, _ := strings.Cut(action, " ")
		switch {
		case word == "if" || word == "range":
			stack = append(stack, frame{n: pageNode{kind: word[0], field: pageField(rest)}})
		case action == "else" && len(stack) > 0 && !stack[len(stack)-1].inElse:
			stack[len(stack)-1].inElse = true
		case action == "end" && len(stack) > 0:
			n := stack[len(stack)-1].n
			stack = stack[:len(stack)-1]
			add(n)
		case action == `template "body" .`:
			add(pageNode{kind: 'b'})
		default:
			field, filter, piped := strings.Cut(action, "|")
			if piped && strings.TrimSpace(filter) != "safeURL" {
				panic("emulator page: unknown filter in {{" + action + "}}")
			}
			add(pageNode{kind: 'v', field: pageField(field), url: piped})
		}
	}
	if len(stack) > 0 {
		panic("emulator page: missing {{end}}")
	}
	return top
}

// pageField is the name in ".Name".
func pageField(s string) string {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '.' || strings.ContainsAny(s[1:], ". |$(") {
		panic("emulator page: unsupported action argument " + s)
	}
	return s[1:]
}

// execPage writes nodes for dot; body is the page's body for {{template "body" .}}.
func execPage(b *bytes.Buffer, nodes, body []pageNode, dot reflect.Value) error {
	for _, n := range nodes {
		switch n.kind {
		case 't':
			b.WriteString(n.text)
		case 'b':
			if err := execPage(b, body, nil, dot); err != nil {
				return err
			}
		case 'v':
			v, err := pageLookup(dot, n.field)
			if err != nil {
				return err
			}
			var arg any
			if v.IsValid() {
				arg = v.Interface()
			}
			if n.url {
				b.WriteString(safeURL(arg))
			} else {
				b.WriteString(escapeHTML(arg))
			}
		case 'i':
			v, err := pageLookup(dot, n.field)
			if err != nil {
				return err
			}
			branch := n.els
			if pageTrue(v) {
				branch = n.then
			}
			if err := execPage(b, branch, body, dot); err != nil {
				return err
			}
		case 'r':
			v, err := pageLookup(dot, n.field)
			if err != nil {
				return err
			}
			if !v.IsValid() || (v.Kind() != reflect.Slice && v.Kind() != reflect.Array) || v.Len() == 0 {
				if v.IsValid() && v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
					return fmt.Errorf("range can't iterate over %v", v)
				}
				if err := execPage(b, n.els, body, dot); err != nil {
					return err
				}
				continue
			}
			for i := range v.Len() {
				if err := execPage(b, n.then, body, v.Index(i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// pageLookup is text/template's .Field: a map's entry (none: the invalid Value) or
// a struct's exported field, through pointers and interfaces.
func pageLookup(dot reflect.Value, name string) (reflect.Value, error) {
	for dot.IsValid() && (dot.Kind() == reflect.Pointer || dot.Kind() == reflect.Interface) {
		if dot.IsNil() {
			return reflect.Value{}, fmt.Errorf("nil pointer evaluating .%s", name)
		}
		dot = dot.Elem()
	}
	switch {
	case !dot.IsValid():
		return reflect.Value{}, fmt.Errorf("nil data evaluating .%s", name)
	case dot.Kind() == reflect.Map && dot.Type().Key().Kind() == reflect.String:
		v := dot.MapIndex(reflect.ValueOf(name).Convert(dot.Type().Key()))
		for v.IsValid() && v.Kind() == reflect.Interface {
			v = v.Elem() // a nil interface becomes the invalid Value
		}
		return v, nil
	case dot.Kind() == reflect.Struct:
		if f, ok := dot.Type().FieldByName(name); ok && f.IsExported() {
			return dot.FieldByIndex(f.Index), nil
		}
	}
	return reflect.Value{}, fmt.Errorf("can't evaluate field %s in type %s", name, dot.Type())
}

// pageTrue is text/template's truth: not the zero value, a non-empty collection,
// a non-nil pointer; structs are true.
func pageTrue(v reflect.Value) bool {
	if !v.IsValid() {
		return false
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0
	case reflect.Bool:
		return v.Bool()
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface:
		return !v.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0
	}
	return true
}

// stringify is html/template's: a single string as is, untyped nils skipped,
// anything else through fmt.Sprint.
func stringify(args ...any) string {
	if len(args) == 1 {
		if s, ok := indirect(args[0]).(string); ok {
			return s
		}
	}
	var vals []any
	for _, a := range args {
		if a != nil {
			vals = append(vals, indirectToStringerOrError(a))
		}
	}
	return fmt.Sprint(vals...)
}

// indirect dereferences pointers to reach the value (html/template content.go).
func indirect(a any) any {
	if a == nil {
		return nil
	}
	if t := reflect.TypeOf(a); t.Kind() != reflect.Pointer {
		return a
	}
	v := reflect.ValueOf(a)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

// indirectToStringerOrError dereferences pointers until a fmt.Stringer or error.
func indirectToStringerOrError(a any) any {
	if a == nil {
		return nil
	}
	errorType := reflect.TypeFor[error]()
	stringerType := reflect.TypeFor[fmt.Stringer]()
	v := reflect.ValueOf(a)
	for !v.Type().Implements(stringerType) && !v.Type().Implements(errorType) && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

func escapeHTML(args ...any) string { return htmlEscape(stringify(args...)) }

// htmlEscape is html/template's HTML escaping, for text and quoted attribute
// values alike (written out: a strings.Replacer would be built at init).
func htmlEscape(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var r string
		switch s[i] {
		case 0:
			r = "\uFFFD"
		case '"':
			r = "&#34;"
		case '&':
			r = "&amp;"
		case '\'':
			r = "&#39;"
		case '+':
			r = "&#43;"
		case '<':
			r = "&lt;"
		case '>':
			r = "&gt;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(r)
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// safeURL is html/template's treatment of a value in a URL attribute: a scheme
// other than http, https or mailto becomes "#ZgotmplZ" (no javascript: link),
// bytes outside RFC 3986's unreserved and reserved sets are percent-encoded
// (existing %XX escapes are kept), then the result is HTML-escaped.
func safeURL(args ...any) string {
	s := stringify(args...)
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") &&
		!strings.EqualFold(scheme, "http") && !strings.EqualFold(scheme, "https") && !strings.EqualFold(scheme, "mailto") {
		s = "#ZgotmplZ"
	}
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case strings.IndexByte("!#$&*+,/:;=?@[]-._~%", c) >= 0,
			'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		}
		b.WriteString(s[written:i])
		fmt.Fprintf(&b, "%%%02x", c)
		written = i + 1
	}
	b.WriteString(s[written:])
	return htmlEscape(b.String())
}

func parsePages() {
	layoutNodes = parsePage(layout)
	page("signin", `<h1>{{.Title}}</h1>
{{if .App}}<p>to continue to <strong>{{.App}}</strong></p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="txn" value="{{.Txn}}">
<fieldset><legend>Demo accounts in {{.Tenant}}</legend>
<ul>
{{range .Users}}<li><button type="submit" name="upn" value="{{.UPN}}" id="user-{{.Key}}">{{.DisplayName}} ({{.UPN}})</button> {{if .Roles}}{{.Roles}}{{else}}no admin role{{end}}</li>
{{end}}</ul>
</fieldset>
<p><button type="submit" name="upn" value="" id="cancel">Cancel</button></p>
</form>
<p>This is a demo: no password is asked.</p>`)

	page("consent", `<h1>{{.Title}}</h1>
<p><strong>{{.App}}</strong> ({{.Publisher}}) wants to:</p>
<ul>
{{range .Scopes}}<li><strong>{{.Name}}</strong> ({{.Value}}): {{.Description}}</li>
{{end}}</ul>
<form method="post" action="/consent">
<input type="hidden" name="txn" value="{{.Txn}}">
{{if .CanOrg}}<p><input type="checkbox" name="org" value="1" id="org"><label for="org">Consent on behalf of your organization</label></p>{{end}}
<p>Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>
<p><button type="submit" name="decision" value="accept" class="primary" id="accept">Accept</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></p>
</form>`)

	page("adminconsent", `<h1>{{.Title}}</h1>
<p><strong>{{.App}}</strong> (published by {{.Publisher}}, client id {{.ClientID}}) needs the following permissions in <strong>{{.Tenant}}</strong>. Signed in as {{.User}}.</p>
{{range .APIs}}<h2>{{.Name}}</h2>
<table>
<caption>Permissions requested from {{.Name}} ({{.AppID}}){{if .Missing}}: this service is not available in your organization{{end}}</caption>
<thead><tr><th scope="col">Permission</th><th scope="col">Type</th><th scope="col">Purpose</th></tr></thead>
<tbody>
{{range .Perms}}<tr><td>{{.Value}} ({{.FriendlyName}}){{if .NewlyRequired}} <strong>(newly required)</strong>{{end}}</td><td>{{.Type}}</td><td>{{.Purpose}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Request}}<h2>Approval required</h2>
<p>This app needs permissions that only an admin can grant. Your organization uses the admin consent workflow: request approval, and a reviewer will decide.</p>
<form method="post" action="/consent">
<input type="hidden" name="txn" value="{{.Txn}}">
<p><label for="justification">Justification</label> <textarea name="justification" id="justification">Needed for Cloud Backup for Dynamics 365.</textarea></p>
<p><button type="submit" name="decision" value="accept" class="primary" id="accept">Request approval</button>
<button type="submit" name="decision" value="cancel" id="cancel">Back to app</button></p>
</form>{{else}}
<p>If you accept, this app will get access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>
<form method="post" action="/consent">
<input type="hidden" name="txn" value="{{.Txn}}">
<p><button type="submit" name="decision" value="accept" class="primary" id="accept">Accept</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></p>
</form>{{end}}`)

	page("formpost", `<h1>{{.Title}}</h1>
<form method="post" action="{{.Action | safeURL}}" id="response">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>Script is disabled. Select Continue to return to the application.</p><button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit();</script>`)

	page("devicecode", `<h1>{{.Title}}</h1>
{{if .Message}}<p class="error" role="alert" id="error">{{.Message}}</p>{{end}}
<form method="post" action="/devicelogin">
<p><label for="otc">Code</label> <input type="text" name="otc" id="otc" autocomplete="off" autofocus value="{{.Code}}"></p>
<p><button type="submit" class="primary" id="next">Next</button></p>
</form>`)

	page("done", `<h1>{{.Title}}</h1>
<p id="done">{{.Message}}</p>`)

	page("error", `<h1>{{.Title}}</h1>
<div class="error" role="alert">
<p id="error">{{.Message}}</p>
<p>Request Id: {{.RequestID}}<br>Correlation Id: {{.CorrelationID}}<br>Timestamp: {{.Timestamp}}</p>
</div>
{{if .Back}}<p><a href="{{.Back | safeURL}}" id="back">Return to the application</a></p>{{end}}`)

	page("landing", `<h1>{{.Title}}</h1>
<p>Cloud Backup for Dynamics 365 &middot; app consent (demo publisher page)</p>
{{if .Error}}<p class="error" role="alert" id="error">{{.Error}}</p>{{end}}{{if .Done}}<p id="done">{{.Done}}</p>{{end}}
{{if .Fields}}<table><caption>What Microsoft Entra ID sent back</caption>
<tbody>{{range .Fields}}<tr><th scope="row">{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</tbody></table>{{end}}`)

	page("index", `<h1>{{.Title}}</h1>
<p>Tenant {{.Tenant}} ({{.TenantID}}), scenario <strong>{{.Scenario}}</strong>.</p>
<p>Device code sign-in: <a href="/devicelogin">/devicelogin</a>.</p>`)
}

func renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	parsePagesOnce.Do(parsePages)
	if err := execPage(&buf, layoutNodes, pages[name], reflect.ValueOf(data)); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"+formPostScriptHash+"'; form-action *; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
