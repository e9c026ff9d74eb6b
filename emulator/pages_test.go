package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/d365consent/d365consent/internal/testkit"
)

// TestPagesEscapeNetworkStrings: names from the tenant reach the pages escaped,
// and the pages forbid scripts of their own.
func TestPagesEscapeNetworkStrings(t *testing.T) {
	cat := testkit.Catalog(t)
	cat.Apps[0].DisplayName = `Evil <script>alert(1)</script> & "Co"`
	cat.Apps[0].Permissions[0].Purpose = `<img src=x onerror=alert(2)>`
	srv := startServer(t, Options{Catalog: cat})
	ce, _ := srv.Catalog().App("ce")
	// Walk to the admin consent page by hand and read it raw.
	b := srv.Browser("")
	resp, err := srv.pagesClient.Get(adminConsentURL(srv, ce.ClientID, ""))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc := parseHTML(string(body))
	f, submit, ok := b.choose(doc)
	if !ok {
		t.Fatalf("no account picker:\n%s", body)
	}
	resp, err = srv.pagesClient.PostForm(srv.PagesURL()+f.action, f.values(submit))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, raw := range [][]byte{body, page} {
		s := string(raw)
		if strings.Contains(s, "<script>alert") || strings.Contains(s, "<img") || !strings.Contains(s, "Evil &lt;script&gt;") {
			t.Fatalf("unescaped network string in page:\n%s", s)
		}
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "&lt;img src=x onerror=alert(2)&gt;") {
		t.Fatalf("admin consent page: %d\n%s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
}

// hostileValues are strings a tenant or a request could put in a page: markup,
// quotes, a NUL and escape sequences, bidi overrides, and URLs with schemes a
// link must not follow.
var hostileValues = []string{
	`Evil <script>alert(1)</script> & "Co" 'x' a+b`, `"><img src=x onerror=alert(2)>`, "\x00nul\x1b[2J", "漢字 é \u202e",
	"javascript:alert(1)", " JavaScript:x", "data:text/html,<b>x</b>", "https://example.com/a b?c=d&e=<f>#\"g'", "{{.Title}}",
}

// pageData is data for every page, with s in every string.
func pageData(s string) map[string]any {
	item := map[string]any{"UPN": s, "Key": s, "DisplayName": s, "Roles": s, "Name": s, "Value": s,
		"Description": s, "AppID": s, "Missing": true, "FriendlyName": s, "NewlyRequired": true, "Type": s, "Purpose": s}
	item["Perms"] = []map[string]any{item}
	return map[string]any{
		"Title": s, "App": s, "Txn": s, "Tenant": s, "TenantID": s, "Scenario": s, "Publisher": s,
		"ClientID": s, "User": s, "CanOrg": true, "Request": false, "Action": s, "Message": s, "Code": s,
		"RequestID": s, "CorrelationID": s, "Timestamp": s, "Back": s, "Error": s, "Done": s,
		"Users": []map[string]any{item}, "Scopes": []map[string]any{item}, "APIs": []map[string]any{item},
		"Fields": []map[string]any{item},
	}
}

// shape is the page's element tree without text or attribute values: what a value
// must never change.
func shape(t *testing.T, page string) string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for n := range root.Descendants() {
		if n.Type == html.ElementNode {
			b.WriteString("<" + n.Data)
			for _, a := range n.Attr {
				b.WriteString(" " + a.Key)
			}
			b.WriteString(">")
		}
	}
	return b.String()
}

// TestPagesEscapeHostileValues renders every page with a hostile string in every
// value: the elements and attributes stay those of a harmless value, the text reads
// back as given (NUL as U+FFFD, as the HTML standard replaces it), and a URL
// attribute never carries a javascript: or data: link.
func TestPagesEscapeHostileValues(t *testing.T) {
	pages := pageTemplates()
	if len(pages) != 9 {
		t.Fatalf("%d pages, want 9", len(pages))
	}
	for name := range pages {
		rec := httptest.NewRecorder()
		renderPage(rec, http.StatusOK, name, pageData("plain"))
		want := shape(t, rec.Body.String())
		for _, s := range hostileValues {
			rec := httptest.NewRecorder()
			renderPage(rec, http.StatusOK, name, pageData(s))
			body := rec.Body.String()
			if rec.Code != http.StatusOK {
				t.Fatalf("page %s: %d %s", name, rec.Code, body)
			}
			if got := shape(t, body); got != want {
				t.Errorf("page %s with %q: elements\n%s\nwant\n%s", name, s, got, want)
			}
			doc := parseHTML(body)
			text := strings.ReplaceAll(s, "\x00", "\uFFFD")
			if want := strings.Join(strings.Fields(text), " ") + " - Contoso Demo"; doc.title != want {
				t.Errorf("page %s: title %q, want %q", name, doc.title, want)
			}
			root, _ := html.Parse(strings.NewReader(body))
			for n := range root.Descendants() {
				for _, a := range n.Attr {
					if a.Key != "href" && a.Key != "action" {
						continue
					}
					if v := strings.ToLower(strings.TrimSpace(a.Val)); strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:") {
						t.Errorf("page %s: %s=%q", name, a.Key, a.Val)
					}
				}
			}
		}
	}
}

// TestPageURLAttributes: the form_post target and the error page's link keep an
// http(s) URL (percent-encoding what a URL cannot hold) and refuse other schemes.
func TestPageURLAttributes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8400/?code=a+b/c", "http://127.0.0.1:8400/?code=a+b/c"},
		{"https://example.com/a b?c=<d>", "https://example.com/a%20b?c=%3cd%3e"},
		{"javascript:alert(1)", "#ZgotmplZ"},
		{"data:text/html,x", "#ZgotmplZ"},
	} {
		rec := httptest.NewRecorder()
		renderPage(rec, http.StatusOK, "formpost", map[string]any{"Title": "Working...", "Action": tc.in})
		if f := parseHTML(rec.Body.String()).forms; len(f) != 1 || f[0].action != tc.want {
			t.Errorf("form_post action for %q: %+v, want %q", tc.in, f, tc.want)
		}
		rec = httptest.NewRecorder()
		renderPage(rec, http.StatusBadRequest, "error", map[string]any{"Title": "Sorry", "Message": "m", "Back": tc.in})
		if !strings.Contains(rec.Body.String(), `<a href="`+strings.ReplaceAll(tc.want, "+", "&#43;")+`" id="back">`) {
			t.Errorf("error page link for %q:\n%s", tc.in, rec.Body.String())
		}
	}
}

// Every page is a whole document in the layout: doctype, language, its title, the
// styles and the landmarks a screen reader navigates by.
func TestPagesAreWholeDocuments(t *testing.T) {
	for name := range pageTemplates() {
		rec := httptest.NewRecorder()
		renderPage(rec, http.StatusOK, name, map[string]any{"Title": "Page <" + name + ">"})
		body := rec.Body.String()
		for _, want := range []string{"<!DOCTYPE html>\n<html lang=\"en\">", "<title>Page &lt;" + name + "&gt; - Contoso Demo</title>",
			"<style>", "<header>", "<main>\n", "</main>\n</body>\n</html>\n"} {
			if !strings.Contains(body, want) {
				t.Errorf("page %s lacks %q:\n%s", name, want, body)
			}
		}
		if strings.Count(body, "<html") != 1 {
			t.Errorf("page %s: %d <html> elements", name, strings.Count(body, "<html"))
		}
	}
}

// A value the data does not have is a server error, not a page missing a part.
func TestPageWithMissingFieldIsAnError(t *testing.T) {
	rec := httptest.NewRecorder()
	renderPage(rec, http.StatusOK, "done", struct{ Title string }{"t"})
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "can't evaluate field Message") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}
