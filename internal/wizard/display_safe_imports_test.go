package wizard

import (
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// The wizard is the UI-free state layer between the boundaries and the renderers:
// what it holds — flows' results and admin, explain's explanations, errors wrapped
// where they entered, the catalog and the validated flags — is display-safe already,
// so it never sanitizes. Sanitizing here would hide which boundary forgot.
func TestWizardDoesNotSanitize(t *testing.T) {
	for _, name := range testkit.FilesImporting(t, ".", "github.com/d365consent/d365consent/internal/safetext") {
		t.Errorf("%s imports safetext: the wizard's inputs are display-safe where they entered (graph, entra, the consent parsers, the demo browser, cli's flag checks); fix that boundary instead", name)
	}
}
