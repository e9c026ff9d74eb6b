package flows_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// TestVerifyListsExtraGrants: permissions granted beyond the required set are listed
// in Result.Extra (by name, resolved against the resource), and do not change the
// required permissions' outcome.
func TestVerifyListsExtraGrants(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	app := f.app(t, "ce")
	for _, g := range []struct {
		res   string
		typ   permissions.Type
		value string
	}{
		{permissions.GraphAppID, permissions.Delegated, "Group.Read.All"}, // joins the existing Graph grant
		{permissions.GraphAppID, permissions.Application, "Application.Read.All"},
		{permissions.GraphAppID, permissions.Application, "Group.Read.All"},
	} {
		if err := f.srv.GrantExtra(app.ClientID, g.res, g.typ, g.value); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.ResetGraphRequests()
	r, err := f.session.Verify(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	want := []flows.ExtraGrant{
		{API: "Microsoft Graph", Permission: "Application.Read.All", Type: "Application"},
		{API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Application"},
		{API: "Microsoft Graph", Permission: "Group.Read.All", Type: "Delegated"},
	}
	if !reflect.DeepEqual(r.Extra, want) {
		t.Errorf("extra %+v\nwant  %+v", r.Extra, want)
	}
	if r.Status != flows.StatusComplete || r.Granted() != len(app.Permissions) {
		t.Errorf("status %s, %d/%d granted", r.Status, r.Granted(), len(app.Permissions))
	}
	if n := f.srv.GraphRequests(); n != 1 {
		t.Errorf("%d Graph requests, want 1", n)
	}
	md := string(flows.MarkdownReport(r))
	for _, e := range want {
		if !strings.Contains(md, "- "+e.API+" · "+e.Permission+" · "+e.Type) {
			t.Errorf("report lacks extra grant %+v:\n%s", e, md)
		}
	}
}

// TestVerifyNoExtraWhenExact: a tenant holding exactly the required set lists none.
func TestVerifyNoExtraWhenExact(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	for _, key := range []string{"ce", "uo"} {
		r, err := f.session.Verify(context.Background(), f.app(t, key))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Extra) != 0 {
			t.Errorf("%s: extra %+v", key, r.Extra)
		}
	}
}
