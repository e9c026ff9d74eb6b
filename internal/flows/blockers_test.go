package flows_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// What keeps a tenant from being complete that admin consent cannot fix, read from a
// real verification of each tenant state: each blocker carries its cause and real
// fix, and CauseShown/FixShown say which of them the verification's warnings already
// name (a screen shows each piece of advice once). A state consent can fix has none.
func TestBlockersOfEachTenantState(t *testing.T) {
	absent := flows.Blocker{Kind: "app-absent",
		Cause:      "The app is not in this tenant, and it can only be re-authorized, no longer created.",
		Fix:        "If the tenant has an active Cloud Backup for Dynamics 365 subscription, contact AvePoint support; there is nothing to consent to here.",
		CauseShown: true}
	noCRM := flows.Blocker{Kind: "resource-missing",
		Cause:      "Your tenant has no Dynamics CRM service principal (no Dynamics 365 subscription or environment for it), so admin consent would fail with AADSTS650052.",
		Fix:        "The tenant needs Dynamics CRM first: an active Dynamics 365 subscription with an environment in this tenant. Then run the wizard again.",
		CauseShown: true}
	disabled := flows.Blocker{Kind: "sp-disabled",
		Cause:      "The app's service principal is disabled (accountEnabled false): it cannot sign in, whatever is granted.",
		Fix:        "Enable the app's service principal: Microsoft Entra admin center > Enterprise applications > the app > Properties > \"Enabled for users to sign in?\" = Yes. Admin consent does not enable it.",
		CauseShown: true, FixShown: true}
	for _, tc := range []struct {
		scenario, app string
		want          []flows.Blocker
	}{
		{"uo-new", "uo", []flows.Blocker{absent}},
		{"no-dynamics", "ce", []flows.Blocker{noCRM}},
		{"disabled", "ce", []flows.Blocker{disabled}},
		{"fresh", "ce", nil},
		{"partial", "ce", nil},
		{"consented", "ce", nil},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			f := start(t, tc.scenario, emulator.Faults{}, nil, nil)
			r, err := f.session.Verify(context.Background(), f.app(t, tc.app))
			if err != nil {
				t.Fatal(err)
			}
			if got := flows.Blockers(r); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("blockers\n got %+v\nwant %+v\n(warnings %q)", got, tc.want, r.Warnings)
			}
		})
	}
	if got := flows.Blockers(nil); got != nil {
		t.Fatalf("no result: blockers %+v", got)
	}
}

// Consent can help when something is missing that a grant adds and nothing makes
// consent fail: a disabled service principal alone does not stop it (consent grants,
// enabling stays the admin's job), but with every permission granted there is nothing
// left for consent to do; an absent re-authorize-only app or an absent resource means
// consent would fail.
func TestConsentCanHelpInEachTenantState(t *testing.T) {
	for _, tc := range []struct {
		name, scenario, app string
		revoke              string // a delegated Microsoft Graph scope revoked before verifying
		want                bool
	}{
		{"nothing consented yet", "fresh", "ce", "", true},
		{"some permissions missing", "partial", "ce", "", true},
		{"complete", "consented", "ce", "", false},
		{"disabled, every permission granted", "disabled", "ce", "", false},
		{"disabled, a permission missing", "disabled", "ce", "User.Read", true},
		{"re-authorize-only app absent", "uo-new", "uo", "", false},
		{"Dynamics absent", "no-dynamics", "ce", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := start(t, tc.scenario, emulator.Faults{}, nil, nil)
			app := f.app(t, tc.app)
			if tc.revoke != "" {
				if err := f.srv.RevokeScope(f.srv.TenantID(), app.ClientID, permissions.GraphAppID, tc.revoke); err != nil {
					t.Fatal(err)
				}
			}
			r, err := f.session.Verify(context.Background(), app)
			if err != nil {
				t.Fatal(err)
			}
			if got := flows.ConsentCanHelp(r); got != tc.want {
				t.Fatalf("ConsentCanHelp = %t, want %t (status %s, %d of %d granted, blockers %+v)",
					got, tc.want, r.Status, r.Granted(), len(r.Permissions), flows.Blockers(r))
			}
		})
	}
	if flows.ConsentCanHelp(nil) {
		t.Fatal("no result: consent can help")
	}
}
