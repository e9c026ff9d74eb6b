package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/ui/textfield"
	"github.com/d365consent/d365consent/permissions"
)

// step is where the wizard is. The root model owns every transition between steps
// (goTo / back); a step's file only renders it and maps its keys to intents.
type step int

const (
	stepChoose   step = iota // choose the app (CE / UO)
	stepReview               // permission table + detail pane + the wizard's own scopes
	stepClientID             // ask for the app's client id when neither catalog nor flag has it
	stepSignIn               // waiting for the admin to sign in
	stepState                // current state before consent (the diff)
	stepConsent              // waiting for admin consent: live checklist
	stepSummary              // final verification
	stepError                // plain-words error, retry or back
)

var stepNames = [...]string{"choose", "review", "client-id", "sign-in", "current-state", "consent", "summary", "error"}

func (s step) String() string { return stepNames[s] }

// Messages of asynchronous work. Each carries the attempt it was started for: a result
// whose attempt is not the model's current one is stale (the admin moved on) and is
// dropped, after freeing what it holds.
type (
	promptMsg struct {
		attempt int
		prompt  flows.SignInPrompt
	}
	// repromptMsg: the flows ask the admin to sign in again after the sign-in step
	// (a token refresh that needs MFA or Conditional Access, a claims challenge).
	repromptMsg struct {
		prompt flows.SignInPrompt
	}
	signedInMsg struct {
		attempt int
		admin   *flows.Admin
		err     error
	}
	verifiedMsg struct {
		attempt int
		result  *flows.Result
		err     error
	}
	consentStartedMsg struct {
		attempt int
		waiter  ConsentWaiter
		err     error
	}
	consentEventMsg struct {
		attempt int
		event   flows.ConsentEvent
		closed  bool
	}
	approvedMsg struct {
		attempt int
		err     error
		landed  string // the consent page's end address (ConsentApprover), to paste back
		// again: it answered a sign-in again (repromptMsg), not the step's own page
		again bool
	}
	savedMsg struct {
		attempt int
		paths   []string
		err     error
	}
	tickMsg     struct{ seq int }
	progressMsg struct {
		attempt int
		text    string
	}
)

// Outcome is how the wizard ended, for main to map to an exit code.
type Outcome struct {
	// Result is the last verification, nil when the wizard never got that far.
	Result *flows.Result
	// Err is the error the wizard ended on (shown on the error screen), or
	// flows.ErrCancelled when the admin quit before the end.
	Err error
	// Finished is true when the admin left from the summary (or the current state
	// said everything was granted).
	Finished bool
}

// Model is the root model of the wizard.
type Model struct {
	opts     Options
	keys     keyMap
	help     help.Model
	th       theme
	g        termcaps.Glyphs
	dark     bool
	width    int
	height   int
	showHelp bool

	apps []*permissions.App

	step    step
	attempt int
	waitAt  time.Time // start of the current wait (elapsed)
	busy    bool      // an async job of the current step is running
	// status says what the step's work is doing now (flows.WithProgress), and
	// checkedAt when Graph last answered a consent poll.
	status    string
	checkedAt time.Time
	ticking   bool
	tickSeq   int
	// tickEvery is the spinner's frame interval (tests shorten it).
	tickEvery time.Duration

	rootCtx    context.Context
	rootCancel context.CancelFunc
	stepCtx    context.Context
	stepCancel context.CancelFunc
	progress   chan string // the step's flows.WithProgress lines

	// choices, kept when going back
	appIdx   int
	app      *permissions.App // clone of apps[appIdx] with the client id applied
	row      int              // selected row in the review table
	clientID textfield.Model
	idErr    string

	// sign-in
	prompt   *flows.SignInPrompt
	promptCh chan flows.SignInPrompt
	admin    *flows.Admin
	showQR   bool
	// scroll is the first body line shown when the body is taller than the window;
	// maxScroll is its limit, set by the last render.
	scroll, maxScroll int
	// focusTop..focusBottom are body lines the step wants on screen (the selected
	// row); set by the step's view, -1 when none. The scroll follows them when they
	// change (a new selection), not on every frame, so PgDn still works.
	focusTop, focusBottom int
	lastFocus             [2]int

	// current state and consent
	before *flows.Result
	waiter ConsentWaiter
	// reprompts carries sign-in prompts that come after the sign-in step (the flows
	// call the sign-in's prompt again); reprompt is the one on screen.
	reprompts chan flows.SignInPrompt
	reprompt  *flows.SignInPrompt
	// paused: the consent wait stopped polling, the signed-in account cannot grant
	// it (flows.ConsentEvent.Paused).
	paused      *flows.BlockedError
	consentURL  string
	event       flows.ConsentEvent
	redirected  bool
	confirmQuit bool
	approving   bool

	// summary
	result *flows.Result
	saved  []string
	flash  string

	// error
	err  error
	expl *explain.Explanation
	// Issue 10: sign in as someone else on the next sign-in; the consent screen's
	// paste-back field.
	signInAgain bool
	// findAfterSignIn: the client id step asked to find the app in the tenant.
	findAfterSignIn bool
	finding         bool
	candidates      []flows.AppCandidate
	pick            int
	// pastedRedirect is the redirect_uri of an AOS consent link pasted as client id.
	pastedRedirect string
	pasting        bool
	pasteInput     textfield.Model
	pasteErr       string
	errFrom        step // the step whose work failed (retry re-runs it)

	// the doctor's verdict on err (doctor_hook.go)
	diag diagState

	outcome Outcome
}

// New builds the wizard's root model.
func New(ctx context.Context, opts Options) *Model {
	if opts.Catalog == nil {
		opts.Catalog = permissions.Embedded()
	}
	rootCtx, cancel := context.WithCancel(ctx)
	m := &Model{
		opts:       opts,
		keys:       newKeyMap(),
		help:       help.New(),
		dark:       true,
		width:      80,
		height:     24,
		rootCtx:    rootCtx,
		rootCancel: cancel,
		tickEvery:  100 * time.Millisecond,
		reprompts:  make(chan flows.SignInPrompt, 4),
	}
	m.g = opts.Glyphs
	if len(m.g.Spinner) == 0 {
		m.g = termcaps.Unicode
	}
	for i := range opts.Catalog.Apps {
		m.apps = append(m.apps, &opts.Catalog.Apps[i])
	}
	m.th = newTheme(m.dark, opts.NoColor, m.g)
	m.help.Styles = m.th.Help
	if !m.g.Unicode { // ASCII everywhere, the key help too
		m.keys = asciiKeys(m.keys)
		m.help.ShortSeparator = " | "
		m.help.Ellipsis = "..."
	}
	m.clientID = textfield.New()
	m.clientID.Placeholder = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
	m.clientID.CharLimit = 4096
	m.clientID.SetWidth(38)
	if opts.App != "" {
		for i, a := range m.apps {
			if a.Key == opts.App {
				m.appIdx = i
				m.step = stepReview
				m.selectApp()
			}
		}
	}
	return m
}

// Outcome reports how the wizard ended; valid after the program returned.
func (m *Model) Outcome() Outcome { return m.outcome }

// Step is the current step (for tests and the accessible runner).
func (m *Model) Step() string { return m.step.String() }

// Init asks the terminal for its background colour (light/dark theme).
func (m *Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.waitReprompt())
}

// waitReprompt reads the next sign-in prompt that comes after the sign-in step.
func (m *Model) waitReprompt() tea.Cmd {
	ch, ctx := m.reprompts, m.rootCtx
	return func() tea.Msg {
		select {
		case p := <-ch:
			return repromptMsg{prompt: p}
		case <-ctx.Done():
			return nil
		}
	}
}

// selectApp applies the current app choice: a clone of the catalog entry with the
// --client-id override (or the one typed in) applied.
func (m *Model) selectApp() {
	a := *m.apps[m.appIdx]
	a.Permissions = append([]permissions.Permission(nil), a.Permissions...)
	if m.opts.ClientID != "" {
		a.ClientID = m.opts.ClientID
		// --client-id may be a pasted AOS consent link (issue 10).
		if id, redirect, err := flows.ParseClientIDInput(m.opts.ClientID); err == nil {
			a.ClientID = id
			if redirect != "" {
				a.RedirectURI = redirect
			}
		}
	} else if a.ClientID == "" && permissions.IsGUID(m.clientID.Value()) {
		a.ClientID = m.clientID.Value()
		if m.pastedRedirect != "" {
			a.RedirectURI = m.pastedRedirect
		}
	}
	if m.app == nil || m.app.Key != a.Key {
		m.row = 0
		m.before, m.result = nil, nil
	}
	m.app = &a
}

// Update is the root of every transition.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		m.th = newTheme(m.dark, m.opts.NoColor, m.g)
		m.help.Styles = m.th.Help
		return m, nil
	case diagnosisMsg:
		m.onDiagnosis(msg)
		return m, nil
	case tickMsg:
		if msg.seq != m.tickSeq {
			return m, nil // a chain replaced by a newer one
		}
		m.ticking = false
		if !m.waiting() {
			return m, nil
		}
		return m, m.tick() // the next frame: the spinner turns, the clock ticks
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case appsFoundMsg:
		m.appsFound(msg)
		return m, nil
	case tea.FocusMsg:
		// The admin is back from the browser: look at Graph now (issue 10).
		if m.step == stepConsent && m.waiter != nil {
			m.waiter.Recheck()
		}
		return m, nil
	case progressMsg:
		if msg.attempt != m.attempt {
			return m, nil
		}
		m.status = msg.text
		return m, waitProgress(m.stepCtx, m.progress, m.attempt)
	case repromptMsg:
		p := msg.prompt
		p.URL, p.Message, p.UserCode = safetext.Sanitize(p.URL), safetext.Sanitize(p.Message), safetext.Sanitize(p.UserCode)
		m.reprompt = &p
		m.notifyURL("signin", p.URL)
		return m, m.waitReprompt()
	case promptMsg:
		if msg.attempt != m.attempt || m.step != stepSignIn {
			return m, nil
		}
		p := msg.prompt
		p.URL = safetext.Sanitize(p.URL)
		p.Message = safetext.Sanitize(p.Message)
		p.UserCode = safetext.Sanitize(p.UserCode)
		m.prompt = &p
		m.notifyURL("signin", p.URL)
		return m, waitPrompt(m.promptCh, m.attempt)
	case signedInMsg:
		if msg.attempt != m.attempt || m.step != stepSignIn {
			return m, nil
		}
		m.busy = false
		if msg.err != nil {
			return m, m.fail(stepSignIn, msg.err)
		}
		m.admin = msg.admin
		if m.findAfterSignIn {
			m.findAfterSignIn = false
			return m, m.findApps()
		}
		return m, m.goTo(stepState)
	case verifiedMsg:
		if msg.attempt != m.attempt || (m.step != stepState && m.step != stepSummary) {
			return m, nil
		}
		m.busy = false
		m.reprompt = nil
		if msg.err != nil {
			return m, m.fail(m.step, msg.err)
		}
		if m.step == stepState {
			m.before = msg.result
			m.outcome.Result = msg.result
		} else {
			m.result = msg.result
			m.outcome.Result = msg.result
		}
		return m, nil
	case consentStartedMsg:
		if msg.attempt != m.attempt || m.step != stepConsent {
			if msg.waiter != nil {
				_ = msg.waiter.Close() // stale: free its port now
			}
			return m, nil
		}
		m.busy = false
		m.reprompt = nil
		if msg.err != nil {
			return m, m.fail(stepConsent, msg.err)
		}
		m.waiter = msg.waiter
		m.consentURL = safetext.Sanitize(msg.waiter.ConsentURL())
		m.notifyURL("consent", m.consentURL)
		m.waitAt = m.opts.now()
		return m, tea.Batch(waitEvent(msg.waiter, m.attempt), m.tick())
	case consentEventMsg:
		if msg.attempt != m.attempt || m.step != stepConsent || m.waiter == nil {
			return m, nil
		}
		if msg.closed {
			// The flow ended without a final result: check once more ourselves.
			m.closeWaiter()
			return m, m.goTo(stepSummary)
		}
		ev := msg.event
		m.event = ev
		m.paused = ev.Paused
		m.reprompt = nil // the flow went on: any sign-in again is done
		m.status, m.checkedAt = "", m.opts.now()
		if ev.Redirected {
			m.redirected = true
		}
		if ev.Err != nil {
			m.closeWaiter()
			switch {
			case errors.Is(ev.Err, flows.ErrCancelled) || errors.Is(ev.Err, context.Canceled):
				return m, nil
			case errors.Is(ev.Err, flows.ErrCannotFix):
				// A state consent cannot fix (issue 10): its cause and next step.
				if ev.Result != nil {
					m.outcome.Result = ev.Result
				}
				return m, m.fail(stepConsent, ev.Err)
			case errors.Is(ev.Err, flows.ErrIncomplete) && ev.Result != nil:
				// Timed out: show what Graph shows, with the way forward.
				m.result = ev.Result
				m.outcome.Result = ev.Result
				m.enter(stepSummary)
				m.flash = "Stopped waiting: not every grant is visible in Microsoft Graph yet."
				if bl := flows.Blockers(ev.Result); len(bl) > 0 {
					m.flash = "Stopped waiting: " + bl[0].Cause
				}
				return m, nil
			}
			return m, m.fail(stepConsent, ev.Err)
		}
		if ev.Done {
			m.closeWaiter()
			if ev.Result != nil {
				m.result = ev.Result
				m.outcome.Result = ev.Result
				m.confirmQuit = false
				m.enter(stepSummary)
				return m, nil
			}
			return m, m.goTo(stepSummary)
		}
		return m, waitEvent(m.waiter, m.attempt)
	case approvedMsg:
		if msg.attempt != m.attempt {
			return m, nil
		}
		m.approving = false
		if msg.err != nil {
			return m, m.fail(m.step, msg.err)
		}
		if msg.again {
			m.flash = "Signed in again in the demo browser as " + m.who() + "."
			return m, nil
		}
		if m.step == stepConsent {
			m.flash = "Answered the consent page in the demo browser as " + m.who() + "."
		}
		if m.step == stepConsent && m.waiter != nil {
			// The demo browser ended where a real one does (the publisher's page): hand
			// that address to the wait as the admin's paste would be.
			if p, ok := m.waiter.(ConsentPaster); ok && msg.landed != "" {
				if err := p.Paste(msg.landed); err != nil {
					m.flash = "The consent page's answer could not be read: " + safetext.Sanitize(err.Error())
				}
			}
			m.waiter.Recheck()
		}
		return m, nil
	case savedMsg:
		if msg.attempt != m.attempt {
			return m, nil
		}
		if msg.err != nil {
			m.flash = "Could not save the report: " + safetext.Sanitize(msg.err.Error())
			return m, nil
		}
		m.saved = msg.paths
		m.flash = ""
		return m, nil
	}
	if m.step == stepClientID {
		var cmd tea.Cmd
		m.clientID, cmd = m.clientID.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m *Model) notifyURL(kind, url string) {
	if m.opts.OnURL != nil && url != "" {
		m.opts.OnURL(kind, url)
	}
}

// waiting reports whether the current step shows a spinner.
func (m *Model) waiting() bool {
	return m.busy || (m.step == stepConsent && m.waiter != nil) || m.approving
}

// tick drives the spinner and the elapsed time; one chain at a time.
func (m *Model) tick() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	m.tickSeq++
	seq := m.tickSeq
	return tea.Tick(m.tickEvery, func(time.Time) tea.Msg {
		return tickMsg{seq: seq}
	})
}

// handleKey maps a key to an intent. Global keys first, then the step's own.
func (m *Model) handleKey(k tea.KeyPressMsg) tea.Cmd {
	if m.confirmQuit {
		switch {
		case key.Matches(k, m.keys.Yes), k.String() == "ctrl+c":
			return m.quit(flows.ErrCancelled)
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
		return m.quit(flows.ErrCancelled)
	}
	if m.step == stepClientID {
		return m.clientIDKey(k)
	}
	if m.pasting && m.step == stepConsent {
		return m.pasteKeyMsg(k)
	}
	m.flash = ""
	switch {
	case k.String() == "q":
		if m.consentMayBeHalfDone() {
			m.confirmQuit = true
			return nil
		}
		return m.quit(m.quitErr())
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
		m.help.ShowAll = m.showHelp
		return nil
	case key.Matches(k, m.keys.Back):
		return m.back()
	case key.Matches(k, m.keys.PageDown) && m.maxScroll > 0:
		m.scroll = min(m.scroll+max(m.height/2, 1), m.maxScroll)
		return nil
	case key.Matches(k, m.keys.PageUp):
		m.scroll = max(m.scroll-max(m.height/2, 1), 0)
		return nil
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
	switch m.step {
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

// consentMayBeHalfDone: the admin may be in the middle of the consent page.
func (m *Model) consentMayBeHalfDone() bool {
	return m.step == stepConsent && m.waiter != nil && m.paused == nil
}

// quitErr is the outcome of quitting with q from the current step.
func (m *Model) quitErr() error {
	switch m.step {
	case stepSummary:
		return nil
	case stepState:
		if m.before != nil && (m.before.Status == flows.StatusComplete || m.blocked()) {
			return nil
		}
	case stepError:
		return m.err
	case stepConsent:
		if m.paused != nil {
			return m.paused // the account cannot grant it: incomplete, exit 3
		}
	}
	return flows.ErrCancelled
}

// quit cancels every context (the flows close their listeners), closes a consent
// wait, and stops the program; Bubble Tea restores the terminal.
func (m *Model) quit(err error) tea.Cmd {
	m.closeWaiter()
	if m.stepCancel != nil {
		m.stepCancel()
	}
	m.rootCancel()
	m.outcome.Err = err
	m.outcome.Finished = err == nil
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
	if m.waiter != nil {
		_ = m.waiter.Close()
		m.waiter = nil
	}
	m.paused = nil
}

// enter switches to step s without starting work: a new attempt, a fresh context.
func (m *Model) enter(s step) {
	if m.stepCancel != nil {
		m.stepCancel()
	}
	if s != stepConsent {
		m.closeWaiter()
	}
	m.attempt++
	m.step = s
	m.waitAt = m.opts.now()
	m.busy = false
	m.approving = false
	m.showQR = m.opts.QRFirst
	m.pasting = false
	m.reprompt = nil
	m.scroll = 0
	m.confirmQuit = false
	m.flash = "" // a step's lines leave with it
	m.status, m.checkedAt = "", time.Time{}
	m.stepCtx, m.stepCancel = context.WithCancel(m.rootCtx)
	ch := make(chan string, 8)
	m.progress = ch
	m.stepCtx = flows.WithProgress(m.stepCtx, func(s string) {
		select {
		case ch <- s:
		default: // the screen is behind: drop a line rather than block the flow
		}
	})
}

// goTo enters step s and starts its asynchronous work.
func (m *Model) goTo(s step) tea.Cmd {
	m.enter(s)
	m.waitAt = m.opts.now()
	ctx, att, eng := m.stepCtx, m.attempt, m.opts.Engine
	app := m.app
	prog := waitProgress(ctx, m.progress, att)
	switch s {
	case stepSignIn:
		m.prompt = nil
		m.busy = true
		ch := make(chan flows.SignInPrompt, 4)
		m.promptCh = ch
		again := m.signInAgain
		m.signInAgain = false
		signIn := func() tea.Msg {
			// The prompt channel is closed when SignIn returns, so the Cmd reading it
			// ends too; a late callback (there should be none) is dropped.
			var mu sync.Mutex
			done := false
			signIn := eng.SignIn
			if sw, ok := eng.(AccountSwitcher); ok && again {
				signIn = sw.SignInAgain
			}
			re := m.reprompts
			admin, err := signIn(ctx, func(p flows.SignInPrompt) {
				mu.Lock()
				defer mu.Unlock()
				if done {
					// A later step's token refresh or claims challenge asks the
					// admin again: shown over whatever step is on screen.
					select {
					case re <- p:
					default:
					}
					return
				}
				select {
				case ch <- p:
				case <-ctx.Done():
				}
			})
			mu.Lock()
			done = true
			close(ch)
			mu.Unlock()
			return signedInMsg{attempt: att, admin: admin, err: err}
		}
		return tea.Batch(signIn, waitPrompt(ch, att), m.tick(), prog)
	case stepState:
		m.before = nil
		m.busy = true
		return tea.Batch(verifyCmd(ctx, eng, app, att), m.tick(), prog)
	case stepSummary:
		m.result = nil
		m.saved = nil
		m.busy = true
		return tea.Batch(verifyCmd(ctx, eng, app, att), m.tick(), prog)
	case stepConsent:
		m.event = flows.ConsentEvent{}
		m.redirected = false
		m.consentURL = ""
		m.busy = true
		return tea.Batch(func() tea.Msg {
			w, err := eng.StartConsent(ctx, app)
			return consentStartedMsg{attempt: att, waiter: w, err: err}
		}, m.tick(), prog)
	}
	return nil
}

func verifyCmd(ctx context.Context, eng Engine, app *permissions.App, att int) tea.Cmd {
	return func() tea.Msg {
		r, err := eng.Verify(ctx, app)
		return verifiedMsg{attempt: att, result: r, err: err}
	}
}

// waitPrompt reads the next sign-in prompt from the flow's callback channel.
func waitPrompt(ch <-chan flows.SignInPrompt, att int) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return nil
		}
		return promptMsg{attempt: att, prompt: p}
	}
}

// waitProgress reads the step's next progress line; it ends with the step.
func waitProgress(ctx context.Context, ch <-chan string, att int) tea.Cmd {
	return func() tea.Msg {
		select {
		case s := <-ch:
			return progressMsg{attempt: att, text: safetext.Sanitize(s)}
		case <-ctx.Done():
			return nil
		}
	}
}

// waitEvent reads the next consent progress event; re-issued after each one.
func waitEvent(w ConsentWaiter, att int) tea.Cmd {
	ch := w.Events()
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return consentEventMsg{attempt: att, closed: true}
		}
		return consentEventMsg{attempt: att, event: ev}
	}
}

// back goes one step back, keeping the choices made so far.
func (m *Model) back() tea.Cmd {
	switch m.step {
	case stepChoose:
		return m.quit(flows.ErrCancelled)
	case stepReview:
		m.enter(stepChoose)
	case stepClientID, stepSignIn:
		m.enter(stepReview)
	case stepState:
		m.enter(stepReview)
	case stepConsent:
		m.closeWaiter()
		return m.goTo(stepState)
	case stepSummary:
		return m.goTo(stepState)
	case stepError:
		switch m.errFrom {
		case stepSignIn, stepState:
			m.enter(stepReview)
		case stepConsent, stepSummary:
			return m.goTo(stepState)
		default:
			m.enter(stepReview)
		}
	}
	return nil
}

// afterReview continues from the review: ask for a client id if none, sign in if not
// signed in yet, else straight to the current state.
func (m *Model) afterReview() tea.Cmd {
	m.selectApp()
	if m.app.ClientID == "" {
		m.enter(stepClientID)
		m.idErr = ""
		return m.clientID.Focus()
	}
	if m.admin != nil {
		return m.goTo(stepState)
	}
	return m.goTo(stepSignIn)
}

// fail shows the error screen for an error of step from.
func (m *Model) fail(from step, err error) tea.Cmd {
	if errors.Is(err, context.Canceled) && m.rootCtx.Err() != nil {
		return nil
	}
	m.enter(stepError)
	m.saved = nil
	m.err = err
	m.errFrom = from
	m.expl = explain.Describe(err)
	return m.startDiagnosis(err)
}

// retry re-runs the work that failed.
func (m *Model) retry() tea.Cmd {
	switch m.errFrom {
	case stepSignIn:
		return m.goTo(stepSignIn)
	case stepState:
		return m.goTo(stepState)
	case stepConsent:
		return m.goTo(stepConsent)
	case stepSummary:
		return m.goTo(stepSummary)
	}
	m.enter(stepReview)
	return nil
}

// approve walks the current browser page as the demo admin (demo mode's `a`).
func (m *Model) approve() tea.Cmd {
	if m.opts.Approver == nil || m.approving {
		return nil
	}
	ctx, att, ap := m.stepCtx, m.attempt, m.opts.Approver
	// A sign-in page: the sign-in step's, or a sign-in again over a later step.
	prompt, again := m.prompt, false
	if m.showingReprompt() {
		prompt, again = m.reprompt, true
	} else if m.step != stepSignIn {
		prompt = nil
	}
	switch {
	case prompt != nil:
		p := *prompt
		m.approving = true
		return tea.Batch(func() tea.Msg {
			if da, ok := ap.(DeviceApprover); ok && p.DeviceCode {
				return approvedMsg{attempt: att, err: da.ApproveDevice(ctx, p.UserCode), again: again}
			}
			return approvedMsg{attempt: att, err: ap.Approve(ctx, p.URL), again: again}
		}, m.tick())
	case m.step == stepConsent && m.consentURL != "":
		u := m.consentURL
		m.approving = true
		return tea.Batch(func() tea.Msg {
			if ca, ok := ap.(ConsentApprover); ok {
				landed, err := ca.ApproveConsent(ctx, u)
				return approvedMsg{attempt: att, err: err, landed: landed}
			}
			return approvedMsg{attempt: att, err: ap.Approve(ctx, u)}
		}, m.tick())
	}
	return nil
}

// currentURL is the browser URL of the step, if any.
func (m *Model) currentURL() string {
	switch m.step {
	case stepSignIn:
		if m.prompt != nil {
			return m.prompt.URL
		}
	case stepConsent:
		return m.consentURL
	}
	return ""
}

// blocked: a re-authorize-only app whose service principal is absent.
func (m *Model) blocked() bool {
	if m.before == nil || m.app == nil {
		return false
	}
	return m.before.ReauthorizeOnlyBlocked || (m.app.ReauthorizeOnly && m.before.ServicePrincipal == nil)
}

// command is a d365consent command line for the current app and tenant that runs as
// printed: --app, the tenant (not in the demo, whose tenant is new each run), the
// client id when the catalog has none, and the target's flags.
func (m *Model) command(sub string, extra ...string) string {
	parts := []string{"d365consent", sub}
	if m.app != nil {
		parts = append(parts, "--app", m.app.Key)
	}
	if !m.opts.Demo {
		tenant := ""
		if m.admin != nil {
			tenant = m.admin.TenantID
		}
		if tenant == "" && m.result != nil {
			tenant = m.result.Tenant.ID
		}
		if tenant == "" && m.before != nil {
			tenant = m.before.Tenant.ID
		}
		if tenant != "" {
			parts = append(parts, "--tenant", safetext.Sanitize(tenant))
		}
		if m.app != nil && m.app.ClientID != "" && (m.opts.ClientID != "" || m.apps[m.appIdx].ClientID == "") {
			parts = append(parts, "--client-id", m.app.ClientID)
		}
	}
	parts = append(parts, m.opts.CommandFlags...)
	parts = append(parts, extra...)
	return strings.Join(parts, " ")
}
