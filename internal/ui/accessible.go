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
	"github.com/d365consent/d365consent/internal/signin"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/wizard"
	"github.com/d365consent/d365consent/permissions"
)

// RunAccessible is the wizard for screen readers (--accessible): no alternate screen,
// no redrawing, plain numbered prompts read a line at a time, plain-text results. It
// walks the same wizard.Flow as the full screen.
func RunAccessible(ctx context.Context, opts Options, in io.Reader, out io.Writer) (Outcome, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &plainRun{ctx: ctx, opts: opts, out: out, lines: readLines(ctx, in),
		flow: wizard.New(opts.wizardOptions()), caps: opts.capabilities()}
	w := wizard.NoWork
	for !r.flow.Done() {
		w = r.step(w)
	}
	return r.flow.Outcome(), nil
}

type plainRun struct {
	mu    sync.Mutex // say is called from approve goroutines too
	ctx   context.Context
	opts  Options
	caps  Capabilities
	flow  *wizard.Flow
	out   io.Writer
	lines <-chan string
	// reprompt is a sign-in again asked for after the sign-in step, until answered.
	reprompt *flows.SignInPrompt
}

// errQuitKey is the admin's q; the end of input or a cancelled run is flows.ErrCancelled.
var errQuitKey = errors.New("q")

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

// ask prints a prompt and reads one line: errQuitKey for q, flows.ErrCancelled at the
// end of input.
func (r *plainRun) ask(prompt string) (string, error) {
	r.mu.Lock()
	fmt.Fprint(r.out, prompt+" ")
	r.mu.Unlock()
	select {
	case l, ok := <-r.lines:
		switch {
		case !ok:
			return "", flows.ErrCancelled
		case strings.EqualFold(l, "q"):
			return "", errQuitKey
		}
		return l, nil
	case <-r.ctx.Done():
		return "", flows.ErrCancelled
	}
}

// stop ends the run after ask failed: q quits where the run is (wizard.Flow.Quit),
// the end of input cancels it.
func (r *plainRun) stop(err error) wizard.Work {
	if errors.Is(err, errQuitKey) {
		r.flow.Quit()
	} else {
		r.flow.Cancel()
	}
	return wizard.NoWork
}

// step says the flow's step and reads the admin's answer; it returns the work the
// flow asked for next.
func (r *plainRun) step(w wizard.Work) wizard.Work {
	switch r.flow.Step() {
	case wizard.Choose:
		return r.choose()
	case wizard.Review:
		return r.review()
	case wizard.ClientID:
		return r.clientID()
	case wizard.SignIn:
		return r.signIn(w)
	case wizard.State:
		return r.state(w)
	case wizard.Consent:
		return r.consent(w)
	case wizard.Summary:
		return r.summary(w)
	}
	return r.explainError()
}

func (r *plainRun) choose() wizard.Work {
	apps := r.flow.Apps()
	r.say("Which app do you want to authorize?")
	for i, a := range apps {
		r.say("%d) %s (%s): %s", i+1, a.AppType, strings.ToUpper(a.Key), a.DisplayName)
	}
	for {
		l, err := r.ask(fmt.Sprintf("Type a number from 1 to %d and press Enter (q quits):", len(apps)))
		if err != nil {
			return r.stop(err)
		}
		if n, e := strconv.Atoi(l); e == nil && n >= 1 && n <= len(apps) {
			return r.flow.ChooseApp(n - 1)
		}
		r.say("Not a choice: %q.", l)
	}
}

func (r *plainRun) review() wizard.Work {
	app := r.flow.App()
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
	return r.flow.Continue()
}

func (r *plainRun) clientID() wizard.Work {
	for {
		l, err := r.ask("The app's client id is not published. Paste it, or the consent link AOS gives you, and press Enter:")
		if err != nil {
			return r.stop(err)
		}
		w, err := r.flow.EnterClientID(l)
		if err == nil {
			return w
		}
		r.say("%s", err.Error())
	}
}

func (r *plainRun) state(w wizard.Work) wizard.Work {
	if w == wizard.VerifyWork {
		admin := r.flow.Admin()
		r.say("Signed in as %s, tenant %s.", admin.UPN, orText(admin.TenantName, admin.TenantID))
		r.sayRoleCheck("")
		r.say("Reading the app's grants from Microsoft Graph.")
		if w = r.verify(); r.flow.Step() != wizard.State || r.flow.Done() {
			return w
		}
		if r.flow.RolesReadAgain() {
			r.sayRoleCheck("read again with the new sign-in")
		}
	}
	before := r.flow.Before()
	if r.flow.Blocked() {
		r.say("The %s app is not in your tenant. It can only be re-authorized, no longer created, so there is nothing to consent to.", r.flow.App().AppType)
		r.say("If the tenant has an active subscription, contact AvePoint support. Check again with:")
		r.sayCommand(r.flow.Command("verify"))
		r.flow.Quit()
		return wizard.NoWork
	}
	r.printResult(before)
	switch {
	case before.Status == flows.StatusComplete:
	case !r.flow.ConsentOffered():
		// Consent cannot change this state: say what will, offer none.
		r.sayBlockers(before)
		r.say("Admin consent cannot change this, so the wizard offers none. Afterwards, check with:")
		r.sayCommand(r.flow.Command("verify"))
	default:
		if n := r.flow.MayRevokeNotice(); n != "" {
			r.say("Warning: %s", n)
		}
		if _, err := r.ask("Press Enter to open the admin consent page (q quits):"); err != nil {
			return r.stop(err)
		}
	}
	return r.flow.Proceed()
}

// sayRoleCheck says the role verdict for the chosen app; how, when set, says how the
// roles were read ("read again with the new sign-in").
func (r *plainRun) sayRoleCheck(how string) {
	label := "Role check"
	if how != "" {
		label += " (" + how + ")"
	}
	if c := roleVerdict(r.flow.Admin(), r.flow.App()); c.CanGrantAll() {
		r.say("%s: %s. You can grant admin consent.", label, strings.Join(c.Roles, ", "))
	} else {
		r.say("Warning, %s: %s", strings.ToLower(label[:1])+label[1:], c.Message)
	}
}

func (r *plainRun) summary(w wizard.Work) wizard.Work {
	if w == wizard.VerifyWork {
		r.say("Verifying in Microsoft Graph.")
		if w = r.verify(); r.flow.Step() != wizard.Summary || r.flow.Done() {
			return w
		}
	}
	final, steps := r.flow.Result(), r.flow.Outcome().Steps
	if len(steps) > 1 && steps[len(steps)-2] == wizard.Consent {
		r.say("")
		r.say("Summary:")
		r.printResult(final)
		if n := r.flow.RevokedNotice(); n != "" {
			r.say("Warning: %s", n)
		}
		if note := r.flow.Note(); note != "" {
			r.say("%s", note)
		}
		if final.Status != flows.StatusComplete {
			r.sayBlockers(final)
			r.say("Grants can take a few minutes to replicate. Check later with:")
			r.sayCommand(r.flow.Command("verify"))
		}
	}
	admin := r.flow.Admin()
	r.say("Signed in as %s; tenant id %s.", admin.UPN, admin.TenantID)
	if final.Status == flows.StatusComplete {
		r.say("Next step: %s", orText(final.NextStep, flows.NextStep(r.flow.App())))
	}
	if l, err := r.ask("Save a report (Markdown and JSON)? Type y and press Enter, or just Enter to finish:"); err == nil && strings.EqualFold(l, "y") {
		r.saveReport(final)
	}
	r.flow.Finish()
	return wizard.NoWork
}

func (r *plainRun) saveReport(final *flows.Result) {
	write := r.opts.WriteReport
	if write == nil {
		write = flows.WriteReport
	}
	base := absPath(filepath.Join(r.opts.ReportDir, "d365consent-"+r.flow.App().Key+"-"+r.opts.now().UTC().Format("20060102-150405")))
	for _, ext := range []string{".md", ".json"} {
		if err := write(base+ext, final); err != nil {
			r.say("Could not save %s: %s", base+ext, err.Error())
		} else {
			r.say("Saved %s", base+ext)
		}
	}
}

func (r *plainRun) printResult(res *flows.Result) {
	r.say("%s", headline(res))
	for _, p := range res.Permissions {
		r.say("- %s %s (%s): %s", p.API, p.Permission, p.Type, flows.StatusLabel(p.Status))
	}
	for _, e := range res.Extra {
		r.say("Also granted: %s %s (%s)", e.API, e.Permission, e.Type)
	}
	for _, w := range res.Warnings {
		r.say("Warning: %s", w)
	}
}

// explainError says what failed, in plain words, and ends the run on that error.
func (r *plainRun) explainError() wizard.Work {
	err := r.flow.Err()
	if errors.Is(err, flows.ErrCancelled) || errors.Is(err, context.Canceled) {
		r.flow.Cancel()
		return wizard.NoWork
	}
	r.say("%s", r.flow.Failed())
	if e := explain.Describe(err); e != nil {
		r.sayExplanation(e)
	} else {
		r.say("%s", err.Error())
	}
	for _, l := range diagnoseLines(r.ctx, r.opts.Diagnose, err) {
		r.say("%s", l)
	}
	if r.caps.SwitchAccount != nil && r.flow.AnotherAccountHelps() {
		l, err := r.ask("Type o and press Enter to sign in as someone else, or just Enter to quit:")
		if err == nil && strings.EqualFold(l, "o") {
			return r.flow.SwitchAccount()
		}
	}
	r.flow.Quit()
	if check := r.flow.Outcome().Summary.Check; check != "" {
		r.say("Check again with:")
		r.sayCommand(check)
	}
	return wizard.NoWork
}

func (r *plainRun) sayExplanation(e *explain.Explanation) {
	r.say("%s. %s", e.Title, e.Meaning)
	r.say("What to do: %s", e.Fix)
	if d := strings.Join(strings.Fields(entraSaid(e)), " "); d != "" {
		r.say("%s said: %s", e.Source(), d)
	}
	if ids := explain.SupportIDs(e); len(ids) > 0 {
		r.say("For support:")
		for _, id := range ids {
			r.say("%s", id)
		}
	}
	if e.Link != "" {
		r.say("More:")
		r.say("%s", e.Link)
	}
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

// sayCommand prints a command line whole on its own line, and in the demo that it
// starts a fresh demo tenant.
func (r *plainRun) sayCommand(cmd string) {
	r.say("%s", cmd)
	if note := r.flow.Target().CommandNote(); note != "" {
		r.say("%s", note)
	}
}
