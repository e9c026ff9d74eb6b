package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/flows"
)

// The error screen: what happened in plain words, what to do, and the raw AADSTS code
// and correlation id for support. Retry re-runs the failed step; Esc goes back.

func (m *Model) errorKey(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, m.keys.Retry) {
		return m.retry()
	}
	return nil
}

var errActions = map[step]string{
	stepSignIn:  "Sign-in did not complete.",
	stepState:   "Could not read the app's current state.",
	stepConsent: "Admin consent did not complete.",
	stepSummary: "Could not verify the grants.",
}

func (m *Model) errorView(w int) (string, []key.Binding) {
	var b strings.Builder
	title := errActions[m.errFrom]
	if title == "" {
		title = "Something went wrong."
	}
	b.WriteString(m.th.Bad.Render(wrap(title, w)) + "\n\n")
	e := m.expl
	if e != nil {
		if e.Title != "" {
			b.WriteString(m.th.Header.Render(wrap(flows.Sanitize(e.Title), w)) + "\n")
		}
		if e.Meaning != "" {
			b.WriteString(wrap(flows.Sanitize(e.Meaning), w) + "\n")
		}
		if e.Fix != "" {
			b.WriteString("\n" + wrap(m.th.Header.Render("What to do: ")+flows.Sanitize(e.Fix), w) + "\n")
		}
		b.WriteString("\n" + m.th.Subtle.Render("For support:") + "\n")
		var sup []string
		if e.Code != 0 {
			sup = append(sup, fmt.Sprintf("AADSTS%d", e.Code))
		}
		if e.CorrelationID != "" {
			sup = append(sup, "correlation id "+flows.Sanitize(e.CorrelationID))
		}
		if e.TraceID != "" {
			sup = append(sup, "trace id "+flows.Sanitize(e.TraceID))
		}
		if e.Timestamp != "" {
			sup = append(sup, "time "+flows.Sanitize(e.Timestamp))
		}
		if len(sup) > 0 {
			b.WriteString(m.th.Subtle.Render(wrap(strings.Join(sup, " · "), w)) + "\n")
		}
		if e.Description != "" {
			b.WriteString(m.th.Subtle.Render(wrap(flows.Sanitize(e.Description), w)) + "\n")
		}
		if e.Link != "" {
			b.WriteString(m.th.URL.Render(flows.Sanitize(e.Link)) + "\n")
		}
	} else if m.err != nil {
		b.WriteString(wrap(flows.Sanitize(m.err.Error()), w) + "\n")
	}
	b.WriteString(m.diagnosisView(w))
	return strings.TrimRight(b.String(), "\n"), []key.Binding{m.keys.Retry, m.keys.Back}
}
