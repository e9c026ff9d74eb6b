package permissions

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/d365consent/d365consent/internal/testkit/golden"
)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name+".golden"), got)
}

func TestWritersGolden(t *testing.T) {
	c := Embedded()
	tests := []struct {
		name   string
		format Format
		width  int
	}{
		{"table-100", FormatTable, 100},
		{"table-140", FormatTable, 140},
		{"table-60", FormatTable, 60},
		{"json", FormatJSON, 0},
		{"markdown", FormatMarkdown, 0},
		{"csv", FormatCSV, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.format, c.Service, c.Apps, TableOptions{Width: tt.width}); err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(b.Bytes(), 0x1b) >= 0 {
				t.Fatal("unstyled output has an escape sequence")
			}
			golden(t, tt.name, b.Bytes())
		})
	}
}

// The table fits the width it is given and never cuts a word with an ellipsis:
// every word of every purpose is still there.
func TestTableFitsAndWraps(t *testing.T) {
	c := Embedded()
	for _, width := range []int{40, 60, 80, 100, 160} {
		var b bytes.Buffer
		if err := WriteTable(&b, c.Apps, TableOptions{Width: width, Styled: true}); err != nil {
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
	c := Embedded()
	for _, width := range []int{60, 120} {
		var b bytes.Buffer
		if err := WriteTable(&b, c.Apps, TableOptions{Width: width, ASCII: true}); err != nil {
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

func TestJSONRoundTrip(t *testing.T) {
	c := Embedded()
	var b bytes.Buffer
	if err := WriteJSON(&b, c.Service, c.Apps); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string `json:"schema"`
		Apps   []App  `json:"apps"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != ListSchema || len(doc.Apps) != 2 || len(doc.Apps[1].Permissions) != 7 || doc.Apps[1].Permissions[4].Type != Application {
		t.Fatalf("round trip: %+v", doc)
	}
}

func TestCSVParsesAndDefusesFormulas(t *testing.T) {
	c := Embedded()
	c.Apps[0].Permissions[0].Purpose = "=HYPERLINK(\"x\")"
	var b bytes.Buffer
	if err := WriteCSV(&b, c.Apps); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+3+7 {
		t.Fatalf("%d rows", len(rows))
	}
	if rows[1][6] != "'=HYPERLINK(\"x\")" {
		t.Fatalf("formula not defused: %q", rows[1][6])
	}
}

func BenchmarkLoadAndRenderJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := Embedded()
		var buf bytes.Buffer
		if err := WriteJSON(&buf, c.Service, c.Apps); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderTable(b *testing.B) {
	c := Embedded()
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := WriteTable(&buf, c.Apps, TableOptions{Width: 120, Styled: true}); err != nil {
			b.Fatal(err)
		}
	}
}
