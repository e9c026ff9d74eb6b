package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// Over SSH (QRFirst) the consent step shows the QR code from the start, and without a
// browser the wording does not promise one; `r` still toggles it.
func TestQRFirstAndNoBrowser(t *testing.T) {
	for _, tt := range []struct {
		name            string
		qrFirst, noBrwr bool
	}{
		{"local browser", false, false},
		{"no browser", false, true},
		{"ssh", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestModel(t, &fakeEngine{}, func(o *Options) { o.QRFirst, o.NoBrowser = tt.qrFirst, tt.noBrwr })
			m.width, m.height = 120, 80
			at(m, stepConsent)
			view := ansi.Strip(m.View().Content)
			hasQR := strings.Contains(view, "▀") || strings.Contains(view, "▄")
			if hasQR != tt.qrFirst {
				t.Fatalf("QR shown = %v, want %v:\n%s", hasQR, tt.qrFirst, view)
			}
			m.Update(testkit.Key("r"))
			view = ansi.Strip(m.View().Content)
			if again := strings.Contains(view, "▀") || strings.Contains(view, "▄"); again == tt.qrFirst {
				t.Fatalf("r did not toggle the QR code")
			}

			m = newTestModel(t, &fakeEngine{}, func(o *Options) { o.QRFirst, o.NoBrowser = tt.qrFirst, tt.noBrwr })
			m.width, m.height = 120, 80
			at(m, stepSignIn)
			m.signIn.prompt = &flows.SignInPrompt{URL: "https://login.example/authorize?client_id=x"}
			view = ansi.Strip(m.View().Content)
			promise := strings.Contains(view, "Your browser should open")
			if promise == tt.noBrwr {
				t.Fatalf("sign-in promises a browser = %v with NoBrowser %v:\n%s", promise, tt.noBrwr, view)
			}
		})
	}
}
