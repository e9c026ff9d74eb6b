package ui

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// switchEngine is a fakeEngine that can sign in as someone else.
type switchEngine struct {
	*fakeEngine
	again atomic.Int32
}

func (s *switchEngine) SignInAgain(ctx context.Context, prompt func(flows.SignInPrompt)) (*flows.Admin, error) {
	s.again.Add(1)
	return s.SignIn(ctx, prompt)
}

// prodWaiter is a consent wait with no loopback redirect (production) and paste-back.
type prodWaiter struct {
	*fakeWaiter
	pasted []string
	err    error
}

func (p *prodWaiter) LoopbackRedirect() bool { return false }
func (p *prodWaiter) Paste(s string) error {
	p.pasted = append(p.pasted, s)
	return p.err
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// The browser sign-in returns to http://localhost on this machine: never a QR code of
// it, never "on this or any device"; the device code's page may have one; the reason
// the device code flow was chosen is on screen; the first-use notice is said.
func TestSignInScreenProductionRules(t *testing.T) {
	m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.NoBrowser, o.QRFirst = true, true })
	at(m, stepSignIn)
	m.signIn.prompt = &flows.SignInPrompt{URL: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=x&redirect_uri=http%3A%2F%2Flocalhost%3A43123"}
	m.Update(testkit.Key("r"))
	s := m.Text()
	for _, bad := range []string{"any device", "r QR code", "▀", "█"} {
		if strings.Contains(s, bad) {
			t.Errorf("interactive sign-in screen has %q:\n%s", bad, s)
		}
	}
	flat := strings.Join(strings.Fields(s), " ") // a phrase may wrap
	for _, want := range []string{"on this machine", "Consent on behalf of your organization", "UNTICKED"} {
		if !strings.Contains(flat, want) {
			t.Errorf("interactive sign-in screen lacks %q:\n%s", want, s)
		}
	}
	m.height = 80
	m.signIn.prompt = &flows.SignInPrompt{URL: "https://microsoft.com/devicelogin", UserCode: "ABCD-EFGH", DeviceCode: true,
		Reason: "Signing in with a device code because this is an SSH session: …"}
	s = m.Text()
	for _, want := range []string{"SSH session", "ABCD-EFGH", "r QR code", "any device"} {
		if !strings.Contains(s, want) {
			t.Errorf("device code screen lacks %q:\n%s", want, s)
		}
	}
}

// Production consent: the screen says nothing comes back, p opens the paste field,
// Enter hands the text to the wait (errors shown, the wait goes on), Esc closes the
// field without leaving; focus (back from the browser) checks Graph at once.
func TestConsentScreenPasteAndFocus(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepConsent)
	w := &prodWaiter{fakeWaiter: newFakeWaiter("https://login.microsoftonline.com/t/adminconsent?client_id=x&state=s")}
	useWaiter(m, w)
	m.height = 60
	s := m.Text()
	if !strings.Contains(s, "nothing comes back here") || !strings.Contains(s, "p paste") {
		t.Fatalf("production consent screen:\n%s", s)
	}
	m.Update(tea.FocusMsg{})
	if w.rechecks.Load() != 1 {
		t.Fatalf("focus: %d rechecks", w.rechecks.Load())
	}
	m.Update(testkit.Key("p"))
	w.err = flows.Usagef("that address carries no consent result")
	typeText(m, "https://x.example/")
	m.Update(testkit.Key("enter"))
	if len(w.pasted) != 1 || w.pasted[0] != "https://x.example/" || !strings.Contains(m.Text(), "carries no consent result") {
		t.Fatalf("pasted %q:\n%s", w.pasted, m.Text())
	}
	m.Update(testkit.Key("esc"))
	if m.step() != stepConsent || m.consent.pasting {
		t.Fatalf("esc in the paste field left the consent step (%s) or kept the field", m.step())
	}
	m.Update(testkit.Key("p"))
	w.err = nil
	typeText(m, "AADSTS65004")
	m.Update(testkit.Key("enter"))
	if len(w.pasted) != 2 || w.pasted[1] != "AADSTS65004" || m.consent.pasting {
		t.Fatalf("pasted %q, field open %v", w.pasted, m.consent.pasting)
	}
}

// The role verdict for the chosen app: a delegated-only role names the rows it
// blocks and offers "sign in as someone else"; unreadable roles are never "no role".
func TestRoleVerdictOnStateScreen(t *testing.T) {
	eng := &switchEngine{fakeEngine: &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}}}
	m := newTestModel(t, eng.fakeEngine, func(o *Options) { o.Engine = eng; o.Can.SwitchAccount = eng.SignInAgain })
	at(m, stepState)
	m.height = 60
	signInAs(m, &flows.Admin{UPN: "cam@contoso.example", RolesRead: true, DirectoryRoles: []flows.DirectoryRole{{DisplayName: "Cloud Application Administrator", RoleTemplateID: flows.RoleCloudApplicationAdministrator}}})
	s := m.Text()
	for _, want := range []string{"Cloud Application Administrator", "Microsoft Graph · Directory.Read.All", "Press o to sign in as someone else", "o sign in as someone else"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	signInAs(m, &flows.Admin{UPN: "r@contoso.example", RolesErr: errors.New("HTTP 403")})
	s = m.Text()
	if !strings.Contains(s, "Could not read your directory roles") || strings.Contains(s, "no active directory role") {
		t.Errorf("unreadable roles:\n%s", s)
	}
	m.Update(testkit.Key("o"))
	if m.step() != stepSignIn || m.flow.Admin() != nil {
		t.Fatalf("o: step %s", m.step())
	}
}

// "Sign in as someone else" runs the engine's SignInAgain.
func TestSwitchAccountUsesSignInAgain(t *testing.T) {
	eng := &switchEngine{fakeEngine: &fakeEngine{admin: testAdmin(true)}}
	m := newTestModel(t, eng.fakeEngine, func(o *Options) { o.Engine = eng; o.Can.SwitchAccount = eng.SignInAgain })
	at(m, stepState)
	_, cmd := m.Update(testkit.Key("o"))
	if cmd == nil {
		t.Fatal("no sign-in started")
	}
	for _, c := range flatten(cmd) {
		if msg, ok := c().(signedInMsg); ok && msg.admin != nil {
			break
		}
	}
	if eng.again.Load() != 1 {
		t.Fatalf("SignInAgain called %d times", eng.again.Load())
	}
}

func flatten(cmd tea.Cmd) []tea.Cmd {
	if b, ok := cmd().(tea.BatchMsg); ok {
		return b
	}
	return []tea.Cmd{cmd}
}

// The client id field takes the consent link AOS gives (client_id, redirect_uri).
func TestClientIDStepTakesConsentLink(t *testing.T) {
	cat := testCatalog()
	cat.Apps[0].ClientID = ""
	m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.Catalog = cat })
	at(m, stepClientID)
	typeText(m, "https://login.microsoftonline.com/common/adminconsent?client_id="+testCEClient+"&redirect_uri=https%3A%2F%2Faos.example%2Fcb")
	m.Update(testkit.Key("enter"))
	if m.flow.App().ClientID != testCEClient || m.flow.App().RedirectURI != "https://aos.example/cb" || m.step() != stepSignIn {
		t.Fatalf("client id %q redirect %q step %s (%s)", m.flow.App().ClientID, m.flow.App().RedirectURI, m.step(), m.clientID.err)
	}
}

// A state consent cannot fix ends on the error screen with its cause and next step.
func TestConsentBlockedShowsCause(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	at(m, stepConsent)
	m.height = 60
	b := &flows.BlockedError{Reason: flows.BlockDisabled, Cause: "The service principal is disabled.", NextStep: "Enable it in Entra admin center."}
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Done: true, Err: b, Result: result("ce", true, nil)}})
	s := m.Text()
	if m.step() != stepError || !strings.Contains(s, "Consent cannot fix this") || !strings.Contains(s, "disabled") || !strings.Contains(s, "Enable it") {
		t.Fatalf("step %s:\n%s", m.step(), s)
	}
}

// finderEngine lists candidates for the client id step.
type finderEngine struct {
	*fakeEngine
	found []flows.AppCandidate
}

func (f *finderEngine) FindApps(ctx context.Context, app *permissions.App) ([]flows.AppCandidate, error) {
	return f.found, nil
}

// Re-authorization: the app is picked from the service principals found in the
// tenant by the catalog's name (appId, publisher tenant, creation date shown).
func TestPickAppFoundInTenant(t *testing.T) {
	cat := testCatalog()
	cat.Apps[0].ClientID = ""
	const other = "99999999-8888-7777-6666-555555555555"
	eng := &finderEngine{fakeEngine: &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", true, nil)}},
		found: []flows.AppCandidate{
			{AppID: testCEClient, DisplayName: cat.Apps[0].DisplayName, AppOwnerOrganizationID: "a1b2c3d4-0000-0000-0000-000000000001", CreatedDateTime: fixedNow, AccountEnabled: true},
			{AppID: other, DisplayName: cat.Apps[0].DisplayName, AccountEnabled: false},
			{AppID: "12121212-3434-5656-7878-909090909090", DisplayName: cat.Apps[0].DisplayName, FirstGranted: fixedNow.AddDate(-1, 0, 0), AccountEnabled: true},
		}}
	m := newTestModel(t, eng.fakeEngine, func(o *Options) { o.Catalog = cat; o.Engine = eng; o.Can.FindApps = eng.FindApps })
	// Signed in, back on the review, then the client id step.
	m.flow.Apps()[0].ClientID = testCEClient
	at(m, stepState)
	m.Update(testkit.Key("esc"))
	m.flow.Apps()[0].ClientID = ""
	m.Update(testkit.Key("enter"))
	m.height = 60
	if !strings.Contains(m.Text(), "ctrl+f find it in your tenant") {
		t.Fatalf("no find key:\n%s", m.Text())
	}
	_, cmd := m.Update(tea.KeyPressMsg{Code: 'f', Mod: tea.ModCtrl})
	if cmd == nil {
		t.Fatal("ctrl+f started nothing")
	}
	m.Update(cmd())
	s := m.Text()
	for _, want := range []string{testCEClient, "publisher tenant a1b2c3d4-0000-0000-0000-000000000001", "created 2026-03-01", other, "created: unknown", "DISABLED", "first granted 2025-03-01"} {
		if !strings.Contains(s, want) {
			t.Errorf("candidates lack %q:\n%s", want, s)
		}
	}
	m.Update(testkit.Key("down"))
	m.Update(testkit.Key("up"))
	m.Update(testkit.Key("enter"))
	if m.flow.App().ClientID != testCEClient || m.step() != stepState {
		t.Fatalf("picked %q, step %s (%s)", m.flow.App().ClientID, m.step(), m.clientID.err)
	}
}

// signInAs signs in anew as a (sign in as someone else) and reads the state again.
func signInAs(m *Model, a *flows.Admin) {
	m.Update(testkit.Key("o"))
	m.Update(signedInMsg{attempt: m.attempt, admin: a})
	reread(m, result(m.flow.App().Key, false, nil))
}
