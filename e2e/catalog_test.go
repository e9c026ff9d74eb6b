package e2e

import (
	"fmt"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/permissions"
)

// The binary under test serves its built-in catalog in the demo, so what its screens
// say about permissions (how many, which) is derived from that catalog here, never
// written out: a permission added to catalog.json changes no e2e test.

// allGranted is the summary line when every permission of the built-in app key is granted.
func allGranted(key string) string {
	return fmt.Sprintf("All %d permissions are granted", len(builtIn(key).Permissions))
}

// builtIn is the built-in catalog's app key.
func builtIn(key string) *permissions.App {
	a, ok := permissions.Embedded().App(key)
	if !ok {
		panic("the built-in catalog has no app " + key)
	}
	return a
}

// newlyRequired is the first permission of app key that the scenario's demo tenant
// marks newly required (the one its app registration may not request yet).
func newlyRequired(t *testing.T, scenario, key string) permissions.Permission {
	t.Helper()
	srv, err := emulator.Start(emulator.Options{Scenario: scenario})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, _ := srv.Catalog().App(key)
	for _, p := range a.Permissions {
		if p.NewlyRequired {
			return p
		}
	}
	t.Fatalf("scenario %s marks no permission of %s newly required", scenario, key)
	return permissions.Permission{}
}
