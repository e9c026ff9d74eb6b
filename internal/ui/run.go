package ui

import (
	"context"
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Run runs the full-screen wizard on in/out until the admin finishes or quits, and
// reports how it ended. The terminal is restored and every context cancelled (so
// the flows close their listeners) before it returns.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer, environ []string) (Outcome, error) {
	m := New(ctx, opts)
	defer m.Close()
	popts := []tea.ProgramOption{
		tea.WithContext(ctx),
		tea.WithInput(in),
		tea.WithOutput(out),
		tea.WithEnvironment(environ),
		// SIGINT, SIGTERM and SIGHUP cancel ctx in main (exit 130 / 143 / 129); Ctrl+C in the
		// wizard is a key, not a signal, and is unaffected.
		tea.WithoutSignalHandler(),
	}
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	p := tea.NewProgram(m, popts...)
	_, err := p.Run()
	m.Close()
	if !m.flow.Done() { // stopped from outside (a signal): it ends where it is
		m.flow.Cancel()
	}
	o := m.Outcome()
	if err != nil && o.Err == nil {
		if ctx.Err() != nil {
			o.Err = ctx.Err()
			return o, nil
		}
		return o, err
	}
	return o, nil
}
