package ui

import (
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// safetextAllowed are the files of this package that may import safetext, each with
// why text enters the program there. None today: every value the renderers print is
// display-safe where it entered (Graph, MSAL, the consent redirect and paste parsers,
// the doctor, the report writers) or built from our own words and the catalog.
var safetextAllowed = map[string]string{}

// Network text is sanitized once, where it enters: a renderer that sanitizes again
// hides where the boundary is, and lets an entry point forget unnoticed.
func TestRenderersDoNotSanitize(t *testing.T) {
	for _, name := range testkit.FilesImporting(t, ".", "github.com/d365consent/d365consent/internal/safetext") {
		if _, ok := safetextAllowed[name]; !ok {
			t.Errorf("%s imports safetext: sanitize where the text enters (the package that reads it from the network, a file or the admin), not in a renderer", name)
		}
	}
}
