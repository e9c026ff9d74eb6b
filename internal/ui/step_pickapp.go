package ui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
)

// Re-authorization: the app is already in the tenant, so instead of typing its client
// id the admin may sign in first (ctrl+f on the client id step) and pick it from the
// service principals named like the catalog's app.

type appsFoundMsg struct {
	attempt int
	apps    []flows.AppCandidate
	err     error
}

// findApps lists the tenant's apps named like the catalog's (the flow's FindAppsWork).
func (m *Model) findApps() tea.Cmd {
	find := m.caps.FindApps
	if find == nil {
		return nil
	}
	m.clientID.finding = true
	m.clientID.candidates, m.clientID.pick = nil, 0
	ctx, att := m.stepCtx, m.attempt
	app := *m.flow.CatalogApp()
	return func() tea.Msg {
		apps, err := find(ctx, &app)
		return appsFoundMsg{attempt: att, apps: apps, err: err}
	}
}

func (m *Model) appsFound(msg appsFoundMsg) {
	if msg.attempt != m.attempt || m.step() != stepClientID {
		return
	}
	m.clientID.finding = false
	switch {
	case msg.err != nil:
		m.clientID.err = msg.err.Error()
	case len(msg.apps) == 0:
		m.clientID.err = "No app named \"" + m.flow.CatalogApp().DisplayName + "\" in this tenant: paste its client id or the consent link from AOS."
	default:
		m.clientID.candidates = msg.apps
	}
	m.clientID.input.Focus()
}

// pickKey moves the selection among the candidates; ok reports it used the key.
func (m *Model) pickKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if len(m.clientID.candidates) == 0 {
		return nil, false
	}
	switch k.String() {
	case "up":
		m.clientID.pick = max(m.clientID.pick-1, 0)
		return nil, true
	case "down":
		m.clientID.pick = min(m.clientID.pick+1, len(m.clientID.candidates)-1)
		return nil, true
	case "enter":
		if strings.TrimSpace(m.clientID.input.Value()) != "" {
			return nil, false // what was typed wins
		}
		m.clientID.input.SetValue(m.clientID.candidates[m.clientID.pick].AppID)
		return nil, false
	}
	return nil, false
}

func (m *Model) candidatesView(w int) string {
	if m.clientID.finding {
		return m.spin() + " Looking for " + m.flow.CatalogApp().DisplayName + " in the tenant…\n"
	}
	if len(m.clientID.candidates) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.th.Header.Render(wrap("Found in your tenant (↑/↓, Enter picks; typing a client id overrides):", w)) + "\n")
	for i, c := range m.clientID.candidates {
		created := "created: unknown"
		switch {
		case !c.CreatedDateTime.IsZero():
			created = "created " + c.CreatedDateTime.Format("2006-01-02")
		case !c.FirstGranted.IsZero():
			// Graph does not document a service principal's creation date; the first
			// app permission grant is the documented date closest to it.
			created = "first granted " + c.FirstGranted.Format("2006-01-02")
		}
		owner := c.AppOwnerOrganizationID
		if owner == "" {
			owner = "unknown"
		}
		line := fmt.Sprintf("%s · publisher tenant %s · %s", c.AppID, owner, created)
		if !c.AccountEnabled {
			line += " · DISABLED"
		}
		mark := "  "
		if i == m.clientID.pick {
			mark = m.th.Key.Render(m.g.Arrow) + " "
		}
		b.WriteString(mark + wrap(line, w-2) + "\n")
	}
	return b.String()
}
