package permissions

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// mutate returns the fixture catalog document with f applied to its generic form.
func mutate(t *testing.T, f func(doc map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(fixtureJSON(t), &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func app(doc map[string]any, i int) map[string]any {
	return doc["apps"].([]any)[i].(map[string]any)
}

func perm(doc map[string]any, i, j int) map[string]any {
	return app(doc, i)["permissions"].([]any)[j].(map[string]any)
}

func TestLoadValidation(t *testing.T) {
	tests := []struct {
		name string
		doc  func(t *testing.T) []byte
		want string // substring of the error; every error names where
	}{
		{"truncated json", func(*testing.T) []byte { return []byte("{") }, "field document: invalid JSON"},
		{"not json", func(*testing.T) []byte { return []byte("{]") }, "field document: invalid JSON at byte 2"},
		{"empty", func(*testing.T) []byte { return nil }, "field document: empty document"},
		{"trailing data", func(t *testing.T) []byte { return append(fixtureJSON(t), []byte("{}")...) }, "unexpected data after"},
		{"unknown field", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 0)["scopeId"] = "x" })
		}, `unknown field "scopeId"`},
		{"wrong type", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 0)["newlyRequired"] = "no" })
		}, "must be a bool"},
		{"schema", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { d["schema"] = "v0" }) }, "field schema: must be"},
		{"no apps", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { d["apps"] = []any{} }) }, "field apps: the catalog lists no app"},
		{"bad key", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { app(d, 0)["key"] = "CE!" }) }, "app CE!, field key"},
		{"missing key", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { app(d, 1)["key"] = "" }) }, "app apps[1], field key"},
		{"duplicate key", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { app(d, 1)["key"] = "ce" }) }, "app ce, field key: listed twice"},
		{"empty display name", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { app(d, 0)["displayName"] = " " })
		}, "app ce, field displayName: must not be empty"},
		{"empty app type", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { app(d, 0)["appType"] = "" }) }, "app ce, field appType"},
		{"empty consent", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { app(d, 1)["consent"] = "" }) }, "app uo, field consent"},
		{"client id not guid", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { app(d, 0)["clientId"] = "1234" })
		}, `app ce, field clientId: "1234" is not a GUID`},
		{"redirect not https", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { app(d, 0)["redirectUri"] = "http://evil.example" })
		}, "app ce, field redirectUri"},
		{"no permissions", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { app(d, 1)["permissions"] = []any{} })
		}, "app uo, field permissions"},
		{"empty value", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { perm(d, 0, 1)["value"] = "" }) }, "app ce, permission permissions[1], field value"},
		{"value with space", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 1)["value"] = "User Read" })
		}, "permission User Read, field value"},
		{"empty api", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { perm(d, 1, 3)["api"] = "" }) }, "app uo, permission AX.FullAccess, field api"},
		{"resource not guid", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 1, 3)["resourceAppId"] = "dynamics-erp" })
		}, "permission AX.FullAccess, field resourceAppId"},
		{"bad type", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 0)["type"] = "delegated" })
		}, `field type: must be Delegated or Application, got "delegated"`},
		{"empty friendly name", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 2)["friendlyName"] = "" })
		}, "permission user_impersonation, field friendlyName"},
		{"empty purpose", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 2)["purpose"] = "  " })
		}, "permission user_impersonation, field purpose"},
		{"id not guid", func(t *testing.T) []byte { return mutate(t, func(d map[string]any) { perm(d, 0, 0)["id"] = "abc" }) }, "permission User.Read, field id"},
		{"escape sequence in a purpose", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 2)["purpose"] = "Reads data\x1b]52;c;ZXZpbA==\x07" })
		}, "permission user_impersonation, field purpose: contains the control character U+001B"},
		{"line break in a display name", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { app(d, 1)["displayName"] = "AvePoint\nfake line" })
		}, "app uo, field displayName: contains the control character U+000A"},
		{"C1 control in an api name", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 1, 3)["api"] = "Dynamics\u009bERP" })
		}, "permission AX.FullAccess, field api: contains the control character U+009B"},
		{"bidi override in a friendly name", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 0)["friendlyName"] = "Sign in \u202eevil" })
		}, "permission User.Read, field friendlyName: contains the control character U+202E"},
		{"bidi isolate in a notice", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { app(d, 1)["notice"] = "\u2066x\u2069" })
		}, "app uo, field notice: contains the control character U+2066"},
		{"right-to-left mark in a purpose", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 0, 2)["purpose"] = "Reads \u200fdata" })
		}, "permission user_impersonation, field purpose: contains the control character U+200F"},
		{"zero-width space in an api name", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) { perm(d, 1, 3)["api"] = "Dynamics\u200bERP" })
		}, "permission AX.FullAccess, field api: contains the control character U+200B"},
		{"duplicate permission", func(t *testing.T) []byte {
			return mutate(t, func(d map[string]any) {
				a := app(d, 0)
				a["permissions"] = append(a["permissions"].([]any), perm(d, 0, 0))
			})
		}, "app ce, permission User.Read, field value: listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.doc(t))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T is not a *ValidationError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// A catalog that only adds a permission (the reason --catalog exists) loads, and the
// same permission value on another type or resource is not a duplicate.
func TestLoadAcceptsExtendedCatalog(t *testing.T) {
	doc := mutate(t, func(d map[string]any) {
		a := app(d, 0)
		p := map[string]any{"api": "Microsoft Graph", "resourceAppId": GraphAppID, "value": "User.Read", "friendlyName": "Read all users",
			"type": "Application", "purpose": "p", "newlyRequired": true}
		a["permissions"] = append(a["permissions"].([]any), p)
		a["clientId"] = "11111111-2222-3333-4444-555555555555"
	})
	path := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ce, _ := c.App("ce")
	if len(ce.Permissions) != 4 || !ce.Permissions[3].NewlyRequired || ce.ClientID == "" {
		t.Fatalf("extended catalog not loaded: %+v", ce)
	}
	if _, err := LoadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "reading catalog") {
		t.Fatalf("missing file: %v", err)
	}
}
