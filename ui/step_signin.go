package ui

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Step 3: sign in. The flow calls back with the URL (or device code) as soon as it
// has one; the URL stays on screen, copyable (c) and as a QR code (r).

func (m *Model) signInKey(k tea.KeyPressMsg) tea.Cmd {
	cmd, _ := m.urlKey(k)
	return cmd
}

func (m *Model) signInView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(wrap("Sign in as a Global Administrator or Privileged Role Administrator of the tenant. The wizard only reads (User.Read, Directory.Read.All).", w) + "\n\n")
	if m.prompt == nil {
		b.WriteString(m.spin() + " " + orText(m.status, "Starting sign-in…"))
		return b.String(), nil
	}
	p := m.prompt
	if p.DeviceCode {
		b.WriteString(m.urlBlock("Open this page on any device:", p.URL, w, ""))
		b.WriteString("and enter the code " + m.th.Key.Render(p.UserCode) + "\n")
	} else {
		lead := "Your browser should open this page; if it did not, open it yourself:"
		if m.opts.NoBrowser {
			lead = "Open this page in a browser, on this or any device:"
		}
		b.WriteString(m.urlBlock(lead, p.URL, w, ""))
	}
	b.WriteString("\n" + m.spin() + " " + orText(m.status, "Waiting for you to sign in in the browser…"))
	if m.approving {
		b.WriteString("\n" + m.th.Subtle.Render("Signing in in the demo browser…"))
	}
	return b.String(), append(m.urlKeys(), m.keys.Back)
}
