package graph

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// The types below exercise every branch of the case-sensitive decoder (json.go):
// tagged and untagged fields, options after the name, "-", unexported fields,
// nested structs behind pointers, slices and arrays of structs, raw JSON.
type jsonInner struct {
	ID string `json:"id"`
}

type jsonOuter struct {
	ConsentType string            `json:"consentType,omitempty"`
	Name        string            // untagged: the member is "Name"
	Hidden      jsonInner         `json:"-"`
	secret      string            // unexported: never a member
	Ptr         *jsonInner        `json:"ptr"`
	List        []jsonInner       `json:"list"`
	Arr         [2]jsonInner      `json:"arr"`
	Deep        []*[]jsonInner    `json:"deep"`
	Raw         json.RawMessage   `json:"raw"`
	Bytes       []byte            `json:"bytes"`
	Map         map[string]string `json:"map"`
	Num         int               `json:"num"`
}

func TestUnmarshalAcceptsExactMemberNames(t *testing.T) {
	data := `{"consentType":"AllPrincipals","Name":"n","ptr":{"id":"p"},"list":[{"id":"l0"},{"id":"l1"}],` +
		`"arr":[{"id":"a0"},{"id":"a1"}],"deep":[[{"id":"d"}]],"raw":[{"ID":"raw is not checked"}],` +
		`"bytes":"aGk=","map":{"Key":"v"},"num":3,"unknown":{"ID":1},"-":{"ID":"x"}}`
	var got jsonOuter
	if err := Unmarshal([]byte(data), &got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	inner := []jsonInner{{ID: "d"}}
	want := jsonOuter{
		ConsentType: "AllPrincipals", Name: "n", Ptr: &jsonInner{ID: "p"},
		List: []jsonInner{{ID: "l0"}, {ID: "l1"}}, Arr: [2]jsonInner{{ID: "a0"}, {ID: "a1"}},
		Deep: []*[]jsonInner{&inner}, Raw: json.RawMessage(`[{"ID":"raw is not checked"}]`),
		Bytes: []byte("hi"), Map: map[string]string{"Key": "v"}, Num: 3,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

func TestUnmarshalRejectsCaseVariantMembers(t *testing.T) {
	for _, tc := range []struct{ name, data, want string }{
		{"tagged top level", `{"ConsentType":"AllPrincipals"}`, `member "ConsentType": JSON member names are case-sensitive`},
		{"untagged field name", `{"name":"n"}`, `member "name": JSON member names are case-sensitive`},
		{"behind a pointer", `{"ptr":{"Id":"p"}}`, `member "Id": JSON member names are case-sensitive`},
		{"in a slice, not the first item", `{"list":[{"id":"a"},{"iD":"b"}]}`, `member "iD": JSON member names are case-sensitive`},
		{"in an array", `{"arr":[{"id":"a"},{"ID":"b"}]}`, `member "ID": JSON member names are case-sensitive`},
		{"slice of pointers to slices", `{"deep":[[{"Id":"d"}]]}`, `member "Id": JSON member names are case-sensitive`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got jsonOuter
			err := Unmarshal([]byte(tc.data), &got)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Unmarshal(%s) = %v, want %q", tc.data, err, tc.want)
			}
		})
	}
}

// A top-level slice (a Graph "value" array decoded on its own) is checked item by item.
func TestUnmarshalChecksTopLevelSlice(t *testing.T) {
	var ok []jsonInner
	if err := Unmarshal([]byte(`[{"id":"a"},{"id":"b"}]`), &ok); err != nil || len(ok) != 2 || ok[1].ID != "b" {
		t.Fatalf("exact names: %v %+v", err, ok)
	}
	var bad []jsonInner
	err := Unmarshal([]byte(`[{"id":"a"},{"Id":"b"}]`), &bad)
	if err == nil || err.Error() != `member "Id": JSON member names are case-sensitive` {
		t.Fatalf("case variant in item 2: %v", err)
	}
}

// null anywhere is what encoding/json makes of it; nothing to check.
func TestUnmarshalNulls(t *testing.T) {
	var p *jsonOuter
	if err := Unmarshal([]byte(`null`), &p); err != nil || p != nil {
		t.Fatalf("null: %v %+v", err, p)
	}
	var got jsonOuter
	if err := Unmarshal([]byte(`{"ptr":null,"list":null,"Name":"n"}`), &got); err != nil || got.Ptr != nil || got.List != nil || got.Name != "n" {
		t.Fatalf("null members: %v %+v", err, got)
	}
}

// A syntax error is encoding/json's, unchanged.
func TestUnmarshalSyntaxError(t *testing.T) {
	var got jsonOuter
	err := Unmarshal([]byte(`{"Name":`), &got)
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *json.SyntaxError", err)
	}
}
