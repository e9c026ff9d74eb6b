package ui

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/wizard"
	"github.com/d365consent/d365consent/permissions"
)

// errRequestFiled is the demo consent page's answer when the admin consent workflow
// files a request (AADSTS90095).
var errRequestFiled = &explain.AuthError{Op: "admin consent in the demo browser",
	Explanation: &explain.Explanation{Code: 90095, Title: "An approval request was filed (admin consent workflow)"},
	Err:         errors.New("AADSTS90095: Admin consent is required for the permissions requested by this application.")}

// startedWaiter runs the Cmds of cmd, depth first, until one reports a started
// consent wait.
func startedWaiter(cmd tea.Cmd) (consentStartedMsg, bool) {
	if cmd == nil {
		return consentStartedMsg{}, false
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			if m, ok := startedWaiter(c); ok {
				return m, true
			}
		}
	case consentStartedMsg:
		return msg, true
	}
	return consentStartedMsg{}, false
}

// approvalModel is a consent screen whose demo page filed a request; awaits counts
// the waits for the approval started, each handing out wait.
func approvalModel(t *testing.T, awaitable bool) (m *Model, first *fakeWaiter, wait *fakeWaiter, awaits *atomic.Int32) {
	t.Helper()
	awaits = &atomic.Int32{}
	wait = newFakeWaiter("https://login.example/adminconsent?state=other")
	m = newTestModel(t, &fakeEngine{admin: testAdmin(false)}, func(o *Options) {
		o.Approver = &fakeApprover{}
		if awaitable {
			o.Can.AwaitConsent = func(context.Context, *permissions.App) (ConsentWaiter, error) {
				awaits.Add(1)
				return wait, nil
			}
		}
	})
	m.height = 60
	at(m, stepConsent)
	first = m.consent.waiter.(*fakeWaiter)
	m.Update(approvedMsg{attempt: m.attempt, err: errRequestFiled})
	return m, first, wait, awaits
}

// Once the consent page filed a request, the consent screen stops the wait, says who
// approves it and offers w (only when the engine can wait for it); a stays hidden, as
// answering the page again would file another request.
func TestConsentScreenOffersWaitForApproval(t *testing.T) {
	m, first, _, _ := approvalModel(t, true)
	s := m.Text()
	if m.step() != stepConsent || m.flow.Approval() != wizard.ApprovalRequested || m.consent.waiter != nil || first.closed.Load() != 1 {
		t.Fatalf("step %s approval %v waiter %v closed %d", m.step(), m.flow.Approval(), m.consent.waiter, first.closed.Load())
	}
	for _, want := range []string{"An approval request was filed", "AADSTS90095", "Admin consent requests", "Press w to wait here for the approval", "w wait for the approval", "https://login.example/adminconsent"} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, s)
		}
	}
	for _, never := range []string{"a approve in the demo browser", "enter check now", "p paste", "wait for another admin"} {
		if strings.Contains(s, never) {
			t.Errorf("offers %q where it does not work:\n%s", never, s)
		}
	}
	m.Update(testkit.Key("a"))
	if m.approving != "" {
		t.Error("a answered the consent page again")
	}

	m, _, _, _ = approvalModel(t, false)
	if s := m.Text(); strings.Contains(s, "w wait for the approval") || strings.Contains(s, "Press w") {
		t.Errorf("w offered without a way to wait:\n%s", s)
	}
}

// w starts the wait for the approval (the engine's AwaitConsent, not a new consent):
// the screen keeps the link it showed, says what it waits for, for how long and how
// to leave; the approval's grants end on the summary; q during the wait leaves at once
// (nothing is half done in this admin's browser) incomplete, on the request.
func TestWaitForApprovalKey(t *testing.T) {
	m, _, wait, awaits := approvalModel(t, true)
	started, ok := startedWaiter(m.update(testkit.Key("w")))
	if !ok || awaits.Load() != 1 || m.flow.Approval() != wizard.ApprovalAwaited {
		t.Fatalf("w: started %v, %d waits, approval %v", ok, awaits.Load(), m.flow.Approval())
	}
	m.Update(started)
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Total: 3, Result: result("ce", false, nil)}})
	s := strings.Join(strings.Fields(m.Text()), " ")
	for _, want := range []string{
		"Waiting for a reviewer of the admin consent workflow to approve the request (Entra admin center > Enterprise applications > Admin consent requests) · waited 0:00 · q leaves and prints the command to check later",
		"0/3 visible in Microsoft Graph", "https://login.example/adminconsent", "enter check now",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("lacks %q:\n%s", want, m.Text())
		}
	}
	if strings.Contains(s, "state=other") || strings.Contains(s, "w wait for") || strings.Contains(s, "a approve") {
		t.Errorf("the wait for the approval shows another link or a key that does not work:\n%s", m.Text())
	}
	m.Update(testkit.Key("enter"))
	if wait.rechecks.Load() != 1 {
		t.Errorf("enter: %d rechecks", wait.rechecks.Load())
	}
	m.Update(testkit.Key("q"))
	var b *flows.BlockedError
	if o := m.Outcome(); m.confirmQuit || !errors.As(o.Err, &b) || b.Reason != flows.BlockApprovalRequested || o.Summary.ConsentURL != "https://login.example/adminconsent" || o.Summary.Check == "" {
		t.Fatalf("q: confirm %v, outcome %v %+v", m.confirmQuit, o.Err, o.Summary)
	}
	if wait.closed.Load() != 1 {
		t.Error("q did not close the wait")
	}

	m, _, _, _ = approvalModel(t, true)
	started, _ = startedWaiter(m.update(testkit.Key("w")))
	m.Update(started)
	m.Update(consentEventMsg{attempt: m.attempt, event: flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: result("ce", true, nil)}})
	if m.step() != stepSummary || !strings.Contains(m.Text(), "All 3 permissions are granted") {
		t.Fatalf("after the approval: %s\n%s", m.step(), m.Text())
	}
}
