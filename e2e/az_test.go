package e2e

import (
	"reflect"
	"sort"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// TestAzureCLIThroughProxy drives the Azure CLI, unmodified (Debian's azure-cli), at
// the demo tenant through `d365consent emulator --proxy`: it signs in by device code
// (`az login --use-device-code --allow-no-subscriptions`, which reads the tenant and
// subscription lists of Azure Resource Manager), then reads the CE app's service
// principal (`az ad sp show`), its delegated grants (`az ad app permission
// list-grants`) and its app role assignments (`az rest` on Graph), and each read must
// show what `d365consent verify` reports for the same tenant.
func TestAzureCLIThroughProxy(t *testing.T) {
	az := testkit.NeedTool(t, "az")
	eachScenarioThroughProxy(t, func(t *testing.T, p *emulatorProcess, want *verifyReport, app string) {

		env, home := proxyEnv(t, p)
		env = append(env, "AZURE_CONFIG_DIR="+home+"/.azure",
			// No telemetry or survey to hosts the proxy refuses, no colour.
			"AZURE_CORE_COLLECT_TELEMETRY=false", "AZURE_CORE_SURVEY_MESSAGE=false", "AZURE_CORE_NO_COLOR=true")
		run := func(args ...string) string { t.Helper(); return runOK(t, p, env, az, args...) }

		var accounts []struct {
			TenantID string `json:"tenantId"`
			User     struct{ Name string }
		}
		decode(t, "az login", run("login", "--use-device-code", "--allow-no-subscriptions", "--output", "json"), &accounts)
		if len(accounts) != 1 || accounts[0].TenantID != p.printed["tenant"] || accounts[0].User.Name != p.admin {
			t.Fatalf("az login: accounts %+v, want the demo tenant %s signed in as %s", accounts, p.printed["tenant"], p.admin)
		}

		spID := want.checkServicePrincipal(t, "az ad sp show", run("ad", "sp", "show", "--id", app, "--output", "json"), app)
		want.checkGrants(t, "az ad app permission list-grants", run("ad", "app", "permission", "list-grants", "--id", app, "--output", "json"))

		var assignments struct {
			Value []struct {
				ID        string `json:"id"`
				AppRoleID string `json:"appRoleId"`
			} `json:"value"`
		}
		decode(t, "az rest", run("rest", "--method", "get", "--url",
			"https://graph.microsoft.com/v1.0/servicePrincipals/"+spID+"/appRoleAssignments", "--output", "json"), &assignments)
		var got []string
		for _, a := range assignments.Value {
			got = append(got, a.ID+" "+a.AppRoleID)
		}
		sort.Strings(got)
		w := want.roleAssignments(func(assignment, role, _ string) string { return assignment + " " + role })
		if !reflect.DeepEqual(got, w) {
			t.Errorf("az rest appRoleAssignments: %q\nverify: %q", got, w)
		}
	})
}
