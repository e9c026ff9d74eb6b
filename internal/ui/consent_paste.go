package ui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/signin"
)

// Paste-back on the consent screen: on the production path the browser ends on the
// publisher's page and nothing comes back to the wizard, so the admin may paste the
// address it ended on (or the AADSTS code the page shows) into the wait.

// firstUseNotice is said before sign-in: the sign-in client's own consent.
const firstUseNotice = signin.FirstUseNotice

// productionNotice explains the consent screen's real path: nothing comes back.
const productionNotice = "After Accept (or Cancel) the browser lands on AvePoint's page and nothing comes back here: " +
	"this screen watches Microsoft Graph instead (every 2 s, and at once on Enter or when you come back to this window). "

// pasteKeyMsg handles keys while the paste field is open: Enter hands the text to the
// wait, Esc closes the field (the wait goes on).
func (m *Model) pasteKeyMsg(k tea.KeyPressMsg) tea.Cmd {
	c := &m.consent
	switch k.String() {
	case "esc":
		c.closePaste()
		return nil
	case "enter":
		if c.caps.Paste == nil {
			c.pasting = false
			return nil
		}
		err := c.caps.Paste(c.paste.Value())
		if errors.Is(err, flows.ErrPasteUnmatched) {
			c.closePaste()
			m.flash = "Not proof of consent: " + err.Error() + "."
			return nil
		}
		if err != nil {
			c.pasteErr = err.Error()
			return nil
		}
		c.closePaste()
		m.flash = "Got it: reading what the browser ended on…"
		return nil
	}
	var cmd tea.Cmd
	c.paste, cmd = c.paste.Update(k)
	return cmd
}

func (c *consentModel) closePaste() {
	c.pasting = false
	c.paste.Blur()
	c.paste.SetValue("")
	c.pasteErr = ""
}

func (c *consentModel) openPaste() tea.Cmd {
	if c.paste.Placeholder == "" {
		c.paste = newInput("https://…?admin_consent=True&tenant=…  or  AADSTS65004", 8192)
	}
	c.pasting = true
	c.pasteErr = ""
	return c.paste.Focus()
}

// productionLines explain the consent screen's real path: nothing comes back.
func (m *Model) productionLines(w int) string {
	var b strings.Builder
	b.WriteString(wrap(productionNotice+
		"If the page shows an error, or you want to be sure, press p and paste the address your browser ended on (or the AADSTS code it shows).", w) + "\n")
	if m.consent.pasting {
		b.WriteString("\n" + m.consent.paste.View() + "\n")
		if m.consent.pasteErr != "" {
			b.WriteString(m.th.Bad.Render(wrap(m.consent.pasteErr, w)) + "\n")
		}
		b.WriteString(m.th.Subtle.Render("enter: read it · esc: close (keep waiting)") + "\n")
	}
	return b.String()
}
