package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// chooseModel is the choose step's own state: the app under the cursor.
type chooseModel struct {
	cursor int
}

// Choose the app. The UO app's re-authorize-only notice is shown up front,
// before the admin invests any time in it.

func (m *Model) chooseKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Up):
		m.choose.cursor = (m.choose.cursor + len(m.flow.Apps()) - 1) % len(m.flow.Apps())
	case key.Matches(k, m.keys.Down):
		m.choose.cursor = (m.choose.cursor + 1) % len(m.flow.Apps())
	case k.String() >= "1" && k.String() <= "9" && len(k.String()) == 1:
		if i := int(k.String()[0] - '1'); i < len(m.flow.Apps()) {
			m.choose.cursor = i
		}
	case key.Matches(k, m.keys.Enter):
		if m.flow.App() == nil || m.choose.cursor != m.flow.AppIndex() {
			m.review.row = 0 // another app: its table from the top
		}
		return m.apply(m.flow.ChooseApp(m.choose.cursor))
	}
	return nil
}

func (m *Model) chooseView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(wrap("Which app of Cloud Backup for Dynamics 365 do you want to authorize?", w) + "\n\n")
	for i, a := range m.flow.Apps() {
		cursor := "  "
		label := a.AppType + " (" + strings.ToUpper(a.Key) + ")"
		if i == m.choose.cursor {
			cursor = m.th.Key.Render(m.g.Arrow + " ")
			label = m.th.Selected.Render(label)
		}
		b.WriteString(cursor + label + "\n")
		b.WriteString("    " + m.th.Subtle.Render(wrapIndent(a.DisplayName, w-4, "    ")) + "\n")
	}
	a := m.flow.Apps()[m.choose.cursor]
	b.WriteString("\n")
	if a.ReauthorizeOnly {
		note := a.Notice
		if note == "" {
			note = "This app can only be re-authorized: it can no longer be created."
		}
		b.WriteString(m.th.Warn.Render("Re-authorize only") + "\n")
		b.WriteString(wrap(note, w) + "\n")
		b.WriteString(wrap("The wizard checks after sign-in that the app already exists in your tenant; if it does not, there is nothing to consent to.", w) + "\n")
	} else {
		b.WriteString(wrap(a.Consent, w) + "\n")
	}
	return strings.TrimRight(b.String(), "\n"), []key.Binding{m.keys.Up, m.keys.Down, m.keys.Enter}
}

// wrapIndent wraps s to w columns and indents continuation lines.
func wrapIndent(s string, w int, indent string) string {
	return strings.ReplaceAll(wrap(s, w), "\n", "\n"+indent)
}
