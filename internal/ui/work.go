package ui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/wizard"
)

// runner is the asynchronous work of the step on screen: its attempt, context,
// progress lines and the spinner's clock.
type runner struct {
	// attempt numbers the step's work: a result of another attempt is stale (the
	// admin moved on) and is dropped, after freeing what it holds.
	attempt int
	// entries is how many steps the flow had entered when the screen last followed it.
	entries int
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
	// approving is the page the demo browser is answering (a), "" when none.
	approving  string
	rootCtx    context.Context
	rootCancel context.CancelFunc
	stepCtx    context.Context
	stepCancel context.CancelFunc
	progress   chan string // the step's flows.WithProgress lines
	// reprompts carries sign-in prompts that come after the sign-in step (the flows
	// call the sign-in's prompt again).
	reprompts chan flows.SignInPrompt
}

// Messages of asynchronous work, each tagged with the attempt it was started for.
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
		admin   *flows.Admin // the engine's admin after the read
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
		page    string // the page answered (runner.approving)
		err     error
		landed  string // the consent page's end address, to paste back
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

// newAttempt starts the step's work anew: the last step's context is cancelled.
func (r *runner) newAttempt() {
	if r.stepCancel != nil {
		r.stepCancel()
	}
	r.attempt++
	r.waitAt = time.Time{}
	r.busy, r.approving = false, ""
	r.status, r.checkedAt = "", time.Time{}
	r.stepCtx, r.stepCancel = context.WithCancel(r.rootCtx)
	ch := make(chan string, 8)
	r.progress = ch
	r.stepCtx = flows.WithProgress(r.stepCtx, func(s string) {
		select {
		case ch <- s:
		default: // the screen is behind: drop a line rather than block the flow
		}
	})
}

// start starts the work the flow asked for.
func (m *Model) start(w wizard.Work) tea.Cmd {
	if w == wizard.NoWork {
		return nil
	}
	m.waitAt = m.opts.now()
	m.busy = true
	ctx, att, eng, app := m.stepCtx, m.attempt, m.opts.Engine, m.flow.App()
	prog := waitProgress(ctx, m.progress, att)
	switch w {
	case wizard.SignInWork, wizard.SignInAgainWork:
		run, prompts := m.startSignIn(w == wizard.SignInAgainWork)
		return tea.Batch(run, prompts, m.tick(), prog)
	case wizard.VerifyWork:
		return tea.Batch(func() tea.Msg {
			r, err := eng.Verify(ctx, app)
			return verifiedMsg{attempt: att, result: r, admin: eng.Admin(), err: err}
		}, m.tick(), prog)
	case wizard.ConsentWork:
		m.consent.event = flows.ConsentEvent{}
		m.consent.url = ""
		return tea.Batch(func() tea.Msg {
			w, err := eng.StartConsent(ctx, app)
			return consentStartedMsg{attempt: att, waiter: w, err: err}
		}, m.tick(), prog)
	case wizard.AwaitApprovalWork:
		// The consent link and the last check stay on screen: nothing is opened again.
		await := m.caps.AwaitConsent
		if await == nil {
			m.busy = false
			return nil
		}
		return tea.Batch(func() tea.Msg {
			w, err := await(ctx, app)
			return consentStartedMsg{attempt: att, waiter: w, err: err}
		}, m.tick(), prog)
	case wizard.FindAppsWork:
		m.busy = false
		return m.findApps()
	}
	return nil
}

// startSignIn signs in; again asks which account (when the engine can).
func (m *Model) startSignIn(again bool) (run, prompts tea.Cmd) {
	m.signIn.prompt = nil
	ch := make(chan flows.SignInPrompt, 4)
	m.signIn.prompts = ch
	ctx, att, re := m.stepCtx, m.attempt, m.reprompts
	signIn := m.opts.Engine.SignIn
	if again && m.caps.SwitchAccount != nil {
		signIn = m.caps.SwitchAccount
	}
	run = func() tea.Msg {
		// The prompt channel is closed when SignIn returns, so the Cmd reading it
		// ends too; a later prompt asks the admin again over a later step.
		var mu sync.Mutex
		done := false
		admin, err := signIn(ctx, func(p flows.SignInPrompt) {
			mu.Lock()
			defer mu.Unlock()
			if done {
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
	return run, waitPrompt(ch, att)
}

func (m *Model) onPrompt(msg promptMsg) tea.Cmd {
	if msg.attempt != m.attempt || m.step() != stepSignIn {
		return nil
	}
	p := msg.prompt
	if m.signIn.prompt != nil || p.Claims {
		// A sign-in asked for again within the step (MFA on the token refresh that
		// reads the account): the step waits for the admin now, not for that read.
		m.status = signInAgainStatus(p)
	}
	m.signIn.prompt = &p
	// A new page (a sign-in again, a new device code): the answer to the last one is
	// done or moot, and a answers this one.
	m.approving = ""
	m.notifyURL("signin", p.URL)
	return waitPrompt(m.signIn.prompts, m.attempt)
}

func (m *Model) onSignedIn(msg signedInMsg) tea.Cmd {
	if msg.attempt != m.attempt || m.step() != stepSignIn || m.dropped(msg.err) {
		return nil
	}
	m.busy = false
	return m.apply(m.flow.SignedIn(msg.admin, msg.err))
}

func (m *Model) onVerified(msg verifiedMsg) tea.Cmd {
	if msg.attempt != m.attempt || m.dropped(msg.err) {
		return nil
	}
	m.busy = false
	m.reprompt = nil
	return m.apply(m.flow.Verified(msg.result, msg.admin, msg.err))
}

func (m *Model) onConsentStarted(msg consentStartedMsg) tea.Cmd {
	if msg.attempt != m.attempt || m.step() != stepConsent || m.dropped(msg.err) {
		if msg.waiter != nil {
			_ = msg.waiter.Close() // stale: free its port now
		}
		return nil
	}
	m.busy = false
	m.reprompt = nil
	if msg.err != nil {
		return m.apply(m.flow.ConsentStarted("", msg.err))
	}
	m.consent.waiter = msg.waiter
	m.consent.caps = waiterCapabilitiesOf(msg.waiter)
	if m.flow.Approval() == wizard.ApprovalAwaited && m.consent.url != "" {
		// Waiting for the approval: the link the admin was shown stays, and nothing
		// is opened.
		m.flow.ConsentStarted(m.consent.url, nil)
	} else {
		m.consent.url = msg.waiter.ConsentURL()
		m.flow.ConsentStarted(m.consent.url, nil)
		m.notifyURL("consent", m.consent.url)
	}
	m.waitAt = m.opts.now()
	return tea.Batch(waitEvent(msg.waiter, m.attempt), m.tick())
}

func (m *Model) onConsentEvent(msg consentEventMsg) tea.Cmd {
	if msg.attempt != m.attempt || m.step() != stepConsent || m.consent.waiter == nil {
		return nil
	}
	if msg.closed {
		// The flow ended without a final result: check once more ourselves.
		m.closeWaiter()
		return m.apply(m.flow.ConsentClosed())
	}
	ev := msg.event
	m.consent.event = ev
	m.reprompt = nil // the flow went on: any sign-in again is done
	m.status, m.checkedAt = "", m.opts.now()
	if ev.Err != nil {
		m.closeWaiter()
		if m.dropped(ev.Err) {
			return nil
		}
	}
	cmd := m.apply(m.flow.ConsentEvent(ev))
	if m.step() != stepConsent || ev.Done || m.consent.waiter == nil {
		return cmd
	}
	return tea.Batch(cmd, waitEvent(m.consent.waiter, m.attempt))
}

// demoCodeEnteredStatus is the sign-in's status once the demo's a entered the device code.
const demoCodeEnteredStatus = "Code entered in the demo browser: signing in at Entra ID's next check…"

func (m *Model) onApproved(msg approvedMsg) tea.Cmd {
	if msg.attempt != m.attempt || msg.page != m.approving {
		return nil // a page no longer on screen
	}
	m.approving = ""
	if msg.err != nil {
		if m.dropped(msg.err) {
			return nil
		}
		return m.apply(m.flow.ApproveFailed(msg.err))
	}
	if msg.again {
		m.flash = "Signed in again in the demo browser as " + m.who() + "."
		return nil
	}
	if p := m.signIn.prompt; m.step() == stepSignIn && p != nil && p.DeviceCode {
		// The code is entered, but the sign-in lands only when MSAL next polls the
		// token endpoint, at the interval Entra ID gave (5 s): say so, so the wait
		// does not look stuck; the QR code's own views show that status line too.
		m.status = demoCodeEnteredStatus
		return nil
	}
	if m.step() != stepConsent {
		return nil
	}
	m.flash = "Answered the consent page in the demo browser as " + m.who() + "."
	if w := m.consent.waiter; w != nil {
		// The demo browser ended where a real one does (the publisher's page): hand
		// that address to the wait as the admin's paste would be.
		if p := m.consent.caps.Paste; p != nil && msg.landed != "" {
			if err := p(msg.landed); err != nil {
				m.flash = "The consent page's answer could not be read: " + err.Error()
			}
		}
		w.Recheck()
	}
	return nil
}

func (m *Model) onSaved(msg savedMsg) {
	if msg.attempt != m.attempt {
		return
	}
	if msg.err != nil {
		m.flash = "Could not save the report: " + msg.err.Error()
		return
	}
	m.saved = msg.paths
	m.flash = ""
}

// waiting reports whether the current step shows a spinner.
func (m *Model) waiting() bool {
	return m.busy || (m.step() == stepConsent && m.consent.waiter != nil) || m.approving != ""
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

func (m *Model) onTick(msg tickMsg) tea.Cmd {
	if msg.seq != m.tickSeq {
		return nil // a chain replaced by a newer one
	}
	m.ticking = false
	if !m.waiting() {
		return nil
	}
	return m.tick() // the next frame: the spinner turns, the clock ticks
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

// waitPrompt reads the next sign-in prompt from the flow's callback channel.
func waitPrompt(ch <-chan flows.SignInPrompt, att int) tea.Cmd {
	if ch == nil {
		return nil
	}
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
			return progressMsg{attempt: att, text: s}
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

// approve walks the current browser page as the demo admin (demo mode's `a`).
func (m *Model) approve() tea.Cmd {
	ap := m.opts.Approver
	if ap == nil || m.approving != "" {
		return nil
	}
	ctx, att := m.stepCtx, m.attempt
	// A sign-in page: the sign-in step's, or a sign-in again over a later step.
	prompt, again := m.signIn.prompt, false
	if m.showingReprompt() {
		prompt, again = m.reprompt, true
	} else if m.step() != stepSignIn {
		prompt = nil
	}
	switch {
	case prompt != nil:
		p := *prompt
		page := p.URL + " " + p.UserCode
		m.approving = page
		return tea.Batch(func() tea.Msg {
			if p.DeviceCode && m.caps.ApproveDevice != nil {
				return approvedMsg{attempt: att, page: page, err: m.caps.ApproveDevice(ctx, p.UserCode), again: again}
			}
			return approvedMsg{attempt: att, page: page, err: ap.Approve(ctx, p.URL), again: again}
		}, m.tick())
	case m.step() == stepConsent && m.consent.url != "" && m.flow.Approval() == wizard.NoApproval:
		// Once a request is filed, answering the page again would only file another.
		u, approveConsent := m.consent.url, m.caps.ApproveConsent
		m.approving = u
		return tea.Batch(func() tea.Msg {
			landed, err := approveConsent(ctx, u)
			return approvedMsg{attempt: att, page: u, err: err, landed: landed}
		}, m.tick())
	}
	return nil
}
