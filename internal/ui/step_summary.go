package ui

import (
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/wizard"
)

// The verification, per permission, with warnings, the next step in AOS and
// "save report" (Markdown + JSON).

func (m *Model) summaryKey(k tea.KeyPressMsg) tea.Cmd {
	if m.flow.Result() == nil || m.busy {
		return nil
	}
	switch {
	case key.Matches(k, m.keys.Save):
		return m.saveReport()
	case key.Matches(k, m.keys.Enter):
		m.flow.Finish()
		return m.apply(wizard.NoWork)
	}
	return nil
}

func (m *Model) saveReport() tea.Cmd {
	r, att := m.flow.Result(), m.attempt
	write := m.opts.WriteReport
	if write == nil {
		write = flows.WriteReport
	}
	base := "d365consent-" + r.App.Key + "-" + m.opts.now().UTC().Format("20060102-150405")
	dir := m.opts.ReportDir
	m.flash = "Saving the report…"
	return func() tea.Msg {
		var paths []string
		for _, ext := range []string{".md", ".json"} {
			p := absPath(filepath.Join(dir, base+ext))
			if err := write(p, r); err != nil {
				return savedMsg{attempt: att, err: err}
			}
			paths = append(paths, p)
		}
		return savedMsg{attempt: att, paths: paths}
	}
}

func (m *Model) summaryView(w int) (string, []key.Binding) {
	var b strings.Builder
	if m.busy || m.flow.Result() == nil {
		b.WriteString(m.spin() + " " + orText(m.status, "Verifying in Microsoft Graph…"))
		return b.String(), []key.Binding{m.keys.Back}
	}
	r := m.flow.Result()
	head := headline(r)
	if r.Status == flows.StatusComplete {
		b.WriteString(m.th.OK.Render(m.g.Check+" "+wrap(head, w-2)) + "\n")
	} else {
		b.WriteString(m.th.Bad.Render(m.g.Cross+" "+wrap(head, w-2)) + "\n")
	}
	b.WriteString(m.th.Subtle.Render(wrap(r.App.DisplayName, w)) + "\n")
	b.WriteString(m.th.Subtle.Render(m.whoAndWhere(r, w)) + "\n\n")
	b.WriteString(m.checklist(r, w) + "\n")
	if ew := m.extrasAndWarnings(r, w); ew != "" {
		b.WriteString(ew + "\n")
	}
	if n := m.flow.RevokedNotice(); n != "" {
		b.WriteString(wrap(m.th.Warn.Render(m.g.Warn+" ")+n, w) + "\n")
	}
	next := r.NextStep
	if next == "" {
		next = flows.NextStep(m.flow.App())
	}
	b.WriteString("\n")
	verify := m.flow.Command("verify") // on its own line: copied whole
	if note := m.flow.Target().CommandNote(); note != "" {
		verify += "\n" + m.th.Subtle.Render(wrap(note, w))
	}
	blockers := flows.Blockers(r)
	switch {
	case r.Status == flows.StatusComplete:
		b.WriteString(wrap(m.th.Header.Render("Next step: ")+next, w) + "\n")
	case len(blockers) > 0:
		for _, bl := range blockers {
			if !bl.CauseShown {
				b.WriteString(wrap(m.th.Header.Render("Why: ")+bl.Cause, w) + "\n")
			}
			if !bl.FixShown {
				b.WriteString(wrap(m.th.Header.Render("What will fix it: ")+bl.Fix, w) + "\n")
			}
		}
		b.WriteString(wrap("Afterwards, check with:", w) + "\n" + verify + "\n")
	default:
		again := "try the consent again"
		if m.flow.App() != nil && m.flow.App().ReauthorizeOnly {
			again = "re-authorize again"
		}
		b.WriteString(wrap("Esc goes back to "+again+"; grants can take a few minutes to replicate. Check later with:", w) + "\n" + verify + "\n")
	}
	if len(m.saved) > 0 {
		b.WriteString(m.th.OK.Render("Report saved:") + "\n" + strings.Join(m.saved, "\n") + "\n")
	}
	keys := []key.Binding{m.keys.Save, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "finish")), m.keys.Back}
	return strings.TrimRight(b.String(), "\n"), keys
}

// whoAndWhere is the signed-in account and the tenant (name and id), ids kept whole.
func (m *Model) whoAndWhere(r *flows.Result, w int) string {
	var parts []string
	who := r.SignedInAs
	if who == "" && m.flow.Admin() != nil {
		who = m.flow.Admin().UPN
	}
	if who != "" {
		parts = append(parts, "Signed in as "+who)
	}
	t := "Tenant " + orText(r.Tenant.DisplayName, r.Tenant.ID)
	if r.Tenant.ID != "" && r.Tenant.DisplayName != "" {
		t = "Tenant " + r.Tenant.DisplayName + " (" + r.Tenant.ID + ")"
	}
	parts = append(parts, t)
	return wrap(strings.Join(parts, " · "), w)
}
