package ui

import (
	"context"
	"errors"
	"time"

	"github.com/d365consent/d365consent/internal/explain"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/wizard"
)

// The steps are the wizard package's; these names keep the step files short.
const (
	stepChoose   = wizard.Choose
	stepReview   = wizard.Review
	stepClientID = wizard.ClientID
	stepSignIn   = wizard.SignIn
	stepState    = wizard.State
	stepConsent  = wizard.Consent
	stepSummary  = wizard.Summary
	stepError    = wizard.Error
)

// Outcome is how the wizard ended, for cli to map to an exit code.
type Outcome = wizard.Outcome

// chrome is what every screen draws with: keys, help, theme, glyphs, the window.
type chrome struct {
	keys     keyMap
	help     help.Model
	th       theme
	g        termcaps.Glyphs
	dark     bool
	width    int
	height   int
	showHelp bool
	// flash is a one-line message over the key help; a step's lines leave with it.
	flash string
	// confirmQuit asks before quitting a consent that may be half done.
	confirmQuit bool
	// qr is how the QR code of the step's URL is shown (placeQR).
	qr qrMode
	scroller
}

// Model is the root model of the wizard: it renders the wizard.Flow's step through
// the step's own model and turns keys into the flow's events. It makes no decision
// of its own about where the wizard goes.
type Model struct {
	opts Options
	caps Capabilities
	flow *wizard.Flow
	chrome
	runner

	choose   chooseModel
	review   reviewModel
	clientID clientIDModel
	signIn   signInModel
	consent  consentModel
	errs     errorModel
	// reprompt is a sign-in again asked for after the sign-in step, shown over the
	// current step.
	reprompt *flows.SignInPrompt
	// saved are the paths of the reports saved from the step on screen.
	saved []string
}

// New builds the wizard's root model.
func New(ctx context.Context, opts Options) *Model {
	rootCtx, cancel := context.WithCancel(ctx)
	m := &Model{
		opts: opts,
		caps: opts.capabilities(),
		flow: wizard.New(opts.wizardOptions()),
		chrome: chrome{
			keys:   newKeyMap(),
			help:   help.New(),
			dark:   true,
			width:  80,
			height: 24,
			g:      opts.Glyphs,
		},
		runner: runner{
			rootCtx:    rootCtx,
			rootCancel: cancel,
			tickEvery:  100 * time.Millisecond,
			reprompts:  make(chan flows.SignInPrompt, 4),
		},
	}
	if len(m.g.Spinner) == 0 {
		m.g = termcaps.Unicode
	}
	m.th = newTheme(m.dark, opts.NoColor, m.g)
	m.help.Styles = m.th.Help
	if !m.g.Unicode { // ASCII everywhere, the key help too
		m.keys = asciiKeys(m.keys)
		m.help.ShortSeparator = " | "
		m.help.Ellipsis = "..."
	}
	m.clientID.input = newInput("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", 4096)
	m.clientID.input.SetWidth(38)
	m.choose.cursor = m.flow.AppIndex()
	m.entries = len(m.flow.Outcome().Steps)
	m.enter()
	m.layout()
	return m
}

// newInput is a one-line text field of the wizard with a placeholder.
func newInput(placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Placeholder = placeholder
	in.CharLimit = limit
	return in
}

// Outcome reports how the wizard ended; valid after the program returned.
func (m *Model) Outcome() Outcome { return m.flow.Outcome() }

// Step is the current step's name (for tests).
func (m *Model) Step() string { return m.flow.Step().String() }

func (m *Model) step() wizard.Step { return m.flow.Step() }

// Init asks the terminal for its background colour (light/dark theme).
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.waitReprompt())
}

// Update is the root of every message: the flow decides, the step models keep what
// is theirs, and the scroll follows the step's focus.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.layout()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.th = newTheme(m.dark, m.opts.NoColor, m.g)
		m.help.Styles = m.th.Help
	case diagnosisMsg:
		m.onDiagnosis(msg)
	case tickMsg:
		return m.onTick(msg)
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.PasteMsg:
		return m.onPaste(msg)
	case appsFoundMsg:
		m.appsFound(msg)
	case tea.FocusMsg:
		// The admin is back from the browser: look at Graph now.
		if m.step() == stepConsent && m.consent.waiter != nil {
			m.consent.waiter.Recheck()
		}
	case progressMsg:
		if msg.attempt == m.attempt {
			m.status = msg.text
			return waitProgress(m.stepCtx, m.progress, m.attempt)
		}
	case repromptMsg:
		p := msg.prompt
		m.reprompt = &p
		// The step waits for that sign-in now, not for what it was doing before.
		m.status = signInAgainStatus(p)
		m.notifyURL("signin", p.URL)
		return m.waitReprompt()
	case promptMsg:
		return m.onPrompt(msg)
	case signedInMsg:
		return m.onSignedIn(msg)
	case verifiedMsg:
		return m.onVerified(msg)
	case consentStartedMsg:
		return m.onConsentStarted(msg)
	case consentEventMsg:
		return m.onConsentEvent(msg)
	case approvedMsg:
		return m.onApproved(msg)
	case savedMsg:
		m.onSaved(msg)
	default:
		if m.step() == stepClientID {
			var cmd tea.Cmd
			m.clientID.input, cmd = m.clientID.input.Update(msg)
			return cmd
		}
	}
	return nil
}

// onPaste hands a terminal paste to the field that has the focus.
func (m *Model) onPaste(msg tea.PasteMsg) tea.Cmd {
	var cmd tea.Cmd
	switch {
	case m.step() == stepClientID:
		m.clientID.input, cmd = m.clientID.input.Update(msg)
	case m.step() == stepConsent && m.consent.pasting:
		m.consent.paste, cmd = m.consent.paste.Update(msg)
	}
	return cmd
}

// signInAgainStatus is the status line while a sign-in asked for again (MFA on a token
// refresh, a claims challenge) waits for the admin.
func signInAgainStatus(p flows.SignInPrompt) string {
	if p.DeviceCode {
		return "Waiting for you to enter the code and sign in again…"
	}
	return "Waiting for you to sign in again in the browser…"
}

func (m *Model) notifyURL(kind, url string) {
	if m.opts.OnURL != nil && url != "" {
		m.opts.OnURL(kind, url)
	}
}

// dropped: err is the cancellation of the whole wizard (it is quitting), not a
// failure to show.
func (m *Model) dropped(err error) bool {
	return errors.Is(err, context.Canceled) && m.rootCtx.Err() != nil
}

// apply follows the flow after an event: a new step is entered (the step models
// reset, a fresh context), its work started, and the program stops when the run ended.
func (m *Model) apply(w wizard.Work) tea.Cmd {
	if m.flow.Done() {
		return m.quit()
	}
	if m.step() == stepConsent && m.flow.Approval() == wizard.ApprovalRequested {
		m.closeWaiter() // a request was filed: the wait stops until the admin waits for its approval
	}
	var cmds []tea.Cmd
	if n := len(m.flow.Outcome().Steps); n != m.entries {
		m.entries = n
		cmds = append(cmds, m.enter())
	}
	return tea.Batch(append(cmds, m.start(w))...)
}

// enter resets what belongs to the step now on screen and gives it a new attempt and
// context; stale results of the step left are dropped by their attempt.
func (m *Model) enter() tea.Cmd {
	s := m.step()
	if s != stepConsent {
		m.closeWaiter()
	}
	m.newAttempt()
	m.qr = qrHidden
	if m.opts.QRFirst {
		m.qr = qrFirst
	}
	m.consent.pasting = false
	m.reprompt = nil
	m.scroll = 0
	m.confirmQuit = false
	m.flash = m.flow.Note() // a step's lines leave with it
	m.saved = nil
	switch s {
	case stepError:
		m.errs.expl = explain.Describe(m.flow.Err())
		return m.startDiagnosis(m.flow.Err())
	case stepClientID:
		m.clientID.err = ""
		return m.clientID.input.Focus()
	}
	return nil
}

// quit cancels every context (the flows close their listeners), closes a consent
// wait, and stops the program; Bubble Tea restores the terminal.
func (m *Model) quit() tea.Cmd {
	m.Close()
	m.attempt++
	return tea.Quit
}

// Close releases everything the model holds; safe to call more than once.
func (m *Model) Close() {
	m.closeWaiter()
	if m.stepCancel != nil {
		m.stepCancel()
	}
	m.rootCancel()
}

func (m *Model) closeWaiter() {
	if m.consent.waiter != nil {
		_ = m.consent.waiter.Close()
		m.consent.waiter = nil
	}
}

// consentMayBeHalfDone: the admin may be in the middle of the consent page (not
// once the page filed a request: its reviewers act in the admin center).
func (m *Model) consentMayBeHalfDone() bool {
	return m.step() == stepConsent && m.consent.waiter != nil && m.flow.Paused() == nil && m.flow.Approval() == wizard.NoApproval
}

// currentURL is the browser URL of the step, if any.
func (m *Model) currentURL() string {
	switch m.step() {
	case stepSignIn:
		if m.signIn.prompt != nil {
			return m.signIn.prompt.URL
		}
	case stepConsent:
		return m.consent.url
	}
	return ""
}
