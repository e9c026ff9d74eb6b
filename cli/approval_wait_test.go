package cli

import (
	"context"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/ui"
	"github.com/d365consent/d365consent/internal/wizard"
)

// The status line of the wait for the approval: what it waits for, where, and how to leave.
const (
	waitingForReviewer = "Waiting for a reviewer of the admin consent workflow to approve the request (Entra admin center > Enterprise applications > Admin consent requests)"
	leaveLater         = "q leaves and prints the command to check later"
	ceCheck            = "d365consent verify --app ce --demo --scenario consent-workflow"
)

// approvalDemo is the consent-workflow demo tenant with its clock stopped, so its
// reviewer never approves by itself: the test's ApproveConsentRequest is the only
// approval. consentPages counts the consent pages the wizard showed to be opened.
type approvalDemo struct {
	a            *Factory
	out          *lockedBuffer
	tgt          wizardTarget
	opts         ui.Options
	srv          *emulator.Server
	consentPages atomic.Int32
}

func newApprovalDemo(t *testing.T, accessible bool) *approvalDemo {
	t.Helper()
	d := &approvalDemo{}
	stopped := time.Now()
	d.a, d.out, d.tgt, d.opts = demoWizardWith(t, "consent-workflow", accessible, func(a *Factory) {
		a.startEmulator = func(o emulator.Options) (*emulator.Server, error) {
			o.Now = func() time.Time { return stopped }
			srv, err := emulator.Start(o)
			d.srv = srv
			return srv, err
		}
	})
	d.opts.OnURL = func(kind, _ string) {
		if kind == "consent" {
			d.consentPages.Add(1)
		}
	}
	return d
}

// approve approves the filed request as the tenant's reviewer, once.
func (d *approvalDemo) approve(t *testing.T) {
	t.Helper()
	ce, _ := d.srv.Catalog().App("ce")
	if err := d.srv.ApproveConsentRequest(ce.ClientID); err != nil {
		t.Errorf("approving: %v", err)
	}
}

// check is what every approval walk must show: one request filed (w files none), one
// consent page shown (w opens none).
func (d *approvalDemo) check(t *testing.T, approved bool) {
	t.Helper()
	r := d.srv.ConsentRequests()
	if len(r) != 1 || r[0].Approved.IsZero() == approved {
		t.Errorf("requests %+v, want one, approved %v", r, approved)
	}
	if n := d.consentPages.Load(); n != 1 {
		t.Errorf("%d consent pages shown, want 1", n)
	}
}

// approvalKeys walks the full screen to the consent page of consent-workflow, files
// the request (a, once the wait paused for an account that cannot grant it), waits
// for the approval (w), then, on the wait's status line, presses then ("approve": the
// reviewer approves and Enter checks at once; "q": leave).
func approvalKeys(t *testing.T, d *approvalDemo, then string) func(step, text string) string {
	approved := false
	return func(step, text string) string {
		if step != "consent" {
			return obvious(step, text)
		}
		switch {
		case strings.Contains(text, "approve in the demo browser") && strings.Contains(text, "What to do:"):
			return "a"
		case strings.Contains(text, "w wait for the approval"):
			return "w"
		case strings.Contains(text, "Waiting for a reviewer of the admin consent workflow"): // the line wraps after
			if then != "approve" {
				return then
			}
			if !approved {
				approved = true
				d.approve(t)
			}
			return "enter"
		}
		return ""
	}
}

// w on the filed request waits for the reviewer's approval without opening the consent
// page again or filing another request; once the approval is in Graph the summary says
// all granted and Enter exits 0.
func TestApprovalWaitFullScreenReachesAllGranted(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the consent-workflow demo tenant")
	}
	d := newApprovalDemo(t, false)
	a, out, tgt, o, shown := driveModel(t, d.a, d.out, d.tgt, d.opts, approvalKeys(t, d, "approve"))
	code := exitCode(a.wizardOutcome(o, tgt))
	steps := o.Steps
	if code != exitOK || o.Result == nil || o.Result.Status != flows.StatusComplete || steps[len(steps)-1] != wizard.Summary || steps[len(steps)-2] != wizard.Consent {
		t.Fatalf("exit %d steps %v err %v\nlast screens:\n%s", code, steps, o.Err, tail(shown, 3000))
	}
	flat := strings.Join(strings.Fields(shown), " ") // the status line wraps
	for _, s := range []string{"An approval request was filed", waitingForReviewer, "· waited 0:0", leaveLater, "All 3 permissions are granted"} {
		if !strings.Contains(flat, s) {
			t.Errorf("never showed %q", s)
		}
	}
	d.check(t, true)
	_ = out
}

// q while waiting for the approval ends incomplete (exit 3) and leaves on the normal
// screen the request's state, the consent link and the command that checks later.
func TestApprovalWaitFullScreenQuitKeepsLinkAndCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the consent-workflow demo tenant")
	}
	d := newApprovalDemo(t, false)
	a, out, tgt, o, shown := driveModel(t, d.a, d.out, d.tgt, d.opts, approvalKeys(t, d, "q"))
	code := exitCode(a.wizardOutcome(o, tgt))
	lines := strings.Split(out.String(), "\n")
	if code != exitIncomplete || !strings.Contains(shown, "Waiting for a reviewer") {
		t.Fatalf("exit %d err %v, want 3 after waiting\nlast screens:\n%s", code, o.Err, tail(shown, 3000))
	}
	for _, l := range []string{flows.ApprovalRequested(nil).Cause, "Check again with:", ceCheck} {
		if !hasLine(lines, l) {
			t.Errorf("no line %q in:\n%s", l, out.String())
		}
	}
	if !hasPrefix(lines, d.srv.PagesURL()) || !strings.Contains(out.String(), "/adminconsent?client_id=") {
		t.Errorf("no consent link on a line of its own:\n%s", out.String())
	}
	d.check(t, false)
}

// lineAnswer is a line-mode prompt, the admin's answer, and what happens first.
type lineAnswer struct {
	prompt, answer string
	do             func()
}

// answerDo types each prompt's answer once the prompt is on screen (as answer), after
// running its do.
func answerDo(ctx context.Context, out *lockedBuffer, steps []lineAnswer) io.Reader {
	r, w := io.Pipe()
	go func() {
		defer w.Close()
		seen := 0
		for ctx.Err() == nil {
			text := out.String()[seen:]
			at, end := -1, 0
			var st lineAnswer
			for _, s := range steps {
				if i := strings.Index(text, s.prompt); i >= 0 && (at < 0 || i < at) {
					at, end, st = i, i+len(s.prompt), s
				}
			}
			if at < 0 {
				time.Sleep(5 * time.Millisecond) // polls the output; the bound is ctx
				continue
			}
			seen += end
			if st.do != nil {
				st.do()
			}
			if _, err := io.WriteString(w, st.answer+"\n"); err != nil {
				return
			}
		}
	}()
	return r
}

// Line mode offers the same choice: a typed w waits for the approval (Enter checks at
// once and says how long it waited), then the summary; a typed q leaves incomplete with
// the link and the command that checks later.
func TestApprovalWaitLineMode(t *testing.T) {
	if testing.Short() {
		t.Skip("walks the consent-workflow demo tenant")
	}
	for _, then := range []string{"approve", "q"} {
		t.Run(then, func(t *testing.T) {
			d := newApprovalDemo(t, true)
			waiting := lineAnswer{prompt: waitingForReviewer, answer: "q"}
			if then == "approve" {
				waiting = lineAnswer{prompt: waitingForReviewer, answer: "", do: func() { d.approve(t) }}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			in := answerDo(ctx, d.out, []lineAnswer{
				{prompt: "Type a number from 1 to", answer: "1"}, {prompt: "Press Enter to sign in"},
				{prompt: "Demo: type a and press Enter", answer: "a"}, {prompt: "Press Enter to open the admin consent page"},
				{prompt: "Type w to wait here for the approval", answer: "w"}, waiting, {prompt: "Save a report"},
			})
			o, err := ui.RunAccessible(ctx, d.opts, in, d.out)
			if err != nil || ctx.Err() != nil {
				t.Fatalf("line mode: %v %v\n%s", err, ctx.Err(), d.out.String())
			}
			code := exitCode(d.a.wizardOutcome(o, d.tgt))
			text := d.out.String()
			lines := strings.Split(text, "\n")
			if then == "approve" {
				if code != exitOK || o.Result == nil || o.Result.Status != flows.StatusComplete || !strings.Contains(text, "Waited 0:0") || !strings.Contains(text, "All 3 permissions are granted") {
					t.Fatalf("exit %d err %v:\n%s", code, o.Err, text)
				}
				d.check(t, true)
				return
			}
			if code != exitIncomplete {
				t.Fatalf("exit %d err %v, want 3:\n%s", code, o.Err, text)
			}
			for _, l := range []string{flows.ApprovalRequested(nil).Cause, "Check again with:", ceCheck} {
				if !hasLine(lines, l) {
					t.Errorf("no line %q in:\n%s", l, text)
				}
			}
			// The link, whole on its own line, again after q (besides where the wait began).
			after := text[strings.LastIndex(text, waitingForReviewer):]
			if !hasPrefix(strings.Split(after, "\n"), d.srv.PagesURL()) {
				t.Errorf("no consent link after q:\n%s", after)
			}
			d.check(t, false)
		})
	}
}
