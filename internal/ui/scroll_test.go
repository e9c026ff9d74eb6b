package ui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

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
		m.Update(press("pgdown"))
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
		m.Update(press("pgup"))
	}
	if got := m.Text(); got != first {
		t.Fatalf("PgUp did not return to the top:\n%s", got)
	}
	m.Update(press("pgdown"))
	for m.step() != stepChoose {
		m.Update(press("esc"))
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
		m.showQR = true
		for range 5 {
			m.Update(press("down"))
		}
		before, qr := m.scroller, m.showQR
		first := m.Text()
		for range 3 {
			_ = m.View()
		}
		if m.scroller != before || m.showQR != qr || m.Text() != first {
			t.Errorf("%s: View changed the model: scroll %+v → %+v, showQR %v → %v", st, before, m.scroller, qr, m.showQR)
		}
	}
	m := newTestModel(t, &fakeEngine{})
	m.choose.cursor = 1
	at(m, stepReview)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 12})
	for range 6 {
		m.Update(press("down"))
	}
	if m.scroll == 0 {
		t.Error("Update did not scroll to the selected row")
	}
}
