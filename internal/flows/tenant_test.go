package flows

import (
	"fmt"
	"strings"
	"testing"
)

// validTenant at each edge of its rules: 253 characters in all, 63 per label, hyphens
// inside a label only, and exactly the letters, digits and hyphen (each range's first
// and last character, and the characters just outside them).
func TestValidTenantEdges(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	// four labels of 63 and a dot between: 255; trim to 253 and 254.
	long := strings.Join([]string{label63, label63, label63, label63}, ".")
	notDomain := func(s string) string { return fmt.Sprintf("tenant %q is not a valid domain name", s) }
	for _, tc := range []struct{ tenant, want string }{
		{"contoso.onmicrosoft.com", ""},
		{"con-toso.com", ""},
		{"09azAZ.com", ""},
		{label63 + ".com", ""},
		{long[:253], ""},
		{long[:254], fmt.Sprintf("tenant %q is neither a GUID nor a domain name", long[:254])},
		{"a" + label63 + ".com", notDomain("a" + label63 + ".com")},
		{"-contoso.com", notDomain("-contoso.com")},
		{"contoso-.com", notDomain("contoso-.com")},
		{"contoso..com", notDomain("contoso..com")},
		{"con/toso.com", notDomain("con/toso.com")}, // '/' is just before '0'
		{"con:toso.com", notDomain("con:toso.com")}, // ':' just after '9'
		{"con@toso.com", notDomain("con@toso.com")}, // '@' just before 'A'
		{"con[toso.com", notDomain("con[toso.com")}, // '[' just after 'Z'
		{"con`toso.com", notDomain("con`toso.com")}, // '`' just before 'a'
		{"con{toso.com", notDomain("con{toso.com")}, // '{' just after 'z'
		{"con_toso.com", notDomain("con_toso.com")},
		{"contoso", `tenant "contoso" is neither a GUID nor a domain name`},
		{"", errNoTenant.Error()},
		{"Common", `tenant "Common": admin consent needs a specific tenant (its id or a domain) or organizations (the admin's home tenant)`},
		{"72f988bf-86f1-41af-91ab-2d7cd011db47", ""},
	} {
		err := validTenant(tc.tenant)
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("validTenant(%q) = %v, want %q", tc.tenant, err, tc.want)
		}
	}
}
