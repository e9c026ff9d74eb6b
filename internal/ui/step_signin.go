package ui

import (
	"strings"

	"github.com/d365consent/d365consent/internal/signin"

	"github.com/d365consent/d365consent/internal/flows"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// signInModel is the sign-in step's own state: the prompt on screen and the channel
// the flow's callback sends prompts on.
type signInModel struct {
	prompt  *flows.SignInPrompt
	prompts chan flows.SignInPrompt
}

// Sign in. The flow calls back with the URL (or device code) as soon as it
// has one; the URL stays on screen, copyable (c) and as a QR code (r).

func (m *Model) signInKey(k tea.KeyPressMsg) tea.Cmd {
	// Never a QR code of the browser sign-in URL: it returns to http://localhost on
	// this machine, which a phone cannot reach.
	if key.Matches(k, m.keys.QR) && (m.signIn.prompt == nil || !m.signIn.prompt.DeviceCode) {
		return nil
	}
	cmd, _ := m.urlKey(k)
	return cmd
}

// signInKeys are the URL keys of the sign-in step: the QR code only for a device
// code's verification page.
func (m *Model) signInKeys() []key.Binding {
	var ks []key.Binding
	for _, b := range m.urlKeys() {
		if b.Help().Key == m.keys.QR.Help().Key && (m.signIn.prompt == nil || !m.signIn.prompt.DeviceCode) {
			continue
		}
		ks = append(ks, b)
	}
	return ks
}

func (m *Model) signInView(w int) (string, []key.Binding) {
	var b strings.Builder
	b.WriteString(wrap("Sign in as a Global Administrator or Privileged Role Administrator of the tenant. The wizard only reads ("+signin.List()+").", w) + "\n\n")
	if m.signIn.prompt == nil {
		b.WriteString(m.spin() + " " + orText(m.status, "Starting sign-in…"))
		return b.String(), nil
	}
	p := m.signIn.prompt
	if p.Consent != "" {
		b.WriteString(wrap(p.Consent, w) + "\n\n")
	}
	if p.Remembered != "" {
		b.WriteString(m.th.Warn.Render(wrap(p.Remembered, w)) + "\n\n")
	}
	if p.Claims {
		b.WriteString(m.th.Warn.Render(wrap("Your tenant asks you to sign in again (multi-factor authentication or a Conditional Access policy).", w)) + "\n\n")
	}
	if p.DeviceCode {
		if p.Reason != "" {
			b.WriteString(wrap(p.Reason, w) + "\n\n")
		}
		b.WriteString(m.deviceCodeLines(p.URL, p.UserCode, w) + "\n" + qrSlot + "\n")
	} else {
		lead := "Your browser should open this page; if it did not, open it yourself:"
		if m.opts.NoBrowser {
			lead = "Open this page in a browser on this machine (sign-in returns to http://localhost here):"
		}
		// Never a QR code of a localhost sign-in.
		b.WriteString(m.urlBlock(lead, p.URL, w, false))
	}
	b.WriteString("\n" + m.th.Subtle.Render(wrap(firstUseNotice, w)) + "\n")
	b.WriteString("\n" + m.signInWaitLine())
	if m.approving != "" {
		b.WriteString("\n" + m.th.Subtle.Render("Signing in in the demo browser…"))
	}
	return b.String(), append(m.signInKeys(), m.keys.Back)
}

// signInWaitLine is the sign-in step's status line: what the sign-in waits for.
func (m *Model) signInWaitLine() string {
	waiting := "Waiting for you to sign in in the browser…"
	if p := m.signIn.prompt; p != nil && p.DeviceCode {
		waiting = "Waiting for you to enter the code and sign in…"
	}
	return m.spin() + " " + orText(m.status, waiting)
}

// deviceCodeLines say where to enter the device code: "On any device, enter the code X
// at URL" on one line when it fits the width, the URL never broken by the words around
// it; else the page on lines of its own and the code after it.
func (m *Model) deviceCodeLines(url, code string, w int) string {
	line := "On any device, enter the code " + m.th.Key.Render(code) + " at "
	if ansi.StringWidth(line)+ansi.StringWidth(url) <= w {
		return line + m.linkLines(url, w)
	}
	return m.th.Header.Render(wrap("Open this page on any device:", w)) + "\n" + m.linkLines(url, w) + "\n" +
		"and enter the code " + m.th.Key.Render(code)
}
