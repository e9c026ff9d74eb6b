package ui

import (
	"strings"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// renderQR draws s as a QR code at level M with termcaps.QRCode, as `consent-url --qr`
// does (the same modules and colours: black on white where colour is on, else
// inverted for the background). It returns "" when the code would be wider than
// maxWidth.
func renderQR(s string, maxWidth int, darkBG, color bool, g termcaps.Glyphs) string {
	lines, width, err := termcaps.QRCode(s, g, termcaps.QRStyle{Color: color, DarkBackground: darkBG})
	if err != nil || width > maxWidth {
		return ""
	}
	return strings.Join(lines, "\n")
}

// fitQR draws s as a QR code that fits maxWidth cells and maxRows lines, with
// termcaps.FitQRCode as `consent-url --qr` does: level M where it fits, else level
// L. It returns nil when neither fits: a QR code is never drawn in part.
func (m *Model) fitQR(s string, maxWidth, maxRows int) []string {
	if maxRows <= 0 {
		return nil
	}
	q, err := termcaps.FitQRCode(s, m.g, termcaps.QRStyle{Color: !m.opts.NoColor, DarkBackground: m.dark}, maxWidth, maxRows)
	if err != nil {
		return nil
	}
	return q.Lines
}
