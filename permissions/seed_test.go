package permissions

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// seedApp is what the seed document says about one app.
type seedApp struct {
	row         []string // Category | App type | Setup method | App name | New or updated? | Consent
	profileNote string
	notice      string
	perms       [][]string // API | Permission | Type | Purpose | Is newly required?
}

// parseSeed reads the seed document (a copy of AvePoint's page kept in testdata) into
// per-app facts, keyed by app name in Entra ID.
func parseSeed(t *testing.T) (map[string]*seedApp, []string) {
	t.Helper()
	f, err := os.Open("testdata/seed.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	apps := map[string]*seedApp{}
	var order []string
	var current *seedApp
	authorize := regexp.MustCompile(`permissions that should be accepted when you authorize (.+) app\.$`)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		cells := func() []string {
			parts := strings.Split(strings.Trim(line, "|"), "|")
			for i := range parts {
				parts[i] = strings.TrimSpace(parts[i])
			}
			return parts
		}
		switch {
		case strings.HasPrefix(line, "| Service app |"):
			c := cells()
			apps[c[3]] = &seedApp{row: c}
			order = append(order, c[3])
		case strings.HasSuffix(line, "app profile can be used by the Cloud Backup for Dynamics 365 service."):
			// The note precedes the sentence that names the app; keep it for the next app.
			current = nil
			for _, a := range apps {
				if strings.Contains(line, a.row[1]+" app profile") {
					a.profileNote = line
				}
			}
		case authorize.MatchString(line):
			name := authorize.FindStringSubmatch(line)[1]
			current = apps[name]
			if current == nil {
				t.Fatalf("seed names app %q in a permission table heading but not in the app table", name)
			}
		case strings.HasPrefix(line, "From January 8, 2023"):
			if current == nil {
				t.Fatal("notice before any app")
			}
			current.notice = line
		case strings.HasPrefix(line, "|") && current != nil:
			c := cells()
			if c[0] == "API" || strings.HasPrefix(c[0], "---") {
				continue
			}
			current.perms = append(current.perms, c)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return apps, order
}

// TestEmbeddedMatchesSeed proves the embedded catalog says, word for word, what the
// seed document says: every column of the app table and of both permission tables.
func TestEmbeddedMatchesSeed(t *testing.T) {
	seed, order := parseSeed(t)
	c := Embedded()
	if len(order) != 2 || len(c.Apps) != len(order) {
		t.Fatalf("seed has %d apps, catalog %d", len(order), len(c.Apps))
	}
	for i, name := range order {
		s := seed[name]
		a := c.Apps[i]
		got := []string{a.Category, a.AppType, a.SetupMethod, a.DisplayName, a.NewOrUpdated, a.Consent}
		for j := range got {
			if got[j] != s.row[j] {
				t.Errorf("app %s column %d: catalog %q, seed %q", a.Key, j, got[j], s.row[j])
			}
		}
		if a.ProfileNote != s.profileNote {
			t.Errorf("app %s profile note: catalog %q, seed %q", a.Key, a.ProfileNote, s.profileNote)
		}
		if a.Notice != s.notice {
			t.Errorf("app %s notice: catalog %q, seed %q", a.Key, a.Notice, s.notice)
		}
		if (s.notice != "") != a.ReauthorizeOnly {
			t.Errorf("app %s: reauthorizeOnly %v but seed notice %q", a.Key, a.ReauthorizeOnly, s.notice)
		}
		if len(a.Permissions) != len(s.perms) {
			t.Fatalf("app %s: catalog has %d permissions, seed %d", a.Key, len(a.Permissions), len(s.perms))
		}
		for j, p := range a.Permissions {
			want := s.perms[j]
			got := []string{p.API, p.Display(), string(p.Type), p.Purpose, YesNo(p.NewlyRequired)}
			for k := range got {
				if got[k] != want[k] {
					t.Errorf("app %s permission %d column %d: catalog %q, seed %q", a.Key, j, k, got[k], want[k])
				}
			}
		}
	}
	uo, _ := c.App("uo")
	if uo.CreationClosedOn != "2023-01-08" {
		t.Errorf("uo creationClosedOn = %q", uo.CreationClosedOn)
	}
}

// TestWellKnownIDs: the shipped catalog gives each well-known resource its appId,
// and each permission whose id Microsoft publishes (below) that id.
func TestWellKnownIDs(t *testing.T) {
	want := map[string]string{
		"User.Read":          "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
		"Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
		"Group.Read.All":     "5b567255-7703-4780-807c-7be8301ae99b",
		"user_impersonation": "78ce3f0f-a1ce-49c2-8cde-64b5c0896db4",
	}
	apis := map[string]string{"Microsoft Graph": GraphAppID, "Dynamics CRM": DynamicsCRMAppID, "Dynamics ERP": DynamicsERPAppID}
	for _, a := range Embedded().Apps {
		for _, p := range a.Permissions {
			if id, ok := want[p.Value]; ok && p.ID != id {
				t.Errorf("%s %s id = %q, want %q", a.Key, p.Value, p.ID, id)
			}
			if id, ok := apis[p.API]; ok && p.ResourceAppID != id {
				t.Errorf("%s %s resourceAppId = %q, want %q", a.Key, p.Value, p.ResourceAppID, apis[p.API])
			}
		}
	}
}
