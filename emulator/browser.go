package emulator

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DemoBrowser walks the emulator's real pages over HTTP as a browser would: it
// parses each page's forms, picks its demo account, answers consent, follows
// redirects and submits self-submitting forms (MSAL's form_post), until the flow
// hands its result to the app's loopback redirect URI. Tests and the demo's
// "approve here" key use it; real mode never does.
type DemoBrowser struct {
	pages  string       // the emulator's pages URL, http://127.0.0.1:P
	client *http.Client // follows no redirect: Open walks them itself
	upn    string
	// Decline makes it answer Cancel on consent pages (and the account picker, when
	// the UPN is empty).
	Decline bool
	// OrgConsent ticks "Consent on behalf of your organization" on the sign-in
	// client's consent page when offered (default true from Server.Browser).
	OrgConsent bool
	// Visited records every URL it loaded, in order.
	Visited []string
}

// Browser returns a demo browser that signs in as upn ("" = the scenario's DemoUser).
func (s *Server) Browser(upn string) *DemoBrowser {
	if upn == "" {
		upn = s.DemoUser()
	}
	return &DemoBrowser{pages: s.pagesURL, client: s.pagesClient, upn: upn, OrgConsent: true}
}

// BrowserAt is a demo browser for an emulator running in another process (the
// `d365consent emulator` command), found by the pages URL it printed; it signs in as
// upn, one of the users it listed. It keeps no connection open between requests.
func BrowserAt(pagesURL, upn string) *DemoBrowser {
	c := &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true},
		Timeout:       2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &DemoBrowser{pages: strings.TrimRight(pagesURL, "/"), client: c, upn: upn, OrgConsent: true}
}

// ErrPageError is wrapped by the error Open returns when the flow stops on an
// error page of the emulator (the message carries the AADSTS text).
var ErrPageError = errors.New("the sign-in page showed an error")

// Open loads url (an authorize, admin consent or device login URL) and walks the
// pages to the end. It returns nil once the result was delivered to the app (or a
// final page was reached).
func (b *DemoBrowser) Open(ctx context.Context, rawURL string) error {
	method, target, form := http.MethodGet, rawURL, url.Values(nil)
	for step := 0; step < 20; step++ {
		resp, err := b.do(ctx, method, target, form)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		if loc := resp.Header.Get("Location"); resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != "" {
			next, err := resp.Request.URL.Parse(loc)
			if err != nil {
				return err
			}
			method, target, form = http.MethodGet, next.String(), nil
			continue
		}
		if !b.isEmulator(resp.Request.URL) {
			// The app's own page (e.g. MSAL's "Authentication complete"): done.
			if resp.StatusCode >= 400 {
				return fmt.Errorf("demo browser: the app at %s answered %s", resp.Request.URL.Host, resp.Status)
			}
			return nil
		}
		doc := parseHTML(string(body))
		if msg := doc.byID["error"]; msg != "" && len(doc.forms) == 0 || msg != "" && doc.forms[0].fieldByName("otc") != nil {
			return fmt.Errorf("%w: %s", ErrPageError, msg)
		}
		f, submit, ok := b.choose(doc)
		if !ok {
			if doc.byID["done"] != "" {
				return nil
			}
			return fmt.Errorf("demo browser: nothing to do on the page %q", doc.title)
		}
		action, err := resp.Request.URL.Parse(f.action)
		if err != nil {
			return err
		}
		method, target, form = f.method, action.String(), f.values(submit)
		if method == http.MethodGet {
			action.RawQuery = form.Encode()
			target, form = action.String(), nil
		}
	}
	return errors.New("demo browser: too many pages")
}

// OpenDeviceLogin enters userCode on the device login page and signs in.
func (b *DemoBrowser) OpenDeviceLogin(ctx context.Context, userCode string) error {
	return b.Open(ctx, b.pages+"/devicelogin?otc="+url.QueryEscape(userCode))
}

func (b *DemoBrowser) isEmulator(u *url.URL) bool {
	return "http://"+u.Host == b.pages
}

func (b *DemoBrowser) do(ctx context.Context, method, target string, form url.Values) (*http.Response, error) {
	b.Visited = append(b.Visited, target)
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "d365consent-demo-browser/1")
	req.Header.Set("Accept", "text/html")
	resp, err := b.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("demo browser: %w", err)
	}
	return resp, nil
}

// choose decides what a person would do on the page: returns the form and the
// submit button (name, value) to use.
func (b *DemoBrowser) choose(doc *document) (*htmlForm, [2]string, bool) {
	if doc.autoSubmit && len(doc.forms) > 0 {
		return doc.forms[0], [2]string{}, true
	}
	for _, f := range doc.forms {
		if otc := f.fieldByName("otc"); otc != nil {
			return f, [2]string{}, otc.value != ""
		}
		for _, btn := range f.buttons {
			if btn.name == "upn" && strings.EqualFold(btn.value, b.upn) && !(b.Decline && b.upn == "") {
				return f, [2]string{btn.name, btn.value}, true
			}
		}
		want := "accept"
		if b.Decline {
			want = "cancel"
		}
		for _, btn := range f.buttons {
			if btn.name == "decision" && btn.value == want {
				if org := f.fieldByName("org"); org != nil {
					org.checked = b.OrgConsent
				}
				return f, [2]string{btn.name, btn.value}, true
			}
		}
		for _, btn := range f.buttons {
			if btn.name == "upn" && btn.value == "" && b.upn == "" {
				return f, [2]string{btn.name, btn.value}, true
			}
		}
	}
	return nil, [2]string{}, false
}

// A small HTML reader: enough of the tokenizer of the HTML standard to read the
// forms, inputs and buttons of a page, the text of elements with an id, and
// whether a script submits the first form (what a browser would run).

type document struct {
	title      string
	forms      []*htmlForm
	byID       map[string]string
	autoSubmit bool
}

type htmlForm struct {
	action, method string
	fields         []*htmlField
	buttons        []htmlField
}

type htmlField struct {
	name, value, typ string
	checked          bool
}

func (f *htmlForm) fieldByName(name string) *htmlField {
	for _, x := range f.fields {
		if x.name == name {
			return x
		}
	}
	return nil
}

// values is the form data set: successful controls plus the activated button.
func (f *htmlForm) values(submit [2]string) url.Values {
	v := url.Values{}
	for _, x := range f.fields {
		if x.name == "" || (x.typ == "checkbox" || x.typ == "radio") && !x.checked {
			continue
		}
		val := x.value
		if (x.typ == "checkbox" || x.typ == "radio") && val == "" {
			val = "on"
		}
		v.Add(x.name, val)
	}
	if submit[0] != "" {
		v.Add(submit[0], submit[1])
	}
	return v
}

type tag struct {
	name    string
	closing bool
	attrs   map[string]string
}

func parseHTML(src string) *document {
	doc := &document{byID: map[string]string{}}
	var form *htmlForm
	type open struct{ id, name string }
	var stack []open // elements with an id whose text is collected
	var text strings.Builder
	i := 0
	for i < len(src) {
		lt := strings.IndexByte(src[i:], '<')
		if lt < 0 {
			text.WriteString(src[i:])
			break
		}
		text.WriteString(src[i : i+lt])
		i += lt
		switch {
		case strings.HasPrefix(src[i:], "<!--"):
			end := strings.Index(src[i+4:], "-->")
			if end < 0 {
				return doc
			}
			i += 4 + end + 3
			continue
		case strings.HasPrefix(src[i:], "<!"):
			end := strings.IndexByte(src[i:], '>')
			if end < 0 {
				return doc
			}
			i += end + 1
			continue
		}
		t, n := readTag(src[i:])
		if n == 0 {
			text.WriteByte('<')
			i++
			continue
		}
		i += n
		switch {
		case t.name == "script" && !t.closing, t.name == "style" && !t.closing, t.name == "title" && !t.closing, t.name == "textarea" && !t.closing:
			// raw text elements: read to the end tag
			end := strings.Index(strings.ToLower(src[i:]), "</"+t.name)
			if end < 0 {
				end = len(src) - i
			}
			raw := src[i : i+end]
			i += end
			switch t.name {
			case "script":
				compact := strings.Join(strings.Fields(raw), "")
				if strings.Contains(compact, "document.forms[0].submit()") {
					doc.autoSubmit = true
				}
			case "title":
				doc.title = strings.TrimSpace(html.UnescapeString(raw))
			case "textarea":
				if form != nil {
					form.fields = append(form.fields, &htmlField{name: t.attrs["name"], value: html.UnescapeString(raw), typ: "textarea"})
				}
			}
			continue
		case t.name == "form" && !t.closing:
			method := strings.ToUpper(t.attrs["method"])
			if method != http.MethodPost {
				method = http.MethodGet
			}
			form = &htmlForm{action: t.attrs["action"], method: method}
			doc.forms = append(doc.forms, form)
		case t.name == "form" && t.closing:
			form = nil
		case t.name == "input" && form != nil:
			typ := strings.ToLower(t.attrs["type"])
			if typ == "" {
				typ = "text"
			}
			_, checked := t.attrs["checked"]
			_, disabled := t.attrs["disabled"]
			if disabled {
				break
			}
			if typ == "submit" {
				form.buttons = append(form.buttons, htmlField{name: t.attrs["name"], value: t.attrs["value"], typ: typ})
				break
			}
			form.fields = append(form.fields, &htmlField{name: t.attrs["name"], value: t.attrs["value"], typ: typ, checked: checked})
		case t.name == "button" && form != nil && !t.closing:
			typ := strings.ToLower(t.attrs["type"])
			if typ == "" || typ == "submit" {
				form.buttons = append(form.buttons, htmlField{name: t.attrs["name"], value: t.attrs["value"], typ: "submit"})
			}
		}
		if !t.closing {
			if id, ok := t.attrs["id"]; ok && !voidElement(t.name) {
				stack = append(stack, open{id: id, name: t.name})
				text.Reset()
			}
		} else if len(stack) > 0 && stack[len(stack)-1].name == t.name {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			doc.byID[top.id] = strings.Join(strings.Fields(html.UnescapeString(text.String())), " ")
		}
	}
	return doc
}

func voidElement(name string) bool {
	switch name {
	case "input", "br", "img", "meta", "link", "hr", "area", "base", "col", "embed", "source", "track", "wbr":
		return true
	}
	return false
}

// readTag reads "<name attr=value ...>" or "</name>" at the start of s.
func readTag(s string) (tag, int) {
	i := 1
	var t tag
	if i < len(s) && s[i] == '/' {
		t.closing = true
		i++
	}
	start := i
	for i < len(s) && isNameByte(s[i]) {
		i++
	}
	if i == start {
		return tag{}, 0
	}
	t.name = strings.ToLower(s[start:i])
	t.attrs = map[string]string{}
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' || s[i] == '/') {
			i++
		}
		if i >= len(s) {
			return tag{}, 0
		}
		if s[i] == '>' {
			return t, i + 1
		}
		ns := i
		for i < len(s) && !strings.ContainsRune(" \t\n\r\f/>=", rune(s[i])) {
			i++
		}
		name := strings.ToLower(s[ns:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
			i++
		}
		val := ""
		if i < len(s) && s[i] == '=' {
			i++
			for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
				i++
			}
			if i < len(s) && (s[i] == '"' || s[i] == '\'') {
				q := s[i]
				end := strings.IndexByte(s[i+1:], q)
				if end < 0 {
					return tag{}, 0
				}
				val = s[i+1 : i+1+end]
				i += end + 2
			} else {
				vs := i
				for i < len(s) && !strings.ContainsRune(" \t\n\r\f>", rune(s[i])) {
					i++
				}
				val = s[vs:i]
			}
		}
		if name != "" {
			if _, dup := t.attrs[name]; !dup { // the first of duplicate attributes wins
				t.attrs[name] = html.UnescapeString(val)
			}
		}
	}
	return tag{}, 0
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
}

// LandedOn is the address the browser ended on when that is the publisher's landing
// page (the production path's end: what an admin would paste back), else "".
func (b *DemoBrowser) LandedOn() string {
	if len(b.Visited) == 0 {
		return ""
	}
	last := b.Visited[len(b.Visited)-1]
	if u, err := url.Parse(last); err == nil && u.Scheme+"://"+u.Host+u.Path == b.pages+PublisherLandingPath {
		return last
	}
	return ""
}
