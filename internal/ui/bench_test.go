package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/wizard"
)

// BenchmarkView renders each step at 120×40.
func BenchmarkView(b *testing.B) {
	for _, st := range []wizard.Step{stepChoose, stepReview, stepSignIn, stepState, stepConsent, stepSummary, stepError} {
		b.Run(st.String(), func(b *testing.B) {
			m := newBenchModel(b)
			at(m, st)
			if st == stepSignIn {
				m.signIn.prompt = &flows.SignInPrompt{URL: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e"}
			}
			m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}
