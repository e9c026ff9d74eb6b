package termcaps

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// QRStyle is how a QR code is coloured.
type QRStyle struct {
	// Color draws black modules on a white field with SGR colours, so the code reads
	// the same on every terminal background. Without it the glyphs' own ink is used,
	// inverted for dark backgrounds (see RenderQR).
	Color bool
	// DarkBackground tells, without Color, which way to invert.
	DarkBackground bool
}

// qrBlack and qrWhite are the SGR colours of a coloured QR code: black ink on a
// bright white field.
const (
	qrOn  = "\x1b[30;107m"
	qrOff = "\x1b[0m"
)

// QRCode draws text as a QR code (error correction level M, a 2-module quiet zone).
// consent-url --qr and the wizard both draw with it, so a code looks the same in
// both. It returns the lines and their width in cells.
func QRCode(text string, g Glyphs, st QRStyle) ([]string, int, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, 0, fmt.Errorf("drawing the QR code: %w", err)
	}
	q.DisableBorder = true
	inkIsDark := st.Color || !st.DarkBackground
	lines := strings.Split(strings.TrimRight(RenderQR(q.Bitmap(), g, 2, inkIsDark), "\n"), "\n")
	width := 0
	if len(lines) > 0 {
		width = len([]rune(lines[0]))
	}
	if st.Color {
		for i, l := range lines {
			lines[i] = qrOn + l + qrOff
		}
	}
	return lines, width, nil
}
