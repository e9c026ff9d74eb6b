package ui

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// safetextAllowed are the files of this package that may import safetext, each with
// why text enters the program there. None today: every value the renderers print is
// display-safe where it entered (Graph, MSAL, the consent redirect and paste parsers,
// the doctor, the report writers) or built from our own words and the catalog.
var safetextAllowed = map[string]string{}

// Network text is sanitized once, where it enters: a renderer that sanitizes again
// hides where the boundary is, and lets an entry point forget unnoticed.
func TestRenderersDoNotSanitize(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "github.com/d365consent/d365consent/internal/safetext" {
				if _, ok := safetextAllowed[name]; !ok {
					t.Errorf("%s imports safetext: sanitize where the text enters (the package that reads it from the network, a file or the admin), not in a renderer", name)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no Go file checked")
	}
}
