package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
)

// Step 2b: the app's client id, asked only when neither the catalog nor --client-id
// gives one (AvePoint does not publish it). Validated as a GUID.

func (m *Model) clientIDKey(k tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.pickKey(k); ok {
		return cmd
	}
	if key.Matches(k, findKey) && m.canFindApps() {
		return m.findInTenant()
	}
	switch k.String() {
	case "esc":
		m.clientID.Blur()
		return m.back()
	case "enter":
		// A GUID, or the consent link AOS gives (client_id and redirect_uri taken).
		v, redirect, err := flows.ParseClientIDInput(m.clientID.Value())
		if err != nil {
			m.idErr = safetext.Sanitize(err.Error())
			return nil
		}
		m.clientID.SetValue(v)
		m.pastedRedirect = redirect
		m.clientID.Blur()
		m.idErr = ""
		m.selectApp()
		if m.admin != nil {
			return m.goTo(stepState)
		}
		return m.goTo(stepSignIn)
	}
	var cmd tea.Cmd
	m.clientID, cmd = m.clientID.Update(k)
	return cmd
}

func (m *Model) clientIDView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(wrap("AvePoint does not publish the client id of "+m.app.DisplayName+". Copy the Application (client) ID from AOS (Management > App management) or from AvePoint support — or the whole consent link AOS gives you — and paste it here.", w) + "\n\n")
	b.WriteString(m.clientID.View() + "\n")
	if c := m.candidatesView(w); c != "" {
		b.WriteString("\n" + c)
	}
	if m.idErr != "" {
		b.WriteString("\n" + m.th.Bad.Render(wrap(m.idErr, w)) + "\n")
	}
	b.WriteString("\n" + m.th.Subtle.Render(wrap("Tip: --client-id sets it on the command line.", w)))
	keys := []key.Binding{m.keys.Enter, m.keys.Back}
	if m.canFindApps() && len(m.candidates) == 0 {
		keys = append(keys, findKey)
	}
	return b.String(), keys
}
