package ui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// handleKey maps a key to an intent. Global keys first, then the step's own.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	if m.confirmQuit {
		switch {
		case key.Matches(k, m.keys.Yes), k.String() == "ctrl+c":
			m.flow.Cancel()
			return m.quit()
		case key.Matches(k, m.keys.No):
			m.confirmQuit = false
		}
		return nil
	}
	if k.String() == "ctrl+c" {
		if m.consentMayBeHalfDone() {
			m.confirmQuit = true
			return nil
		}
		m.flow.Cancel()
		return m.quit()
	}
	if m.step() == stepClientID {
		return m.clientIDKey(k)
	}
	if m.consent.pasting && m.step() == stepConsent {
		return m.pasteKeyMsg(k)
	}
	m.flash = ""
	if cmd, ok := m.globalKey(k); ok {
		return cmd
	}
	if m.showingReprompt() {
		// Sign in again (repromptMsg) comes before the step's own keys.
		switch {
		case key.Matches(k, m.keys.Approve) && m.opts.Approver != nil:
			return m.approve()
		case key.Matches(k, m.keys.Copy):
			m.flash = "Copy requested (OSC 52): if your terminal does not support it, select the URL above."
			return tea.SetClipboard(m.reprompt.URL)
		}
	}
	return m.stepKey(k)
}

// globalKey handles the keys every step shares; ok reports it was one.
func (m *Model) globalKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	switch {
	case k.String() == "q":
		if m.consentMayBeHalfDone() {
			m.confirmQuit = true
			return nil, true
		}
		m.flow.Quit()
		return m.quit(), true
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
		m.help.ShowAll = m.showHelp
		return nil, true
	case key.Matches(k, m.keys.Back):
		return m.apply(m.flow.Back()), true
	case key.Matches(k, m.keys.PageDown) && m.maxScroll > 0:
		m.scroll = min(m.scroll+max(m.height/2, 1), m.maxScroll)
		return nil, true
	case key.Matches(k, m.keys.PageUp):
		m.scroll = max(m.scroll-max(m.height/2, 1), 0)
		return nil, true
	}
	return nil, false
}

// stepKey hands the key to the step on screen.
func (m *Model) stepKey(k tea.KeyPressMsg) tea.Cmd {
	switch m.step() {
	case stepChoose:
		return m.chooseKey(k)
	case stepReview:
		return m.reviewKey(k)
	case stepSignIn:
		return m.signInKey(k)
	case stepState:
		return m.stateKey(k)
	case stepConsent:
		return m.consentKey(k)
	case stepSummary:
		return m.summaryKey(k)
	case stepError:
		return m.errorKey(k)
	}
	return nil
}
