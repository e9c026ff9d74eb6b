package wizard

import (
	"testing"

	"github.com/d365consent/d365consent/permissions"
)

const (
	ceGlobal = "11111111-2222-3333-4444-555555555555"
	ceGov    = "aaaaaaaa-2222-3333-4444-555555555555"
	typed    = "66666666-7777-8888-9999-000000000000"
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	aosLink  = "https://login.microsoftonline.com/organizations/v2.0/adminconsent?client_id=" + typed +
		"&redirect_uri=https%3A%2F%2Favepointonlineservices.com%2Fconsent&scope=x"
)

// fixture is a catalog of two apps: CE with a global and a US Government client id,
// UO re-authorize only and without a published client id.
func fixture() *permissions.Catalog {
	return &permissions.Catalog{Apps: []permissions.App{
		{Key: "ce", AppType: "Customer Engagement", DisplayName: "CE app", ClientID: ceGlobal,
			ClientIDs:   map[string]string{"usgov": ceGov},
			Permissions: []permissions.Permission{{API: "Dynamics CRM", Value: "user_impersonation"}}},
		{Key: "uo", AppType: "Unified Operations", DisplayName: "UO app", ReauthorizeOnly: true,
			Permissions: []permissions.Permission{{API: "Microsoft Graph", Value: "User.Read"}}},
	}}
}

func TestResolveApp(t *testing.T) {
	cat := fixture()
	ce, uo := &cat.Apps[0], &cat.Apps[1]
	tests := []struct {
		name            string
		app             *permissions.App
		cloud, flag     string
		wantID, wantRed string
		wantErr         string
	}{
		{"global from the legacy field", ce, "", "", ceGlobal, "", ""},
		{"global named", ce, "global", "", ceGlobal, "", ""},
		{"per-cloud id", ce, "usgov", "", ceGov, "", ""},
		{"no id in that cloud", ce, "china", "", "", "", ""},
		{"unpublished", uo, "", "", "", "", ""},
		{"flag GUID wins", ce, "usgov", "{" + typed + "}", typed, "", ""},
		{"flag AOS link", uo, "", aosLink, typed, "https://avepointonlineservices.com/consent", ""},
		{"bad flag", ce, "", "nope", "", "", `--client-id: "nope" is neither a client id (a GUID) nor a consent link`},
	}
	for _, tt := range tests {
		got, err := ResolveApp(tt.app, tt.cloud, tt.flag)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr || got != nil {
				t.Errorf("%s: %v, %v; want error %q", tt.name, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.ClientID != tt.wantID || got.RedirectURI != tt.wantRed || got.Key != tt.app.Key {
			t.Errorf("%s: %+v %v; want id %q redirect %q", tt.name, got, err, tt.wantID, tt.wantRed)
			continue
		}
		got.Permissions[0].Value = "changed"
		if tt.app.Permissions[0].Value == "changed" {
			t.Fatalf("%s: the resolved app shares the catalog's permissions", tt.name)
		}
	}
	if ce.ClientID != ceGlobal || uo.ClientID != "" {
		t.Errorf("the catalog changed: %q %q", ce.ClientID, uo.ClientID)
	}
}

func TestCommand(t *testing.T) {
	cat := fixture()
	ce := &permissions.App{Key: "ce", ClientID: ceGlobal}
	ceGovApp := &permissions.App{Key: "ce", ClientID: ceGov}
	uo := &permissions.App{Key: "uo", ClientID: typed}
	tests := []struct {
		name   string
		t      Target
		sub    string
		app    *permissions.App
		tenant string
		extra  []string
		want   string
	}{
		{"catalog id", Target{Catalog: cat}, "verify", ce, tenantID, nil,
			"d365consent verify --app ce --tenant " + tenantID},
		{"typed id", Target{Catalog: cat}, "verify", uo, tenantID, nil,
			"d365consent verify --app uo --tenant " + tenantID + " --client-id " + typed},
		{"flag id", Target{Catalog: cat, ClientIDFlag: aosLink}, "verify", ce, "", nil,
			"d365consent verify --app ce --client-id " + ceGlobal},
		{"per-cloud id needs no flag", Target{Catalog: cat, Cloud: "usgov", Flags: []string{"--cloud", "usgov"}}, "verify", ceGovApp, tenantID, nil,
			"d365consent verify --app ce --tenant " + tenantID + " --cloud usgov"},
		{"no catalog id in the cloud", Target{Catalog: cat, Cloud: "china"}, "verify", ceGovApp, "", nil,
			"d365consent verify --app ce --client-id " + ceGov},
		{"unknown app", Target{Catalog: cat}, "verify", &permissions.App{Key: "zz", ClientID: typed}, "", nil,
			"d365consent verify --app zz --client-id " + typed},
		{"no catalog", Target{}, "verify", ce, "", nil, "d365consent verify --app ce --client-id " + ceGlobal},
		{"--tenant when no tenant was learnt", Target{Catalog: cat, Tenant: "contoso.onmicrosoft.com"}, "verify", ce, "", nil,
			"d365consent verify --app ce --tenant contoso.onmicrosoft.com"},
		{"the signed-in tenant over --tenant", Target{Catalog: cat, Tenant: "contoso.onmicrosoft.com"}, "verify", ce, tenantID, nil,
			"d365consent verify --app ce --tenant " + tenantID},
		{"demo: no --tenant", Target{Catalog: cat, Demo: true, Tenant: "contoso.onmicrosoft.com"}, "verify", ce, "", nil,
			"d365consent verify --app ce"},
		{"demo: no tenant, no id", Target{Catalog: cat, Demo: true, Flags: []string{"--demo", "--scenario", "fresh"}}, "verify", uo, tenantID, nil,
			"d365consent verify --app uo --demo --scenario fresh"},
		{"extra", Target{Catalog: cat}, "consent-url", ce, tenantID, []string{"--qr"},
			"d365consent consent-url --app ce --tenant " + tenantID + " --qr"},
		{"no app", Target{Catalog: cat}, "verify", nil, "", nil, "d365consent verify"},
	}
	for _, tt := range tests {
		if got := tt.t.Command(tt.sub, tt.app, tt.tenant, tt.extra...); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}
