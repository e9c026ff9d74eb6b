package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/permissions"
)

// Step 2: review what the app asks for. A table of the permissions with a detail pane
// for the selected row, and the wizard's own (read-only) sign-in scopes.

// SignInScopes are the scopes the wizard itself signs in with, and why: the least
// set that can read oauth2PermissionGrants and appRoleAssignments (both read-only).
var SignInScopes = []struct{ Scope, Why string }{
	{"User.Read", "who you are (/me) and your tenant"},
	{"Directory.Read.All", "read the app's grants and role assignments, and your directory roles; the least set that can read oauth2PermissionGrants"},
}

func (m *Model) reviewKey(k tea.KeyPressMsg) tea.Cmd {
	n := len(m.app.Permissions)
	switch {
	case key.Matches(k, m.keys.Up):
		m.row = (m.row + n - 1) % n
	case key.Matches(k, m.keys.Down):
		m.row = (m.row + 1) % n
	case key.Matches(k, m.keys.Enter):
		return m.afterReview()
	}
	return nil
}

func (m *Model) reviewView(w int) (string, []key.Binding) {
	a := m.app
	var b strings.Builder
	b.WriteString(m.th.Header.Render(wrap(a.DisplayName, w)) + "\n")
	if a.ReauthorizeOnly {
		b.WriteString(m.th.Warn.Render("Re-authorize only:") + " " + m.th.Subtle.Render("since "+orDash(a.CreationClosedOn)+" this app cannot be created.") + "\n")
	}
	b.WriteString("\n")
	b.WriteString(m.permTable(a.Permissions, w, m.row, nil) + "\n\n")

	p := a.Permissions[m.row]
	detail := []string{
		m.th.Header.Render(p.API+" · "+p.Value) + "  " + m.th.Subtle.Render(p.FriendlyName),
		wrap(p.Type.Explain(), w-4),
		wrap("Why: "+p.Purpose, w-4),
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
	for _, s := range SignInScopes {
		b.WriteString(m.th.Subtle.Render(wrapIndent("  "+s.Scope+": "+s.Why, w, "    ")) + "\n")
	}
	return strings.TrimRight(b.String(), "\n"), []key.Binding{m.keys.Up, m.keys.Down, m.keys.Enter, m.keys.Back}
}

// permTable renders permissions as a table that fits w columns. status, when not nil,
// adds a leading status column (current state, summary). Narrow windows drop the
// API column, then shorten the type.
func (m *Model) permTable(perms []permissions.Permission, w, sel int, status func(i int) string) string {
	type col struct {
		title string
		cell  func(p permissions.Permission) string
		width int
	}
	api := col{"API", func(p permissions.Permission) string { return p.API }, 15}
	perm := col{"Permission", func(p permissions.Permission) string { return p.Value }, 24}
	typ := col{"Type", func(p permissions.Permission) string { return string(p.Type) }, 11}
	name := col{"Friendly name", func(p permissions.Permission) string { return p.FriendlyName }, 0}
	newly := col{"New", func(p permissions.Permission) string {
		if p.NewlyRequired {
			return "yes"
		}
		return ""
	}, 3}
	cols := []col{api, perm, typ, newly, name}
	sw := 0
	if status != nil {
		sw = 2
	}
	fixed := func(cs []col) int {
		t := sw
		for _, c := range cs {
			t += c.width + 1
		}
		return t
	}
	if w < 70 {
		typ.width = 4
		typ.cell = func(p permissions.Permission) string {
			if p.Type == permissions.Application {
				return "App"
			}
			return "Del"
		}
		cols = []col{perm, typ, newly, name}
	}
	if w < 50 {
		cols = []col{perm, typ}
		cols[0].width = max(w-sw-6, 10)
	}
	if rest := w - fixed(cols); cols[len(cols)-1].width == 0 {
		cols[len(cols)-1].width = max(rest, 0)
		if rest < 8 {
			cols = cols[:len(cols)-1]
		}
	}
	var b strings.Builder
	hdr := strings.Repeat(" ", sw)
	for _, c := range cols {
		hdr += cell(c.title, c.width) + " "
	}
	b.WriteString(m.th.Header.Render(strings.TrimRight(hdr, " ")))
	for i, p := range perms {
		line := ""
		for _, c := range cols {
			line += cell(c.cell(p), c.width) + " "
		}
		line = strings.TrimRight(line, " ")
		if i == sel {
			line = m.th.Selected.Render(line)
		}
		if status != nil {
			line = status(i) + " " + line
		}
		b.WriteString("\n" + line)
	}
	return b.String()
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

var _ = fmt.Sprintf
