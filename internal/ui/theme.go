package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// theme is the wizard's one set of styles. It adapts to the terminal's background
// (tea.BackgroundColorMsg) and has no colour at all with NO_COLOR / --no-color.
type theme struct {
	Title, Subtle, Accent, OK, Warn, Bad, Key, Selected, Box, URL, Header lipgloss.Style
	Help                                                                  help.Styles
}

func newTheme(dark, noColor bool, g termcaps.Glyphs) theme {
	b := g.Box
	border := lipgloss.Border{Top: b.Top, Bottom: b.Bottom, Left: b.Left, Right: b.Right,
		TopLeft: b.TopLeft, TopRight: b.TopRight, BottomLeft: b.BottomLeft, BottomRight: b.BottomRight,
		MiddleLeft: b.MiddleLeft, MiddleRight: b.MiddleRight, Middle: b.Middle, MiddleTop: b.MiddleTop, MiddleBottom: b.MiddleBottom}
	if noColor {
		plain := lipgloss.NewStyle()
		return theme{
			Title:    plain.Bold(true),
			Subtle:   plain,
			Accent:   plain.Bold(true),
			OK:       plain,
			Warn:     plain.Bold(true),
			Bad:      plain.Bold(true),
			Key:      plain.Bold(true),
			Selected: plain.Reverse(true),
			Box:      plain.Border(border).Padding(0, 1),
			URL:      plain.Underline(true),
			Header:   plain.Bold(true),
			Help:     help.Styles{},
		}
	}
	ld := lipgloss.LightDark(dark)
	c := func(light, darkc string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(darkc)) }
	accent := c("#005FAF", "#5FAFFF")
	return theme{
		Title:    lipgloss.NewStyle().Bold(true).Foreground(accent),
		Subtle:   lipgloss.NewStyle().Foreground(c("#6C6C6C", "#8A8A8A")),
		Accent:   lipgloss.NewStyle().Foreground(accent),
		OK:       lipgloss.NewStyle().Foreground(c("#007A00", "#5FD75F")),
		Warn:     lipgloss.NewStyle().Foreground(c("#8A5A00", "#FFD75F")).Bold(true),
		Bad:      lipgloss.NewStyle().Foreground(c("#AF0000", "#FF5F5F")).Bold(true),
		Key:      lipgloss.NewStyle().Foreground(accent).Bold(true),
		Selected: lipgloss.NewStyle().Foreground(c("#FFFFFF", "#000000")).Background(accent),
		Box: lipgloss.NewStyle().Border(border).
			BorderForeground(c("#A8A8A8", "#4E4E4E")).Padding(0, 1),
		URL:    lipgloss.NewStyle().Foreground(accent).Underline(true),
		Header: lipgloss.NewStyle().Bold(true).Foreground(c("#303030", "#D0D0D0")),
		Help:   help.DefaultStyles(dark),
	}
}
