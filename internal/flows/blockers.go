package flows

import (
	"fmt"
	"strings"

	"github.com/d365consent/d365consent/permissions"
)

// Blocker is a state of the tenant that admin consent cannot change: the wizard does
// not offer consent for it, and every "next step" names it with its real fix.
type Blocker struct {
	// Kind is "app-absent", "resource-missing" or "sp-disabled".
	Kind string
	// Cause says what is wrong, in plain words.
	Cause string
	// Fix says what will fix it (never "grant admin consent").
	Fix string
	// CauseShown and FixShown are set when one of the result's warnings already says
	// the cause (or the fix): a screen shows each piece of advice once.
	CauseShown, FixShown bool
}

// shown marks what r's warnings already say of b.
func (b Blocker) shown(r *Result, causeKey, fixKey string) Blocker {
	for _, w := range r.Warnings {
		b.CauseShown = b.CauseShown || (causeKey != "" && strings.Contains(w, causeKey))
		b.FixShown = b.FixShown || (fixKey != "" && strings.Contains(w, fixKey))
	}
	return b
}

// Blockers lists what keeps r from being complete that consent cannot fix, in the
// order to fix them.
//
//   - A re-authorize-only app whose service principal is absent cannot be created by
//     consent.
//   - A required API whose service principal is absent in the tenant makes admin
//     consent fail with AADSTS650052 ("the app needs access to a service that your
//     organization has not subscribed to or enabled"):
//     https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts650052-app-needs-access-service
//   - A disabled service principal cannot sign in whatever is granted; consent does
//     not enable it. Enabling is a property of the enterprise application:
//     https://learn.microsoft.com/entra/identity/enterprise-apps/disable-user-sign-in-portal
func Blockers(r *Result) []Blocker {
	if r == nil {
		return nil
	}
	var out []Blocker
	if r.ReauthorizeOnlyBlocked {
		out = append(out, Blocker{Kind: "app-absent",
			Cause: "The app is not in this tenant, and it can only be re-authorized, no longer created.",
			Fix:   "If the tenant has an active Cloud Backup for Dynamics 365 subscription, contact AvePoint support; there is nothing to consent to here."}.
			shown(r, "no longer", ""))
		return out
	}
	var apis []string
	seen := map[string]bool{}
	for _, p := range r.Permissions {
		if p.Status == PermResourceMissing && !seen[p.API] {
			seen[p.API] = true
			apis = append(apis, p.API)
		}
	}
	if len(apis) > 0 {
		list := strings.Join(apis, " and ")
		out = append(out, Blocker{Kind: "resource-missing",
			Cause: fmt.Sprintf("Your tenant has no %s service principal (no Dynamics 365 subscription or environment for it), so admin consent would fail with AADSTS650052.", list),
			Fix:   fmt.Sprintf("The tenant needs %s first: an active Dynamics 365 subscription with an environment in this tenant. Then run the wizard again.", list)}.
			shown(r, "has no service principal in this tenant", ""))
	}
	if sp := r.ServicePrincipal; sp != nil && !sp.AccountEnabled {
		out = append(out, Blocker{Kind: "sp-disabled",
			Cause: "The app's service principal is disabled (accountEnabled false): it cannot sign in, whatever is granted.",
			Fix:   "Enable the app's service principal: Microsoft Entra admin center > Enterprise applications > the app > Properties > \"Enabled for users to sign in?\" = Yes. Admin consent does not enable it."}.
			shown(r, "is disabled", "Enable it in"))
	}
	return out
}

// ConsentCanHelp reports whether admin consent can change r: something is missing
// that a grant would add, and nothing makes consent fail (an absent re-authorize-only
// app, an absent resource).
func ConsentCanHelp(r *Result) bool {
	if r == nil || r.Status == StatusComplete {
		return false
	}
	for _, b := range Blockers(r) {
		if b.Kind != "sp-disabled" {
			return false
		}
	}
	return r.Granted() < len(r.Permissions)
}

// NextStep is the step in AOS after consent. A re-authorize-only app (UO) can only be
// re-authorized: its next step never says "create".
func NextStep(app *permissions.App) string {
	if app == nil {
		return ""
	}
	if app.ReauthorizeOnly {
		return "Re-authorize the existing app profile in AOS > Management > App management."
	}
	return app.Consent
}
