package permissions

import (
	"os"
	"testing"
)

// fixturePath is the catalog the tests use (internal/testkit.Catalog loads the same
// file for other packages' tests). Only the seed test reads the shipped catalog.
const fixturePath = "testdata/fixture-catalog.json"

// fixtureJSON returns the fixture catalog document.
func fixtureJSON(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// fixture returns the fixture catalog, parsed and validated.
func fixture(t testing.TB) *Catalog {
	t.Helper()
	c, err := Parse(fixtureJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
