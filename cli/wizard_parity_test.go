package cli

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/ui"
	"github.com/d365consent/d365consent/internal/wizard"
)

// walk is what one run of the wizard showed: the steps the flow entered, how it
// ended, the exit code and every d365consent command line it printed.
type walk struct {
	steps    []wizard.Step
	status   flows.Status // of the last verification, "" when none
	code     int
	commands []string
	// mayRevoke, revoked: the wizard said which tenant-wide grants consent may revoke
	// (before it) and which it revoked (after it).
	mayRevoke, revoked bool
	// refusal is the AADSTS code of the error the run ended on (0: none or no code), and
	// supportIDs whether its correlation and trace ids were printed.
	refusal    int
	supportIDs bool
}

// TestWizardParityAcrossRenderers walks every demo scenario through line mode and the
// full screen, with the real emulator and MSAL sign-in, the admin taking the obvious
// path (CE, Enter through each step, q where the wizard can go no further), and
// requires the same steps, outcome, exit code and printed commands from both.
func TestWizardParityAcrossRenderers(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every scenario twice against the demo tenant")
	}
	for _, sc := range emulator.Scenarios() {
		for _, app := range []string{"1", "2"} { // CE, UO
			t.Run(sc.Name+"/"+app, func(t *testing.T) {
				t.Parallel()
				walkBoth(t, sc.Name, app)
			})
		}
	}
}

func walkBoth(t *testing.T, scenario, app string) {
	line := walkLineMode(t, scenario, app)
	full := walkFullScreen(t, scenario, app)
	if !reflect.DeepEqual(line, full) {
		t.Errorf("the renderers differ:\nline mode   %+v\nfull screen %+v", line, full)
	}
	t.Logf("%+v", line)
	if len(line.steps) < 4 || line.steps[0] != wizard.Choose || line.code == 0 && line.status != flows.StatusComplete {
		t.Errorf("implausible walk: %+v", line)
	}
}

// demoWizard starts the scenario's demo tenant on a desktop, no browser opened (each
// page is answered with a, through the demo browser), and returns the wizard's options
// and target as the demo command builds them.
func demoWizard(t *testing.T, scenario string, accessible bool) (*Factory, *lockedBuffer, wizardTarget, ui.Options) {
	t.Helper()
	return demoWizardWith(t, scenario, accessible, nil)
}

// demoWizardWith is demoWizard with setup applied to the Factory first (a test's own
// emulator start, for instance).
func demoWizardWith(t *testing.T, scenario string, accessible bool, setup func(*Factory)) (*Factory, *lockedBuffer, wizardTarget, ui.Options) {
	t.Helper()
	return demoWizardOn(t, desktop(), scenario, accessible, setup)
}

// demoWizardOn is demoWizardWith on machine mc: the demo signs in and shows pages as
// the real wizard would there (Factory.demoWizardConfig).
func demoWizardOn(t *testing.T, mc machine, scenario string, accessible bool, setup func(*Factory)) (*Factory, *lockedBuffer, wizardTarget, ui.Options) {
	t.Helper()
	out := &lockedBuffer{}
	a := mc.factory(strings.NewReader(""), out)
	a.opts.Accessible = accessible
	a.opts.NoBrowser = true // as demo --no-browser: the admin answers each page with a
	if setup != nil {
		setup(a)
	}
	env, err := startDemo(context.Background(), a, scenario)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	tgt := wizardTarget{cfg: a.demoWizardConfig(env), catalog: env.Catalog, approver: &demoApprover{env}, demo: true, scenario: scenario}
	sess, err := flows.NewSession(tgt.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, out, tgt, a.wizardOptions(tgt, sess)
}

func (a *Factory) finish(o ui.Outcome, out *lockedBuffer, t wizardTarget, shown string) walk {
	w := walk{steps: o.Steps, code: exitCode(a.wizardOutcome(o, t))}
	if o.Result != nil {
		w.status = o.Result.Status
	}
	if x := explain.Explain(o.Err); x != nil {
		w.refusal = x.Code
	}
	all := shown + "\n" + out.String()
	w.supportIDs = strings.Contains(all, "Correlation id: ") && strings.Contains(all, "Trace id: ")
	w.mayRevoke = strings.Contains(all, "Granting admin consent may revoke")
	w.revoked = strings.Contains(all, "Consent removed grants")
	for _, l := range strings.Split(all, "\n") {
		if l = strings.TrimSpace(l); commandLine.MatchString(l) && !slices.Contains(w.commands, l) {
			w.commands = append(w.commands, l)
		}
	}
	slices.Sort(w.commands)
	return w
}

// deviceCodeLine is a line that gives a device code to enter.
var deviceCodeLine = regexp.MustCompile(`enter the code \S`)

// commandLine is a d365consent command line the wizard printed.
var commandLine = regexp.MustCompile(`^d365consent [a-z][a-z-]* --`)

// linePrompts are line mode's questions and the admin's answers for app ("1" CE, "2"
// UO): Enter through each step, a on each browser page.
func linePrompts(app string) [][2]string {
	return [][2]string{
		{"Type a number from 1 to", app},
		{"Press Enter to sign in", ""},
		{"Demo: type a and press Enter", "a"},
		{"Press Enter to open the admin consent page", ""},
		{"Save a report", ""},
		{"to sign in as someone else, or just Enter to quit", ""},
		// The admin consent workflow filed a request: wait for its reviewer.
		{"Type w to wait here for the approval", "w"},
	}
}

func walkLineMode(t *testing.T, scenario, app string) walk {
	a, out, tgt, opts := demoWizard(t, scenario, true)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	in := answer(ctx, out, linePrompts(app))
	o, err := ui.RunAccessible(ctx, opts, in, out)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("line mode: %v %v\n%s", err, ctx.Err(), out.String())
	}
	return a.finish(o, out, tgt, "")
}

// answer types each prompt's answer once the prompt is on screen, in whatever order
// the prompts come; the input ends with ctx.
func answer(ctx context.Context, out *lockedBuffer, prompts [][2]string) io.Reader {
	r, w := io.Pipe()
	go func() {
		defer w.Close()
		seen := 0
		for ctx.Err() == nil {
			text := out.String()[seen:]
			at, end, ans := -1, 0, ""
			for _, p := range prompts {
				if i := strings.Index(text, p[0]); i >= 0 && (at < 0 || i < at) {
					at, end, ans = i, i+len(p[0]), p[1]
				}
			}
			if at < 0 {
				time.Sleep(5 * time.Millisecond) // polls the output; the bound is ctx
				continue
			}
			seen += end
			if _, err := io.WriteString(w, ans+"\n"); err != nil {
				return
			}
		}
	}()
	return r
}

// screen is the full-screen model under teatest, its step and text readable while the
// program runs.
type screen struct {
	*ui.Model
	mu    *sync.Mutex
	state *screenState
}

type screenState struct {
	step    string
	entries int
	text    string
	shown   strings.Builder // every frame's text, for the commands printed
}

func (s screen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := s.Model.Update(msg)
	text := s.Model.Text()
	s.mu.Lock()
	s.state.step, s.state.entries, s.state.text = s.Model.Step(), len(s.Model.Outcome().Steps), text
	s.state.shown.WriteString(text + "\n")
	s.mu.Unlock()
	return s, cmd
}

// fullScreenKey is the admin's key on a screen, "" to wait: the same answers as
// linePrompts.
func fullScreenKey(step, text string) string {
	if strings.Contains(text, "Sign in again:") || strings.Contains(text, "One more sign-in:") {
		return "a"
	}
	switch step {
	case "choose", "review":
		return "enter"
	case "current-state":
		switch {
		case strings.Contains(text, "Enter opens the admin consent page"), strings.Contains(text, "Enter shows the summary"):
			return "enter"
		case strings.Contains(text, "offers no consent link"):
			return "q"
		}
	case "sign-in", "consent":
		if strings.Contains(text, "approve in the demo browser") { // the page's URL is on screen
			return "a"
		}
		if strings.Contains(text, "w wait for the approval") { // the page filed a request
			return "w"
		}
	case "summary":
		if strings.Contains(text, "enter finish") {
			return "enter"
		}
	case "error":
		return "q"
	}
	return ""
}

func walkFullScreen(t *testing.T, scenario, app string) walk {
	w, _ := walkFullScreenOn(t, desktop(), 120, 60, scenario, app)
	return w
}

// walkFullScreenOn walks the full-screen wizard on machine mc in a width×height window,
// the admin taking the obvious path; it returns the walk and every frame's text.
func walkFullScreenOn(t *testing.T, mc machine, width, height int, scenario, app string) (walk, string) {
	a, out, tgt, o, shown := driveFullScreenOn(t, mc, width, height, scenario, func(step, text string) string {
		if step == "choose" {
			return app + "enter" // the app's number moves the cursor to it
		}
		return fullScreenKey(step, text)
	})
	return a.finish(o, out, tgt, shown), shown
}

// driveFullScreen runs the full-screen wizard on the scenario's demo tenant on a
// desktop in a 120×60 window, pressing the keys keyFor gives for each screen ("" waits;
// "1enter" is 1, then Enter) once per step entry, browser page and key, until the
// program ends. It returns the outcome and every frame's text.
func driveFullScreen(t *testing.T, scenario string, keyFor func(step, text string) string) (*Factory, *lockedBuffer, wizardTarget, ui.Outcome, string) {
	return driveFullScreenOn(t, desktop(), 120, 60, scenario, keyFor)
}

// driveFullScreenOn is driveFullScreen on machine mc in a width×height window.
func driveFullScreenOn(t *testing.T, mc machine, width, height int, scenario string, keyFor func(step, text string) string) (*Factory, *lockedBuffer, wizardTarget, ui.Outcome, string) {
	a, out, tgt, opts := demoWizardOn(t, mc, scenario, false, nil)
	return driveModelIn(t, width, height, a, out, tgt, opts, keyFor)
}

// driveModel is driveFullScreen with the demo wizard already built.
func driveModel(t *testing.T, a *Factory, out *lockedBuffer, tgt wizardTarget, opts ui.Options, keyFor func(step, text string) string) (*Factory, *lockedBuffer, wizardTarget, ui.Outcome, string) {
	return driveModelIn(t, 120, 60, a, out, tgt, opts, keyFor)
}

// driveModelIn is driveModel in a width×height window.
func driveModelIn(t *testing.T, width, height int, a *Factory, out *lockedBuffer, tgt wizardTarget, opts ui.Options, keyFor func(step, text string) string) (*Factory, *lockedBuffer, wizardTarget, ui.Outcome, string) {
	m := ui.New(context.Background(), opts)
	t.Cleanup(m.Close)
	s := screen{Model: m, mu: &sync.Mutex{}, state: &screenState{}}
	tm := teatest.NewTestModel(t, s, teatest.WithInitialTermSize(width, height),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii), tea.WithEnvironment([]string{"TERM=xterm-256color"})))
	done := make(chan struct{})
	go func() {
		defer close(done)
		tm.WaitFinished(t, teatest.WithFinalTimeout(90*time.Second))
	}()
	pressed := map[string]bool{}
	for {
		select {
		case <-done:
			s.mu.Lock()
			shown := s.state.shown.String()
			s.mu.Unlock()
			return a, out, tgt, m.Outcome(), shown
		case <-time.After(5 * time.Millisecond): // polls the screen; the bound is WaitFinished's
		}
		s.mu.Lock()
		step, entries, text := s.state.step, s.state.entries, s.state.text
		s.mu.Unlock()
		// Once per step entry, key and browser page: a new sign-in prompt has a new URL.
		k := keyFor(step, text)
		id := fmt.Sprint(entries, k, firstURL(text))
		if k != "" && !pressed[id] {
			pressed[id] = true
			if len(k) > 1 && k != "enter" && k != "esc" && k != "ctrl+c" { // "1enter"
				tm.Send(testkit.Key(k[:1]))
				k = k[1:]
			}
			tm.Send(testkit.Key(k))
		}
	}
}

// firstURL is the first line of text that starts a URL or gives a device code, ""
// when none: a new sign-in page or code is a new line.
func firstURL(text string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "http") || deviceCodeLine.MatchString(l) {
			return l
		}
	}
	return ""
}

// TestWizardNamesRevokedGrants: CE in messy-grants holds user_impersonation on Dynamics
// ERP tenant-wide, beyond what it requests; admin consent replaces that grant. Both
// renderers say before consent that it may go and after consent that it went.
func TestWizardNamesRevokedGrants(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a scenario twice against the demo tenant")
	}
	for name, w := range map[string]walk{"line mode": walkLineMode(t, "messy-grants", "1"), "full screen": walkFullScreen(t, "messy-grants", "1")} {
		if !w.mayRevoke || !w.revoked {
			t.Errorf("%s: said it may revoke %v, said it revoked %v: %+v", name, w.mayRevoke, w.revoked, w)
		}
	}
}
