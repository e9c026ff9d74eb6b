package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/testkit"
)

// Terminal injection (SECURITY.md "What it shows on screen"): the hostile
// demo scenario puts escape sequences, C1 controls and bidi overrides in the tenant,
// user and app names and in an admin consent error description. Every output must
// show them inert: the printable parts ("click", "evil") may appear, nothing else.

func TestHostileScenarioIsHostile(t *testing.T) {
	// The scenario really serves the raw text: otherwise the tests below prove nothing.
	srv, err := emulator.Start(emulator.Options{Scenario: "hostile"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.Contains(srv.TenantName(), "\x1b]52;") || !strings.Contains(srv.TenantName(), "\u202e") {
		t.Fatalf("tenant name %q is not hostile", srv.TenantName())
	}
	if got := safetext.Sanitize(emulator.HostileText); got != "clickevil" {
		t.Fatalf("Sanitize(HostileText) = %q, want the printable parts only", got)
	}
}

func TestHostileTextOutputs(t *testing.T) {
	dir := t.TempDir()
	env := []string{"TERM=xterm-256color", "COLORTERM=truecolor"} // colour allowed: escapes would pass if any were kept
	for _, app := range []string{"ce", "uo"} {
		md, js := filepath.Join(dir, app+".md"), filepath.Join(dir, app+".json")
		// The hostile tenant grants CE partly (Dynamics CRM is absent) and has no UO app:
		// both incomplete, exit 3.
		code, out, errOut := runFlowsCmdEnv(t, env, "verify", "--demo", "--scenario", "hostile", "--app", app, "--report", md)
		if code != 3 {
			t.Fatalf("verify %s: exit %d, want 3\n%s%s", app, code, out, errOut)
		}
		if app == "ce" && (!strings.Contains(out, "Tenant Contoso clickevil Demo") || !strings.Contains(out, "Mail.Readclickevil")) {
			t.Errorf("verify text lacks the sanitized names:\n%s", out)
		}
		testkit.CheckInert(t, "verify "+app+" text stdout", out)
		testkit.CheckInert(t, "verify "+app+" text stderr", errOut)

		code, out, errOut = runFlowsCmdEnv(t, env, "verify", "--demo", "--scenario", "hostile", "--app", app, "--format", "json", "--report", js)
		if code != 3 {
			t.Fatalf("verify json %s: exit %d, want 3\n%s", app, code, errOut)
		}
		var r flows.Result
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("verify json is not JSON: %v\n%s", err, out)
		}
		if want := map[string]flows.Status{"ce": flows.StatusIncomplete, "uo": flows.StatusNotConsented}[app]; r.Status != want {
			t.Errorf("verify json %s: status %s, want %s", app, r.Status, want)
		}
		testkit.CheckInert(t, "verify "+app+" JSON stdout", out)
		testkit.CheckInert(t, "verify "+app+" JSON (decoded tenant)", r.Tenant.DisplayName)
		for _, e := range r.Extra {
			testkit.CheckInert(t, "verify "+app+" JSON (decoded extra grant)", e.Permission)
		}
		testkit.CheckInert(t, "verify "+app+" JSON stderr", errOut)
		for _, f := range []string{md, js} {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			testkit.CheckInert(t, f, string(data))
			if strings.HasSuffix(f, ".json") && !json.Valid(data) {
				t.Errorf("%s is not valid JSON", f)
			}
		}
	}

	code, out, errOut := runFlowsCmdEnv(t, env, "consent-url", "--demo", "--scenario", "hostile", "--app", "ce")
	if code != 0 {
		t.Fatalf("consent-url: exit %d %s", code, errOut)
	}
	testkit.CheckInert(t, "consent-url", out+errOut)

	// The emulator command's endpoint list.
	ctx, cancel := context.WithCancel(context.Background())
	outB, errB := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, newFactory(strings.NewReader(""), outB, errB, env), []string{"emulator", "--scenario", "hostile"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errB.String(), "Running until") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(outB.String(), "scenario: hostile") {
		t.Fatalf("emulator output:\n%s%s", outB.String(), errB.String())
	}
	testkit.CheckInert(t, "emulator output", outB.String()+errB.String())
}

// TestHostileWizardAccessible: the line-by-line wizard through sign-in to the state
// consent cannot fix (the tenant has no Dynamics CRM, AADSTS650052 territory), whose
// cause carries the hostile API name; no consent is offered.
func TestHostileWizardAccessible(t *testing.T) {
	out, errOut, code := runAccessibleDemo(t, nil, []string{"TERM=xterm-256color"},
		[]string{"demo", "--scenario", "hostile", "--no-browser", "--accessible"},
		[][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"in the demo browser as the signed-in account", "a"},
			{"Save a report", ""}})
	if code != 3 {
		t.Fatalf("the hostile tenant cannot be completed by consent; exit %d, want 3\n%s", code, out)
	}
	if strings.Contains(out, "open the admin consent page") || !strings.Contains(out, "The tenant needs Dynamics CRM first") {
		t.Errorf("consent offered, or the cause not named:\n%s", out)
	}
	if !strings.Contains(out+errOut, "AADSTS650052") || !strings.Contains(out, "Contoso clickevil Demo") || !strings.Contains(out, "Mail.Readclickevil") {
		t.Errorf("the wizard did not show the sanitized names and error:\n%s\n%s", out, errOut)
	}
	testkit.CheckInert(t, "accessible wizard stdout", out)
	testkit.CheckInert(t, "accessible wizard stderr", errOut)
}

// The hostile scenario's description names what carries the hostile text on the
// wizard's screens (and no consent error, which the scenario never shows); the wizard
// (line mode) shows the tenant's name and the granted scope inert.
func TestHostileScenarioShowsWhatItsDescriptionNames(t *testing.T) {
	var desc string
	for _, s := range emulator.Scenarios() {
		if s.Name == "hostile" {
			desc = s.Description
		}
	}
	want := "its name, the admin's name and a granted scope, all on the wizard's screens, carry escape sequences"
	if !strings.Contains(desc, want) || strings.Contains(desc, "error") {
		t.Fatalf("description %q does not say %q", desc, want)
	}
	out, errOut, _ := runAccessibleDemo(t, nil, []string{"TERM=xterm-256color"},
		[]string{"demo", "--scenario", "hostile", "--no-browser", "--accessible"},
		[][2]string{{"Type a number", "1"}, {"Press Enter to sign in", ""}, {"in the demo browser as the signed-in account", "a"},
			{"Save a report", ""}})
	for _, shown := range []string{"Contoso clickevil Demo", "Mail.Readclickevil"} {
		if !strings.Contains(out, shown) {
			t.Errorf("the wizard did not show %q:\n%s\n%s", shown, out, errOut)
		}
	}
}
