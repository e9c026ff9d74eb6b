package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/d365consent/d365consent/internal/explain"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
)

// The error screen: what happened in plain words, what to do, and the raw AADSTS code
// and correlation id for support. Retry re-runs the failed step; Esc goes back.

func (m *Model) errorKey(k tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(k, m.keys.Retry):
		return m.apply(m.flow.Retry())
	case key.Matches(k, m.keys.SaveError):
		return m.saveErrorReport()
	case key.Matches(k, switchAccountKey) && m.canSwitchOnError():
		return m.apply(m.flow.SwitchAccount())
	}
	return nil
}

// errorModel is the error step's own state: the explanation of the error and the
// doctor's verdict on it.
type errorModel struct {
	expl *explain.Explanation
	diag diagState
}

func (m *Model) errorView(w int) (string, []key.Binding) {
	var b strings.Builder
	title := m.flow.Failed()
	b.WriteString(m.th.Bad.Render(wrap(title, w)) + "\n\n")
	e := m.errs.expl
	if e != nil {
		if e.Title != "" {
			b.WriteString(m.th.Header.Render(wrap(e.Title, w)) + "\n")
		}
		if e.Meaning != "" {
			b.WriteString(wrap(e.Meaning, w) + "\n")
		}
		if e.Fix != "" {
			b.WriteString("\n" + wrap(m.th.Header.Render("What to do: ")+e.Fix, w) + "\n")
		}
		said := entraSaid(e)
		if len(explain.SupportFields(e)) > 0 || said != "" {
			b.WriteString("\n" + m.th.Subtle.Render("For support:") + "\n")
		}
		for _, l := range explain.SupportFields(e) {
			b.WriteString(m.th.Subtle.Render(idLine(l[0], l[1], w)) + "\n")
		}
		if said != "" {
			b.WriteString(m.th.Subtle.Render(wrap(said, w)) + "\n")
		}
		if e.Link != "" {
			b.WriteString(m.linkLines(e.Link, w) + "\n")
		}
	} else if m.flow.Err() != nil {
		b.WriteString(wrap(m.flow.Err().Error(), w) + "\n")
		// No explanation for this error: still never a dead end.
		b.WriteString("\n" + wrap(m.th.Header.Render("What to do: ")+"press Enter to try again; if it keeps failing, press s to save an error report for support (redacted: no token, no account name).", w) + "\n")
	}
	b.WriteString(m.diagnosisView(w))
	if len(m.saved) > 0 {
		b.WriteString("\n" + m.th.OK.Render("Error report saved:") + "\n" + strings.Join(m.saved, "\n") + "\n")
	}
	keys := []key.Binding{m.keys.Retry, m.keys.SaveError}
	if m.canSwitchOnError() {
		b.WriteString("\n" + wrap("Press o to sign in as someone else.", w) + "\n")
		keys = append(keys, switchAccountKey)
	}
	return strings.TrimRight(b.String(), "\n"), append(keys, m.keys.Back)
}

// entraSaid is Entra ID's own text of e (display-safe: explain sanitizes it), without the "AADSTSnnnnn:" it
// starts with when the error code line says that code already; "" when nothing is left
// or it only repeats the meaning.
func entraSaid(e *explain.Explanation) string {
	d := strings.TrimSpace(e.Description)
	if e.Code != 0 {
		if rest, ok := strings.CutPrefix(d, fmt.Sprintf("AADSTS%d", e.Code)); ok {
			d = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
		}
	}
	if strings.Join(strings.Fields(d), " ") == strings.Join(strings.Fields(e.Meaning), " ") {
		return ""
	}
	return d
}

// saveErrorReport writes a redacted error report (flows.ErrorReport) next to the
// verification reports and shows its absolute path.
func (m *Model) saveErrorReport() tea.Cmd {
	f := flows.ErrorFacts{What: m.flow.Failed(), At: m.opts.now()}
	if m.flow.App() != nil {
		f.App, f.ClientID = m.flow.App().Key, m.flow.App().ClientID
	}
	if m.flow.Admin() != nil {
		f.TenantID, f.SignedInAs = m.flow.Admin().TenantID, m.flow.Admin().UPN
	}
	data := flows.ErrorReport(m.flow.Err(), f)
	write := m.opts.WriteFile
	if write == nil {
		write = flows.WriteErrorReport
	}
	path := absPath(filepath.Join(m.opts.ReportDir, "d365consent-error-"+m.opts.now().UTC().Format("20060102-150405")+".txt"))
	att := m.attempt
	m.flash = "Saving the error report…"
	return func() tea.Msg {
		if err := write(path, data); err != nil {
			return savedMsg{attempt: att, err: err}
		}
		return savedMsg{attempt: att, paths: []string{path}}
	}
}

// absPath is p made absolute (as printed paths must be), or p when that fails.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// canSwitchOnError: another account is the fix of the error shown, and the engine can
// sign in as someone else.
func (m *Model) canSwitchOnError() bool {
	return m.caps.SwitchAccount != nil && m.flow.AnotherAccountHelps()
}
