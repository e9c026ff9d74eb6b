package signin

import (
	"reflect"
	"testing"
)

func TestScopes(t *testing.T) {
	if got, want := Values(), []string{"User.Read", "Directory.Read.All"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Values() = %q, want %q", got, want)
	}
	if got := List(); got != "User.Read, Directory.Read.All" {
		t.Errorf("List() = %q", got)
	}
	for _, s := range Scopes() {
		if s.Reason == "" {
			t.Errorf("%s has no reason", s.Value)
		}
	}
	// Scopes returns a copy: a caller cannot change the sign-in.
	Scopes()[0].Value = "Mail.Read"
	if Values()[0] != "User.Read" {
		t.Error("Scopes shares the table")
	}
}
