package permissions

import (
	"errors"
	"strings"
	"testing"
)

// Permission values and resource appIds are matched case-insensitively in a tenant
// (flows' verification does), so a catalog listing one twice in different case would
// check the same grant twice: the duplicate check ignores case in both.
func TestDuplicatePermissionIgnoresCase(t *testing.T) {
	for _, tc := range []struct {
		name  string
		value string
		res   string
		want  ValidationError
	}{
		{"value case", "user.read", GraphAppID, ValidationError{App: "ce", Permission: "user.read", Field: "value", Problem: "listed twice for the same resource and type"}},
		{"value upper", "USER.READ", GraphAppID, ValidationError{App: "ce", Permission: "USER.READ", Field: "value", Problem: "listed twice for the same resource and type"}},
		{"resource case", "User.Read", strings.ToUpper(GraphAppID), ValidationError{App: "ce", Permission: "User.Read", Field: "value", Problem: "listed twice for the same resource and type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := mutate(t, func(d map[string]any) {
				a := app(d, 0)
				dup := map[string]any{}
				for k, v := range perm(d, 0, 0) { // Graph User.Read, Delegated
					dup[k] = v
				}
				dup["value"], dup["resourceAppId"] = tc.value, tc.res
				a["permissions"] = append(a["permissions"].([]any), dup)
			})
			_, err := Parse(doc)
			var ve *ValidationError
			if !errors.As(err, &ve) || *ve != tc.want {
				t.Fatalf("Parse: %v, want %v", err, &tc.want)
			}
		})
	}
	// The same value with the other type is a different permission, not a duplicate.
	doc := mutate(t, func(d map[string]any) {
		a := app(d, 0)
		dup := map[string]any{}
		for k, v := range perm(d, 0, 0) {
			dup[k] = v
		}
		dup["value"], dup["type"] = "user.read", "Application"
		a["permissions"] = append(a["permissions"].([]any), dup)
	})
	if _, err := Parse(doc); err != nil {
		t.Fatalf("same value, other type: %v", err)
	}
}
