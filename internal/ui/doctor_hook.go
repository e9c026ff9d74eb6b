package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// The doctor on the error screen: when sign-in or Graph failed with a network, TLS
// or clock failure, the doctor's checks run in the background and their verdict
// ("TLS inspection by 'Contoso Proxy CA' detected") appears under the error.

// Diagnoser is Options.Diagnose. It returns nil at once when the doctor has nothing
// to add about err (an AADSTS refusal, the demo tenant…); otherwise a function that
// runs the checks (seconds: it is called off the UI loop) and returns the verdict and
// its fix.
type Diagnoser func(err error) func(ctx context.Context) (verdict, fix string)

// diagState is the error screen's diagnosis.
type diagState struct {
	err          error // the failure it is about
	pending      bool
	verdict, fix string
}

type diagnosisMsg struct {
	err          error
	verdict, fix string
}

// startDiagnosis starts the doctor for the error now on screen, if it has a say.
func (m *Model) startDiagnosis(err error) tea.Cmd {
	m.errs.diag = diagState{}
	if m.opts.Diagnose == nil {
		return nil
	}
	run := m.opts.Diagnose(err)
	if run == nil {
		return nil
	}
	m.errs.diag = diagState{err: err, pending: true}
	ctx := m.rootCtx
	return func() tea.Msg {
		v, fix := run(ctx)
		return diagnosisMsg{err: err, verdict: v, fix: fix}
	}
}

// onDiagnosis records a verdict, unless the admin has moved on from that error.
func (m *Model) onDiagnosis(d diagnosisMsg) {
	if m.step() != stepError || d.err != m.errs.diag.err {
		return
	}
	m.errs.diag.pending = false
	m.errs.diag.verdict, m.errs.diag.fix = d.verdict, d.fix
}

// diagnosisView is the verdict block of the error screen ("" when there is none).
func (m *Model) diagnosisView(w int) string {
	switch {
	case m.errs.diag.pending:
		return "\n" + m.th.Subtle.Render(wrap("Checking the network and clock (d365consent doctor)"+m.g.Ellipsis, w)) + "\n"
	case m.errs.diag.verdict != "":
		s := "\n" + wrap(m.th.Header.Render("Doctor: ")+m.errs.diag.verdict, w) + "\n"
		if m.errs.diag.fix != "" {
			s += wrap(m.th.Header.Render("Fix: ")+m.errs.diag.fix, w) + "\n"
		}
		return s
	}
	return ""
}

// diagnoseLine is the verdict for the accessible (line-mode) run, which waits for it.
func diagnoseLines(ctx context.Context, d Diagnoser, err error) []string {
	if d == nil {
		return nil
	}
	run := d(err)
	if run == nil {
		return nil
	}
	v, fix := run(ctx)
	out := []string{"Doctor: " + v}
	if fix != "" {
		out = append(out, "Fix: "+fix)
	}
	return out
}
