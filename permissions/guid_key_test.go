package permissions

import (
	"strings"
	"testing"
)

// IsGUID and the app-key check are written out by hand (no regexp at start-up), so
// every character class edge is pinned here: the characters just outside each
// range ('/' ':' '@' 'G' '`' 'g') and each hyphen position.
func TestIsGUIDCharacterEdges(t *testing.T) {
	const ok = "0a9f0A9F-0000-0000-0000-000000000000"
	if !IsGUID(ok) {
		t.Fatalf("IsGUID(%q) = false", ok)
	}
	for _, c := range "/:@G`g -{" {
		for _, i := range []int{0, 7, 9, 35} {
			s := ok[:i] + string(c) + ok[i+1:]
			if IsGUID(s) {
				t.Errorf("IsGUID(%q) = true (%q at %d)", s, c, i)
			}
		}
	}
	for _, i := range []int{8, 13, 18, 23} {
		if s := ok[:i] + "0" + ok[i+1:]; IsGUID(s) {
			t.Errorf("IsGUID(%q) = true without the hyphen at %d", s, i)
		}
	}
	for _, s := range []string{ok + "0", ok[:35], "", strings.Repeat("-", 36)} {
		if IsGUID(s) {
			t.Errorf("IsGUID(%q) = true", s)
		}
	}
}

func TestValidKeyEdges(t *testing.T) {
	for key, want := range map[string]bool{
		"a": true, "z": true, "ce": true, "uo-2": true, "a0-9z": true,
		strings.Repeat("a", 16): true, strings.Repeat("a", 17): false,
		"": false, "0a": false, "-a": false, "A": false, "`a": false, "{a": false,
		"a_b": false, "aB": false, "a/": false, "a:": false, "a`": false, "a{": false, "a.b": false, "a,": false,
	} {
		if got := validKey(key); got != want {
			t.Errorf("validKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestIsGUID(t *testing.T) {
	for s, want := range map[string]bool{
		"00000003-0000-0000-c000-000000000000":   true,
		"E1FE6DD8-BA31-4D61-89E7-88639DA4683D":   true,
		"e1fe6dd8ba314d6189e788639da4683d":       false,
		"{e1fe6dd8-ba31-4d61-89e7-88639da4683d}": false,
		"e1fe6dd8-ba31-4d61-89e7-88639da4683":    false,
		"":                                       false,
	} {
		if IsGUID(s) != want {
			t.Errorf("IsGUID(%q) = %v", s, !want)
		}
	}
}
