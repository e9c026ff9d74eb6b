package cli

// What the commands print, in-process against the demo tenant: next steps that name
// the cause, reports, formats, help examples, the wizard's terminal check.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/termcaps"
)

// TestVerifyNextStepNamesTheCause: for what consent cannot fix, verify names the
// cause and its fix, never "grant admin consent"; UO says re-authorize.
func TestVerifyNextStepNamesTheCause(t *testing.T) {
	for _, tc := range []struct {
		scenario, app string
		want, not     []string
	}{
		{"disabled", "ce", []string{"is disabled", "Enabled for users to sign-in", "d365consent verify --demo --scenario disabled --app ce"},
			[]string{"Grant admin consent", "consent-url"}},
		{"no-dynamics", "ce", []string{"has no service principal in this tenant", "AADSTS650052", "The tenant needs Dynamics CRM first"},
			[]string{"Grant admin consent", "consent-url"}},
		{"no-dynamics", "uo", []string{"The tenant needs Dynamics ERP first"}, []string{"Grant admin consent", "consent-url"}},
		{"reauth", "uo", []string{"Re-authorize the app", "d365consent demo --scenario reauth", "starts a fresh demo tenant"},
			[]string{"Grant admin consent", "create"}},
		{"partial", "ce", []string{"Grant admin consent", "d365consent demo --scenario partial"}, []string{"consent-url"}},
	} {
		t.Run(tc.scenario+"/"+tc.app, func(t *testing.T) {
			code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", tc.scenario, "--app", tc.app)
			if code != 3 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("says %q:\n%s", n, out)
				}
			}
		})
	}
}

// TestVerifyUOCompleteSaysReauthorize: UO's next step never says "create".
func TestVerifyUOCompleteSaysReauthorize(t *testing.T) {
	code, out, _ := runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--app", "uo")
	if code != 0 || !strings.Contains(out, "Next step: Re-authorize") || strings.Contains(out, "Create") {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestVerifyMarkdown: --format markdown prints the Markdown report, with no HTML
// entities ("AOS > Management", never "&gt;").
func TestVerifyMarkdown(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--app", "ce", "--format", "markdown")
	if code != 0 || !strings.HasPrefix(out, "# Admin consent check:") || !strings.Contains(out, "AOS > Management") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "&gt;") || strings.Contains(out, "&lt;") {
		t.Errorf("HTML entities in Markdown:\n%s", out)
	}
}

// TestVerifyReportCheckedFirst: a report in a directory that does not exist is exit 2
// before anything starts (no demo tenant, no sign-in); a good one is printed absolute.
func TestVerifyReportCheckedFirst(t *testing.T) {
	started := 0
	count := func(f *Factory) {
		start := f.startEmulator
		f.startEmulator = func(o emulator.Options) (*emulator.Server, error) { started++; return start(o) }
	}
	env := []string{"NO_COLOR=1", "TERM=dumb"}
	code, _, errOut := runFlowsCmdWith(t, count, env, "verify", "--demo", "--app", "ce", "--report", filepath.Join(t.TempDir(), "nope", "r.md"))
	if code != 2 || started != 0 || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("exit %d, %d demo tenants started: %s", code, started, errOut)
	}
	code, _, _ = runFlowsCmdWith(t, count, env, "verify", "--demo", "--app", "ce", "--report", t.TempDir())
	if code != 2 || started != 0 {
		t.Fatalf("a directory as report: exit %d, %d demo tenants started", code, started)
	}
	dir := t.TempDir()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.Chdir(wd) }()
	code, out, _ := runFlowsCmd(t, "verify", "--demo", "--scenario", "consented", "--app", "ce", "--report", "r.md")
	if code != 0 || !strings.Contains(out, "Report saved to "+filepath.Join(dir, "r.md")) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// TestPermissionsFormatText: text is an alias of table.
func TestPermissionsFormatText(t *testing.T) {
	c1, text, _ := runFlowsCmd(t, "permissions", "--format", "text")
	c2, table, _ := runFlowsCmd(t, "permissions", "--format", "table")
	if c1 != 0 || c2 != 0 || text != table {
		t.Fatalf("exit %d/%d, text == table: %v", c1, c2, text == table)
	}
}

// TestConsentURLDemoSaysSo: consent-url --demo says its link dies with the command.
func TestConsentURLDemoSaysSo(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "consent-url", "--demo")
	if code != 0 || !strings.Contains(out, "/adminconsent?") || !strings.Contains(errOut, "stops when this command ends") ||
		!strings.Contains(errOut, "d365consent demo") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestHelpExamplesCarryClientID: the consent-url and verify examples that name a real
// tenant carry a client id (AvePoint's is not in the catalog, so without one they
// exit 2). The e2e collector runs every example; this pins the reason here.
func TestHelpExamplesCarryClientID(t *testing.T) {
	for _, cmd := range [][]string{{"--help"}, {"consent-url", "--help"}, {"verify", "--help"}} {
		_, out, _ := runFlowsCmd(t, cmd...)
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimSpace(l)
			if (strings.HasPrefix(l, "d365consent consent-url") || strings.HasPrefix(l, "d365consent verify")) &&
				!strings.Contains(l, "--demo") && !strings.Contains(l, "--client-id") && !strings.Contains(l, "[flags]") &&
				!strings.Contains(l, "--signin-client ") { // the sign-in app's link needs no AvePoint client id
				t.Errorf("%v: example without --client-id: %q", cmd, l)
			}
		}
	}
}

// TestWizardNeedsTerminalMessage: the message names no command that would exit 2.
func TestWizardNeedsTerminalMessage(t *testing.T) {
	code, _, errOut := runFlowsCmd(t, "demo")
	if code != 2 || strings.Contains(errOut, "'d365consent verify'") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestQRSameAsWizard: consent-url --qr draws with termcaps.QRCode, as the wizard does:
// the same modules and, on a terminal, the same black-on-white colours.
func TestQRSameAsWizard(t *testing.T) {
	env := []string{"TERM=xterm-256color", "LANG=en_US.UTF-8"}
	u := "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=" + exampleClientID + "&state=x"
	for _, tty := range []bool{false, true} {
		got, _, err := drawQR(u, env, tty, tty, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := termcaps.QRCode(u, termcaps.Unicode, termcaps.QRStyle{Color: tty, DarkBackground: tty})
		if got != strings.Join(want, "\n")+"\n" {
			t.Errorf("tty %v: consent-url's QR differs from termcaps.QRCode's", tty)
		}
		if tty && !strings.Contains(got, "\x1b[30;107m") {
			t.Errorf("on a terminal the QR is not black on white")
		}
	}
}

// TestFreshScenarioDescribed: the fresh scenario's description is a whole sentence
// (it used to end "…so it cannot be").
func TestFreshScenarioDescribed(t *testing.T) {
	for _, s := range emulator.Scenarios() {
		if s.Name == "fresh" && (strings.HasSuffix(s.Description, "cannot be") || !strings.Contains(s.Description, "re-authorized")) {
			t.Errorf("fresh: %q", s.Description)
		}
	}
}
