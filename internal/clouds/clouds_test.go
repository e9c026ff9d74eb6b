package clouds

import (
	"reflect"
	"testing"
)

func TestNamesAndLookup(t *testing.T) {
	if got, want := Names(), []string{"global", "usgov", "usgov-dod", "china"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	if got := NameList(); got != "global, usgov, usgov-dod or china" {
		t.Errorf("NameList() = %q", got)
	}
	for _, tc := range []struct{ name, login, graph string }{
		{"global", "https://login.microsoftonline.com", "https://graph.microsoft.com"},
		{" USGov ", "https://login.microsoftonline.us", "https://graph.microsoft.us"},
		{"usgov-dod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us"},
		{"China", "https://login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn"},
	} {
		c, ok := Lookup(tc.name)
		if !ok || c.LoginURL != tc.login || c.GraphURL != tc.graph {
			t.Errorf("Lookup(%q) = %+v, %v", tc.name, c, ok)
		}
	}
	if c, ok := Lookup("mars"); ok {
		t.Errorf("Lookup(mars) = %+v", c)
	}
	All()[0].LoginURL = "https://evil.example"
	if c, _ := Lookup("global"); c.LoginURL != "https://login.microsoftonline.com" {
		t.Error("All shares the table")
	}
}

func TestForInstance(t *testing.T) {
	for _, tc := range []struct{ instance, sub, want string }{
		{"microsoftonline.com", "", "global"}, {"microsoftonline.com", "GCC", "global"},
		{"MicrosoftOnline.US", "DODCON", "usgov"}, {"microsoftonline.us", "", "usgov"},
		{"microsoftonline.us", "dod", "usgov-dod"},
		{"partner.microsoftonline.cn", "", "china"}, {"microsoftonline.cn", "", "china"}, {"chinacloudapi.cn", "", "china"},
		{"", "", ""}, {"example.org", "DOD", ""},
	} {
		c, ok := ForInstance(tc.instance, tc.sub)
		if c.Name != tc.want || ok != (tc.want != "") {
			t.Errorf("ForInstance(%q, %q) = %q, %v; want %q", tc.instance, tc.sub, c.Name, ok, tc.want)
		}
	}
}

func TestIsLoginURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://login.microsoftonline.com": true, "https://login.microsoftonline.us": true,
		"https://login.partner.microsoftonline.cn": true, "https://login.microsoftonline.com/": false,
		"https://127.0.0.1:8443": false, "": false,
	} {
		if got := IsLoginURL(u); got != want {
			t.Errorf("IsLoginURL(%q) = %v", u, got)
		}
	}
}
