package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// Review what the app asks for. A table of the permissions with a detail pane
// for the selected row, and the wizard's own (read-only) sign-in scopes.

func (m *Model) reviewKey(k tea.KeyPressMsg) tea.Cmd {
	n := len(m.flow.App().Permissions)
	switch {
	case key.Matches(k, m.keys.Up):
		m.review.row = (m.review.row + n - 1) % n
	case key.Matches(k, m.keys.Down):
		m.review.row = (m.review.row + 1) % n
	case key.Matches(k, m.keys.Enter):
		return m.apply(m.flow.Continue())
	}
	return nil
}

// reviewModel is the review step's own state: the selected row.
type reviewModel struct {
	row int
}

func (m *Model) reviewView(w int) screen {
	a := m.flow.App()
	var b strings.Builder
	b.WriteString(m.th.Header.Render(wrap(a.DisplayName, w)) + "\n")
	if a.ReauthorizeOnly {
		b.WriteString(wrap(m.th.Warn.Render("Re-authorize only:")+" "+m.th.Subtle.Render("since "+orDash(a.CreationClosedOn)+" this app cannot be created; an existing one is re-authorized."), w) + "\n")
	}
	b.WriteString("\n")
	table, top, bottom := m.permTable(a.Permissions, w, m.review.row)
	pre := strings.Count(b.String(), "\n")
	focus := [2]int{pre + top, pre + bottom}
	b.WriteString(table + "\n\n")

	p := a.Permissions[m.review.row]
	detail := []string{
		m.th.Header.Render(p.API+" · "+p.Value) + "  " + m.th.Subtle.Render(p.FriendlyName),
		wrap(p.Type.Explain(), w-4),
	}
	id := p.ID
	if id == "" {
		id = "not public: resolved by its value in your tenant"
	}
	detail = append(detail, wrap("Id: "+id, w-4))
	if p.NewlyRequired {
		detail = append(detail, m.th.Warn.Render("Newly required: existing apps must be re-authorized for it."))
	}
	b.WriteString(m.th.Box.Width(w).Render(strings.Join(detail, "\n")) + "\n")

	b.WriteString(m.th.Subtle.Render(wrap("To check the result, the wizard signs you in with read-only scopes:", w)) + "\n")
	for _, s := range signin.Scopes() {
		b.WriteString(m.th.Subtle.Render(wrapIndent("  "+s.Value+": "+s.Reason, w, "    ")) + "\n")
	}
	return screen{body: strings.TrimRight(b.String(), "\n"), focus: focus,
		keys: []key.Binding{m.keys.Up, m.keys.Down, m.keys.Enter, m.keys.Back}}
}

// permTable renders the vendor's table (the seed's columns): API | Permission | Type |
// Purpose | New?, the friendly name under the permission. Cells wrap, nothing that
// tells rows apart is cut. Below 80 columns each permission is a card instead. It
// returns the table and the first and last line of the selected row, so the view can
// keep that row on screen.
func (m *Model) permTable(perms []permissions.Permission, w, sel int) (string, int, int) {
	if w < 80 {
		return m.permCards(perms, w, sel)
	}
	apiW, permW := len("API"), len("Permission")
	for _, p := range perms {
		if w < 100 { // the API's name wraps at its spaces: "Microsoft / Graph"
			for _, word := range strings.Fields(p.API) {
				apiW = max(apiW, ansi.StringWidth(word))
			}
		} else {
			apiW = max(apiW, ansi.StringWidth(p.API))
		}
		permW = max(permW, ansi.StringWidth(p.Value))
	}
	typW, newW := len("Application"), len("New?")
	const gap = "  "
	purW := w - 2 - apiW - permW - typW - newW - 4*len(gap)
	if purW < 16 { // the friendly name and purpose share the room when it is short
		permW = max(permW-(16-purW), 14)
		purW = w - 2 - apiW - permW - typW - newW - 4*len(gap)
	}
	widths := []int{apiW, permW, typW, purW, newW}
	row := func(cells []string) []string {
		cols := make([][]string, len(cells))
		n := 1
		for i, c := range cells {
			cols[i] = strings.Split(wrapWords(c, widths[i]), "\n")
			n = max(n, len(cols[i]))
		}
		out := make([]string, n)
		for l := range n {
			parts := make([]string, len(cells))
			for i := range cells {
				s := ""
				if l < len(cols[i]) {
					s = cols[i][l]
				}
				parts[i] = pad(s, widths[i])
			}
			out[l] = strings.TrimRight(strings.Join(parts, gap), " ")
		}
		return out
	}
	var lines []string
	lines = append(lines, "  "+m.th.Header.Render(strings.TrimRight(strings.Join(row([]string{"API", "Permission", "Type", "Purpose", "New?"})[0:1], ""), " ")))
	top, bottom := 0, 0
	for i, p := range perms {
		newly := "No"
		if p.NewlyRequired {
			newly = "Yes"
		}
		permCell := p.Value
		if p.FriendlyName != "" {
			permCell += "\n(" + p.FriendlyName + ")"
		}
		rl := row([]string{p.API, permCell, string(p.Type), p.Purpose, newly})
		if i == sel {
			top, bottom = len(lines), len(lines)+len(rl)-1
		}
		for j, l := range rl {
			lead := "  "
			if i == sel {
				if j == 0 {
					lead = m.th.Key.Render(m.g.Arrow + " ")
				}
				l = m.th.Selected.Render(l)
			}
			lines = append(lines, lead+l)
		}
	}
	return strings.Join(lines, "\n"), top, bottom
}

// permCards is the table for narrow windows: one card per permission, the API first.
func (m *Model) permCards(perms []permissions.Permission, w, sel int) (string, int, int) {
	var lines []string
	top, bottom := 0, 0
	for i, p := range perms {
		newly := "No"
		if p.NewlyRequired {
			newly = "Yes"
		}
		lead := "  "
		if i == sel {
			lead = m.th.Key.Render(m.g.Arrow + " ")
			top = len(lines)
		}
		head := p.API + " · " + p.Value
		if i == sel {
			head = m.th.Selected.Render(head)
		} else {
			head = m.th.Header.Render(head)
		}
		lines = append(lines, lead+wrapIndentPlain(head, w-2, "  "))
		for _, l := range []string{p.FriendlyName, string(p.Type) + " · New? " + newly, "Why: " + p.Purpose} {
			if strings.TrimSpace(l) == "" {
				continue
			}
			lines = append(lines, "    "+wrapIndentPlain(l, w-4, "    "))
		}
		if i == sel {
			bottom = len(strings.Split(strings.Join(lines, "\n"), "\n")) - 1
		}
	}
	return strings.Join(lines, "\n"), top, bottom
}

// wrapWords wraps s to w columns at spaces only (a long word is broken, never at a
// hyphen), keeping explicit newlines.
func wrapWords(s string, w int) string {
	return wrapNoHyphen(s, w)
}

// wrapIndentPlain wraps s at spaces and indents continuation lines.
func wrapIndentPlain(s string, w int, indent string) string {
	return strings.ReplaceAll(wrapWords(s, w), "\n", "\n"+indent)
}

// pad pads s with spaces to w columns.
func pad(s string, w int) string {
	return s + strings.Repeat(" ", max(w-ansi.StringWidth(s), 0))
}

// cell pads or truncates s to exactly w columns.
func cell(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = ansi.Truncate(s, w, "…")
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
