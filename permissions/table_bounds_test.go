package permissions

import (
	"bytes"
	"strings"
	"testing"
)

func drawTable(t *testing.T, apps []App, to TableOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteTable(&b, apps, to); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// No width (0 or negative: not a terminal) means 100 columns; anything narrower
// than 40 is drawn at 40.
func TestTableDefaultAndMinimumWidth(t *testing.T) {
	apps := Embedded().Apps
	if got, want := drawTable(t, apps, TableOptions{Width: 0}), drawTable(t, apps, TableOptions{Width: 100}); got != want {
		t.Errorf("width 0 is not drawn at 100 columns")
	}
	if got, want := drawTable(t, apps, TableOptions{Width: -5}), drawTable(t, apps, TableOptions{Width: 100}); got != want {
		t.Errorf("width -5 is not drawn at 100 columns")
	}
	if got, want := drawTable(t, apps, TableOptions{Width: 12}), drawTable(t, apps, TableOptions{Width: 40}); got != want {
		t.Errorf("width 12 is not drawn at 40 columns")
	}
	if drawTable(t, apps, TableOptions{Width: 100}) == drawTable(t, apps, TableOptions{Width: 40}) {
		t.Fatal("the width changes nothing: the checks above prove nothing")
	}
}

// Only the header row is bold; the permission rows are plain.
func TestTableHeaderAloneIsBold(t *testing.T) {
	app := Embedded().Apps[0]
	out := drawTable(t, []App{app}, TableOptions{Width: 160, Styled: true})
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
	headers := []string{"API", "Permission", "Type", "Purpose", "New?"}
	rows := [][]string{{"Graph", "User.Read (Sign in)", "Delegated", strings.Repeat("word ", 20), "Yes"}}
	const minPerm = len("User.Read")
	// overhead: 6 borders + 2 padding × 5 columns; fixed: API 5, Type 9, New? 4
	edge := (len(headers) + 1 + 2*len(headers)) + 5 + 9 + 4 + minPerm + 20
	w, ok := columnWidths(headers, rows, minPerm, edge)
	// Permission takes 2/5 of the 29 columns left (11), Purpose the other 18.
	if !ok || w[0] != 5 || w[1] != 11 || w[2] != 9 || w[3] != 18 || w[4] != 4 {
		t.Fatalf("at %d columns: %v %v, want [5 11 9 18 4]", edge, w, ok)
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
