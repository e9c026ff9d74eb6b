package cli

import (
	"strings"
	"testing"
)

// consent-url accepts organizations as tenant: Microsoft documents it for admin
// consent (the signed-in admin's home tenant); a pasted AOS consent link works as
// --client-id.
func TestConsentURLOrganizationsAndPastedLink(t *testing.T) {
	const id = "11111111-2222-3333-4444-555555555555"
	code, out, errOut := runFlowsCmd(t, "consent-url", "--app", "ce", "--tenant", "organizations", "--client-id", id)
	if code != 0 || !strings.HasPrefix(out, "https://login.microsoftonline.com/organizations/adminconsent?client_id="+id+"&state=") {
		t.Fatalf("exit %d %q %s", code, out, errOut)
	}
	link := "https://login.microsoftonline.com/common/adminconsent?client_id=" + id + "&redirect_uri=https%3A%2F%2Faos.example%2Fcb&state=x"
	code, out, errOut = runFlowsCmd(t, "consent-url", "--app", "ce", "--tenant", "contoso.onmicrosoft.com", "--client-id", link)
	if code != 0 || !strings.Contains(out, "client_id="+id) || !strings.Contains(out, "redirect_uri=https%3A%2F%2Faos.example%2Fcb") {
		t.Fatalf("exit %d %q %s", code, out, errOut)
	}
	if code, _, _ := runFlowsCmd(t, "consent-url", "--app", "ce", "--tenant", "common", "--client-id", id); code != 2 {
		t.Fatalf("common: exit %d, want 2", code)
	}
}
