package e2e

import (
	"strings"
	"testing"
)

// The first use of the tool in a tenant (demo first-use, 120×40): the sign-in asks
// only User.Read, with which Microsoft Graph lists directory roles without their
// details (graph/api/user-list-memberof, "limited information"), so the state screen
// cannot tell the role yet. Reading the grants asks one more sign-in, whose headline
// says it is for permission to read the app's grants; once it is done, the role check
// is read again and names Global Administrator.
func TestRoleCheckReadAgainAfterTheGrantReadSignIn(t *testing.T) {
	tt := demoTmux(t, 120, 40, "first-use")
	signInToState(tt)
	s := tt.waitFor("4/6 Current state", "approve in the demo browser")
	flat := strings.Join(strings.Fields(s), " ")
	if !strings.Contains(flat, "One more sign-in: your sign-in app needs permission to read the app's grants.") ||
		strings.Contains(flat, "the session needs a new sign-in") {
		t.Errorf("the sign-in for reading the grants does not say so:\n%s", s)
	}
	if !strings.Contains(flat, "Could not read your directory roles") {
		t.Errorf("before the grants are read the role check cannot be known:\n%s", s)
	}
	tt.keys("a")
	s = tt.waitFor("Enter opens the admin consent page")
	flat = strings.Join(strings.Fields(s), " ")
	if !strings.Contains(flat, "admin@contosodemo.onmicrosoft.com is Global Administrator: can grant every permission of the app.") ||
		strings.Contains(flat, "Could not read your directory roles") {
		t.Errorf("the role check is not read again after the sign-in:\n%s", s)
	}
	tt.keys("q")
	tt.exited(3) // not consented yet: incomplete
}
