package permissions

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The JSON contract: these field names, at these places, never change (fields may
// be added). Optional fields appear only when set; every app field is set here.
func TestWriteJSONFieldNames(t *testing.T) {
	app := App{
		Key: "k", Category: "c", AppType: "t", SetupMethod: "s", DisplayName: "d", NewOrUpdated: "n", Consent: "c",
		ProfileNote: "p", ClientID: "g", ClientIDs: map[string]string{"usgov": "u"}, RedirectURI: "https://r",
		ReauthorizeOnly: true, CreationClosedOn: "2023-01-08", Notice: "n",
		Permissions: []Permission{
			{API: "a", ResourceAppID: "r", Value: "v", FriendlyName: "f", Type: Delegated, Purpose: "p", NewlyRequired: true, ID: "i"},
			{API: "a", ResourceAppID: "r", Value: "w", FriendlyName: "f", Type: Application, Purpose: "p"},
		},
	}
	var b bytes.Buffer
	if err := WriteJSON(&b, "svc", []App{app}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(v any) string {
		ks := make([]string, 0)
		for k := range v.(map[string]any) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return strings.Join(ks, " ")
	}
	a := doc["apps"].([]any)[0]
	ps := a.(map[string]any)["permissions"].([]any)
	for what, want := range map[string]string{
		"document":                      "apps schema service",
		"app":                           "appType category clientId clientIds consent creationClosedOn displayName key newOrUpdated notice permissions profileNote reauthorizeOnly redirectUri setupMethod",
		"permission with an id":         "api friendlyName id newlyRequired purpose resourceAppId type value",
		"permission without an id":      "api friendlyName newlyRequired purpose resourceAppId type value",
		"app without the optional ones": "appType category clientId consent displayName key newOrUpdated permissions reauthorizeOnly setupMethod",
	} {
		var got string
		switch what {
		case "document":
			got = keys(doc)
		case "app":
			got = keys(a)
		case "permission with an id":
			got = keys(ps[0])
		case "permission without an id":
			got = keys(ps[1])
		case "app without the optional ones":
			var bare bytes.Buffer
			if err := WriteJSON(&bare, "svc", []App{{Key: "k"}}); err != nil {
				t.Fatal(err)
			}
			var d map[string]any
			if err := json.Unmarshal(bare.Bytes(), &d); err != nil {
				t.Fatal(err)
			}
			got = keys(d["apps"].([]any)[0])
		}
		if got != want {
			t.Errorf("%s fields: %s, want %s", what, got, want)
		}
	}
	if doc["schema"] != ListSchema || ListSchema != "d365consent.permissions/v1" {
		t.Errorf("schema %v", doc["schema"])
	}
}

// No apps (nil or empty) is "apps": [], and the document is indented by two spaces,
// HTML characters unescaped, one newline at the end.
func TestWriteJSONShape(t *testing.T) {
	for _, apps := range [][]App{nil, {}} {
		var b bytes.Buffer
		if err := WriteJSON(&b, "a <b> & c", apps); err != nil {
			t.Fatal(err)
		}
		want := "{\n  \"schema\": \"d365consent.permissions/v1\",\n  \"service\": \"a <b> & c\",\n  \"apps\": []\n}\n"
		if b.String() != want {
			t.Errorf("%#v: %q, want %q", apps, b.String(), want)
		}
	}
}

// FuzzWriteJSON: for any strings in any field, WriteJSON writes a JSON document
// that carries no control character but its newlines (`permissions --format json`
// goes to the terminal unfiltered) and reads back as the same apps, each invalid
// UTF-8 byte read back as U+FFFD.
func FuzzWriteJSON(f *testing.F) {
	f.Add("ce", "Dynamics \"CE\"", "\u2028\x00", "global", true)
	f.Add("", "", "", "", false)
	f.Add("\xff", "<&>", "\\", "\x1b[2J", true)
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
		var out bytes.Buffer
		if err := WriteJSON(&out, s3, apps); err != nil {
			t.Fatal(err)
		}
		for i, c := range out.Bytes() {
			if c < 0x20 && c != '\n' {
				t.Fatalf("control byte %#x at %d in %q", c, i, out.Bytes())
			}
		}
		var got jsonList
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v in %q", err, out.Bytes())
		}
		v := func(s string) string { return string([]rune(s)) } // invalid bytes → U+FFFD each
		w1, w2, w3 := v(s1), v(s2), v(s3)
		ids := map[string]string{v(cloud): w1}
		ids[w2] = w3
		if v(cloud) == w2 && cloud != s2 {
			// Two keys that differ only in invalid bytes decode to one; which value
			// wins is the encoder's key order.
			return
		}
		want := jsonList{Schema: ListSchema, Service: w3, Apps: []App{{
			Key: w1, Category: w2, AppType: w3, SetupMethod: w1, DisplayName: w2, NewOrUpdated: w3,
			Consent: w1, ProfileNote: w2, ClientID: w3, ClientIDs: ids,
			RedirectURI: w1, ReauthorizeOnly: b, CreationClosedOn: w2, Notice: w3,
			Permissions: []Permission{
				{API: w1, ResourceAppID: w2, Value: w3, FriendlyName: w1, Type: Type(w2), Purpose: w3, NewlyRequired: b, ID: w1},
				{API: w3, NewlyRequired: !b, ID: w2},
			},
		}}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read back\n got %+v\nwant %+v", got, want)
		}
	})
}
