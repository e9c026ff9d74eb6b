package permissions

import (
	"reflect"
	"testing"
)

// TestEmbeddedGoValueMatchesJSON: the compiled-in catalog (catalog_gen.go) is
// exactly what Parse makes of catalog.json, which Parse also validates. When this
// fails after an edit of catalog.json, run: go generate ./permissions
func TestEmbeddedGoValueMatchesJSON(t *testing.T) {
	want, err := Parse(embedded)
	if err != nil {
		t.Fatalf("catalog.json: %v", err)
	}
	if got := Embedded(); !reflect.DeepEqual(got, want) {
		t.Fatalf("catalog_gen.go is not catalog.json (run go generate ./permissions):\n got %+v\nwant %+v", got, want)
	}
}
