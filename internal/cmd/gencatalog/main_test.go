package main

import (
	"bytes"
	"os"
	"testing"
)

// TestCheckedInFileIsCurrent: permissions/catalog_gen.go is what the generator
// writes for permissions/catalog.json (run go generate ./permissions after an edit).
func TestCheckedInFileIsCurrent(t *testing.T) {
	want, err := generate("../../../permissions/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../permissions/catalog_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("permissions/catalog_gen.go is stale: run go generate ./permissions")
	}
}
