package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/ui"
)

// roleCheckRun is what a run showed of the role check: the state screen (or line
// mode's transcript) once the grants were read, whether the sign-in that asks for
// permission to read them said so, and how the run ended.
type roleCheckRun struct {
	state, all string
	code       int
}

// fullScreenRoleCheck runs scenario (the sign-in app set first, "" = the default)
// through the full screen: CE, Enter and a through each step; when the consent must
// pause, it waits for the pause and quits there (q, then y when asked).
func fullScreenRoleCheck(t *testing.T, scenario, signInApp string, pauses bool) roleCheckRun {
	t.Helper()
	a, out, tgt, opts := demoWizardWith(t, scenario, false, func(f *Factory) { f.opts.SignInClientID = signInApp })
	var run roleCheckRun
	_, _, _, o, shown := driveModel(t, a, out, tgt, opts, func(step, text string) string {
		switch {
		case step == "choose":
			return "1enter"
		case step == "current-state" && strings.Contains(text, "Enter opens the admin consent page"):
			run.state = text
		case step == "consent" && strings.Contains(text, "Quit anyway?"):
			return "y"
		case step == "consent" && strings.Contains(text, "wait for another admin"):
			return "q" // paused: this account cannot grant it
		case step == "consent" && pauses:
			return "" // the pause comes before the consent page is answered
		}
		return fullScreenKey(step, text)
	})
	run.all, run.code = shown, exitCode(a.wizardOutcome(o, tgt))
	return run
}

// lineModeRoleCheck is fullScreenRoleCheck in line mode: when the consent must
// pause, the consent page is not answered (Enter checks now) and q quits the pause.
func lineModeRoleCheck(t *testing.T, scenario, signInApp string, pauses bool) roleCheckRun {
	t.Helper()
	a, out, tgt, opts := demoWizardWith(t, scenario, true, func(f *Factory) { f.opts.SignInClientID = signInApp })
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	prompts := linePrompts("1")
	if pauses {
		// The consent wait's own "Demo: type a" comes right under its check-now line:
		// matched together, it is answered with Enter, never a.
		prompts = append([][2]string{
			{"Press Enter to check now; q quits.\nDemo: type a and press Enter", ""},
			{"Type w and press Enter to wait here for another admin's consent", "q"},
		}, prompts...)
	}
	o, err := ui.RunAccessible(ctx, opts, answer(ctx, out, prompts), out)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("line mode: %v %v\n%s", err, ctx.Err(), out.String())
	}
	all := out.String()
	state, _, _ := strings.Cut(all, "Press Enter to open the admin consent page")
	return roleCheckRun{state: state, all: all, code: exitCode(a.wizardOutcome(o, tgt))}
}

// The first use of the tool in a tenant: the sign-in asks only User.Read, which
// reads directory roles without their details (graph/api/user-list-memberof,
// "limited information"); reading the grants asks one more sign-in, which says that
// is why, and the roles are read again with it: the role check names Global
// Administrator, in both renderers.
func TestRoleCheckReadAgainAfterFirstUseSignIn(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a scenario twice against the demo tenant")
	}
	const header = "One more sign-in: your sign-in app needs permission to read the app's grants."
	full := fullScreenRoleCheck(t, "first-use", "", false)
	flat := strings.Join(strings.Fields(full.state), " ")
	if !strings.Contains(flat, "is Global Administrator: can grant every permission of the app.") || strings.Contains(flat, "Could not read your directory roles") {
		t.Errorf("full screen: the state's role check is not read again:\n%s", full.state)
	}
	if all := strings.Join(strings.Fields(full.all), " "); !strings.Contains(all, header) || strings.Contains(all, "the session needs a new sign-in") {
		t.Errorf("full screen: the second sign-in does not say it is for reading the grants")
	}
	line := lineModeRoleCheck(t, "first-use", "", false)
	if !strings.Contains(line.state, "Warning, role check: Could not read your directory roles") ||
		!strings.Contains(line.state, "Role check (read again with the new sign-in): Global Administrator. You can grant admin consent.") {
		t.Errorf("line mode: the role check is not said again once read:\n%s", line.state)
	}
	if !strings.Contains(line.all, header) || strings.Contains(line.all, "the session needs a new sign-in") {
		t.Errorf("line mode: the second sign-in does not say it is for reading the grants:\n%s", line.all)
	}
	if full.code != exitOK || line.code != exitOK {
		t.Errorf("exit %d (full screen), %d (line mode), want %d", full.code, line.code, exitOK)
	}
}

// A Cloud Application Administrator using their own sign-in app for the first time
// may consent to its Directory.Read.All for themselves, so the second sign-in goes
// through; the roles read with it say this account cannot grant Microsoft Graph
// application permissions, and the consent screen pauses before the page is
// answered, as it does when the roles were read at sign-in.
func TestRoleCheckReadAgainPausesTheConsent(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a scenario twice against the demo tenant")
	}
	const ownApp = "0f0e0d0c-1111-2222-3333-444455556666"
	full := fullScreenRoleCheck(t, "cloud-app-admin", ownApp, true)
	if flat := strings.Join(strings.Fields(full.state), " "); !strings.Contains(flat, "is Cloud Application Administrator") || strings.Contains(flat, "Could not read your directory roles") {
		t.Errorf("full screen: the state's role check is not read again:\n%s", full.state)
	}
	if !strings.Contains(full.all, "wait for another admin") || full.code != exitIncomplete {
		t.Errorf("full screen: exit %d; the consent did not pause", full.code)
	}
	line := lineModeRoleCheck(t, "cloud-app-admin", ownApp, true)
	if !strings.Contains(line.state, "Warning, role check (read again with the new sign-in): admin@") ||
		!strings.Contains(line.state, "is Cloud Application Administrator") {
		t.Errorf("line mode: the role check is not said again once read:\n%s", line.state)
	}
	if !strings.Contains(line.all, "The wait is paused.") || line.code != exitIncomplete {
		t.Errorf("line mode: exit %d; the consent did not pause:\n%s", line.code, line.all)
	}
}

// A PIM-eligible Global Administrator (Global Reader active) using the tool for the
// first time: the one more sign-in, for permission to read the grants, says so, and
// Entra ID refuses it (Directory.Read.All needs an active administrator role), so the
// roles stay unread and the run ends on that refusal (AADSTS90094), explained as the
// sign-in app's, in both renderers.
func TestRoleCheckPIMFirstUseEndsOnTheSignInAppRefusal(t *testing.T) {
	if testing.Short() {
		t.Skip("walks a scenario twice against the demo tenant")
	}
	const header = "One more sign-in: your sign-in app needs permission to read the app's grants."
	full := fullScreenRoleCheck(t, "pim-first-use", "", false)
	flat := strings.Join(strings.Fields(full.all), " ")
	if !strings.Contains(flat, header) || strings.Contains(flat, "the session needs a new sign-in") {
		t.Errorf("full screen: the second sign-in does not say it is for reading the grants")
	}
	line := lineModeRoleCheck(t, "pim-first-use", "", false)
	if !strings.Contains(line.all, header) || strings.Contains(line.all, "the session needs a new sign-in") {
		t.Errorf("line mode: the second sign-in does not say it is for reading the grants:\n%s", line.all)
	}
	for name, r := range map[string]roleCheckRun{"full screen": full, "line mode": line} {
		all := strings.Join(strings.Fields(r.all), " ")
		if r.code != exitRefused || !strings.Contains(all, "AADSTS90094") || !strings.Contains(all, "The sign-in app needs an administrator's consent") ||
			strings.Contains(all, "Role check (read again") {
			t.Errorf("%s: exit %d, want %d on the sign-in app's refusal:\n%s", name, r.code, exitRefused, r.all)
		}
	}
}
