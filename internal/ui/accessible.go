package ui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/signin"
	"github.com/d365consent/d365consent/permissions"
)

// RunAccessible is the wizard for screen readers (--accessible): no alternate screen,
// no redrawing, plain numbered prompts read a line at a time, plain-text results.
func RunAccessible(ctx context.Context, opts Options, in io.Reader, out io.Writer) (Outcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Catalog == nil {
		opts.Catalog = permissions.Embedded()
	}
	r := &plainRun{ctx: ctx, opts: opts, out: out, lines: readLines(ctx, in)}
	res, err := r.run()
	o := Outcome{Result: res, Err: err, Finished: err == nil}
	return o, nil
}

type plainRun struct {
	mu    sync.Mutex // say is called from approve goroutines too
	ctx   context.Context
	opts  Options
	out   io.Writer
	lines <-chan string
}

var errQuit = flows.ErrCancelled

func readLines(ctx context.Context, in io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case ch <- strings.TrimSpace(sc.Text()):
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

func (r *plainRun) say(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, format+"\n", args...)
}

// ask prints a prompt and reads one line; "q" or end of input quits.
func (r *plainRun) ask(prompt string) (string, error) {
	r.mu.Lock()
	fmt.Fprint(r.out, prompt+" ")
	r.mu.Unlock()
	select {
	case l, ok := <-r.lines:
		if !ok || strings.EqualFold(l, "q") {
			return "", errQuit
		}
		return l, nil
	case <-r.ctx.Done():
		return "", errQuit
	}
}

func (r *plainRun) run() (*flows.Result, error) {
	apps := r.opts.Catalog.Apps
	var app permissions.App
	if a, ok := r.opts.Catalog.App(r.opts.App); ok && r.opts.App != "" {
		app = *a
	} else {
		r.say("Which app do you want to authorize?")
		for i, a := range apps {
			r.say("%d) %s (%s): %s", i+1, a.AppType, strings.ToUpper(a.Key), a.DisplayName)
		}
		for {
			l, err := r.ask(fmt.Sprintf("Type a number from 1 to %d and press Enter (q quits):", len(apps)))
			if err != nil {
				return nil, err
			}
			if n, e := strconv.Atoi(l); e == nil && n >= 1 && n <= len(apps) {
				app = apps[n-1]
				break
			}
			r.say("Not a choice: %q.", l)
		}
	}
	if r.opts.ClientID != "" {
		app.ClientID = r.opts.ClientID
	}
	if app.ReauthorizeOnly {
		r.say("Re-authorize only. %s", app.Notice)
	}
	r.say("")
	r.say("%s asks for %d permissions:", app.DisplayName, len(app.Permissions))
	for i, p := range app.Permissions {
		r.say("%d. %s %s (%s), %s. Why: %s", i+1, p.API, p.Value, p.FriendlyName, p.Type, p.Purpose)
	}
	r.say("%s", permissions.Delegated.Explain())
	r.say("%s", permissions.Application.Explain())
	r.say("To check the result the wizard signs you in with read-only scopes:")
	for _, s := range signin.Scopes() {
		r.say("- %s: %s", s.Value, s.Reason)
	}
	for app.ClientID == "" {
		l, err := r.ask("The app's client id is not published. Paste it from AOS and press Enter:")
		if err != nil {
			return nil, err
		}
		if permissions.IsGUID(l) {
			app.ClientID = l
		} else {
			r.say("That is not a GUID.")
		}
	}
	r.say("%s", firstUseNotice)
	if _, err := r.ask("Press Enter to sign in (q quits):"); err != nil {
		return nil, err
	}
	admin, err := r.signIn()
	if err != nil {
		return nil, r.explain("Sign-in did not complete.", err)
	}
	r.say("Signed in as %s, tenant %s.", safetext.Sanitize(admin.UPN), safetext.Sanitize(orText(admin.TenantName, admin.TenantID)))
	if c := roleVerdict(admin, &app); c.CanGrantAll() {
		r.say("Role check: %s. You can grant admin consent.", safetext.Sanitize(strings.Join(c.Roles, ", ")))
	} else {
		r.say("Warning, role check: %s", safetext.Sanitize(c.Message))
	}
	r.say("Reading the app's grants from Microsoft Graph.")
	before, err := r.opts.Engine.Verify(r.ctx, &app)
	if err != nil {
		return nil, r.explain("Could not read the app's current state.", err)
	}
	if before.ReauthorizeOnlyBlocked || (app.ReauthorizeOnly && before.ServicePrincipal == nil) {
		r.say("The %s app is not in your tenant. It can only be re-authorized, no longer created, so there is nothing to consent to.", app.AppType)
		return before, nil
	}
	r.printResult(before)
	final := before
	if before.Status != flows.StatusComplete && !flows.ConsentCanHelp(before) {
		// Consent cannot change this state: say what will, offer none.
		r.sayBlockers(before)
		r.say("Admin consent cannot change this, so the wizard offers none. Afterwards, check with:")
		r.say("%s", r.command(&app, admin.TenantID, "verify"))
	} else if before.Status != flows.StatusComplete {
		if _, err := r.ask("Press Enter to open the admin consent page (q quits):"); err != nil {
			return before, err
		}
		final, err = r.consent(&app)
		if err != nil {
			return before, r.explain("Admin consent did not complete.", err)
		}
		r.say("")
		r.say("Summary:")
		r.printResult(final)
		if final.Status != flows.StatusComplete {
			r.sayBlockers(final)
			r.say("Grants can take a few minutes to replicate. Check later with:")
			r.say("%s", r.command(&app, admin.TenantID, "verify"))
		}
	}
	r.say("Signed in as %s; tenant id %s.", safetext.Sanitize(admin.UPN), safetext.Sanitize(admin.TenantID))
	if final.Status == flows.StatusComplete {
		r.say("Next step: %s", orText(final.NextStep, flows.NextStep(&app)))
	}
	if l, err := r.ask("Save a report (Markdown and JSON)? Type y and press Enter, or just Enter to finish:"); err == nil && strings.EqualFold(l, "y") {
		write := r.opts.WriteReport
		if write == nil {
			write = flows.WriteReport
		}
		base := absPath(filepath.Join(r.opts.ReportDir, "d365consent-"+app.Key+"-"+r.opts.now().UTC().Format("20060102-150405")))
		for _, ext := range []string{".md", ".json"} {
			if err := write(base+ext, final); err != nil {
				r.say("Could not save %s: %s", base+ext, safetext.Sanitize(err.Error()))
			} else {
				r.say("Saved %s", base+ext)
			}
		}
	}
	return final, nil
}

func (r *plainRun) printResult(res *flows.Result) {
	r.say("%s", headline(res))
	for _, p := range res.Permissions {
		r.say("- %s %s (%s): %s", safetext.Sanitize(p.API), safetext.Sanitize(p.Permission), safetext.Sanitize(p.Type), flows.StatusLabel(p.Status))
	}
	for _, e := range res.Extra {
		r.say("Also granted: %s %s (%s)", safetext.Sanitize(e.API), safetext.Sanitize(e.Permission), safetext.Sanitize(e.Type))
	}
	for _, w := range res.Warnings {
		r.say("Warning: %s", safetext.Sanitize(w))
	}
}

func (r *plainRun) explain(what string, err error) error {
	if errors.Is(err, flows.ErrCancelled) || errors.Is(err, context.Canceled) {
		return flows.ErrCancelled
	}
	r.say("%s", what)
	if e := explain.Describe(err); e != nil {
		r.say("%s. %s", safetext.Sanitize(e.Title), safetext.Sanitize(e.Meaning))
		r.say("What to do: %s", safetext.Sanitize(e.Fix))
		if d := strings.Join(strings.Fields(safetext.Sanitize(e.Description)), " "); d != "" && d != e.Meaning {
			r.say("Entra ID said: %s", d)
		}
		if ids := explain.SupportIDs(e); len(ids) > 0 {
			r.say("For support:")
			for _, id := range ids {
				r.say("%s", id)
			}
		}
		if e.Link != "" {
			r.say("More:")
			r.say("%s", safetext.Sanitize(e.Link))
		}
	} else {
		r.say("%s", safetext.Sanitize(err.Error()))
	}
	for _, l := range diagnoseLines(r.ctx, r.opts.Diagnose, err) {
		r.say("%s", l)
	}
	return err
}

func (r *plainRun) signIn() (*flows.Admin, error) {
	type res struct {
		a   *flows.Admin
		err error
	}
	done := make(chan res, 1)
	prompts := make(chan flows.SignInPrompt, 4)
	var mu sync.Mutex
	finished := false
	go func() {
		a, err := r.opts.Engine.SignIn(r.ctx, func(p flows.SignInPrompt) {
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
			case <-r.ctx.Done():
			}
		})
		mu.Lock()
		finished = true
		mu.Unlock()
		done <- res{a, err}
	}()
	var cur *flows.SignInPrompt
	show := func(p flows.SignInPrompt) {
		r.notify("signin", p.URL)
		if p.Consent != "" {
			r.say("%s", p.Consent)
		}
		if p.DeviceCode {
			if p.Reason != "" {
				r.say("%s", safetext.Sanitize(p.Reason))
			}
			r.say("Open this page and enter the code %s:", safetext.Sanitize(p.UserCode))
		} else {
			r.say("Sign in in your browser. If it did not open, open this page:")
		}
		r.say("%s", safetext.Sanitize(p.URL)) // whole, on its own line
	}
	for {
		select {
		case p := <-prompts:
			cur = &p
			show(p)
			r.approveHint()
		case d := <-done:
			// A prompt sent just before the sign-in ended (the select may pick either
			// when both are ready): shown the same way before moving on.
			for len(prompts) > 0 {
				show(<-prompts)
			}
			return d.a, d.err
		case l, ok := <-r.lines:
			if !ok {
				r.lines = nil // end of input: keep waiting, Ctrl+C still cancels
				continue
			}
			if strings.EqualFold(l, "q") {
				return nil, flows.ErrCancelled
			}
			if strings.EqualFold(l, "a") && r.opts.Approver != nil && cur != nil {
				p := *cur
				go func() {
					var err error
					if da, ok := r.opts.Approver.(DeviceApprover); ok && p.DeviceCode {
						err = da.ApproveDevice(r.ctx, p.UserCode)
					} else {
						err = r.opts.Approver.Approve(r.ctx, p.URL)
					}
					if err != nil && r.ctx.Err() == nil && !errors.Is(err, context.Canceled) {
						r.say("Approving failed: %s", safetext.Sanitize(err.Error()))
					}
				}()
			}
		}
	}
}

// sayReprompt asks the admin to sign in again after the sign-in step.
func (r *plainRun) sayReprompt(p flows.SignInPrompt) {
	r.notify("signin", p.URL)
	r.say("%s", signInAgainLine(p))
	if p.DeviceCode {
		r.say("Open this page and enter the code %s:", safetext.Sanitize(p.UserCode))
	} else {
		r.say("Sign in in your browser. If it did not open, open this page:")
	}
	r.say("%s", safetext.Sanitize(p.URL))
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

func (r *plainRun) consent(app *permissions.App) (*flows.Result, error) {
	w, err := r.opts.Engine.StartConsent(r.ctx, app)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	url := safetext.Sanitize(w.ConsentURL())
	r.notify("consent", url)
	r.say("Open this admin consent page as an admin and Accept:")
	r.say("%s", url)
	r.say("Press Enter to check now; q quits.")
	r.approveHint()
	events := w.Events()
	last := -1
	var lastRes *flows.Result
	var paused *flows.BlockedError
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				if lastRes != nil {
					return lastRes, nil
				}
				return r.opts.Engine.Verify(r.ctx, app)
			}
			if ev.Result != nil {
				lastRes = ev.Result
			}
			if ev.Visible != last {
				last = ev.Visible
				r.say("%d of %d permissions visible in Microsoft Graph.", ev.Visible, ev.Total)
			}
			if ev.Paused != nil && paused == nil {
				// The account cannot grant it: say so once, and who can.
				r.say("%s", safetext.Sanitize(ev.Paused.Cause))
				r.say("What to do: %s", safetext.Sanitize(ev.Paused.NextStep))
				if _, ok := w.(ConsentResumer); ok {
					r.say("Type w and press Enter to wait here for another admin's consent; q stops.")
				}
			}
			paused = ev.Paused
			if ev.Done {
				if ev.Err != nil && !(errors.Is(ev.Err, flows.ErrIncomplete) && ev.Result != nil) {
					return nil, ev.Err
				}
				return ev.Result, nil
			}
		case l, ok := <-r.lines:
			switch {
			case !ok:
				r.lines = nil
			case strings.EqualFold(l, "q"):
				if paused != nil {
					return nil, paused // the account cannot grant it: incomplete
				}
				return nil, flows.ErrCancelled
			case strings.EqualFold(l, "w") && paused != nil:
				if rs, ok := w.(ConsentResumer); ok {
					rs.Resume()
					paused = nil
					r.say("Waiting for another admin's consent. Press Enter to check now; q quits.")
				}
			case strings.EqualFold(l, "a") && r.opts.Approver != nil:
				go func() {
					landed, err := "", error(nil)
					if ca, ok := r.opts.Approver.(ConsentApprover); ok {
						landed, err = ca.ApproveConsent(r.ctx, url)
					} else {
						err = r.opts.Approver.Approve(r.ctx, url)
					}
					if err != nil {
						if r.ctx.Err() == nil && !errors.Is(err, context.Canceled) {
							r.say("Approving failed: %s", safetext.Sanitize(err.Error()))
						}
						return
					}
					// As the full-screen wizard does: the publisher page's address is
					// handed to the wait like the admin's paste.
					if p, ok := w.(ConsentPaster); ok && landed != "" {
						if err := p.Paste(landed); err != nil {
							r.say("The consent page's answer could not be read: %s", safetext.Sanitize(err.Error()))
						}
					}
					w.Recheck()
				}()
			default:
				w.Recheck()
			}
		case <-r.ctx.Done():
			return nil, flows.ErrCancelled
		}
	}
}

// command is a d365consent command line that runs as printed (see Model.command).
func (r *plainRun) command(app *permissions.App, tenant, sub string) string {
	parts := []string{"d365consent", sub, "--app", app.Key}
	if !r.opts.Demo {
		if tenant != "" {
			parts = append(parts, "--tenant", safetext.Sanitize(tenant))
		}
		if cat, ok := r.opts.Catalog.App(app.Key); r.opts.ClientID != "" || !ok || cat.ClientID == "" {
			parts = append(parts, "--client-id", app.ClientID)
		}
	}
	return strings.Join(append(parts, r.opts.CommandFlags...), " ")
}

// sayBlockers says, once, why consent cannot complete res and what will (a warning
// may have said part of it already).
func (r *plainRun) sayBlockers(res *flows.Result) {
	for _, b := range flows.Blockers(res) {
		if !b.CauseShown {
			r.say("%s", b.Cause)
		}
		if !b.FixShown {
			r.say("What will fix it: %s", b.Fix)
		}
	}
}
