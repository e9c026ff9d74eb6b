// Package permtable draws the permissions catalog as a terminal table with Lip
// Gloss: the table output of `d365consent permissions`. It lives outside
// permissions so that the catalog package stays standard library only.
package permtable

import (
	"fmt"
	"io"
	"strings"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"

	"github.com/d365consent/d365consent/internal/textwrap"
	"github.com/d365consent/d365consent/permissions"
)

// Options shape the table.
type Options struct {
	// Width is the terminal width (0: 100 columns).
	Width int
	// Styled adds bold and colour (callers pass false when the output is not a terminal).
	Styled bool
	// ASCII draws borders with + - | for terminals without Unicode.
	ASCII bool
}

// Write writes each app as a header block and a bordered table that fits
// width columns, wrapping long cells (the purpose) at words (textwrap) rather than
// cutting them.
func Write(w io.Writer, apps []permissions.App, to Options) error {
	width, styled := to.Width, to.Styled
	border, dot := lipgloss.NormalBorder(), "·"
	if to.ASCII {
		border, dot = lipgloss.ASCIIBorder(), "-"
	}
	if width <= 0 {
		width = 100
	}
	if width < 40 {
		width = 40
	}
	bold := lipgloss.NewStyle()
	faint := lipgloss.NewStyle()
	warn := lipgloss.NewStyle()
	header := lipgloss.NewStyle().Padding(0, 1)
	if styled {
		bold = bold.Bold(true)
		faint = faint.Faint(true)
		warn = warn.Foreground(lipgloss.Color("3")).Bold(true)
		header = header.Bold(true)
	}
	var b strings.Builder
	for i, a := range apps {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(textwrap.Wrap(bold.Render(a.DisplayName), width))
		b.WriteString("\n")
		meta := fmt.Sprintf("%s %s %s %s key %q %s %s", a.AppType, dot, a.SetupMethod, dot, a.Key, dot, a.NewOrUpdated)
		b.WriteString(faint.Render(textwrap.Wrap(meta, width)))
		b.WriteString("\n")
		if a.Notice != "" {
			b.WriteString(warn.Render(textwrap.Wrap("Re-authorize only: "+a.Notice, width)))
			b.WriteString("\n")
		}
		rows := make([][]string, len(a.Permissions))
		for j, p := range a.Permissions {
			rows[j] = []string{p.API, p.Display(), string(p.Type), p.Purpose, permissions.YesNo(p.NewlyRequired)}
		}
		widths, ok := columnWidths(tableHeaders(), rows, longestValue(a.Permissions), width)
		if !ok {
			writeCards(&b, a, width, dot, bold, faint)
			b.WriteString(textwrap.Wrap("Next step: "+a.Consent, width))
			b.WriteString("\n")
			continue
		}
		for j := range rows {
			for col, cell := range rows[j] {
				rows[j][col] = textwrap.Wrap(cell, widths[col])
			}
		}
		t := table.New().
			Border(border).
			Headers(tableHeaders()...).
			Rows(rows...).
			Wrap(true).
			StyleFunc(func(row, col int) lipgloss.Style {
				s := lipgloss.NewStyle().Padding(0, 1).Width(widths[col] + 2)
				if row == table.HeaderRow {
					s = s.Inherit(header)
				}
				return s
			})
		if styled {
			t = t.BorderStyle(faint)
		}
		b.WriteString(t.Render())
		b.WriteString("\n")
		b.WriteString(textwrap.Wrap("Next step: "+a.Consent, width))
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// tableHeaders are the table's column names. "Newly required", as the publisher's
// table says: "New?" reads as "new to my tenant".
func tableHeaders() []string {
	return []string{"API", "Permission", "Type", "Purpose", "Newly required"}
}

// columnWidths sizes the table's content columns to fit total terminal columns.
// API, Type and Newly required keep their natural width (they are short and must not break
// mid-word); Permission and Purpose share what is left, Purpose taking the larger
// part, and wrap. Borders and one space of padding each side are accounted for.
// It reports false when even the narrowest readable table does not fit: the
// Permission column must hold the longest permission value unbroken and Purpose
// at least 20 columns.
func columnWidths(headers []string, rows [][]string, minPerm, total int) ([]int, bool) {
	natural := make([]int, len(headers))
	for i, h := range headers {
		natural[i] = lipgloss.Width(h)
	}
	for _, r := range rows {
		for i, c := range r {
			natural[i] = max(natural[i], lipgloss.Width(c))
		}
	}
	const permCol, purposeCol = 1, 3
	overhead := len(headers) + 1 + 2*len(headers) // borders + padding
	fixed := 0
	for i, n := range natural {
		if i != permCol && i != purposeCol {
			fixed += n
		}
	}
	avail := total - overhead - fixed
	widths := append([]int(nil), natural...)
	if avail >= natural[permCol]+natural[purposeCol] {
		return widths, true
	}
	const minPurpose = 20
	if avail < minPerm+minPurpose {
		return nil, false
	}
	// Give Permission up to 40% of what is left (never less than its longest
	// value), Purpose the rest.
	perm := min(natural[permCol], max(minPerm, avail*2/5))
	purpose := avail - perm
	if purpose > natural[purposeCol] {
		purpose = natural[purposeCol]
		perm = avail - purpose
	}
	widths[permCol], widths[purposeCol] = perm, purpose
	return widths, true
}

func longestValue(ps []permissions.Permission) int {
	n := 0
	for _, p := range ps {
		n = max(n, lipgloss.Width(p.Value))
	}
	return n
}

// writeCards is the narrow-terminal layout: one block per permission instead of a
// table, every line wrapped to width.
func writeCards(b *strings.Builder, a permissions.App, width int, dot string, bold, faint lipgloss.Style) {
	for _, p := range a.Permissions {
		b.WriteString("\n")
		b.WriteString(bold.Render(textwrap.Wrap(p.Display(), width)))
		b.WriteString("\n")
		meta := fmt.Sprintf("%s %s %s %s newly required: %s", p.API, dot, p.Type, dot, permissions.YesNo(p.NewlyRequired))
		b.WriteString(faint.Render(textwrap.Wrap(meta, width)))
		b.WriteString("\n")
		b.WriteString(textwrap.Wrap(p.Purpose, width))
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
