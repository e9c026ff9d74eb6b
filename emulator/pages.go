package emulator

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// The browser pages: plain, accessible HTML (landmarks, labels, real buttons), no
// external assets. Each page in pages/ defines "body", shown inside pages/layout.html
// (a whole document: title, styles, landmarks). html/template escapes every value
// for where it lands: text, attributes, and URL attributes (href, action), where a
// scheme other than http, https or mailto becomes "#ZgotmplZ".

//go:embed pages/*.html
var pageFiles embed.FS

// pageTemplates are the pages by name (the file name without .html), each a clone
// of the layout with its own "body". They are parsed on first use: every command
// links the emulator (for demo), and only the demo shows pages.
var pageTemplates = sync.OnceValue(func() map[string]*template.Template {
	layout := template.Must(template.ParseFS(pageFiles, "pages/layout.html"))
	files, err := fs.Glob(pageFiles, "pages/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(pageFiles, f))
	}
	return pages
})

// renderPage writes the page name for data, with the headers every page has: no
// caching, and a Content-Security-Policy that allows inline styles and only the
// form_post page's own script.
func renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	page, ok := pageTemplates()[name]
	if !ok {
		http.Error(w, "template: no page "+name, http.StatusInternalServerError)
		return
	}
	if err := page.ExecuteTemplate(&buf, "layout.html", data); err != nil {
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
