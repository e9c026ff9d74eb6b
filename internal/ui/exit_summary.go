package ui

import (
	"fmt"
	"io"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/wizard"
)

// PrintExitSummary prints what the run leaves behind (wizard.ExitSummary) on the
// normal screen once the full screen is gone: each URL and command whole on a line of
// its own, never wrapped (the terminal's own soft wrap copies as one line), and a URL
// an OSC 8 link to itself when hyperlinks is set (termcaps.Caps.Hyperlinks).
func PrintExitSummary(w io.Writer, s wizard.ExitSummary, hyperlinks bool) {
	for _, l := range s.Lines() {
		if l.URL && hyperlinks {
			fmt.Fprintln(w, ansi.SetHyperlink(l.Text)+l.Text+ansi.ResetHyperlink())
			continue
		}
		fmt.Fprintln(w, l.Text)
	}
}
