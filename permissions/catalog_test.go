package permissions

import (
	"reflect"
	"strings"
	"testing"
)

// The shipped catalog.json parses and validates, and Embedded returns exactly that.
func TestEmbeddedCatalogValidates(t *testing.T) {
	want, err := Parse(embedded)
	if err != nil {
		t.Fatalf("catalog.json: %v", err)
	}
	if got := Embedded(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Embedded is not catalog.json:\n got %+v\nwant %+v", got, want)
	}
	if got := EmbeddedJSON(); string(got) != string(embedded) {
		t.Fatal("EmbeddedJSON is not catalog.json")
	}
}

func TestEmbeddedIsFreshCopy(t *testing.T) {
	a := Embedded()
	value, clientID := a.Apps[0].Permissions[0].Value, a.Apps[0].ClientID
	a.Apps[0].Permissions[0].Value = "changed"
	a.Apps[0].ClientID = "x"
	if b := Embedded(); b.Apps[0].Permissions[0].Value != value || b.Apps[0].ClientID != clientID {
		t.Fatal("Embedded returned shared state")
	}
}

func TestCloneIsDeep(t *testing.T) {
	c := fixture(t)
	d := c.Clone()
	d.Apps[1].Permissions[0].Value = "changed"
	d.Apps[1].Key = "changed"
	if c.Apps[1].Permissions[0].Value != "User.Read" || c.Apps[1].Key != "uo" {
		t.Fatal("Clone shares apps or permissions")
	}
}

func TestLookupAndResources(t *testing.T) {
	c := fixture(t)
	if got := strings.Join(c.Keys(), ","); got != "ce,uo" {
		t.Fatalf("keys %s", got)
	}
	uo, ok := c.App("UO")
	if !ok || uo.Key != "uo" {
		t.Fatal("lookup by key is not case-insensitive")
	}
	if _, ok := c.App("xx"); ok {
		t.Fatal("unknown key found")
	}
	if got := strings.Join(uo.Resources(), ","); got != GraphAppID+","+DynamicsERPAppID {
		t.Fatalf("uo resources %s", got)
	}
	if uo.APIName(DynamicsERPAppID) != "Dynamics ERP" || uo.APIName("nope") != "nope" {
		t.Fatal("APIName")
	}
	if !strings.Contains(Application.Explain(), "as itself") || !strings.Contains(Delegated.Explain(), "on behalf of") {
		t.Fatal("Explain")
	}
}
