package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/wizard"
)

// Admin consent. The URL is on screen; the flow watches for the browser's redirect
// and polls Graph at once, and reports "n/m visible" as grants replicate. Enter asks
// for a check now; Esc closes the wait (and its port) and goes back.

// consentModel is the consent step's own state.
type consentModel struct {
	waiter ConsentWaiter
	caps   waiterCapabilities
	url    string
	event  flows.ConsentEvent
	// pasting: the paste-back field is open.
	pasting  bool
	paste    textinput.Model
	pasteErr string
}

func (m *Model) consentKey(k tea.KeyPressMsg) tea.Cmd {
	if key.Matches(k, pasteKey) && m.consent.waiter != nil && m.consent.caps.Paste != nil {
		return m.consent.openPaste()
	}
	if cmd, ok := m.urlKey(k); ok {
		return cmd
	}
	if key.Matches(k, awaitApprovalKey) && m.canAwaitApproval() {
		m.newAttempt() // events of the stopped wait are stale
		return m.apply(m.flow.AwaitApproval())
	}
	if key.Matches(k, waitOthersKey) && m.canResume() {
		m.consent.caps.Resume()
		m.flow.Resume()
		m.flash = "Waiting for another admin to accept the consent page…"
		return nil
	}
	if key.Matches(k, switchAccountKey) && m.canSwitchAccount() {
		m.closeWaiter()
		return m.apply(m.flow.SwitchAccount())
	}
	if key.Matches(k, m.keys.Recheck) && m.consent.waiter != nil {
		m.consent.waiter.Recheck()
		m.flash = "Checking Microsoft Graph now…"
	}
	return nil
}

func (m *Model) consentView(w int) (string, []key.Binding) {
	var b strings.Builder
	if m.consent.url == "" {
		b.WriteString(m.spin() + " Preparing the admin consent page…")
		return b.String(), []key.Binding{m.keys.Back}
	}
	approval := m.flow.Approval()
	head := "Open this page as an admin and Accept:"
	if approval != wizard.NoApproval {
		head = "Admin consent link (a Global Administrator or Privileged Role Administrator may open it instead):"
	}
	b.WriteString(m.urlBlock(head, m.consent.url, w, true))
	b.WriteString("\n")
	if m.consent.caps.Production && approval == wizard.NoApproval {
		b.WriteString(m.productionLines(w) + "\n")
	}
	ev := m.consent.event
	status, doing := m.consentProgress()
	if r := m.flow.Request(); r != nil && approval == wizard.ApprovalRequested {
		// The admin consent workflow filed a request: who approves it, and w to wait.
		b.WriteString(m.stopLines(r.Cause, r.NextStep, m.canAwaitApproval(),
			"Press w to wait here for the approval; q leaves and prints the command to check later.", status+doing, w))
	} else if approval == wizard.ApprovalAwaited {
		// What it waits for, for how long, and how to leave.
		b.WriteString(wrap(m.spinFrame()+" Waiting for a reviewer of the admin consent workflow to approve the request "+
			"(Entra admin center > Enterprise applications > Admin consent requests) · waited "+fmtElapsed(m.elapsed())+
			" · q leaves and prints the command to check later", w) + "\n")
		b.WriteString(wrap(m.th.Header.Render(status)+doing, w) + "\n")
	} else if p := m.flow.Paused(); p != nil {
		// The account cannot grant it: say so and who can, not a spinner.
		b.WriteString(m.stopLines(p.Cause, p.NextStep, m.canResume(),
			"Press w once you have sent the link, to wait here for their consent.", status+doing, w))
	} else {
		b.WriteString(wrap(m.consentWaitLine(), w) + "\n")
	}
	if m.flow.Redirected() {
		b.WriteString(m.th.OK.Render(m.g.Check) + " " + wrap("The browser came back: Entra ID recorded the consent. Waiting for Graph to show every grant (replication can take a minute).", w-2) + "\n")
	}
	if m.approving != "" {
		b.WriteString(m.th.Subtle.Render("Answering the consent page in the demo browser as "+m.who()+"…") + "\n")
	}
	if ev.Result != nil {
		b.WriteString("\n" + m.checklist(ev.Result, w))
	} else if m.flow.App() != nil {
		for _, p := range m.flow.App().Permissions {
			b.WriteString("\n" + m.th.Subtle.Render(m.g.Bullet+" "+p.API+" · "+p.Value))
		}
	}
	var keys []key.Binding
	if m.consent.waiter != nil {
		keys = append(keys, m.keys.Recheck)
	}
	keys = append(keys, m.urlKeys()...)
	if m.canAwaitApproval() {
		keys = append(keys, awaitApprovalKey)
	}
	if m.canResume() {
		keys = append(keys, waitOthersKey)
	}
	if m.canSwitchAccount() {
		keys = append(keys, switchAccountKey)
	}
	if m.consent.caps.Paste != nil && m.consent.waiter != nil {
		keys = append(keys, pasteKey)
	}
	return strings.TrimRight(b.String(), "\n"), append(keys, m.keys.Back)
}

// consentProgress is the wait's progress ("n/m visible in Microsoft Graph") and what it
// is doing (" · checked 3 s ago"; "" when nothing).
func (m *Model) consentProgress() (status, doing string) {
	ev := m.consent.event
	total := ev.Total
	if total == 0 && m.flow.App() != nil {
		total = len(m.flow.App().Permissions)
	}
	status = fmt.Sprintf("%d/%d visible in Microsoft Graph", ev.Visible, total)
	doing = m.status
	if doing == "" && !m.checkedAt.IsZero() {
		doing = "checked " + ago(m.opts.now().Sub(m.checkedAt))
	}
	if doing != "" {
		doing = " · " + m.th.Subtle.Render(doing)
	}
	return status, doing
}

// consentWaitLine is the consent wait's status line: waiting, or paused, and its
// progress.
func (m *Model) consentWaitLine() string {
	status, doing := m.consentProgress()
	switch {
	case m.flow.Approval() == wizard.ApprovalAwaited:
		return m.spinFrame() + " Waiting for the admin consent workflow's approval · waited " + fmtElapsed(m.elapsed()) + " · " + m.th.Header.Render(status) + doing
	case m.flow.Paused() != nil, m.flow.Approval() == wizard.ApprovalRequested:
		return m.th.Warn.Render(m.g.Warn+" Paused") + " · " + m.th.Subtle.Render(status) + doing
	}
	return m.spin() + " Waiting for consent · " + m.th.Header.Render(status) + doing
}

// canAwaitApproval: the admin consent workflow filed a request and the engine can
// wait for its approval (w).
func (m *Model) canAwaitApproval() bool {
	return m.flow.Approval() == wizard.ApprovalRequested && m.caps.AwaitConsent != nil
}

// canSwitchAccount: the consent cannot come from this account (a pause, a filed
// request) and the engine can sign in as someone else (o).
func (m *Model) canSwitchAccount() bool {
	return (m.flow.Paused() != nil || m.flow.Approval() == wizard.ApprovalRequested) && m.caps.SwitchAccount != nil
}

// qrCommand is the command that prints the consent link's QR code, for a window too
// small to draw it; none in the demo, whose pages are on this machine's loopback.
func (m *Model) qrCommand() string {
	if m.opts.Demo {
		return ""
	}
	// The QR code of the consent link, printed by a command that runs as printed.
	return m.flow.Command("consent-url", "--qr")
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
	if m.flow.Admin() != nil && m.flow.Admin().UPN != "" {
		return m.flow.Admin().UPN
	}
	return "the signed-in account"
}

// canResume: the wait paused and can wait on for another admin's consent.
func (m *Model) canResume() bool {
	return m.consent.caps.Resume != nil && m.flow.Paused() != nil
}

// stopLines are the lines of a consent wait that stopped for someone else (a paused
// wait, a request filed for the admin consent workflow): why, what to do, the w key's
// hint when waiting here works, o when another account can be tried, and the status.
func (m *Model) stopLines(cause, next string, canWait bool, waitHint, status string, w int) string {
	var b strings.Builder
	b.WriteString(wrap(m.th.Warn.Render(m.g.Warn+" ")+cause, w) + "\n")
	b.WriteString(wrap(m.th.Header.Render("What to do: ")+next, w) + "\n")
	if canWait {
		b.WriteString(m.th.Subtle.Render(wrap(waitHint, w)) + "\n")
	}
	if m.caps.SwitchAccount != nil {
		b.WriteString(m.th.Subtle.Render(wrap("Press o to sign in as someone else.", w)) + "\n")
	}
	b.WriteString(wrap(m.th.Subtle.Render(status), w) + "\n")
	return b.String()
}
