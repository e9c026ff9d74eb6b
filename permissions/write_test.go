package permissions

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	goldenfile "github.com/d365consent/d365consent/internal/testkit/golden"
)

// The JSON, Markdown and CSV of the fixture catalog, byte for byte.
func TestWritersGolden(t *testing.T) {
	c := fixture(t)
	for name, write := range map[string]func(*bytes.Buffer) error{
		"json":     func(b *bytes.Buffer) error { return WriteJSON(b, c.Service, c.Apps) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, c.Apps) },
		"csv":      func(b *bytes.Buffer) error { return WriteCSV(b, c.Apps) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			if bytes.IndexByte(b.Bytes(), 0x1b) >= 0 {
				t.Fatal("output has an escape sequence")
			}
			goldenfile.Check(t, filepath.Join("testdata", name+".golden"), b.Bytes())
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := fixture(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, c.Service, c.Apps); err != nil {
		t.Fatal(err)
	}
	var doc jsonList
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if want := (jsonList{Schema: ListSchema, Service: c.Service, Apps: c.Apps}); !reflect.DeepEqual(doc, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", doc, want)
	}
}

func TestCSVParsesAndDefusesFormulas(t *testing.T) {
	c := fixture(t)
	c.Apps[0].Permissions[0].Purpose = "=HYPERLINK(\"x\")"
	var b bytes.Buffer
	if err := WriteCSV(&b, c.Apps); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + len(c.Apps[0].Permissions) + len(c.Apps[1].Permissions); len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	if rows[1][6] != "'=HYPERLINK(\"x\")" {
		t.Fatalf("formula not defused: %q", rows[1][6])
	}
}
