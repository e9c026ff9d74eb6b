package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
)

// clientIDModel is the client id step's own state: the field, and the apps found in
// the tenant to pick from.
type clientIDModel struct {
	input      textinput.Model
	err        string
	finding    bool
	candidates []flows.AppCandidate
	pick       int
}

// The app's client id, asked only when neither the catalog nor --client-id
// gives one (AvePoint does not publish it). Validated as a GUID.

func (m *Model) clientIDKey(k tea.KeyPressMsg) tea.Cmd {
	if cmd, ok := m.pickKey(k); ok {
		return cmd
	}
	if key.Matches(k, findKey) && m.caps.FindApps != nil {
		m.clientID.err = ""
		return m.apply(m.flow.FindInTenant())
	}
	switch k.String() {
	case "esc":
		m.clientID.input.Blur()
		return m.apply(m.flow.Back())
	case "enter":
		// A GUID, or the consent link AOS gives (client_id and redirect_uri taken).
		w, err := m.flow.EnterClientID(m.clientID.input.Value())
		if err != nil {
			m.clientID.err = err.Error()
			return nil
		}
		m.clientID.input.SetValue(m.flow.App().ClientID)
		m.clientID.input.Blur()
		m.clientID.err = ""
		return m.apply(w)
	}
	var cmd tea.Cmd
	m.clientID.input, cmd = m.clientID.input.Update(k)
	return cmd
}

func (m *Model) clientIDView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(wrap("AvePoint does not publish the client id of "+m.flow.App().DisplayName+". Copy the Application (client) ID from AOS (Management > App management) or from AvePoint support — or the whole consent link AOS gives you — and paste it here.", w) + "\n\n")
	b.WriteString(m.clientID.input.View() + "\n")
	if c := m.candidatesView(w); c != "" {
		b.WriteString("\n" + c)
	}
	if m.clientID.err != "" {
		b.WriteString("\n" + m.th.Bad.Render(wrap(m.clientID.err, w)) + "\n")
	}
	b.WriteString("\n" + m.th.Subtle.Render(wrap("Tip: --client-id sets it on the command line.", w)))
	keys := []key.Binding{m.keys.Enter, m.keys.Back}
	if m.caps.FindApps != nil && len(m.clientID.candidates) == 0 {
		keys = append(keys, findKey)
	}
	return b.String(), keys
}
