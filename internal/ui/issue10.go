package ui

import (
	"context"
	"github.com/d365consent/d365consent/internal/signin"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/ui/textfield"
	"github.com/d365consent/d365consent/permissions"
)

// Optional abilities of an Engine / ConsentWaiter (issue 10, the production path).
// They are separate interfaces so engines that lack them keep working.
type (
	// AccountSwitcher signs in anew as another account ("sign in as someone else",
	// prompt=select_account).
	AccountSwitcher interface {
		SignInAgain(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error)
	}
	// ConsentPaster takes what the admin pasted after the consent page (the address
	// the browser ended on, or an AADSTS code).
	ConsentPaster interface {
		Paste(s string) error
	}
	// LoopbackWaiter tells whether the consent result comes back to a loopback
	// listener; when it does not (production), the screen offers paste-back.
	LoopbackWaiter interface {
		LoopbackRedirect() bool
	}
)

// firstUseNotice is said before sign-in: the sign-in client's own consent.
const firstUseNotice = signin.FirstUseNotice

// switchAccountKey is "sign in as someone else".
var switchAccountKey = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sign in as someone else"))

// findKey looks the app up in the tenant from the client id step (signing in first).
var findKey = key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "find it in your tenant"))

// waitOthersKey ends a paused consent wait (flows.ConsentEvent.Paused): another admin
// is granting consent, so wait for it.
var waitOthersKey = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wait for another admin's consent"))

// ConsentResumer is implemented by a ConsentWaiter whose wait can pause when the
// signed-in account cannot grant the consent (flows.Consent.Resume).
type ConsentResumer interface {
	Resume()
}

func (m *Model) canResume() bool {
	_, ok := m.waiter.(ConsentResumer)
	return ok && m.paused != nil
}

// pasteKey opens the paste-back field on the consent screen.
var pasteKey = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste where the browser ended"))

// canSwitchAccount reports whether the engine can sign in as someone else.
func (m *Model) canSwitchAccount() bool {
	_, ok := m.opts.Engine.(AccountSwitcher)
	return ok
}

// switchAccount starts a new sign-in that asks which account to use.
func (m *Model) switchAccount() tea.Cmd {
	if !m.canSwitchAccount() {
		return nil
	}
	m.signInAgain = true
	m.admin = nil
	return m.goTo(stepSignIn)
}

// production reports whether the consent result cannot come back to us (no loopback
// redirect): the admin may paste it.
func (m *Model) production() bool {
	if l, ok := m.waiter.(LoopbackWaiter); ok {
		return !l.LoopbackRedirect()
	}
	return false
}

func (m *Model) canPaste() bool {
	_, ok := m.waiter.(ConsentPaster)
	return ok
}

// pasteKeyMsg handles keys while the paste field is open: Enter hands the text to the
// wait, Esc closes the field (the wait goes on).
func (m *Model) pasteKeyMsg(k tea.KeyPressMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.pasting = false
		m.pasteInput.Blur()
		m.pasteInput.SetValue("")
		m.pasteErr = ""
		return nil
	case "enter":
		p, ok := m.waiter.(ConsentPaster)
		if !ok {
			m.pasting = false
			return nil
		}
		if err := p.Paste(m.pasteInput.Value()); err != nil {
			m.pasteErr = safetext.Sanitize(err.Error())
			return nil
		}
		m.pasting = false
		m.pasteInput.Blur()
		m.pasteInput.SetValue("")
		m.pasteErr = ""
		m.flash = "Got it: reading what the browser ended on…"
		return nil
	}
	var cmd tea.Cmd
	m.pasteInput, cmd = m.pasteInput.Update(k)
	return cmd
}

func (m *Model) openPaste() tea.Cmd {
	if m.pasteInput.Placeholder == "" {
		m.pasteInput = textfield.New()
		m.pasteInput.Placeholder = "https://…?admin_consent=True&tenant=…  or  AADSTS65004"
		m.pasteInput.CharLimit = 8192
	}
	m.pasting = true
	m.pasteErr = ""
	return m.pasteInput.Focus()
}

// productionLines explain the consent screen's real path: nothing comes back.
func (m *Model) productionLines(w int) string {
	var b strings.Builder
	b.WriteString(wrap("After Accept (or Cancel) the browser lands on AvePoint's page and nothing comes back here: "+
		"this screen watches Microsoft Graph instead (every 2 s, and at once on Enter or when you come back to this window). "+
		"If the page shows an error, or you want to be sure, press p and paste the address your browser ended on (or the AADSTS code it shows).", w) + "\n")
	if m.pasting {
		b.WriteString("\n" + m.pasteInput.View() + "\n")
		if m.pasteErr != "" {
			b.WriteString(m.th.Bad.Render(wrap(m.pasteErr, w)) + "\n")
		}
		b.WriteString(m.th.Subtle.Render("enter: read it · esc: close (keep waiting)") + "\n")
	}
	return b.String()
}

// roleLines show the role verdict for the chosen app: never "no role" when the roles
// could not be read, and which rows a delegated-only role blocks.
func (m *Model) roleLines(w int) string {
	c := roleVerdict(m.admin, m.app)
	msg := safetext.Sanitize(c.Message)
	switch c.Verdict {
	case flows.RoleCanGrantAll:
		return m.th.OK.Render(m.g.Check) + " " + wrap(msg, w-2) + "\n"
	case flows.RoleUnknown:
		return wrap(m.th.Warn.Render(m.g.Warn+" Role check: ")+msg, w) + "\n"
	}
	s := wrap(m.th.Warn.Render(m.g.Warn+" Role check: ")+msg, w) + "\n"
	if m.canSwitchAccount() {
		s += m.th.Subtle.Render(wrap("Press o to sign in as someone else.", w)) + "\n"
	}
	return s
}

// roleVerdict is the admin's role check for app. An Admin whose roles flows did
// not try to read (neither RolesRead nor a read error: an engine's own) keeps its
// verdict.
func roleVerdict(a *flows.Admin, app *permissions.App) flows.RoleCheck {
	if !a.RolesRead && a.RolesErr == nil {
		if a.CanConsent {
			return flows.RoleCheck{Verdict: flows.RoleCanGrantAll, Roles: a.Roles, Message: "Role: " + strings.Join(a.Roles, ", ") + ": can grant admin consent."}
		}
		return flows.RoleCheck{Verdict: flows.RoleNone, Message: a.RoleWarning}
	}
	return a.RoleCheck(app)
}
