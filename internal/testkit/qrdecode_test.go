package testkit

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// DecodeQR reads back what termcaps draws, at both levels; a code with a module
// flipped in its finder pattern does not decode to the text.
func TestDecodeQR(t *testing.T) {
	const link = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/adminconsent?client_id=cbe0c4cc-d28c-5857-bc0e-bb312578ab4b"
	for _, rows := range []int{0, 24} { // level M, then level L (M needs 25 lines)
		q, err := termcaps.FitQRCode(link, termcaps.Unicode, termcaps.QRStyle{Color: true}, 0, rows)
		if err != nil {
			t.Fatal(err)
		}
		lines := make([]string, len(q.Lines))
		for i, l := range q.Lines {
			lines[i] = ansi.Strip(l)
		}
		if got, err := DecodeQR(lines); err != nil || got != link {
			t.Errorf("low %v: decoded %q, %v", q.Low, got, err)
		}
		lines[1] = strings.Repeat(" ", len([]rune(lines[1]))) // the finder patterns' top rows gone
		if got, err := DecodeQR(lines); err == nil && got == link {
			t.Errorf("low %v: a damaged code decoded", q.Low)
		}
	}
}
