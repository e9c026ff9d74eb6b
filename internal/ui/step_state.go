package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
)

// Step 4: the current state, read before consenting. A re-authorization shows exactly
// which permissions are new or missing; a re-authorize-only app (UO) whose service
// principal is absent is explained, and no consent is offered.

func (m *Model) stateKey(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, switchAccountKey) {
		return m.switchAccount()
	}
	if !key.Matches(k, m.keys.Enter) || m.before == nil || m.busy {
		return nil
	}
	switch {
	case m.blocked():
		return nil
	case !flows.ConsentCanHelp(m.before) && m.before.Status != flows.StatusComplete:
		// Consent cannot change this state: Enter shows the summary with the cause.
		m.enter(stepSummary)
		m.result = m.before
		m.outcome.Result = m.before
		return nil
	case m.before.Status == flows.StatusComplete:
		m.enter(stepSummary)
		m.result = m.before
		m.outcome.Result = m.before
		return nil
	}
	return m.goTo(stepConsent)
}

func (m *Model) adminLines(w int) string {
	a := m.admin
	if a == nil {
		return ""
	}
	var b strings.Builder
	who := safetext.Sanitize(a.UPN)
	if a.DisplayName != "" {
		who = safetext.Sanitize(a.DisplayName) + " <" + who + ">"
	}
	tenant := safetext.Sanitize(a.TenantName)
	if tenant == "" {
		tenant = safetext.Sanitize(a.TenantID)
	}
	b.WriteString(wrap("Signed in as "+who+" · tenant "+tenant, w) + "\n")
	b.WriteString(m.roleLines(w))
	return b.String()
}

func (m *Model) stateView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(m.adminLines(w) + "\n")
	back := []key.Binding{m.keys.Back}
	if m.canSwitchAccount() {
		back = append(back, switchAccountKey)
	}
	if m.busy || m.before == nil {
		b.WriteString(m.spin() + " " + orText(m.status, "Reading the app's grants from Microsoft Graph…"))
		return b.String(), back
	}
	r := m.before
	if m.blocked() {
		b.WriteString(m.th.Bad.Render("The "+m.app.AppType+" app is not in your tenant.") + "\n")
		b.WriteString(wrap(orText(m.app.Notice, "This app can only be re-authorized, no longer created.")+" Your tenant has no service principal for it, so there is nothing to re-authorize and the wizard offers no consent link.", w) + "\n\n")
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
			names[i] = safetext.Sanitize(p.Permission)
		}
		b.WriteString(wrap("Re-authorization will add: "+strings.Join(names, ", ")+".", w) + "\n")
	}
	if m.app.ReauthorizeOnly { // UO is re-authorized, never "granted" anew (issue 12)
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
