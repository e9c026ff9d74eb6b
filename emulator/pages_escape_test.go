package emulator

import (
	"bytes"
	htmltemplate "html/template"
	"testing"
)

// TestPagesSameAsHTMLTemplate renders every page with the pages' engine
// (text/template with escapeActions) and with html/template from the same sources,
// over hostile values, and requires the same bytes: the pages escape exactly as
// html/template did.
func TestPagesSameAsHTMLTemplate(t *testing.T) {
	parsePagesOnce.Do(parsePages)
	hostile := []string{
		"plain", "", `Evil <script>alert(1)</script> & "Co" 'x' a+b`, "\x00nul\x1b[2J", "漢字 é \u202e",
		"javascript:alert(1)", "JavaScript:x", "https://example.com/a b?c=d&e=<f>#\"g'", "/relative?x=1%20y",
		"mailto:a@b", "data:text/html,x", "http://127.0.0.1:8400/?code=a+b/c", "a:b/c", "//host/path",
	}
	for _, s := range hostile {
		for _, flag := range []bool{false, true} {
			item := map[string]any{"UPN": s, "Key": s, "DisplayName": s, "Roles": s, "Name": s, "Value": s,
				"Description": s, "AppID": s, "Missing": flag, "FriendlyName": s, "NewlyRequired": flag, "Type": s, "Purpose": s}
			item["Perms"] = []map[string]any{item, {"Value": s + "2"}}
			data := map[string]any{
				"Title": s, "App": s, "Txn": s, "Tenant": s, "TenantID": s, "Scenario": s, "Publisher": s,
				"ClientID": s, "User": s, "CanOrg": flag, "Request": flag, "Action": s, "Message": s, "Code": s,
				"RequestID": s, "CorrelationID": s, "Timestamp": s, "Back": s, "Error": s, "Done": s,
				"Users": []map[string]any{item}, "Scopes": []map[string]any{item}, "APIs": []map[string]any{item},
				"Fields": []map[string]any{item, {"Name": "n", "Value": s}},
			}
			for name, body := range pageBodies {
				want := htmltemplate.Must(htmltemplate.Must(htmltemplate.New(name).Funcs(htmltemplate.FuncMap{"safeURL": func(s string) string { return s }}).
					Parse(layout)).New("body").Parse(body))
				var w, g bytes.Buffer
				if err := want.Execute(&w, data); err != nil {
					t.Fatalf("%s: html/template: %v", name, err)
				}
				if err := pages[name].Execute(&g, data); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !bytes.Equal(g.Bytes(), w.Bytes()) {
					t.Fatalf("page %s with %q (%v):\n got %s\nwant %s", name, s, flag, g.Bytes(), w.Bytes())
				}
			}
		}
	}
	if len(pageBodies) < 9 {
		t.Fatalf("only %d pages", len(pageBodies))
	}
}
