package flows

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

func resultFor(app *permissions.App, sp *ResultSP, status func(p permissions.Permission) PermStatus) *Result {
	r := &Result{App: ResultApp{Key: app.Key}, ServicePrincipal: sp, Status: StatusIncomplete}
	if sp == nil {
		r.Status = StatusNotConsented
	}
	for _, p := range app.Permissions {
		r.Permissions = append(r.Permissions, PermissionCheck{API: p.API, ResourceAppID: p.ResourceAppID, Permission: p.Value,
			Type: string(p.Type), Status: status(p), NewlyRequired: p.NewlyRequired})
	}
	return r
}

// States consent cannot fix end the wait at once, with the cause and the
// real next step; states it can fix (or that may still change) never do.
func TestConsentBlockers(t *testing.T) {
	ce, uo := testkit.App(t, "ce"), testkit.App(t, "uo")
	// A UO variant whose Connector.FullAccess is newly required.
	uoNew := *uo
	uoNew.Permissions = append([]permissions.Permission(nil), uo.Permissions...)
	for i := range uoNew.Permissions {
		uoNew.Permissions[i].NewlyRequired = uoNew.Permissions[i].Value == "Connector.FullAccess"
	}
	enabled := &ResultSP{ID: "sp", AccountEnabled: true}
	all := func(PermStatus) func(permissions.Permission) PermStatus {
		return func(permissions.Permission) PermStatus { return PermGranted }
	}
	missing := func(permissions.Permission) PermStatus { return PermMissing }
	newMissing := func(p permissions.Permission) PermStatus {
		if p.Value == "Connector.FullAccess" {
			return PermMissing
		}
		return PermGranted
	}
	fresh := resultFor(ce, nil, missing)
	uoAbsent := resultFor(uo, nil, missing)
	uoAbsent.ReauthorizeOnlyBlocked = true
	disabled := resultFor(ce, &ResultSP{ID: "sp", AccountEnabled: false}, all(PermGranted))
	noCRM := resultFor(ce, nil, func(p permissions.Permission) PermStatus {
		if p.ResourceAppID == permissions.DynamicsCRMAppID {
			return PermResourceMissing
		}
		return PermMissing
	})
	behind := resultFor(&uoNew, enabled, newMissing)
	settle := RegistrationSettle
	for _, tc := range []struct {
		name     string
		app      *permissions.App
		r        *Result
		evidence bool
		stable   time.Duration
		reason   BlockReason
		says     []string
	}{
		{"fresh tenant, admin: keep waiting", ce, fresh, false, 0, "", nil},
		{"disabled service principal", ce, disabled, false, 0, BlockDisabled, []string{"disabled", "Enabled for users to sign-in"}},
		{"resource missing", ce, noCRM, false, 0, BlockResourceMissing, []string{"Dynamics CRM", "subscription"}},
		{"UO absent: re-authorize only", uo, uoAbsent, false, 0, BlockReauthorizeOnly, []string{"re-authorize", "AvePoint"}},
		{"newly required row missing before any consent: keep waiting", &uoNew, behind, false, time.Hour, "", nil},
		{"newly required row missing after consent, not settled yet", &uoNew, behind, true, settle - time.Second, "", nil},
		{"registration behind", &uoNew, behind, true, settle, BlockRegistrationBehind,
			[]string{"Connector.FullAccess", "re-authorize", "AOS", "AvePoint"}},
		{"a non-new row still missing is replication, not the registration", &uoNew, resultFor(&uoNew, enabled, func(p permissions.Permission) PermStatus {
			if p.Value == "Connector.FullAccess" || p.Value == "Group.Read.All" {
				return PermMissing
			}
			return PermGranted
		}), true, time.Hour, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := consentBlocker(tc.app, tc.r, tc.evidence, tc.stable)
			if tc.reason == "" {
				if b != nil {
					t.Fatalf("blocked: %v", b)
				}
				return
			}
			if b == nil || b.Reason != tc.reason {
				t.Fatalf("got %+v, want %s", b, tc.reason)
			}
			if !errors.Is(b, ErrCannotFix) || !errors.Is(b, ErrIncomplete) {
				t.Errorf("%v does not match ErrCannotFix and ErrIncomplete", b)
			}
			// Explained as itself, never as the AADSTS code its cause may name.
			if x := explain.Describe(fmt.Errorf("admin consent: %w", b)); x == nil || x.Title != "Consent cannot fix this" || x.Meaning != b.Cause || x.Code != 0 {
				t.Errorf("described as %+v", x)
			}
			for _, s := range tc.says {
				if !strings.Contains(b.Error(), s) {
					t.Errorf("lacks %q: %s", s, b.Error())
				}
			}
		})
	}
}

// Which failures of a poll are "not visible yet" (keep waiting) and which end it.
func TestConsentPollErrorClass(t *testing.T) {
	for _, tc := range []struct {
		err       error
		transient bool
		reason    BlockReason
	}{
		{&graph.Error{Status: 503}, true, ""},
		{&graph.Error{Status: 500}, true, ""},
		{&graph.Error{Status: 504}, true, ""},
		{&graph.Error{Status: 429}, true, ""},
		{&graph.Error{Status: 404, Path: "/servicePrincipals(appId='x')/oauth2PermissionGrants"}, true, ""},
		{fmt.Errorf("Microsoft Graph POST /$batch: %w", &url.Error{Op: "Post", URL: "https://graph", Err: &net.OpError{Op: "dial", Err: errors.New("connection reset")}}), true, ""},
		{&graph.Error{Status: 403, Code: "Authorization_RequestDenied"}, false, BlockCannotRead},
		{&graph.Error{Status: 400}, false, ""},
		{errors.New("decoding a permission grant: bad json"), false, ""},
	} {
		tr, b := classifyPollError(tc.err)
		if tr != tc.transient || (b == nil) != (tc.reason == "") || (b != nil && b.Reason != tc.reason) {
			t.Errorf("%v: transient %v blocker %+v", tc.err, tr, b)
		}
	}
}

// The wait's schedule: every 2 s for the first 2 minutes, then backing off to 10 s.
func TestPollInterval(t *testing.T) {
	prev := time.Duration(0)
	for _, tc := range []struct {
		elapsed, want time.Duration
	}{{0, 2 * time.Second}, {90 * time.Second, 2 * time.Second}, {119 * time.Second, 2 * time.Second},
		{120 * time.Second, 4 * time.Second}, {124 * time.Second, 8 * time.Second}, {132 * time.Second, 10 * time.Second}, {9 * time.Minute, 10 * time.Second}} {
		got := nextPoll(tc.elapsed, prev)
		if got != tc.want {
			t.Errorf("after %s (previous %s): %s, want %s", tc.elapsed, prev, got, tc.want)
		}
		prev = got
	}
}

// The step in AOS after consent: a re-authorize-only app (UO) is only re-authorized,
// never created; another app's step is its catalog's; no app, no step.
func TestNextStepAfterConsent(t *testing.T) {
	ce, uo := testkit.App(t, "ce"), testkit.App(t, "uo")
	for _, tc := range []struct {
		app  *permissions.App
		want string
	}{
		{ce, "Create or re-authorize an app profile in AOS > Management > App management."},
		{uo, "Re-authorize the existing app profile in AOS > Management > App management."},
		{nil, ""},
	} {
		if got := NextStep(tc.app); got != tc.want {
			key := "nil"
			if tc.app != nil {
				key = tc.app.Key
			}
			t.Errorf("NextStep(%s) = %q, want %q", key, got, tc.want)
		}
	}
}

// After consent, settled, with every row granted (the newly required one included),
// nothing blocks: "registration behind" needs a newly required row still missing.
func TestRegistrationBehindNeedsAMissingNewRow(t *testing.T) {
	uo := testkit.App(t, "uo")
	uoNew := *uo
	uoNew.Permissions = append([]permissions.Permission(nil), uo.Permissions...)
	for i := range uoNew.Permissions {
		uoNew.Permissions[i].NewlyRequired = uoNew.Permissions[i].Value == "Connector.FullAccess"
	}
	granted := resultFor(&uoNew, &ResultSP{ID: "sp", AccountEnabled: true}, func(permissions.Permission) PermStatus { return PermGranted })
	if b := consentBlocker(&uoNew, granted, true, RegistrationSettle); b != nil {
		t.Fatalf("everything granted: blocked by %v", b)
	}
}

// pathOnly cuts a Graph path at its query, a query alone included.
func TestPathOnly(t *testing.T) {
	for in, want := range map[string]string{
		"/servicePrincipals/x/appRoleAssignments?$top=999": "/servicePrincipals/x/appRoleAssignments",
		"?$top=999": "",
		"/me":       "/me",
	} {
		if got := pathOnly(in); got != want {
			t.Errorf("pathOnly(%q) = %q, want %q", in, got, want)
		}
	}
}
