package flows_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/permissions"
)

// Re-authorization with several service principals carrying the catalog's name: the
// list is newest first by the first app permission grant (Graph documents no creation
// date for a service principal), a tie goes by app id, and one never granted anything
// (no date) comes last — whatever order Graph lists them in.
func TestFindAppsNewestFirst(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	setNow := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	srv, s, b := openSession(t, emulator.Options{Scenario: "consented", Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}, nil, nil)
	ce, _ := srv.Catalog().App("ce")
	// Registered in this order, so Graph lists them in this order after the
	// scenario's own CE (first granted 2021-04-01 09:30 UTC).
	for _, a := range []struct {
		id      string
		granted time.Time // zero: no app permission granted
	}{
		{"ffffffff-0000-4000-8000-000000000001", time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)},
		{"eeeeeeee-0000-4000-8000-000000000002", time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC)},
		{"dddddddd-0000-4000-8000-000000000003", time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC)},
		{"aaaaaaaa-0000-4000-8000-000000000004", time.Time{}},
	} {
		reg := emulator.AppRegistration{ClientID: a.id, DisplayName: ce.DisplayName}
		if !a.granted.IsZero() {
			setNow(a.granted)
			reg.GraphRoles = []string{"Directory.Read.All"}
		}
		if _, err := srv.RegisterApp(reg); err != nil {
			t.Fatal(err)
		}
	}
	setNow(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC))
	if _, err := s.SignIn(b.ctx, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindApps(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		AppID        string
		FirstGranted time.Time
	}
	want := []row{
		{"ffffffff-0000-4000-8000-000000000001", time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)},
		{"dddddddd-0000-4000-8000-000000000003", time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC)},
		{"eeeeeeee-0000-4000-8000-000000000002", time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC)},
		{strings.ToLower(ce.ClientID), time.Date(2021, 4, 1, 9, 30, 0, 0, time.UTC)},
		{"aaaaaaaa-0000-4000-8000-000000000004", time.Time{}},
	}
	var rows []row
	for _, c := range got {
		rows = append(rows, row{c.AppID, c.FirstGranted})
		if c.DisplayName != ce.DisplayName || !c.CreatedDateTime.IsZero() {
			t.Errorf("candidate %+v: want the catalog's name and no creation date", c)
		}
	}
	if len(rows) != len(want) {
		t.Fatalf("candidates %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i].AppID != want[i].AppID || !rows[i].FirstGranted.Equal(want[i].FirstGranted) {
			t.Fatalf("candidates\n got %+v\nwant %+v", rows, want)
		}
	}
}

// The consent-target guard reads the client id's service principal: none in the
// tenant (404) is no objection — consent will create it — but a read that fails
// stops consent with the failure, never lets it through unchecked.
func TestCheckConsentTargetAbsentOrUnreadable(t *testing.T) {
	fresh := start(t, "fresh", emulator.Faults{}, nil, nil)
	if err := fresh.session.CheckConsentTarget(context.Background(), fresh.app(t, "ce")); err != nil {
		t.Fatalf("an app absent from the tenant: %v, want no objection", err)
	}
	f := start(t, "consented", emulator.Faults{}, newFakeClock(true), nil)
	ce := f.app(t, "ce")
	f.srv.SetFaults(emulator.Faults{GatewayTimeout: 1000})
	err := f.session.CheckConsentTarget(context.Background(), ce)
	var ge *graph.Error
	prefix := "checking which app client id " + ce.ClientID + " is: Microsoft Graph GET /servicePrincipals(appId='" + ce.ClientID +
		"')?$select=id,appId,displayName,appDisplayName,appOwnerOrganizationId,accountEnabled: HTTP 504 GatewayTimeout: "
	if !errors.As(err, &ge) || ge.Status != 504 || !strings.HasPrefix(fmt.Sprint(err), prefix) || errors.Is(err, flows.ErrUsage) {
		t.Fatalf("an unreadable service principal: %v, want the Graph 504 read failure starting %q", err, prefix)
	}
}

// A mistyped client id that is another app in the tenant (here Microsoft Graph's
// own): consent stops before anything is opened, and the explanation names both apps
// and everything consenting would have granted.
func TestDescribeConsentToAnotherApp(t *testing.T) {
	f := start(t, "consented", emulator.Faults{}, nil, nil)
	wrong := *f.app(t, "ce")
	wrong.ClientID = permissions.GraphAppID
	c, err := f.session.StartConsent(context.Background(), &wrong)
	if c != nil {
		c.Close()
		t.Fatal("consent started for another app")
	}
	want := explain.Explanation{Title: "STOP — this client id is another app",
		Meaning: `Client id 00000003-0000-0000-c000-000000000000 is "Microsoft Graph" in this tenant, not "AvePoint Cloud Backup for Dynamics Customer Engagement". ` +
			`Consenting would grant "Microsoft Graph", for the whole tenant: Microsoft Graph User.Read (Delegated), Microsoft Graph Directory.Read.All (Application), Dynamics CRM user_impersonation (Delegated).`,
		Fix: "Nothing was opened. Check the client id, paste the consent link AOS gives you, or pick the app found in the tenant."}
	if x := explain.Describe(err); x == nil || *x != want {
		t.Fatalf("explain.Describe(%v)\n got %+v\nwant %+v", err, x, want)
	}
}

// Looking for the app: none in the tenant is an empty list (and no second round trip
// for dates); a list Graph cannot give is an error naming the app; the dates are best
// effort — a $batch Graph keeps refusing leaves them unknown, the list stands.
func TestFindAppsAbsentUnreadableOrUndated(t *testing.T) {
	fresh := start(t, "fresh", emulator.Faults{}, nil, nil)
	fresh.srv.ResetGraphRequests()
	got, err := fresh.session.FindApps(context.Background(), fresh.app(t, "ce"))
	if err != nil || len(got) != 0 || fresh.srv.GraphRequests() != 1 {
		t.Fatalf("fresh tenant: candidates %+v, err %v, %d Graph requests; want none, no error, the one list request", got, err, fresh.srv.GraphRequests())
	}
	if _, err := fresh.session.FindApps(context.Background(), nil); !errors.Is(err, flows.ErrUsage) || err.Error() != "no app to look for" {
		t.Fatalf("no app: %v, want the usage error \"no app to look for\"", err)
	}

	f := start(t, "consented", emulator.Faults{}, newFakeClock(true), nil)
	ce := f.app(t, "ce")
	f.srv.SetFaults(emulator.Faults{Envelope: []int{503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503, 503}})
	got, err = f.session.FindApps(context.Background(), ce)
	if err != nil || len(got) != 1 || got[0].AppID != strings.ToLower(ce.ClientID) || !got[0].FirstGranted.IsZero() {
		t.Fatalf("dates unreadable: candidates %+v, err %v; want the app, first grant unknown", got, err)
	}
	f.srv.SetFaults(emulator.Faults{GatewayTimeout: 1000})
	_, err = f.session.FindApps(context.Background(), ce)
	var ge *graph.Error
	prefix := "looking for " + ce.DisplayName + " in the tenant: Microsoft Graph GET /servicePrincipals?$filter="
	if !errors.As(err, &ge) || ge.Status != 504 || !strings.HasPrefix(fmt.Sprint(err), prefix) {
		t.Fatalf("list unreadable: %v, want the Graph 504 starting %q", err, prefix)
	}
}

// A tenant admin renamed the enterprise application: the app is still found by the
// publisher's name (appDisplayName), shown with the tenant's label, and consent to it
// is not stopped as "another app" (application-properties: displayName is the
// tenant's to change, appDisplayName is not).
func TestRenamedAppIsStillTheApp(t *testing.T) {
	f := start(t, "renamed-app", emulator.Faults{}, nil, nil)
	ce := f.app(t, "ce")
	cands, err := f.session.FindApps(context.Background(), ce)
	if err != nil {
		t.Fatal(err)
	}
	if len(cands) != 1 || cands[0].AppID != ce.ClientID || cands[0].DisplayName != "Contoso Dynamics backup (renamed by IT)" || cands[0].AppDisplayName != ce.DisplayName {
		t.Fatalf("candidates %+v, want the renamed CE app", cands)
	}
	if err := f.session.CheckConsentTarget(context.Background(), ce); err != nil {
		t.Fatalf("renamed app stopped as another app: %v", err)
	}
}
