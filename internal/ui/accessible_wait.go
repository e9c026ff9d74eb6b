package ui

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/wizard"
)

// The waits of line mode: the sign-in and the consent run in the background while the
// admin's lines are read (a to answer the page in the demo browser, Enter to check
// now, a pasted address, q).

func (r *plainRun) signIn(w wizard.Work) wizard.Work {
	r.say("%s", firstUseNotice)
	if _, err := r.ask("Press Enter to sign in (q quits):"); err != nil {
		return r.stop(err)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	signIn := r.opts.Engine.SignIn
	if w == wizard.SignInAgainWork && r.caps.SwitchAccount != nil {
		signIn = r.caps.SwitchAccount
	}
	type res struct {
		a   *flows.Admin
		err error
	}
	done := make(chan res, 1)
	prompts := make(chan flows.SignInPrompt, 4)
	var mu sync.Mutex
	finished := false
	go func() {
		a, err := signIn(ctx, func(p flows.SignInPrompt) {
			mu.Lock()
			later := finished
			mu.Unlock()
			if later {
				// A later step's token refresh or claims challenge: say it now, the
				// step waits for the new sign-in.
				r.sayReprompt(p)
				return
			}
			select {
			case prompts <- p:
			case <-ctx.Done():
			}
		})
		mu.Lock()
		finished = true
		mu.Unlock()
		done <- res{a, err}
	}()
	approved := make(chan error, 1)
	var cur *flows.SignInPrompt
	for {
		select {
		case p := <-prompts:
			cur = &p
			r.showPrompt(p)
			r.approveHint()
		case d := <-done:
			// A prompt sent just before the sign-in ended (the select may pick either
			// when both are ready): shown the same way before moving on.
			for len(prompts) > 0 {
				r.showPrompt(<-prompts)
			}
			return r.flow.SignedIn(d.a, d.err)
		case err := <-approved:
			return r.flow.ApproveFailed(err)
		case l, ok := <-r.lines:
			switch {
			case !ok:
				r.lines = nil // end of input: keep waiting, Ctrl+C still cancels
			case strings.EqualFold(l, "q"):
				return r.stop(errQuitKey)
			case strings.EqualFold(l, "a") && r.opts.Approver != nil && cur != nil:
				r.approvePrompt(ctx, *cur, approved)
			}
		}
	}
}

func (r *plainRun) showPrompt(p flows.SignInPrompt) {
	r.notify("signin", p.URL)
	if p.Consent != "" {
		r.say("%s", p.Consent)
	}
	if p.Remembered != "" {
		r.say("%s", p.Remembered)
	}
	if p.DeviceCode {
		if p.Reason != "" {
			r.say("%s", p.Reason)
		}
		r.say("Open this page and enter the code %s:", p.UserCode)
	} else {
		r.say("Sign in in your browser. If it did not open, open this page:")
	}
	r.say("%s", p.URL) // whole, on its own line
}

// approvePrompt answers the sign-in page in the demo browser; a failure is sent on
// failed (the flow shows it as the step's error).
func (r *plainRun) approvePrompt(ctx context.Context, p flows.SignInPrompt, failed chan<- error) {
	go func() {
		var err error
		if p.DeviceCode && r.caps.ApproveDevice != nil {
			err = r.caps.ApproveDevice(ctx, p.UserCode)
		} else {
			err = r.opts.Approver.Approve(ctx, p.URL)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			failed <- err
		}
	}()
}

// verify reads the app's grants while reading the admin's lines: a answers a sign-in
// again in the demo browser, q quits.
func (r *plainRun) verify() wizard.Work {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	type res struct {
		r   *flows.Result
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := r.opts.Engine.Verify(ctx, r.flow.App())
		done <- res{v, err}
	}()
	approved := make(chan error, 1)
	for {
		select {
		case d := <-done:
			r.takeReprompt()
			return r.flow.Verified(d.r, r.opts.Engine.Admin(), d.err)
		case err := <-approved:
			return r.flow.ApproveFailed(err)
		case l, ok := <-r.lines:
			switch {
			case !ok:
				r.lines = nil
			case strings.EqualFold(l, "q"):
				return r.stop(errQuitKey)
			case strings.EqualFold(l, "a") && r.opts.Approver != nil:
				if p := r.takeReprompt(); p != nil {
					r.approvePrompt(ctx, *p, approved)
				}
			}
		}
	}
}

// takeReprompt returns the sign-in again on screen, if any, and forgets it.
func (r *plainRun) takeReprompt() *flows.SignInPrompt {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.reprompt
	r.reprompt = nil
	return p
}

// sayReprompt asks the admin to sign in again after the sign-in step.
func (r *plainRun) sayReprompt(p flows.SignInPrompt) {
	r.mu.Lock()
	r.reprompt = &p
	r.mu.Unlock()
	r.notify("signin", p.URL)
	r.say("%s", wizard.SignInAgainLine(p))
	if p.Consent != "" {
		r.say("%s", p.Consent)
	}
	if p.DeviceCode {
		r.say("Open this page and enter the code %s:", p.UserCode)
	} else {
		r.say("Sign in in your browser. If it did not open, open this page:")
	}
	r.say("%s", p.URL)
	r.approveHint()
}

func (r *plainRun) notify(kind, url string) {
	if r.opts.OnURL != nil {
		r.opts.OnURL(kind, url)
	}
}

func (r *plainRun) approveHint() {
	if r.opts.Approver != nil {
		r.say("Demo: type a and press Enter to answer the page in the demo browser as the signed-in account.")
	}
}

// consentWait is a running consent wait of line mode.
type consentWait struct {
	w        ConsentWaiter
	caps     waiterCapabilities
	url      string
	ctx      context.Context
	approved chan error
	visible  int
	paused   bool
	recorded bool
	// since is when the wait for the approval started (zero for the consent wait).
	since time.Time
}

// consent runs the consent step: the consent wait (ConsentWork), the wait for the
// approval of a filed request (AwaitApprovalWork), or the choice once a request was
// filed.
func (r *plainRun) consent(work wizard.Work) wizard.Work {
	switch {
	case work == wizard.AwaitApprovalWork:
		return r.awaitApproval()
	case r.flow.Approval() == wizard.ApprovalRequested:
		return r.requestFiled()
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	w, err := r.opts.Engine.StartConsent(ctx, r.flow.App())
	if err != nil {
		return r.flow.ConsentStarted("", err)
	}
	defer w.Close()
	c := &consentWait{w: w, caps: waiterCapabilitiesOf(w), url: w.ConsentURL(), ctx: ctx,
		approved: make(chan error, 1), visible: -1}
	r.flow.ConsentStarted(c.url, nil)
	r.notify("consent", c.url)
	r.say("Open this admin consent page as an admin and Accept:")
	r.say("%s", c.url)
	if c.caps.Production && c.caps.Paste != nil {
		r.say("%s", productionNotice+"If the page shows an error, or you want to be sure, paste the address your browser ended on (or the AADSTS code it shows) and press Enter.")
	}
	r.say("Press Enter to check now; q quits.")
	r.approveHint()
	return r.consentLoop(c)
}

// requestFiled says who approves the request the admin consent workflow filed and
// reads the admin's choice: w waits here for the approval, o signs in as someone
// else, q leaves with the link and the command that checks later.
func (r *plainRun) requestFiled() wizard.Work {
	req := r.flow.Request()
	r.say("%s", req.Cause)
	r.say("What to do: %s", req.NextStep)
	var choices []string
	if r.caps.AwaitConsent != nil {
		choices = append(choices, "w to wait here for the approval")
	}
	if r.caps.SwitchAccount != nil {
		choices = append(choices, "o to sign in as someone else")
	}
	prompt := "Press q and Enter to quit and print the command to check later:"
	if len(choices) > 0 {
		prompt = "Type " + strings.Join(choices, ", or ") + ", and press Enter; q quits and prints the command to check later:"
	}
	for {
		l, err := r.ask(prompt)
		switch {
		case err != nil:
			r.stop(err)
			r.sayExitSummary()
			return wizard.NoWork
		case strings.EqualFold(l, "w") && r.caps.AwaitConsent != nil:
			return r.flow.AwaitApproval()
		case strings.EqualFold(l, "o") && r.caps.SwitchAccount != nil:
			return r.flow.SwitchAccount()
		}
	}
}

// awaitApproval waits for a reviewer's approval of the filed request: Graph is read
// as in the consent wait; no page is opened and no request filed.
func (r *plainRun) awaitApproval() wizard.Work {
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	w, err := r.caps.AwaitConsent(ctx, r.flow.App())
	if err != nil {
		return r.flow.ConsentStarted("", err)
	}
	defer w.Close()
	url := r.flow.Outcome().Summary.ConsentURL // the link the admin was shown
	c := &consentWait{w: w, caps: waiterCapabilitiesOf(w), url: url, ctx: ctx, approved: make(chan error, 1), visible: -1, since: r.opts.now()}
	r.flow.ConsentStarted(url, nil)
	r.say("Waiting for a reviewer of the admin consent workflow to approve the request (Entra admin center > Enterprise applications > Admin consent requests). " +
		"Press Enter to check now; q quits and prints the command to check later.")
	return r.consentLoop(c)
}

// sayExitSummary says what the run leaves behind once it ended (wizard.ExitSummary):
// each URL and command whole on a line of its own.
func (r *plainRun) sayExitSummary() {
	for _, l := range r.flow.Outcome().Summary.Lines() {
		r.say("%s", l.Text)
	}
}

// consentLoop reads the wait's events and the admin's lines until the step is over.
func (r *plainRun) consentLoop(c *consentWait) wizard.Work {
	w := c.w
	events := w.Events()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return r.flow.ConsentClosed()
			}
			if next, leave := r.consentEvent(c, ev); leave {
				return next
			}
		case err := <-c.approved:
			return r.flow.ApproveFailed(err)
		case l, ok := <-r.lines:
			if !ok {
				r.lines = nil
				continue
			}
			if leave := r.consentLine(c, l); leave {
				return wizard.NoWork
			}
		case <-r.ctx.Done():
			r.flow.Cancel()
			return wizard.NoWork
		}
	}
}

// consentEvent says what an event of the wait changed and hands it to the flow; leave
// reports the step is over.
func (r *plainRun) consentEvent(c *consentWait, ev flows.ConsentEvent) (wizard.Work, bool) {
	if ev.Visible != c.visible {
		c.visible = ev.Visible
		r.say("%d of %d permissions visible in Microsoft Graph.", ev.Visible, ev.Total)
	}
	if ev.Redirected && !c.recorded {
		c.recorded = true
		r.say("The browser came back: Entra ID recorded the consent. Waiting for Microsoft Graph to show every grant (replication can take a minute).")
	}
	if r.flow.Resumed() {
		ev.Paused = nil // the wait never pauses after a resume: a stale event
	}
	if ev.Paused != nil && !c.paused {
		// The account cannot grant it: say so once, and who can.
		r.say("%s", ev.Paused.Cause)
		r.say("What to do: %s", ev.Paused.NextStep)
		if c.caps.Resume != nil {
			r.say("Type w and press Enter to wait here for another admin's consent; q stops.")
		}
	}
	c.paused = ev.Paused != nil
	if ev.Err != nil && (errors.Is(ev.Err, flows.ErrCancelled) || errors.Is(ev.Err, context.Canceled)) {
		r.flow.Cancel()
		return wizard.NoWork, true
	}
	next := r.flow.ConsentEvent(ev)
	return next, r.flow.Step() != wizard.Consent || r.flow.Approval() == wizard.ApprovalRequested
}

// consentLine acts on a line typed during the wait; leave reports the run ended.
func (r *plainRun) consentLine(c *consentWait, l string) (leave bool) {
	switch {
	case strings.EqualFold(l, "q"):
		r.flow.Quit() // paused: the account cannot grant it, incomplete
		if r.flow.Request() != nil {
			r.sayExitSummary()
		}
		return true
	case strings.EqualFold(l, "w") && c.paused && c.caps.Resume != nil:
		c.caps.Resume()
		r.flow.Resume()
		c.paused = false
		r.say("Waiting for another admin's consent. Press Enter to check now; q quits.")
	case strings.EqualFold(l, "a") && r.opts.Approver != nil:
		if p := r.takeReprompt(); p != nil {
			r.approvePrompt(c.ctx, *p, c.approved) // the sign-in again comes first
			break
		}
		if r.flow.Approval() == wizard.NoApproval { // again would file another request
			r.approveConsent(c)
		}
	case c.caps.Paste != nil && (strings.Contains(l, "://") || strings.HasPrefix(strings.ToUpper(l), "AADSTS")):
		if err := c.caps.Paste(l); errors.Is(err, flows.ErrPasteUnmatched) {
			r.say("Not proof of consent: %s.", err)
		} else if err != nil {
			r.say("That could not be read: %s", err.Error())
		} else {
			r.say("Got it: reading what the browser ended on.")
		}
	default:
		c.w.Recheck()
		if !c.since.IsZero() {
			r.say("Waited %s for the approval; checking Microsoft Graph now.", fmtElapsed(r.opts.now().Sub(c.since)))
		}
	}
	return false
}

// approveConsent answers the consent page in the demo browser; as in the full screen,
// the publisher page's address is handed to the wait like the admin's paste.
func (r *plainRun) approveConsent(c *consentWait) {
	go func() {
		landed, err := r.caps.ApproveConsent(c.ctx, c.url)
		if err != nil {
			if c.ctx.Err() == nil && !errors.Is(err, context.Canceled) {
				c.approved <- err
			}
			return
		}
		if c.caps.Paste != nil && landed != "" {
			if err := c.caps.Paste(landed); err != nil {
				r.say("The consent page's answer could not be read: %s", err.Error())
			}
		}
		c.w.Recheck()
	}()
}
