package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// The current state, read before consenting. A re-authorization shows exactly
// which permissions are new or missing; a re-authorize-only app (UO) whose service
// principal is absent is explained, and no consent is offered.

func (m *Model) stateKey(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, switchAccountKey) && m.caps.SwitchAccount != nil {
		return m.apply(m.flow.SwitchAccount())
	}
	if !key.Matches(k, m.keys.Enter) || m.busy {
		return nil
	}
	// The flow decides: the consent page when consent can help, else the summary.
	return m.apply(m.flow.Proceed())
}

func (m *Model) adminLines(w int) string {
	a := m.flow.Admin()
	if a == nil {
		return ""
	}
	var b strings.Builder
	who := a.UPN
	if a.DisplayName != "" {
		who = a.DisplayName + " <" + who + ">"
	}
	tenant := a.TenantName
	if tenant == "" {
		tenant = a.TenantID
	}
	b.WriteString(wrap("Signed in as "+who+" · tenant "+tenant, w) + "\n")
	b.WriteString(m.roleLines(w))
	return b.String()
}

func (m *Model) stateView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(m.adminLines(w) + "\n")
	back := []key.Binding{m.keys.Back}
	if m.caps.SwitchAccount != nil {
		back = append(back, switchAccountKey)
	}
	if m.busy || m.flow.Before() == nil {
		b.WriteString(m.spin() + " " + orText(m.status, "Reading the app's grants from Microsoft Graph…"))
		return b.String(), back
	}
	r := m.flow.Before()
	if m.flow.Blocked() {
		b.WriteString(m.th.Bad.Render("The "+m.flow.App().AppType+" app is not in your tenant.") + "\n")
		b.WriteString(wrap(orText(m.flow.App().Notice, "This app can only be re-authorized, no longer created.")+" Your tenant has no service principal for it, so there is nothing to re-authorize and the wizard offers no consent link.", w) + "\n\n")
		b.WriteString(wrap("If you have an active subscription, contact AvePoint support; for Customer Engagement choose the CE app instead (Esc to go back).", w))
		return b.String(), back
	}
	b.WriteString(m.th.Header.Render(wrap(headline(r), w)) + "\n\n")
	b.WriteString(m.checklist(r, w) + "\n")
	if ew := m.extrasAndWarnings(r, w); ew != "" {
		b.WriteString(ew + "\n")
	}
	b.WriteString("\n")
	if r.Status == flows.StatusComplete {
		b.WriteString(wrap("Nothing to consent to. Enter shows the summary.", w))
		return b.String(), append([]key.Binding{m.keys.Enter}, back...)
	}
	blockers := flows.Blockers(r)
	for _, bl := range blockers {
		if !bl.CauseShown {
			b.WriteString(wrap(m.th.Warn.Render(m.g.Warn+" ")+bl.Cause, w) + "\n")
		}
		if !bl.FixShown {
			b.WriteString(wrap(m.th.Header.Render("What will fix it: ")+bl.Fix, w) + "\n")
		}
	}
	if !flows.ConsentCanHelp(r) {
		b.WriteString(wrap("Admin consent cannot change this, so the wizard offers none. Enter shows the summary.", w))
		return b.String(), []key.Binding{m.keys.Enter, m.keys.Back}
	}
	miss := missing(r)
	if r.ServicePrincipal != nil && len(miss) > 0 {
		names := make([]string, len(miss))
		for i, p := range miss {
			names[i] = p.Permission
		}
		b.WriteString(wrap("Re-authorization will add: "+strings.Join(names, ", ")+".", w) + "\n")
	}
	if n := m.flow.MayRevokeNotice(); n != "" {
		b.WriteString(wrap(m.th.Warn.Render(m.g.Warn+" ")+n, w) + "\n")
	}
	if m.flow.App().ReauthorizeOnly { // UO is re-authorized, never "granted" anew
		b.WriteString(wrap("Enter opens the admin consent page that re-authorizes the app for every permission.", w))
	} else {
		b.WriteString(wrap("Enter opens the admin consent page for every permission of the app.", w))
	}
	return b.String(), append([]key.Binding{m.keys.Enter}, back...)
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// roleLines show the role verdict for the chosen app: never "no role" when the roles
// could not be read, and which rows a delegated-only role blocks.
func (m *Model) roleLines(w int) string {
	c := roleVerdict(m.flow.Admin(), m.flow.App())
	msg := c.Message
	switch c.Verdict {
	case flows.RoleCanGrantAll:
		return m.th.OK.Render(m.g.Check) + " " + wrap(msg, w-2) + "\n"
	case flows.RoleUnknown:
		return wrap(m.th.Warn.Render(m.g.Warn+" Role check: ")+msg, w) + "\n"
	}
	s := wrap(m.th.Warn.Render(m.g.Warn+" Role check: ")+msg, w) + "\n"
	if m.caps.SwitchAccount != nil {
		s += m.th.Subtle.Render(wrap("Press o to sign in as someone else.", w)) + "\n"
	}
	return s
}

// roleVerdict is the admin's role check for app. An Admin whose roles flows did
// not try to read (neither RolesRead nor a read error: an engine's own) keeps its
// verdict.
func roleVerdict(a *flows.Admin, app *permissions.App) flows.RoleCheck {
	if !a.RolesRead && a.RolesErr == nil {
		if a.CanConsent {
			return flows.RoleCheck{Verdict: flows.RoleCanGrantAll, Roles: a.Roles, Message: "Role: " + strings.Join(a.Roles, ", ") + ": can grant admin consent."}
		}
		return flows.RoleCheck{Verdict: flows.RoleNone, Message: a.RoleWarning}
	}
	return a.RoleCheck(app)
}
