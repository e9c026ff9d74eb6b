package ui

import (
	"strings"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// renderQR draws s as a QR code with termcaps.QRCode, as `consent-url --qr` does (the
// same modules and colours: black on white where colour is on, else inverted for the
// background). It returns "" when the code would be wider than maxWidth.
func renderQR(s string, maxWidth int, darkBG, color bool, g termcaps.Glyphs) string {
	lines, width, err := termcaps.QRCode(s, g, termcaps.QRStyle{Color: color, DarkBackground: darkBG})
	if err != nil || width > maxWidth {
		return ""
	}
	return strings.Join(lines, "\n")
}
