package permissions

import (
	"errors"
	"strings"
	"testing"
)

// The catalog holds a client id per cloud; the global app does not exist in GCC
// High or China, so the legacy clientId answers for the global cloud only.
func TestClientIDPerCloud(t *testing.T) {
	const g, us = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	a := &App{ClientID: g, ClientIDs: map[string]string{"usgov": us}}
	for cloud, want := range map[string]string{"": g, "global": g, "usgov": us, "usgov-dod": "", "china": ""} {
		if got := a.ClientIDFor(cloud); got != want {
			t.Errorf("%q: %q, want %q", cloud, got, want)
		}
	}
	b := &App{ClientIDs: map[string]string{"global": us}, ClientID: g}
	if b.ClientIDFor("global") != us {
		t.Error("clientIds.global must win over the legacy clientId")
	}
	c := fixture(t)
	c.Apps[0].ClientIDs = map[string]string{"usgov": us}
	d := c.Clone()
	d.Apps[0].ClientIDs["usgov"] = g
	if c.Apps[0].ClientIDs["usgov"] != us {
		t.Error("Clone shares the clientIds map")
	}
	doc := strings.Replace(string(fixtureJSON(t)), `"clientId": "",`, `"clientId": "", "clientIds": {"usgov": "`+us+`", "china": ""},`, 1)
	p, err := Parse([]byte(doc))
	if err != nil || p.Apps[0].ClientIDFor("usgov") != us {
		t.Fatalf("%v", err)
	}
	for _, bad := range []string{`{"mars": "` + us + `"}`, `{"usgov": "not-a-guid"}`} {
		doc := strings.Replace(string(fixtureJSON(t)), `"clientId": "",`, `"clientId": "", "clientIds": `+bad+`,`, 1)
		var ve *ValidationError
		if _, err := Parse([]byte(doc)); !errors.As(err, &ve) || ve.Field != "clientIds" {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
