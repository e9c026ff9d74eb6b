package ui

import (
	"context"
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// Re-authorization (issue 10): the app is already in the tenant, so instead of typing
// its client id the admin may sign in first (ctrl+f on the client id step) and pick it
// from the service principals named like the catalog's app.

// AppFinder lists the tenant's service principals named like app (optional Engine
// ability).
type AppFinder interface {
	FindApps(ctx context.Context, app *permissions.App) ([]flows.AppCandidate, error)
}

type appsFoundMsg struct {
	attempt int
	apps    []flows.AppCandidate
	err     error
}

func (m *Model) canFindApps() bool {
	_, ok := m.opts.Engine.(AppFinder)
	return ok
}

// findInTenant signs in (when not yet) and then lists the candidates.
func (m *Model) findInTenant() tea.Cmd {
	if !m.canFindApps() {
		return nil
	}
	m.idErr = ""
	if m.admin == nil {
		m.findAfterSignIn = true
		return m.goTo(stepSignIn)
	}
	return m.findApps()
}

func (m *Model) findApps() tea.Cmd {
	f, ok := m.opts.Engine.(AppFinder)
	if !ok {
		return nil
	}
	m.enter(stepClientID)
	m.finding = true
	m.candidates, m.pick = nil, 0
	ctx, att := m.stepCtx, m.attempt
	app := *m.apps[m.appIdx]
	return func() tea.Msg {
		apps, err := f.FindApps(ctx, &app)
		return appsFoundMsg{attempt: att, apps: apps, err: err}
	}
}

func (m *Model) appsFound(msg appsFoundMsg) {
	if msg.attempt != m.attempt || m.step != stepClientID {
		return
	}
	m.finding = false
	switch {
	case msg.err != nil:
		m.idErr = safetext.Sanitize(msg.err.Error())
	case len(msg.apps) == 0:
		m.idErr = "No app named \"" + m.apps[m.appIdx].DisplayName + "\" in this tenant: paste its client id or the consent link from AOS."
	default:
		m.candidates = msg.apps
	}
	m.clientID.Focus()
}

// pickKey moves the selection among the candidates; ok reports it used the key.
func (m *Model) pickKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	if len(m.candidates) == 0 {
		return nil, false
	}
	switch k.String() {
	case "up":
		m.pick = max(m.pick-1, 0)
		return nil, true
	case "down":
		m.pick = min(m.pick+1, len(m.candidates)-1)
		return nil, true
	case "enter":
		if strings.TrimSpace(m.clientID.Value()) != "" {
			return nil, false // what was typed wins
		}
		m.clientID.SetValue(m.candidates[m.pick].AppID)
		return nil, false
	}
	return nil, false
}

func (m *Model) candidatesView(w int) string {
	if m.finding {
		return m.spin() + " Looking for " + m.apps[m.appIdx].DisplayName + " in the tenant…\n"
	}
	if len(m.candidates) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.th.Header.Render(wrap("Found in your tenant (↑/↓, Enter picks; typing a client id overrides):", w)) + "\n")
	for i, c := range m.candidates {
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
		if i == m.pick {
			mark = m.th.Key.Render(m.g.Arrow) + " "
		}
		b.WriteString(mark + wrap(safetext.Sanitize(line), w-2) + "\n")
	}
	return b.String()
}
