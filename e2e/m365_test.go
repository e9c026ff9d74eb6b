package e2e

import (
	"reflect"
	"sort"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// TestM365CLIThroughProxy drives CLI for Microsoft 365 (npm @pnp/cli-microsoft365),
// unmodified, at the demo tenant through `d365consent emulator --proxy`: it has no
// setting for another authority or Graph host, so the proxy is its only way in. It
// signs in by device code (`m365 login --authType deviceCode`) with the Microsoft
// Graph Command Line Tools app the demo tenant registers (CLI for Microsoft 365 signs
// in with an app registration the user names with --appId), then reads the CE app's
// service principal (`m365 entra sp get`), delegated grants (`m365 entra oauth2grant
// list`) and app role assignments (`m365 entra approleassignment list --appId`), and
// each read must show what `d365consent verify` reports for the same tenant.
func TestM365CLIThroughProxy(t *testing.T) {
	m365 := testkit.NeedTool(t, "m365")
	eachScenarioThroughProxy(t, func(t *testing.T, p *emulatorProcess, want *verifyReport, app string) {
		// verify has signed in first with the same sign-in app: its admin's approval
		// consented the app's Graph scopes, which m365's /.default token then carries
		// (a tenant's admin consents Microsoft Graph Command Line Tools once).
		env, _ := proxyEnv(t, p)
		// No update check against a host the proxy refuses.
		env = append(env, "CLIMICROSOFT365_NOUPDATE=1")
		run := func(args ...string) string { t.Helper(); return runOK(t, p, env, m365, args...) }

		run("login", "--authType", "deviceCode", "--appId", p.printed["signin-client"], "--tenant", p.printed["tenant"])
		var status struct {
			ConnectedAs string `json:"connectedAs"`
			AppTenant   string `json:"appTenant"`
		}
		decode(t, "m365 status", run("status", "--output", "json"), &status)
		if status.ConnectedAs != p.admin || status.AppTenant != p.printed["tenant"] {
			t.Fatalf("m365 status: %+v, want %s in the demo tenant %s", status, p.admin, p.printed["tenant"])
		}

		spID := want.checkServicePrincipal(t, "m365 entra sp get", run("entra", "sp", "get", "--id", app, "--output", "json"), app)
		want.checkGrants(t, "m365 entra oauth2grant list", run("entra", "oauth2grant", "list", "--spObjectId", spID, "--output", "json"))

		var roles []struct {
			AppRoleID string `json:"appRoleId"`
			RoleName  string `json:"roleName"`
		}
		decode(t, "m365 entra approleassignment list", run("entra", "approleassignment", "list", "--appId", app, "--output", "json"), &roles)
		var got []string
		for _, r := range roles {
			got = append(got, r.AppRoleID+" "+r.RoleName)
		}
		sort.Strings(got)
		w := want.roleAssignments(func(_, role, value string) string { return role + " " + value })
		if !reflect.DeepEqual(got, w) {
			t.Errorf("m365 entra approleassignment list: %q\nverify: %q", got, w)
		}
	})
}
