package testkit

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/textwrap"
)

// CheckWrapped fails t unless got is source wrapped to width at word boundaries:
//   - no line is wider than width, except a line that holds one unbreakable unit
//     (a word, URL or command: textwrap.Units) and nothing else;
//   - the words of got, in order, are the words of source: no word was split
//     across lines (rebuilt, "instea" + "d" would not match "instead");
//   - every command and URL of source stands whole on one line of got.
//
// Escape sequences are ignored.
func CheckWrapped(t testing.TB, got, source string, width int) {
	t.Helper()
	plain := ansi.Strip(got)
	CheckWidth(t, plain, width)
	if g, w := strings.Fields(plain), strings.Fields(ansi.Strip(source)); !slices.Equal(g, w) {
		t.Errorf("the words of the output differ from the source's:\n%s", firstDiff(g, w))
	}
	CheckUnitsWhole(t, plain, source)
}

// CheckWidth fails t for each line of got wider than width that is not one
// unbreakable unit alone.
func CheckWidth(t testing.TB, got string, width int) {
	t.Helper()
	for _, l := range strings.Split(ansi.Strip(got), "\n") {
		if ansi.StringWidth(l) <= width {
			continue
		}
		if u := textwrap.Units(strings.TrimSpace(l)); len(u) != 1 {
			t.Errorf("line of %d cells (width %d) holds %d units, not one unbreakable unit:\n%s", ansi.StringWidth(l), width, len(u), l)
		}
	}
}

// CheckUnitsWhole fails t unless every command and URL in source appears whole on
// one line of got.
func CheckUnitsWhole(t testing.TB, got, source string) {
	t.Helper()
	lines := strings.Split(ansi.Strip(got), "\n")
	for _, sl := range strings.Split(ansi.Strip(source), "\n") {
		for _, u := range textwrap.Units(sl) {
			if !strings.Contains(u, " ") && !strings.Contains(u, "://") {
				continue
			}
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, u) }) {
				t.Errorf("%q is not whole on one line of the output:\n%s", u, got)
			}
		}
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			lo := max(0, i-3)
			return fmt.Sprintf("at word %d: got %q\n want %q", i, got[lo:min(len(got), i+3)], want[lo:min(len(want), i+3)])
		}
	}
	return fmt.Sprintf("got %d words, want %d", len(got), len(want))
}
