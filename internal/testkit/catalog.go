package testkit

import (
	"path/filepath"
	"runtime"
	"testing"

	"github.com/d365consent/d365consent/permissions"
)

// CatalogPath is the absolute path of the fixture catalog,
// permissions/testdata/fixture-catalog.json: two apps, ce (3 permissions) and uo
// (7, re-authorize only). Tests that need a catalog use it, not the shipped one, so
// that a permission added to permissions/catalog.json changes no test but the
// word-for-word check against AvePoint's document (permissions' seed test). Pass it
// to the binary with --catalog.
func CatalogPath(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("testkit: cannot locate its own source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "permissions", "testdata", "fixture-catalog.json")
}

// Catalog loads the fixture catalog (see CatalogPath); each call returns a fresh copy.
func Catalog(t testing.TB) *permissions.Catalog {
	t.Helper()
	c, err := permissions.LoadFile(CatalogPath(t))
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	return c
}

// App returns the fixture catalog's app with key, failing the test when it has none.
func App(t testing.TB, key string) *permissions.App {
	t.Helper()
	a, ok := Catalog(t).App(key)
	if !ok {
		t.Fatalf("testkit: the fixture catalog has no app %q", key)
	}
	return a
}
