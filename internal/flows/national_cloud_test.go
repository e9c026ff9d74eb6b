package flows_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// msalOIDC are the scopes MSAL Go adds to every request, after the caller's.
const msalOIDC = " openid offline_access profile"

// nationalSession is what `d365consent --cloud NAME --authority-host A --graph-url G`
// builds, with A and G an emulator of that cloud: LookupCloud + WithOverrides.
func nationalSession(t *testing.T, srv *emulator.Server, name string, deviceCode bool) (*flows.Session, flows.Cloud) {
	t.Helper()
	cloud, err := flows.LookupCloud(name)
	if err != nil {
		t.Fatal(err)
	}
	if cloud, err = cloud.WithOverrides(srv.AuthorityHost(), srv.GraphURL()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s, err := flows.NewSession(flows.Config{
		Cloud: cloud, SignInClientID: srv.SignInClientID(), HTTPClient: srv.HTTPClient(),
		Browser: &demoBrowser{ctx: ctx, b: srv.Browser(srv.DemoUser())}, DeviceCode: deviceCode,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, cloud
}

// scopeLines are the emulator's scope requests as "endpoint grant tenant scope", a
// request repeated at once counted once (MSAL polls the device code grant until the
// admin has entered the code: how often is timing, not what it asked for).
func scopeLines(srv *emulator.Server) []string {
	var out []string
	for _, r := range srv.ScopeRequests() {
		l := strings.Join([]string{r.Endpoint, r.GrantType, r.Tenant, r.Scope}, " ")
		if len(out) == 0 || out[len(out)-1] != l {
			out = append(out, l)
		}
	}
	return out
}

// TestNationalCloudSignInAndVerify: pointed with --authority-host and --graph-url at
// a tenant of a national cloud, the product still names Microsoft Graph by that
// cloud's resource URI in every scope MSAL sends — interactive and device code
// sign-in, the silent token of a customer tenant (each tenant of a fleet check), the app
// identity's .default (graph/sdks/national-clouds, "Permission scopes") — and never
// by the endpoint it was given, which that cloud's Entra ID refuses (AADSTS500011).
// Real MSAL Go, real loopback HTTPS; the verdicts are the tenant's.
func TestNationalCloudSignInAndVerify(t *testing.T) {
	for _, tc := range []struct{ cloud, graph string }{
		{"usgov", "https://graph.microsoft.us"},
		{"usgov-dod", "https://dod-graph.microsoft.us"},
		{"china", "https://microsoftgraph.chinacloudapi.cn"},
	} {
		delegated := tc.graph + "/User.Read " + tc.graph + "/Directory.Read.All" + msalOIDC
		first := tc.graph + "/User.Read" + msalOIDC
		for _, device := range []bool{false, true} {
			mode := map[bool]string{false: "browser", true: "device code"}[device]
			t.Run(tc.cloud+" "+mode, func(t *testing.T) {
				srv, err := emulator.Start(emulator.Options{Scenario: "consented", Cloud: tc.cloud, Catalog: testkit.Catalog(t)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { srv.Close() })
				fab, err := srv.AddCustomerTenant(emulator.CustomerTenant{Name: "Fabrikam", Scenario: "partial", Access: emulator.AccessGDAP})
				if err != nil {
					t.Fatal(err)
				}
				s, cloud := nationalSession(t, srv, tc.cloud, device)
				if cloud.GraphURL != srv.GraphURL() || cloud.GraphResource != tc.graph {
					t.Fatalf("cloud %+v", cloud)
				}
				ctx := context.Background()
				if _, err := s.SignIn(ctx, func(flows.SignInPrompt) {}); err != nil {
					t.Fatalf("sign-in: %v", err)
				}
				cat := srv.Catalog()
				ce, _ := cat.App("ce")
				r, err := s.Verify(ctx, ce)
				if err != nil {
					t.Fatal(err)
				}
				if r.Status != flows.StatusComplete || r.Cloud != tc.cloud || r.Tenant.ID != srv.TenantID() {
					t.Fatalf("verify: status %s cloud %s tenant %s", r.Status, r.Cloud, r.Tenant.ID)
				}
				customer, err := flows.VerifyTenant(ctx, flows.TenantCheck{Cloud: cloud, HTTPClient: srv.HTTPClient(), Tokens: s, SignedInAs: srv.DemoUser()},
					ce, fab.Domain)
				if err != nil {
					t.Fatal(err)
				}
				if customer.Status != flows.StatusIncomplete || customer.Tenant.ID != fab.ID || customer.Tenant.DisplayName != "Fabrikam" {
					t.Fatalf("customer tenant: status %s tenant %+v", customer.Status, customer.Tenant)
				}

				// No --tenant: the organizations authority. The sign-in asks for
				// User.Read; the demo user consented Directory.Read.All to the sign-in
				// client earlier, so the token carries it and reading the grants asks
				// nothing more (first use: TestFirstSignInAsksOnlyWhatTheFirstScreensNeed).
				want := []string{
					"authorize  organizations " + first,
					"token authorization_code organizations " + first,
				}
				if device {
					want = []string{
						"devicecode  organizations " + first,
						"token device_code organizations " + first,
					}
				}
				want = append(want, "token refresh_token "+fab.Domain+" "+delegated) // MSAL's silent token for the customer tenant
				if got := scopeLines(srv); !reflect.DeepEqual(got, want) {
					t.Fatalf("scopes the tenant received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		}
		t.Run(tc.cloud+" app identity", func(t *testing.T) {
			srv, err := emulator.Start(emulator.Options{Scenario: "consented", Cloud: tc.cloud, Catalog: testkit.Catalog(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			id, err := srv.RegisterApp(emulator.AppRegistration{DisplayName: "Contoso Consent Monitor", Secret: "env-only", GraphRoles: []string{"Directory.Read.All"}})
			if err != nil {
				t.Fatal(err)
			}
			cloud, _ := flows.LookupCloud(tc.cloud)
			if cloud, err = cloud.WithOverrides(srv.AuthorityHost(), srv.GraphURL()); err != nil {
				t.Fatal(err)
			}
			ident, err := flows.AppIdentityFromEnv(flows.AuthSecret, id, srv.TenantID(), "", func(k string) string {
				return map[string]string{flows.EnvClientSecret: "env-only"}[k]
			})
			if err != nil {
				t.Fatal(err)
			}
			a, err := flows.NewAppSession(flows.Config{Cloud: cloud, HTTPClient: srv.HTTPClient()}, ident)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.SignIn(context.Background()); err != nil {
				t.Fatalf("app sign-in: %v", err)
			}
			cat := srv.Catalog()
			ce, _ := cat.App("ce")
			r, err := flows.VerifyTenant(context.Background(), flows.TenantCheck{Cloud: cloud, HTTPClient: srv.HTTPClient(), Tokens: a,
				SignedInAs: a.SignedInAs(), AppOnly: true}, ce, srv.TenantID())
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != flows.StatusComplete {
				t.Fatalf("app-only verify: %s", r.Status)
			}
			want := []string{"token client_credentials " + srv.TenantID() + " " + tc.graph + "/.default" + msalOIDC}
			if got := scopeLines(srv); !reflect.DeepEqual(got, want) {
				t.Fatalf("scopes the tenant received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
