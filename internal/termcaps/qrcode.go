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

// qrOn and qrOff are the SGR colours of a coloured QR code: black ink on a bright
// white field.
const (
	qrOn  = "\x1b[30;107m"
	qrOff = "\x1b[0m"
)

// QRCode draws text as a QR code (error correction level M, a 2-module quiet zone).
// consent-url --qr and the wizard both draw with it (or with FitQRCode), so a code
// looks the same in both. It returns the lines and their width in cells.
func QRCode(text string, g Glyphs, st QRStyle) ([]string, int, error) {
	return drawQR(text, qrcode.Medium, g, st)
}

// QR is a QR code drawn to fit a window (FitQRCode).
type QR struct {
	// Lines are its rows, Width their width in cells.
	Lines []string
	Width int
	// Low: drawn at error correction level L, because level M did not fit.
	Low bool
}

// QRTooLargeError: the QR code does not fit the room given even at the lowest error
// correction level; Width and Rows are the smallest it can be drawn.
type QRTooLargeError struct {
	Width, Rows int
}

func (e *QRTooLargeError) Error() string {
	return fmt.Sprintf("the QR code needs %d columns and %d lines", e.Width, e.Rows)
}

// fitLevels are the error correction levels FitQRCode tries, the most robust first.
// skip2/go-qrcode offers Low (7% of the code may be lost), Medium (15%), High (25%)
// and Highest (30%). M is what printed codes use; a code on a screen is never
// creased, stained or torn, so L (which draws fewer modules for the same text) scans
// as well from a screen and is used when only it fits. High and Highest only make
// the code larger.
var fitLevels = []qrcode.RecoveryLevel{qrcode.Medium, qrcode.Low}

// FitQRCode draws text as QRCode does, at level M when that code fits maxWidth cells
// and maxRows lines (0: no limit), else at level L when that fits, else not at all: a
// *QRTooLargeError says how large it would be. A QR code is never drawn in part.
func FitQRCode(text string, g Glyphs, st QRStyle, maxWidth, maxRows int) (QR, error) {
	var smallest *QRTooLargeError
	for _, level := range fitLevels {
		lines, width, err := drawQR(text, level, g, st)
		if err != nil {
			return QR{}, err
		}
		if (maxWidth <= 0 || width <= maxWidth) && (maxRows <= 0 || len(lines) <= maxRows) {
			return QR{Lines: lines, Width: width, Low: level == qrcode.Low}, nil
		}
		smallest = &QRTooLargeError{Width: width, Rows: len(lines)}
	}
	return QR{}, smallest
}

// drawQR draws text as a QR code at the given error correction level.
func drawQR(text string, level qrcode.RecoveryLevel, g Glyphs, st QRStyle) ([]string, int, error) {
	q, err := qrcode.New(text, level)
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
