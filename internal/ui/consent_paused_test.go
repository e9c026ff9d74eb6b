package ui

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// resumeWaiter is a production consent wait that can pause and resume.
type resumeWaiter struct {
	*prodWaiter
	resumes atomic.Int32
}

func (r *resumeWaiter) Resume() { r.resumes.Add(1) }

// When the signed-in account cannot grant the consent, the consent screen
// stops waiting at once and says why and who can; the link stays on screen to send;
// w waits for another admin, o signs in as someone else, q ends incomplete (exit 3)
// without asking, since nothing is half done by this account.
func TestConsentPausedSaysWhoCanGrant(t *testing.T) {
	eng := &switchEngine{fakeEngine: &fakeEngine{admin: testAdmin(false)}}
	m := newTestModel(t, eng.fakeEngine, func(o *Options) { o.Engine = eng; o.Can.SwitchAccount = eng.SignInAgain })
	at(m, stepConsent)
	m.height = 80
	url := "https://login.microsoftonline.com/" + testTenant + "/adminconsent?client_id=" + testCEClient + "&state=s"
	w := &resumeWaiter{prodWaiter: &prodWaiter{fakeWaiter: newFakeWaiter(url)}}
	useWaiter(m, w)
	m.consent.url = url
	pause := &flows.BlockedError{Reason: flows.BlockNoRole, Rows: []string{"Microsoft Graph · Directory.Read.All"},
		Cause:    "alex@contoso.example cannot grant admin consent (active roles: Directory Readers), so consent from this account would be refused (AADSTS90094). The wait is paused.",
		NextStep: "Who can grant it: a Global Administrator or Privileged Role Administrator of this tenant."}
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Total: 3, Result: result("ce", false, nil), Paused: pause}})
	s := m.Text()
	for _, want := range []string{"The wait is paused", "Directory Readers", "AADSTS90094", "What to do:", "Global Administrator or Privileged Role Administrator",
		"Press w once you have sent the link", "Press o to sign in as someone else", "w wait for another admin's consent", "adminconsent?client_id="} {
		if !strings.Contains(s, want) {
			t.Errorf("paused consent screen lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "Waiting for consent") {
		t.Errorf("a paused wait still says it is waiting:\n%s", s)
	}
	if m.step() != stepConsent || m.consent.waiter == nil {
		t.Fatalf("step %s, waiter %v: the link must stay on screen", m.step(), m.consent.waiter)
	}
	// w: wait for another admin.
	m.Update(testkit.Key("w"))
	if w.resumes.Load() != 1 || m.flow.Paused() != nil || !strings.Contains(m.Text(), "Waiting for consent") {
		t.Fatalf("w: %d resumes, paused %v:\n%s", w.resumes.Load(), m.flow.Paused(), m.Text())
	}
	// A pause sent before the resume is stale (the wait never pauses after one): the
	// screen keeps waiting, and q asks first, as another admin may be consenting.
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Total: 3, Paused: pause}})
	if m.flow.Paused() != nil || !strings.Contains(m.Text(), "Waiting for consent") {
		t.Fatalf("a stale pause after w:\n%s", m.Text())
	}
	m.Update(testkit.Key("q"))
	if !m.confirmQuit {
		t.Fatal("q while waiting for another admin did not ask")
	}
	m.Update(testkit.Key("y"))
	if o := m.Outcome(); o.Err != nil || o.Result == nil || o.Result.Status == flows.StatusComplete {
		t.Fatalf("y: outcome %v %+v", o.Err, o.Result)
	}
	if w.closed.Load() == 0 {
		t.Error("quitting did not close the wait")
	}
}

// o on a paused consent screen closes the wait and signs in as someone else.
func TestConsentPausedSwitchAccount(t *testing.T) {
	eng := &switchEngine{fakeEngine: &fakeEngine{admin: testAdmin(false)}}
	m := newTestModel(t, eng.fakeEngine, func(o *Options) { o.Engine = eng; o.Can.SwitchAccount = eng.SignInAgain })
	at(m, stepConsent)
	w := &resumeWaiter{prodWaiter: &prodWaiter{fakeWaiter: newFakeWaiter("https://login.microsoftonline.com/t/adminconsent?client_id=x")}}
	useWaiter(m, w)
	m.Update(testkit.Key("o"))
	if m.step() != stepConsent {
		t.Fatalf("o while waiting (not paused) left the consent step: %s", m.step())
	}
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Paused: &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "c", NextStep: "n"}}})
	m.Update(testkit.Key("o"))
	if m.step() != stepSignIn || m.consent.waiter != nil || w.closed.Load() != 1 {
		t.Fatalf("o: step %s, waiter %v, closed %d", m.step(), m.consent.waiter, w.closed.Load())
	}
}

// pausingEngine hands out a given consent wait.
type pausingEngine struct {
	*fakeEngine
	w ConsentWaiter
}

func (p *pausingEngine) StartConsent(context.Context, *permissions.App) (ConsentWaiter, error) {
	return p.w, nil
}

// Line mode says the pause once, with who can grant it; w waits for another admin.
func TestAccessibleConsentPaused(t *testing.T) {
	w := &resumeWaiter{prodWaiter: &prodWaiter{fakeWaiter: newFakeWaiter("https://login.example/adminconsent")}}
	pause := &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "alex cannot grant admin consent (AADSTS90094). The wait is paused.", NextStep: "Who can grant it: a Global Administrator."}
	w.ch <- flows.ConsentEvent{Total: 3, Paused: pause}
	w.ch <- flows.ConsentEvent{Total: 3, Paused: pause} // Enter while paused: said once
	eng := &pausingEngine{fakeEngine: &fakeEngine{prompt: &flows.SignInPrompt{URL: "https://login.example/authorize"}, admin: testAdmin(false),
		verify: []*flows.Result{result("ce", false, nil)}}, w: w}
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"}, {prompt: "open the admin consent page"},
		{prompt: "Type w and press Enter", answer: "w"},
		{prompt: "Waiting for another admin's consent", do: func() {
			w.ch <- flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: result("ce", true, nil)}
		}},
		{prompt: "Save a report"},
	})
	o, err := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, out)
	if err != nil || o.Err != nil || o.Result == nil || o.Result.Status != flows.StatusComplete {
		t.Fatalf("outcome = %+v, %v\n%s", o, err, out.String())
	}
	text := out.String()
	if strings.Count(text, "alex cannot grant admin consent") != 1 || !strings.Contains(text, "What to do: Who can grant it: a Global Administrator.") || w.resumes.Load() != 1 {
		t.Fatalf("resumes %d:\n%s", w.resumes.Load(), text)
	}
}

// q on a paused consent ends incomplete at once (exit 3): nothing is half done by
// this account, so the wizard does not ask.
func TestConsentPausedQuitEndsIncomplete(t *testing.T) {
	m := newTestModel(t, &fakeEngine{admin: testAdmin(false)})
	at(m, stepConsent)
	w := &resumeWaiter{prodWaiter: &prodWaiter{fakeWaiter: newFakeWaiter("https://login.microsoftonline.com/t/adminconsent?client_id=x")}}
	useWaiter(m, w)
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Total: 3, Paused: &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "c", NextStep: "n"}}})
	m.Update(testkit.Key("q"))
	if m.confirmQuit || !errors.Is(m.Outcome().Err, flows.ErrIncomplete) || !errors.Is(m.Outcome().Err, flows.ErrCannotFix) {
		t.Fatalf("q: confirm %v, outcome %v", m.confirmQuit, m.Outcome().Err)
	}
}

// The race the line-mode wait can meet: a pause the wait sent before the admin's w
// arrives after it. It is stale (the wait never pauses after a resume): said once.
func TestAccessibleStalePauseAfterResume(t *testing.T) {
	w := &resumeWaiter{prodWaiter: &prodWaiter{fakeWaiter: newFakeWaiter("https://login.example/adminconsent")}}
	pause := &flows.BlockedError{Reason: flows.BlockNoRole, Cause: "alex cannot grant admin consent (AADSTS90094). The wait is paused.", NextStep: "Who can grant it: a Global Administrator."}
	w.ch <- flows.ConsentEvent{Total: 3, Paused: pause}
	eng := &pausingEngine{fakeEngine: &fakeEngine{prompt: &flows.SignInPrompt{URL: "https://login.example/authorize"}, admin: testAdmin(false),
		verify: []*flows.Result{result("ce", false, nil)}}, w: w}
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"}, {prompt: "open the admin consent page"},
		{prompt: "Type w and press Enter", answer: "w"},
		{prompt: "Waiting for another admin's consent", do: func() {
			w.ch <- flows.ConsentEvent{Total: 3, Paused: pause} // sent before the resume, read after it
			w.ch <- flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: result("ce", true, nil)}
		}},
		{prompt: "Save a report"},
	})
	o, err := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, out)
	if err != nil || o.Err != nil || o.Result == nil || o.Result.Status != flows.StatusComplete {
		t.Fatalf("outcome = %+v, %v\n%s", o, err, out.String())
	}
	if text := out.String(); strings.Count(text, "alex cannot grant admin consent") != 1 || w.resumes.Load() != 1 {
		t.Fatalf("resumes %d:\n%s", w.resumes.Load(), text)
	}
}
