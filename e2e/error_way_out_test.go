package e2e

// Errors that say the truth and leave a way out, on the built binary: verify's exit
// code and JSON document for a check that could not be made, another account offered
// where it is the fix, wait lines that say what they wait for, a pasted address that
// is not taken as proof, and error screens that agree with themselves. The wizard runs
// in tmux, driven by what the screen shows.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

func TestVerifyFailureExitCodeAndJSONDocument(t *testing.T) {
	port := closedPort(t)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		status string
		title  string
	}{
		{"Microsoft Graph refuses the read (403)", []string{"--demo", "--scenario", "restricted-reader"}, 4, "forbidden", "Microsoft Graph refused to show this to your account"},
		{"sign-in refused", []string{"--demo", "--scenario", "ca-blocked"}, 4, "refused", "Blocked by Conditional Access"},
		{"network: nothing listens at the authority", []string{"--tenant", "contoso.onmicrosoft.com", "--client-id", "11111111-2222-3333-4444-555555555555",
			"--authority-host", fmt.Sprintf("https://127.0.0.1:%d", port), "--no-browser", "--timeout", "30s"}, 1, "error", "Connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, format := range []string{"text", "json"} {
				cmd := exec.Command(bin, append([]string{"verify", "--app", "ce", "--format", format}, tc.args...)...)
				cmd.Dir = t.TempDir()
				cmd.Env = append(os.Environ(), "NO_COLOR=1", "TERM=dumb")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				_ = cmd.Run()
				if code := cmd.ProcessState.ExitCode(); code != tc.code {
					t.Errorf("--format %s: exit %d, want %d\nstderr: %s", format, code, tc.code, stderr.String())
				}
				if format != "json" {
					continue
				}
				var doc struct {
					Schema string `json:"schema"`
					Status string `json:"status"`
					App    struct {
						Key string `json:"key"`
					} `json:"app"`
					Error *struct {
						Message string `json:"message"`
						Title   string `json:"title"`
						Meaning string `json:"meaning"`
						Fix     string `json:"fix"`
					} `json:"error"`
				}
				if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil {
					t.Fatalf("stdout is not one JSON document: %v\nstdout: %q\nstderr: %s", err, stdout.String(), stderr.String())
				}
				if doc.Schema != "d365consent.verify/v1" || doc.App.Key != "ce" || doc.Status != tc.status {
					t.Errorf("document schema %q app %q status %q, want d365consent.verify/v1, ce, %q", doc.Schema, doc.App.Key, doc.Status, tc.status)
				}
				if doc.Error == nil || doc.Error.Title != tc.title || doc.Error.Meaning == "" || doc.Error.Fix == "" || doc.Error.Message == "" {
					t.Errorf("the document does not explain the failure (want title %q): %+v", tc.title, doc.Error)
				}
			}
		})
	}
}

func TestRestrictedReaderSignsInAsSomeoneElse(t *testing.T) {
	urls := filepath.Join(t.TempDir(), "urls")
	// On a desktop: o starts a browser sign-in that asks which account.
	tt := tmuxSize(t, 100, 30, fmt.Sprintf("%s%s demo --scenario restricted-reader --no-browser --url-file %s", desktopEnv(t), bin, urls))
	signInToState(tt)
	refused := tt.waitFor("Something went wrong", "Microsoft Graph refused to show this to your account")
	if !strings.Contains(refused, "o sign in as someone else") {
		t.Errorf("the 403 screen does not offer another account:\n%s", refused)
	}
	tt.keys("o")
	tt.waitFor("3/6 Sign in", "approve in the demo browser")
	var signIns []string
	data, _ := os.ReadFile(urls)
	for _, l := range strings.Split(string(data), "\n") {
		if u, ok := strings.CutPrefix(l, "signin "); ok {
			signIns = append(signIns, u)
		}
	}
	if len(signIns) != 2 || !strings.Contains(signIns[1], "prompt=select_account") {
		t.Errorf("o did not start a sign-in that asks which account (sign-in URLs %q)", signIns)
	}
	tt.keys("q")
	tt.exited(130)
}

func TestSecondSignInStatusSaysWhatItWaitsFor(t *testing.T) {
	// On a desktop: the second sign-in is a browser page.
	tt := tmuxSize(t, 100, 40, fmt.Sprintf("%s%s demo --scenario mfa-required --no-browser", desktopEnv(t), bin))
	signInToState(tt)
	s := tt.waitFor("Your tenant asks you to sign in again")
	if !strings.Contains(s, "Waiting for you to sign in again in the browser") || strings.Contains(s, "reading your account and roles") {
		t.Errorf("the status line does not say the sign-in waits for the admin:\n%s", s)
	}
	tt.keys("a")
	tt.waitFor("4/6 Current state", "Enter opens the admin consent page")
	tt.keys("q")
	tt.exited(3)
}

func TestPastedAddressThatDoesNotMatchIsNoProof(t *testing.T) {
	for _, tc := range []struct {
		name, pasted   string
		says           []string
		fieldStaysOpen bool // the field shows why and keeps the text to correct
	}{
		{"without state", "https://www.avepointonlineservices.com/?admin_consent=True&tenant=3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44",
			[]string{"Not proof of consent", "could not be matched"}, false},
		{"with another request's state", "https://www.avepointonlineservices.com/?admin_consent=True&tenant=3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44&state=another-request",
			[]string{"belongs to another consent attempt"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tt := demoTmux(t, 100, 30, "fresh")
			signInToState(tt)
			stateToConsent(tt)
			tt.waitFor("visible in Microsoft Graph")
			tt.keys("p")
			tt.waitFor("enter: read it")
			tt.typeText(tc.pasted)
			tt.keys("Enter")
			s := tt.waitFor(tc.says...)
			if strings.Contains(s, "recorded the consent") || !strings.Contains(s, "5/6 Admin consent") || !strings.Contains(s, "0/3 visible in Microsoft Graph") {
				t.Errorf("the paste was taken as proof, or the wait ended:\n%s", s)
			}
			// The wait still reads Graph: the consent given now ends it.
			if tc.fieldStaysOpen {
				tt.keys("Escape") // closes the paste field; the wait goes on
				tt.waitFor("p paste where the browser ended")
			}
			tt.keys("a")
			tt.waitFor("6/6 Summary", allGranted("ce"))
			tt.keys("q")
			tt.exited(0)
		})
	}
}

// declinedLanding is the address the browser ends on after Cancel on the consent page
// whose URL is consentURL: Entra ID's error and description, with the request's state.
func declinedLanding(t *testing.T, consentURL string) string {
	t.Helper()
	u, err := url.Parse(consentURL)
	if err != nil {
		t.Fatalf("consent URL %q: %v", consentURL, err)
	}
	q := url.Values{}
	q.Set("error", "access_denied")
	q.Set("error_subcode", "cancel")
	q.Set("state", u.Query().Get("state"))
	q.Set("error_description", "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: 3f9668e6-7450-41cf-b5a3-cf6d5484818f\r\nCorrelation ID: e86b0f5c-5a4e-40d5-83df-3457f1d8c8a9\r\nTimestamp: 2026-12-06 20:43:26Z")
	return "https://www.avepointonlineservices.com/?" + q.Encode()
}

func TestRegistrationBehindErrorScreenAgreesWithItself(t *testing.T) {
	// uoToConsent walks UO (the app whose registration is behind) to the consent wait.
	uoToConsent := func(tt *tmuxTerm) string {
		tt.waitFor("Which app")
		tt.keys("Down", "Enter")
		tt.waitFor("Review permissions")
		tt.keys("Enter")
		tt.waitFor("approve in the demo browser")
		tt.keys("a")
		stateToConsent(tt)
		return tt.waitFor("visible in Microsoft Graph")
	}
	t.Run("consent went through, the registration is behind", func(t *testing.T) {
		t.Parallel()
		tt := demoTmux(t, 100, 40, "registration-behind")
		uoToConsent(tt)
		tt.keys("a")
		s := tt.waitForWithin(flows.RegistrationSettle+30*time.Second, "Something went wrong", "stayed missing")
		if !strings.Contains(s, "Admin consent went through") || strings.Contains(s, "did not complete") {
			t.Errorf("the header contradicts the body (consent went through):\n%s", s)
		}
		if strings.Contains(s, "For support:") {
			t.Errorf("a support heading with no support ids under it:\n%s", s)
		}
		tt.keys("q")
		tt.exited(3)
	})
	t.Run("consent declined: AADSTS65004 said once", func(t *testing.T) {
		t.Parallel()
		tt := demoTmux(t, 100, 40, "registration-behind")
		consent := uoToConsent(tt)
		tt.keys("p")
		tt.waitFor("enter: read it")
		tt.typeText(declinedLanding(t, urlUnder(consent, "Open this page as an admin and Accept:")))
		tt.keys("Enter")
		s := tt.waitFor("Something went wrong", "Consent was declined")
		if n := strings.Count(s, "AADSTS65004"); n != 1 {
			t.Errorf("the error screen says AADSTS65004 %d times, want once:\n%s", n, s)
		}
		if !strings.Contains(flat(s), "User declined to consent to access the app.") {
			t.Errorf("Entra ID's own words are not on the error screen:\n%s", s)
		}
		tt.keys("q")
		tt.exited(4)
		if after := tt.joinedScreen(); strings.Count(after, "AADSTS65004") != 1 {
			t.Errorf("the normal screen says AADSTS65004 %d times, want once:\n%s", strings.Count(after, "AADSTS65004"), after)
		}
	})
}

func TestSoftDeletedPointsToDeletedApplications(t *testing.T) {
	tt := demoTmux(t, 100, 40, "soft-deleted")
	signInToState(tt)
	stateToConsent(tt)
	tt.keys("a")
	s := tt.waitFor("Something went wrong", "AADSTS650051")
	what := flat(s)
	if i := strings.Index(what, "What to do:"); i < 0 || !strings.Contains(what[i:], "Enterprise applications > Deleted applications") ||
		strings.Index(what[i:], "Deleted applications") > strings.Index(what[i:], "For support:") {
		t.Errorf("What to do does not send the admin to Deleted applications:\n%s", s)
	}
	tt.keys("q")
	tt.exited(4)
	if l := lineWithPrefix(tt.joinedScreen(), "What to do:"); !strings.Contains(l, "Enterprise applications > Deleted applications") {
		t.Errorf("the fix left on the normal screen does not name Deleted applications: %q", l)
	}
}

// hostileCarriers are what the hostile scenario's description may say carries the
// hostile text, each with what a walk of the scenario shows of it (sanitized: the
// printable parts "click" and "evil" are all that is left).
var hostileCarriers = []struct{ phrase, shown string }{
	{"its", "tenant Contoso clickevil"},
	{"the admin's", "Adele clickevil Vance"},
	{"the apps' names", "Customer Engagement clickevil"},
	{"a granted scope", "Mail.Readclickevil"},
	{"a consent error", "Admin consent did not complete"},
}

func TestHostileScenarioShowsWhatItsDescriptionPromises(t *testing.T) {
	testkit.NeedTool(t, "script")
	help, err := exec.Command(bin, "demo", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("demo --help: %v\n%s", err, help)
	}
	desc := flat(lineWithPrefix(string(help), "hostile "))
	promise, _, ok := strings.Cut(strings.TrimPrefix(desc, "hostile "), " carry ")
	if !ok {
		t.Fatalf("the hostile description does not say what carries the hostile text: %q", desc)
	}
	raw := filepath.Join(t.TempDir(), "raw")
	tt := tmuxSize(t, 120, 40, fmt.Sprintf("script -qfec '%s demo --scenario hostile --no-browser' %s", bin, raw))
	var seen strings.Builder
	look := func(wants ...string) {
		seen.WriteString(tt.waitFor(wants...))
	}
	look("Which app")
	tt.keys("Enter")
	look("Review permissions")
	tt.keys("Enter")
	look("approve in the demo browser")
	tt.keys("a")
	look("Signed in as", "What will fix it")
	tt.keys("Enter")
	look("Summary")
	tt.keys("q")
	tt.exited(3)
	seen.WriteString(tt.joinedScreen())
	promised := 0
	for _, c := range hostileCarriers {
		if !strings.Contains(promise, c.phrase) {
			continue
		}
		promised++
		if !strings.Contains(seen.String(), c.shown) {
			t.Errorf("the description promises %q carries the hostile text, but the walk never shows %q\ndescription: %s", c.phrase, c.shown, desc)
		}
	}
	if promised == 0 {
		t.Errorf("the description names none of the known carriers: %q", promise)
	}
	// Nothing of the hostile sequences reached the terminal: script's record holds every
	// byte the program wrote.
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "Adele clickevil Vance") {
		t.Fatalf("script's record lacks the screens the walk saw (%d bytes)", len(data))
	}
	for _, bad := range []string{"\x1b]52;", "evil.example", "pwned", "cm0gLXJmIH4K", "\x1bP+q", "\u202e", "\u202c", "\u009b", "\u009c", "\u009d"} {
		if strings.Contains(string(data), bad) {
			t.Errorf("the terminal received %q", bad)
		}
	}
}
