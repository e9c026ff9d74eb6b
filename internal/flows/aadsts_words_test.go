package flows

import (
	"fmt"
	"strings"
	"testing"
)

// Each design code's explanation is checked against words written here, independent
// of the knownCodes table, so two entries swapped or pasted under the wrong code fail
// (comparing the table with itself cannot). The words come from the meaning of each
// code on https://learn.microsoft.com/entra/identity-platform/reference-error-codes;
// "not" lists a word that belongs to a code easily confused with this one.
func TestExplanationsSayWhatTheirCodeMeans(t *testing.T) {
	for _, tc := range []struct {
		code  int
		title []string // all, in the title (case-insensitive)
		text  []string // all, in title + meaning + fix
		not   []string // none, anywhere
	}{
		{65001, []string{"consent", "not been granted"}, []string{"grant admin consent"}, []string{"declined", "workflow"}},
		{65004, []string{"declined"}, []string{"cancel", "accept"}, []string{"workflow", "request approval"}},
		{90094, []string{"admin approval"}, []string{"pim"}, []string{"workflow", "declined"}},
		{90095, []string{"workflow"}, []string{"request", "admin consent requests"}, []string{"declined", "cancel"}},
		{700016, []string{"not found"}, []string{"client id", "--cloud"}, nil},
		{50011, []string{"redirect uri"}, []string{"registered"}, []string{"no reply address"}},
		{50020, []string{"not in this tenant"}, []string{"another tenant", "--tenant"}, nil},
		{50105, []string{"not assigned"}, []string{"assignment required"}, nil},
		{900971, []string{"no reply address provided"}, []string{"redirect uri"}, []string{"registered on"}},
		{500113, []string{"no reply address registered"}, []string{"publisher"}, nil},
		{7000218, []string{"public client"}, []string{"allow public client flows"}, nil},
		{90008, []string{"sign-in permission"}, []string{"user.read"}, nil},
		{650051, []string{"conflict"}, []string{"already exists"}, nil},
		{650052, []string{"missing"}, []string{"subscription", "resource-missing"}, nil},
		{16000, []string{"account"}, []string{"pick"}, nil},
		{50076, []string{"multi-factor"}, []string{"mfa prompt"}, []string{"register"}},
		{50079, []string{"registration"}, []string{"aka.ms/mfasetup"}, nil},
		{53003, []string{"conditional access"}, []string{"sign-in logs", "correlation id"}, nil},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			x := Explain(formPostErr(tc.code))
			if x == nil || x.Code != tc.code {
				t.Fatalf("Explain(AADSTS%d) = %+v", tc.code, x)
			}
			title := strings.ToLower(x.Title)
			all := strings.ToLower(x.Title + "\n" + x.Meaning + "\n" + x.Fix)
			for _, w := range tc.title {
				if !strings.Contains(title, w) {
					t.Errorf("title %q does not say %q", x.Title, w)
				}
			}
			for _, w := range tc.text {
				if !strings.Contains(all, w) {
					t.Errorf("explanation does not say %q: %s", w, all)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(all, w) {
					t.Errorf("explanation says %q, which belongs to another code: %s", w, all)
				}
			}
		})
	}
}
