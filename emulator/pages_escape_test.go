package emulator

import (
	"bytes"
	htmltemplate "html/template"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/permissions"
)

// TestPagesSameAsHTMLTemplate renders every page with the pages' own engine and
// with html/template from the same sources (as page() did: the "body" template), over hostile values and over the data
// shapes the handlers pass (maps, structs, pointers to structs, typed strings), and
// requires the same bytes: the pages escape exactly as html/template did.
func TestPagesSameAsHTMLTemplate(t *testing.T) {
	parsePagesOnce.Do(parsePages)
	hostile := []string{
		"plain", "", `Evil <script>alert(1)</script> & "Co" 'x' a+b`, "\x00nul\x1b[2J", "漢字 é \u202e",
		"javascript:alert(1)", "JavaScript:x", "https://example.com/a b?c=d&e=<f>#\"g'", "/relative?x=1%20y",
		"mailto:a@b", "data:text/html,x", "http://127.0.0.1:8400/?code=a+b/c", "a:b/c", "//host/path",
	}
	type row struct{ Key, UPN, DisplayName, Roles string }
	type field struct{ Name, Value string }
	type api struct {
		Name, AppID string
		Missing     bool
		Perms       []permissions.Permission
	}
	for _, s := range hostile {
		for _, flag := range []bool{false, true} {
			item := map[string]any{"UPN": s, "Key": s, "DisplayName": s, "Roles": s, "Name": s, "Value": s,
				"Description": s, "AppID": s, "Missing": flag, "FriendlyName": s, "NewlyRequired": flag, "Type": s, "Purpose": s}
			item["Perms"] = []map[string]any{item, {"Value": s + "2"}}
			perm := permissions.Permission{Value: s, FriendlyName: s, NewlyRequired: flag, Type: permissions.Type(s), Purpose: s}
			maps := map[string]any{
				"Title": s, "App": s, "Txn": s, "Tenant": s, "TenantID": s, "Scenario": s, "Publisher": s,
				"ClientID": s, "User": s, "CanOrg": flag, "Request": flag, "Action": s, "Message": s, "Code": s,
				"RequestID": s, "CorrelationID": s, "Timestamp": s, "Back": s, "Error": s, "Done": s,
				"Users": []map[string]any{item}, "Scopes": []map[string]any{item}, "APIs": []map[string]any{item},
				"Fields": []map[string]any{item, {"Name": "n", "Value": s}},
			}
			typed := map[string]any{
				"Title": s, "App": s, "Txn": s, "Tenant": s, "TenantID": s, "Scenario": s, "Publisher": s,
				"ClientID": s, "User": s, "CanOrg": flag, "Request": flag, "Action": s, "Message": s, "Code": s,
				"RequestID": s, "CorrelationID": s, "Timestamp": s, "Back": s,
				"Users":  []row{{Key: "1", UPN: s, DisplayName: s, Roles: s}, {Key: "2"}},
				"Scopes": []map[string]string{{"Value": s, "Name": s, "Description": s}},
				"APIs":   []*api{{Name: s, AppID: s, Missing: flag, Perms: []permissions.Permission{perm, {Value: "x"}}}, {Name: "empty"}},
				"Fields": []field{{"code", s}, {"state", s}},
			}
			if flag {
				typed["Done"] = s // missing keys otherwise: both engines print nothing
			}
			for _, data := range []map[string]any{maps, typed} {
				for name, body := range pageBodies {
					want := htmltemplate.Must(htmltemplate.Must(htmltemplate.New(name).Funcs(htmltemplate.FuncMap{"safeURL": func(s string) string { return s }}).
						Parse(layout)).New("body").Parse(body))
					var w, g bytes.Buffer
					if err := want.Execute(&w, data); err != nil {
						t.Fatalf("%s: html/template: %v", name, err)
					}
					if err := execPage(&g, pages[name], nil, reflect.ValueOf(data)); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if !bytes.Equal(g.Bytes(), w.Bytes()) {
						t.Fatalf("page %s with %q (%v):\n got %s\nwant %s", name, s, flag, g.Bytes(), w.Bytes())
					}
					// The layout around it ({{template "body" .}}), not applied today.
					w.Reset()
					g.Reset()
					if err := want.Lookup(name).Execute(&w, data); err != nil {
						t.Fatalf("%s: html/template layout: %v", name, err)
					}
					if err := execPage(&g, parsePage(layout), pages[name], reflect.ValueOf(data)); err != nil {
						t.Fatalf("%s layout: %v", name, err)
					}
					if !bytes.Equal(g.Bytes(), w.Bytes()) {
						t.Fatalf("layout of page %s with %q (%v):\n got %s\nwant %s", name, s, flag, g.Bytes(), w.Bytes())
					}
				}
			}
		}
	}
	if len(pageBodies) < 9 {
		t.Fatalf("only %d pages", len(pageBodies))
	}
}

// TestPageErrors: a field the data does not have, and a syntax the pages' engine
// does not run, fail loudly rather than render something else.
func TestPageErrors(t *testing.T) {
	var b bytes.Buffer
	err := execPage(&b, parsePage("{{.Nope}}"), nil, reflect.ValueOf(struct{ Yes string }{"y"}))
	if err == nil || !strings.Contains(err.Error(), "can't evaluate field Nope") {
		t.Fatalf("missing struct field: %v", err)
	}
	for _, src := range []string{"{{.A.B}}", "{{.A | html}}", "{{if .A}}", "{{$x := .A}}", "{{printf .A}}", "{{end}}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s parsed", src)
				}
			}()
			parsePage(src)
		}()
	}
}

// Every page is a whole document in the layout: doctype, language, its title, the
// styles and the landmarks a screen reader navigates by (it used to be the body alone).
func TestPagesAreWholeDocuments(t *testing.T) {
	parsePagesOnce.Do(parsePages)
	if len(pageBodies) < 8 {
		t.Fatalf("only %d pages registered", len(pageBodies))
	}
	for name := range pageBodies {
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
