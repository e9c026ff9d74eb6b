package permissions

import (
	"bytes"
	"testing"
)

// BenchmarkEmbedded is the cost of each Embedded call after the first.
func BenchmarkEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if c := Embedded(); len(c.Apps) == 0 {
			b.Fatal("no apps")
		}
	}
}

// BenchmarkParseEmbedded is the cost of the first Embedded call: decoding and
// validating catalog.json.
func BenchmarkParseEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteJSON is `permissions --format json`'s own work after the catalog.
func BenchmarkWriteJSON(b *testing.B) {
	c := Embedded()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := WriteJSON(&buf, c.Service, c.Apps); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadAndRenderJSON is Embedded and WriteJSON together, after the first
// call (BENCHMARKS.md's table of Go benchmarks).
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
