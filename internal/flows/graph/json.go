package graph

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/d365consent/d365consent/internal/safetext"
)

// Unmarshal decodes JSON like encoding/json, but member names are case-sensitive, as
// in OData JSON: encoding/json would also fill a field tagged "consentType" from a
// member "ConsentType" (and let the last of two such members win), so a reply could
// carry a value the service never meant under that name. A member whose name equals a
// field's tag except for case is an error. Nested structs and slices of structs are
// checked too.
//
// Every string it fills (in structs, slices, arrays, maps and pointers, at any depth)
// is display-safe (safetext.Sanitize): this is where text from Microsoft Graph —
// display names, publisher names, error messages — enters the program. A field
// tagged graph:"verbatim" is left as sent: a value compared with another (a
// permission value, a grant's scope list) must not match after its control or
// invisible characters are dropped; whoever shows it sanitizes it.
// json.RawMessage is left as it is, for a later Unmarshal.
func Unmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	if err := checkCase(data, reflect.TypeOf(v)); err != nil {
		return err
	}
	sanitizeStrings(reflect.ValueOf(v))
	return nil
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// sanitizeStrings replaces every string reachable from v with its display-safe form.
func sanitizeStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Interface {
			// A value held in an interface cannot be set in place: clean a copy.
			c := reflect.New(v.Elem().Type()).Elem()
			c.Set(v.Elem())
			sanitizeStrings(c)
			if v.CanSet() {
				v.Set(c)
			}
			return
		}
		sanitizeStrings(v.Elem())
	case reflect.String:
		if v.CanSet() {
			v.SetString(safetext.Sanitize(v.String()))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() && f.Tag.Get("graph") != "verbatim" {
				sanitizeStrings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == rawMessageType || v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := 0; i < v.Len(); i++ {
			sanitizeStrings(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			sanitizeStrings(e)
			v.SetMapIndex(k, e)
		}
	}
}

func checkCase(data []byte, t reflect.Type) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			if t.Elem().Kind() == reflect.Uint8 { // []byte, json.RawMessage
				return nil
			}
			var items []json.RawMessage
			if json.Unmarshal(data, &items) != nil {
				return nil // null: encoding/json already accepted it
			}
			for _, it := range items {
				if err := checkCase(it, t.Elem()); err != nil {
					return err
				}
			}
			return nil
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(data, &members) != nil || members == nil {
		return nil // null
	}
	for name, raw := range members {
		exact := false
		var folded *reflect.StructField
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if tag == "-" {
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			if tag == name {
				exact = true
				folded = &f
				break
			}
			if strings.EqualFold(tag, name) {
				folded = &f
			}
		}
		if folded == nil {
			continue
		}
		if !exact {
			return fmt.Errorf("member %q: JSON member names are case-sensitive", name)
		}
		if err := checkCase(raw, folded.Type); err != nil {
			return err
		}
	}
	return nil
}
