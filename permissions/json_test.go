package permissions

import (
	"bytes"
	"encoding/json"
	"testing"
)

// reference is what WriteJSON wrote with encoding/json before json.go replaced it.
func reference(t testing.TB, service string, apps []App) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonList{Schema: ListSchema, Service: service, Apps: apps}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWriteJSONMatchesEncodingJSON(t *testing.T) {
	c := Embedded()
	full := c.Apps[0]
	full.ProfileNote, full.RedirectURI, full.CreationClosedOn, full.Notice = "note", "https://example.com/r", "2025-01-01", "notice"
	full.ClientIDs = map[string]string{"usgov": "b", "global": "a", "china": "c"}
	full.ReauthorizeOnly = true
	for name, apps := range map[string][]App{
		"embedded":           c.Apps,
		"one app":            c.Apps[1:],
		"no app":             {},
		"nil":                nil,
		"every field set":    {full},
		"nil permissions":    {{Key: "k"}},
		"empty permissions":  {{Key: "k", Permissions: []Permission{}}},
		"empty client ids":   {{Key: "k", ClientIDs: map[string]string{}}},
		"escapes":            {{Key: "a\"b\\c\b\f\n\r\t\x00\x1f\x7f<>&", DisplayName: "\u2028\u2029 é 漢 \xff\xfe", Permissions: []Permission{{ID: "\x1b[2J", Purpose: "x\u2029"}}}},
		"permission with id": {{Key: "k", Permissions: []Permission{{Value: "v", ID: "i"}, {Value: "w"}}}},
	} {
		var got bytes.Buffer
		if err := WriteJSON(&got, "svc \"q\"", apps); err != nil {
			t.Fatal(err)
		}
		ref := apps
		if ref == nil {
			ref = []App{} // WriteJSON writes no apps as []
		}
		if want := reference(t, "svc \"q\"", ref); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got.Bytes(), want)
		}
	}
}

// FuzzWriteJSON: for any strings in any field, WriteJSON writes exactly what
// encoding/json writes.
func FuzzWriteJSON(f *testing.F) {
	f.Add("ce", "Dynamics \"CE\"", "\u2028\x00", "global", true)
	f.Add("", "", "", "", false)
	f.Add("\xff", "<&>", "\\", "\x7f", true)
	f.Fuzz(func(t *testing.T, s1, s2, s3, cloud string, b bool) {
		apps := []App{{
			Key: s1, Category: s2, AppType: s3, SetupMethod: s1, DisplayName: s2, NewOrUpdated: s3,
			Consent: s1, ProfileNote: s2, ClientID: s3, ClientIDs: map[string]string{cloud: s1, s2: s3},
			RedirectURI: s1, ReauthorizeOnly: b, CreationClosedOn: s2, Notice: s3,
			Permissions: []Permission{
				{API: s1, ResourceAppID: s2, Value: s3, FriendlyName: s1, Type: Type(s2), Purpose: s3, NewlyRequired: b, ID: s1},
				{API: s3, NewlyRequired: !b, ID: s2},
			},
		}}
		var got bytes.Buffer
		if err := WriteJSON(&got, s3, apps); err != nil {
			t.Fatal(err)
		}
		if want := reference(t, s3, apps); !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("\n got %q\nwant %q", got.Bytes(), want)
		}
	})
}
