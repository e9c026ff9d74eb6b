package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/safetext"
)

// Step 5: admin consent. The URL is on screen; the flow watches for the browser's
// redirect and polls Graph at once, and reports "n/m visible" as grants replicate.
// Enter asks for a check now; Esc closes the wait (and its port) and goes back.

func (m *Model) consentKey(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, pasteKey) && m.waiter != nil && m.canPaste() {
		return m.openPaste()
	}
	if cmd, ok := m.urlKey(k); ok {
		return cmd
	}
	if key.Matches(k, waitOthersKey) && m.canResume() {
		m.waiter.(ConsentResumer).Resume()
		m.paused = nil
		m.flash = "Waiting for another admin to accept the consent page…"
		return nil
	}
	if key.Matches(k, switchAccountKey) && m.paused != nil && m.canSwitchAccount() {
		m.closeWaiter()
		return m.switchAccount()
	}
	if key.Matches(k, m.keys.Recheck) && m.waiter != nil {
		m.waiter.Recheck()
		m.flash = "Checking Microsoft Graph now…"
	}
	return nil
}

func (m *Model) consentView(w int) (string, []key.Binding) {
	var b strings.Builder
	if m.consentURL == "" {
		b.WriteString(m.spin() + " Preparing the admin consent page…")
		return b.String(), []key.Binding{m.keys.Back}
	}
	b.WriteString(m.urlBlock("Open this page as an admin and Accept:", m.consentURL, w, m.qrCommand()))
	b.WriteString("\n")
	if m.production() {
		b.WriteString(m.productionLines(w) + "\n")
	}
	ev := m.event
	total := ev.Total
	if total == 0 && m.app != nil {
		total = len(m.app.Permissions)
	}
	status := fmt.Sprintf("%d/%d visible in Microsoft Graph", ev.Visible, total)
	doing := m.status
	if doing == "" && !m.checkedAt.IsZero() {
		doing = "checked " + ago(m.opts.now().Sub(m.checkedAt))
	}
	if doing != "" {
		doing = " · " + m.th.Subtle.Render(doing)
	}
	if p := m.paused; p != nil {
		// The account cannot grant it (issue 10): say so and who can, not a spinner.
		b.WriteString(wrap(m.th.Warn.Render(m.g.Warn+" ")+safetext.Sanitize(p.Cause), w) + "\n")
		b.WriteString(wrap(m.th.Header.Render("What to do: ")+safetext.Sanitize(p.NextStep), w) + "\n")
		if m.canResume() {
			b.WriteString(m.th.Subtle.Render(wrap("Press w once you have sent the link, to wait here for their consent.", w)) + "\n")
		}
		if m.canSwitchAccount() {
			b.WriteString(m.th.Subtle.Render(wrap("Press o to sign in as someone else.", w)) + "\n")
		}
		b.WriteString(wrap(m.th.Subtle.Render(status+doing), w) + "\n")
	} else {
		b.WriteString(wrap(m.spin()+" Waiting for consent · "+m.th.Header.Render(status)+doing, w) + "\n")
	}
	if m.redirected {
		b.WriteString(m.th.OK.Render(m.g.Check) + " " + wrap("The browser came back: Entra ID recorded the consent. Waiting for Graph to show every grant (replication can take a minute).", w-2) + "\n")
	}
	if m.approving {
		b.WriteString(m.th.Subtle.Render("Answering the consent page in the demo browser as "+m.who()+"…") + "\n")
	}
	if ev.Result != nil {
		b.WriteString("\n" + m.checklist(ev.Result, w))
	} else if m.app != nil {
		for _, p := range m.app.Permissions {
			b.WriteString("\n" + m.th.Subtle.Render(m.g.Bullet+" "+p.API+" · "+p.Value))
		}
	}
	keys := append([]key.Binding{m.keys.Recheck}, m.urlKeys()...)
	if m.canResume() {
		keys = append(keys, waitOthersKey)
	}
	if m.paused != nil && m.canSwitchAccount() {
		keys = append(keys, switchAccountKey)
	}
	if m.canPaste() {
		keys = append(keys, pasteKey)
	}
	return strings.TrimRight(b.String(), "\n"), append(keys, m.keys.Back)
}

// qrCommand is the command that prints the consent link's QR code, for a window too
// small to draw it; none in the demo, whose pages are on this machine's loopback.
func (m *Model) qrCommand() string {
	if m.opts.Demo {
		return ""
	}
	return m.command("consent-url", "--qr")
}

// ago is a short "how long ago" for the last Graph check.
func ago(d time.Duration) string {
	if d < time.Second {
		return "just now"
	}
	return fmt.Sprintf("%d s ago", int(d/time.Second))
}

// who is the signed-in account, as the demo browser acts as it.
func (m *Model) who() string {
	if m.admin != nil && m.admin.UPN != "" {
		return safetext.Sanitize(m.admin.UPN)
	}
	return "the signed-in account"
}
