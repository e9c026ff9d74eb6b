package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// document is what the demo browser reads of a page (parsed by x/net/html as a
// browser's HTML parser would): its title, its forms, the text of each element
// with an id, and whether a script submits the first form (what a browser would
// run).
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

func parseHTML(src string) *document {
	doc := &document{byID: map[string]string{}}
	root, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return doc // only a read error, which a string reader does not give
	}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Title:
			doc.title = strings.TrimSpace(textOf(n))
		case atom.Script:
			if strings.Contains(strings.Join(strings.Fields(textOf(n)), ""), "document.forms[0].submit()") {
				doc.autoSubmit = true
			}
		case atom.Form:
			doc.forms = append(doc.forms, readForm(n))
		}
		if id, ok := attr(n, "id"); ok {
			doc.byID[id] = strings.Join(strings.Fields(textOf(n)), " ")
		}
	}
	return doc
}

// readForm reads a form's action, method, controls and submit buttons.
func readForm(form *html.Node) *htmlForm {
	action, _ := attr(form, "action")
	method, _ := attr(form, "method")
	method = strings.ToUpper(method)
	if method != http.MethodPost {
		method = http.MethodGet
	}
	f := &htmlForm{action: action, method: method}
	for n := range form.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if _, disabled := attr(n, "disabled"); disabled {
			continue
		}
		name, _ := attr(n, "name")
		value, _ := attr(n, "value")
		typ, _ := attr(n, "type")
		typ = strings.ToLower(typ)
		switch n.DataAtom {
		case atom.Input:
			switch typ {
			case "submit":
				f.buttons = append(f.buttons, htmlField{name: name, value: value, typ: typ})
			case "":
				typ = "text"
				fallthrough
			default:
				_, checked := attr(n, "checked")
				f.fields = append(f.fields, &htmlField{name: name, value: value, typ: typ, checked: checked})
			}
		case atom.Button:
			if typ == "" || typ == "submit" {
				f.buttons = append(f.buttons, htmlField{name: name, value: value, typ: "submit"})
			}
		case atom.Textarea:
			f.fields = append(f.fields, &htmlField{name: name, value: textOf(n), typ: "textarea"})
		}
	}
	return f
}

// attr is the element's attribute key (the parser lower-cases keys); of duplicate
// attributes the first counts, as in a browser.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// textOf is the text of n and its descendants.
func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
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
