package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/wizard"
)

// A body taller than the window scrolls with PgDn/PgUp, never past its end, says
// what is hidden, and starts at the top again on the next step.
func TestScrollTallBody(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	m.width, m.height = 60, 20
	at(m, stepReview)
	first := m.Text()
	if !strings.Contains(first, "more below (pgdn)") || strings.Contains(first, "more above") || !strings.Contains(first, "pgdn/pgup scroll") {
		t.Fatalf("tall review at 60x20 does not offer scrolling:\n%s", first)
	}
	const tail = "oauth2PermissionGrants" // the last words of the review body
	if strings.Contains(first, tail) {
		t.Fatalf("test assumes the end of the body is hidden at first:\n%s", first)
	}
	for i := 0; i < 10; i++ { // far past the end: clamped
		m.Update(testkit.Key("pgdown"))
		m.Text()
	}
	last := m.Text()
	if !strings.Contains(last, tail) || !strings.Contains(last, "more above (pgup)") || strings.Contains(last, "more below") {
		t.Fatalf("after PgDn the end is not shown:\n%s", last)
	}
	if n := strings.Count(last, "\n") + 1; n > m.height {
		t.Fatalf("%d lines in a %d-line window", n, m.height)
	}
	for i := 0; i < 10; i++ {
		m.Update(testkit.Key("pgup"))
	}
	if got := m.Text(); got != first {
		t.Fatalf("PgUp did not return to the top:\n%s", got)
	}
	m.Update(testkit.Key("pgdown"))
	for m.step() != stepChoose {
		m.Update(testkit.Key("esc"))
	}
	if m.scroll != 0 {
		t.Fatal("scroll kept across steps")
	}
	// A body that fits shows no scroll key.
	m.width, m.height = 120, 60
	at(m, stepReview)
	if v := m.Text(); strings.Contains(v, "pgdn") || strings.Contains(v, "more below") {
		t.Fatalf("scrolling offered for a body that fits:\n%s", v)
	}
}

// TestViewChangesNothing: rendering leaves the model as it was; the scroll follows the
// selection in Update.
func TestViewChangesNothing(t *testing.T) {
	for _, st := range []wizard.Step{stepChoose, stepReview, stepSignIn, stepState, stepConsent, stepSummary, stepError} {
		m := newTestModel(t, &fakeEngine{})
		at(m, st)
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 12})
		m.qr = qrAsked
		for range 5 {
			m.Update(testkit.Key("down"))
		}
		before, qr := m.scroller, m.qr
		first := m.Text()
		for range 3 {
			_ = m.View()
		}
		if m.scroller != before || m.qr != qr || m.Text() != first {
			t.Errorf("%s: View changed the model: scroll %+v → %+v, qr %v → %v", st, before, m.scroller, qr, m.qr)
		}
	}
	m := newTestModel(t, &fakeEngine{})
	m.choose.cursor = 1
	at(m, stepReview)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 12})
	for range 6 {
		m.Update(testkit.Key("down"))
	}
	if m.scroll == 0 {
		t.Error("Update did not scroll to the selected row")
	}
}

// End shows the end of a tall body and Home its top; Ctrl+Z suspends the program as
// terminal programs do, from any step, a text field too.
func TestHomeEndAndSuspend(t *testing.T) {
	m := newTestModel(t, &fakeEngine{})
	m.width, m.height = 60, 20
	at(m, stepReview)
	first := m.Text()
	m.Update(testkit.Key("end"))
	if last := m.Text(); !strings.Contains(last, "oauth2PermissionGrants") || strings.Contains(last, "more below") {
		t.Fatalf("End did not show the end:\n%s", last)
	}
	m.Update(testkit.Key("home"))
	if got := m.Text(); got != first {
		t.Fatalf("Home did not return to the top:\n%s", got)
	}
	for _, st := range []wizard.Step{stepReview, stepClientID} {
		m := newTestModel(t, &fakeEngine{})
		at(m, st)
		_, cmd := m.Update(tea.KeyPressMsg{Code: 'z', Mod: tea.ModCtrl})
		if cmd == nil {
			t.Fatalf("%s: ctrl+z gave no command", st)
		}
		if _, ok := cmd().(tea.SuspendMsg); !ok || m.step() != st {
			t.Errorf("%s: ctrl+z did not suspend (step %s)", st, m.step())
		}
	}
}

// Over SSH at 80x24 the device code's QR code does not fit under the page's URL: r
// shows it whole on a view of its own, with the code to enter, and r goes back.
func TestQRCodeWholeAt80x24(t *testing.T) {
	m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.NoColor = true })
	m.width, m.height = 80, 24
	at(m, stepSignIn)
	m.signIn.prompt = &flows.SignInPrompt{URL: "https://microsoft.com/devicelogin", UserCode: "ABCD-EFGH", DeviceCode: true}
	qr := renderQR("https://microsoft.com/devicelogin", 80, m.dark, false, m.g)
	if qr == "" {
		t.Fatal("no QR code")
	}
	if strings.Contains(m.Text(), qr) {
		t.Fatal("test assumes the QR code is not on the screen before r")
	}
	m.Update(testkit.Key("r"))
	s := m.Text()
	if !strings.Contains(s, qr) || !strings.Contains(s, "ABCD-EFGH") {
		t.Fatalf("r at 80x24 does not show the QR code whole with the code:\n%s", s)
	}
	if n := strings.Count(s, "\n") + 1; n > 24 {
		t.Fatalf("%d lines in a 24-line window", n)
	}
	m.Update(testkit.Key("r"))
	if s := m.Text(); strings.Contains(s, qr) || !strings.Contains(s, "devicelogin") {
		t.Fatalf("r did not go back to the page:\n%s", s)
	}
}
