package ui

import (
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/d365consent/d365consent/termcaps"
)

// renderQR draws s as a QR code with the terminal's glyphs (half blocks: two modules
// per cell), a 2-module quiet zone, inverted on dark backgrounds so it reads
// dark-on-light. It returns "" when the code would be wider than maxWidth.
func renderQR(s string, maxWidth int, darkBG bool, g termcaps.Glyphs) string {
	q, err := qrcode.New(s, qrcode.Low)
	if err != nil {
		return ""
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	out := termcaps.RenderQR(bm, g, 2, !darkBG)
	for _, line := range strings.Split(out, "\n") {
		if len([]rune(line)) > maxWidth {
			return ""
		}
	}
	return strings.TrimRight(out, "\n")
}
