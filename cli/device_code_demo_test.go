package cli

import (
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

// verify --demo --device-code walks the device code flow production uses over SSH:
// a Conditional Access refusal on the token poll is a refusal (exit 4, explained),
// and a B2B guest signs in by device code at the resource tenant's authority.
func TestVerifyDemoOverDeviceCode(t *testing.T) {
	tests := []struct {
		scenario string
		code     int
		want     string
	}{
		{"ca-blocked", exitRefused, "AADSTS53003"},
		{"guest-admin", exitIncomplete, "Not consented"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runFlowsCmdWith(t, nil, []string{"NO_COLOR=1", "TERM=dumb"},
				"verify", "--demo", "--device-code", "--app", "ce", "--scenario", tt.scenario, "--timeout", "30s")
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("output lacks %q:\nstdout %s\nstderr %s", tt.want, out, errOut)
			}
		})
	}
}

// The wizard's demo over the device code flow ends as production would: the page's
// refusal (ca-blocked) comes from the token poll as a refusal with its support ids
// (exit 4), and a B2B guest (guest-admin) signs in and reaches the consent step.
func TestDemoWizardOverDeviceCode(t *testing.T) {
	signIn := [][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"in the demo browser as the signed-in account", "a"}}
	tests := []struct {
		scenario string
		steps    [][2]string
		code     int
		want     []string
	}{
		{"ca-blocked", signIn, exitRefused, []string{"Blocked by Conditional Access", "Error code: AADSTS53003", "Correlation id: "}},
		{"guest-admin", append(signIn[:3:3], [2]string{"Press Enter to open the admin consent page", "q"}), exitIncomplete,
			[]string{"Signed in as grady_fabrikam.example#EXT#@", "Role check: Global Administrator"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			t.Parallel()
			out, errOut, code := runAccessibleDemo(t, nil, []string{"NO_COLOR=1", "TERM=dumb"},
				[]string{"demo", "--scenario", tt.scenario, "--device-code", "--no-browser", "--accessible", "--catalog", testkit.CatalogPath(t)}, tt.steps)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout %s\nstderr %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s\nstderr %s", w, out, errOut)
				}
			}
		})
	}
}
