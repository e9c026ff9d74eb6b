package permtable

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
	goldenfile "github.com/d365consent/d365consent/internal/testkit/golden"
	"github.com/d365consent/d365consent/permissions"
)

// The table of the fixture catalog at three widths: wide, default, and narrow
// enough for the card layout.
func TestTableGolden(t *testing.T) {
	c := testkit.Catalog(t)
	for _, width := range []int{100, 140, 60} {
		name := "table-" + strconv.Itoa(width)
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, c.Apps, Options{Width: width}); err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(b.Bytes(), 0x1b) >= 0 {
				t.Fatal("unstyled output has an escape sequence")
			}
			goldenfile.Check(t, filepath.Join("testdata", name+".golden"), b.Bytes())
		})
	}
}

// The table fits the width it is given and never cuts a word with an ellipsis:
// every word of every purpose is still there.
func TestTableFitsAndWraps(t *testing.T) {
	c := testkit.Catalog(t)
	for _, width := range []int{40, 60, 80, 100, 160} {
		var b bytes.Buffer
		if err := Write(&b, c.Apps, Options{Width: width, Styled: true}); err != nil {
			t.Fatal(err)
		}
		plain := stripANSI(b.String())
		for _, line := range strings.Split(plain, "\n") {
			if n := len([]rune(line)); n > width {
				t.Errorf("width %d: line of %d columns: %q", width, n, line)
			}
		}
		if strings.Contains(plain, "…") {
			t.Errorf("width %d: a cell was cut", width)
		}
		words := strings.Fields(strings.NewReplacer("│", " ", "(", " ", ")", " ").Replace(plain))
		text := " " + strings.Join(words, " ") + " "
		for _, a := range c.Apps {
			for _, p := range a.Permissions {
				for _, w := range strings.Fields(p.Purpose + " " + p.FriendlyName) {
					w = strings.Trim(w, "()")
					if !strings.Contains(text, w) {
						t.Errorf("width %d: word %q of %s is missing", width, w, p.Value)
					}
				}
				if !strings.Contains(plain, p.Value) {
					t.Errorf("width %d: permission value %s broken or missing", width, p.Value)
				}
			}
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && !(s[j] >= 0x40 && s[j] <= 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Terminals without Unicode get an all-ASCII table.
func TestTableASCII(t *testing.T) {
	c := testkit.Catalog(t)
	for _, width := range []int{60, 120} {
		var b bytes.Buffer
		if err := Write(&b, c.Apps, Options{Width: width, ASCII: true}); err != nil {
			t.Fatal(err)
		}
		for i, r := range b.String() {
			if r > 0x7e {
				t.Fatalf("width %d: non-ASCII %q at %d:\n%s", width, r, i, b.String())
			}
		}
		if width == 120 && !strings.Contains(b.String(), "+---") {
			t.Fatalf("no ASCII border:\n%s", b.String())
		}
	}
}

func drawTable(t *testing.T, apps []permissions.App, to Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, apps, to); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// No width (0 or negative: not a terminal) means 100 columns; anything narrower
// than 40 is drawn at 40.
func TestTableDefaultAndMinimumWidth(t *testing.T) {
	apps := testkit.Catalog(t).Apps
	if got, want := drawTable(t, apps, Options{Width: 0}), drawTable(t, apps, Options{Width: 100}); got != want {
		t.Errorf("width 0 is not drawn at 100 columns")
	}
	if got, want := drawTable(t, apps, Options{Width: -5}), drawTable(t, apps, Options{Width: 100}); got != want {
		t.Errorf("width -5 is not drawn at 100 columns")
	}
	if got, want := drawTable(t, apps, Options{Width: 12}), drawTable(t, apps, Options{Width: 40}); got != want {
		t.Errorf("width 12 is not drawn at 40 columns")
	}
	if drawTable(t, apps, Options{Width: 100}) == drawTable(t, apps, Options{Width: 40}) {
		t.Fatal("the width changes nothing: the checks above prove nothing")
	}
}

// Only the header row is bold; the permission rows are plain.
func TestTableHeaderAloneIsBold(t *testing.T) {
	app := testkit.Catalog(t).Apps[0]
	out := drawTable(t, []permissions.App{app}, Options{Width: 160, Styled: true})
	var header, rows []string
	for _, line := range strings.Split(out, "\n") {
		plain := stripANSI(line)
		switch {
		case strings.Contains(plain, "Permission") && strings.Contains(plain, "Purpose"):
			header = append(header, line)
		case strings.Contains(plain, app.Permissions[0].Value):
			rows = append(rows, line)
		}
	}
	if len(header) != 1 || len(rows) == 0 {
		t.Fatalf("header lines %q, rows %q", header, rows)
	}
	if !strings.Contains(header[0], "\x1b[1m") {
		t.Errorf("header not bold: %q", header[0])
	}
	for _, r := range rows {
		if strings.Contains(r, "\x1b[1m") {
			t.Errorf("permission row bold: %q", r)
		}
	}
}

// columnWidths at the edge: exactly enough room for the narrowest readable table
// (room for the longest permission value unbroken plus 20 columns) still gives a table;
// one column less gives cards.
func TestColumnWidthsAtTheEdge(t *testing.T) {
	headers := tableHeaders()
	rows := [][]string{{"Graph", "User.Read (Sign in)", "Delegated", strings.Repeat("word ", 20), "Yes"}}
	const minPerm = len("User.Read")
	// overhead: 6 borders + 2 padding × 5 columns; fixed: API 5, Type 9, Newly required 14
	edge := (len(headers) + 1 + 2*len(headers)) + 5 + 9 + 14 + minPerm + 20
	w, ok := columnWidths(headers, rows, minPerm, edge)
	// Permission takes 2/5 of the 29 columns left (11), Purpose the other 18.
	if !ok || w[0] != 5 || w[1] != 11 || w[2] != 9 || w[3] != 18 || w[4] != 14 {
		t.Fatalf("at %d columns: %v %v, want [5 11 9 18 14]", edge, w, ok)
	}
	if w, ok := columnWidths(headers, rows, minPerm, edge-1); ok {
		t.Fatalf("at %d columns: %v, want no table", edge-1, w)
	}
	// Room to spare: Purpose never wider than its longest cell, Permission gets the rest.
	w, ok = columnWidths(headers, rows, minPerm, edge+200)
	if !ok || w[1] != len("User.Read (Sign in)") || w[3] != len(rows[0][3]) {
		t.Fatalf("wide: %v %v", w, ok)
	}
}
func BenchmarkRenderTable(b *testing.B) {
	c := testkit.Catalog(b)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, c.Apps, Options{Width: 120, Styled: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTableWrapsAtWords: at 80, 100 (the default) and 120 columns, with the shipped catalog and the
// fixture, no line is wider than the terminal and no word is split: every word of
// the output (borders aside) is a word of the catalog's texts, hyphenated words
// ("re-authorize") included.
func TestTableWrapsAtWords(t *testing.T) {
	for _, apps := range [][]permissions.App{permissions.Embedded().Apps, testkit.Catalog(t).Apps} {
		var src []string
		src = append(src, tableHeaders()...)
		src = append(src, "Next step:", "Re-authorize only:", "newly required:", "key", "·", "-")
		for _, a := range apps {
			src = append(src, a.DisplayName, string(a.AppType), string(a.SetupMethod), strconv.Quote(a.Key), string(a.NewOrUpdated), a.Notice, a.Consent)
			for _, p := range a.Permissions {
				src = append(src, p.API, p.Display(), string(p.Type), p.Purpose, permissions.YesNo(p.NewlyRequired))
			}
		}
		words := map[string]bool{}
		for _, w := range strings.Fields(strings.Join(src, " ")) {
			words[w] = true
		}
		for _, width := range []int{80, 100, 120} {
			var b bytes.Buffer
			if err := Write(&b, apps, Options{Width: width}); err != nil {
				t.Fatal(err)
			}
			testkit.CheckWidth(t, b.String(), width)
			for _, w := range strings.Fields(strings.Map(func(r rune) rune {
				if strings.ContainsRune("│┌┐└┘├┤┬┴┼─", r) {
					return ' '
				}
				return r
			}, b.String())) {
				if !words[w] {
					t.Errorf("width %d: %q is no word of the catalog (a split word?)\n%s", width, w, b.String())
				}
			}
		}
	}
}
