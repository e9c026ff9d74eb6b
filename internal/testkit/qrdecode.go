package testkit

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// DecodeQR reads the text of a QR code as a terminal shows it: rows of half blocks
// whose ink is the dark modules (█ both, ▀ the upper, ▄ the lower, a space neither),
// as termcaps draws it in colour, escape sequences stripped. It decodes with gozxing,
// a decoder independent of the encoder, so a test checks what a phone reads.
func DecodeQR(rows []string) (string, error) {
	const px, border = 6, 4 // pixels per module; quiet modules added on every side
	cells := make([][]rune, len(rows))
	width := 0
	for i, r := range rows {
		cells[i] = []rune(r)
		width = max(width, len(cells[i]))
	}
	img := image.NewGray(image.Rect(0, 0, (width+2*border)*px, (2*len(rows)+2*border)*px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	dark := func(mx, my int) {
		for y := 0; y < px; y++ {
			for x := 0; x < px; x++ {
				img.SetGray((mx+border)*px+x, (my+border)*px+y, color.Gray{})
			}
		}
	}
	for y, row := range cells {
		for x, c := range row {
			switch c {
			case '█':
				dark(x, 2*y)
				dark(x, 2*y+1)
			case '▀':
				dark(x, 2*y)
			case '▄':
				dark(x, 2*y+1)
			case ' ':
			default:
				return "", fmt.Errorf("row %d: %q is not a half block", y, strings.TrimSpace(string(c)))
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// ShownQR is the QR code on a screen: the longest run of lines made of half blocks
// and spaces only, with ink (a code without the blank lines of its quiet zone), as
// DecodeQR reads it.
func ShownQR(screen string) []string {
	var best, run []string
	for _, l := range strings.Split(screen, "\n") {
		if strings.Trim(l, " █▀▄") == "" && strings.ContainsAny(l, "█▀▄") {
			run = append(run, l)
			if len(run) > len(best) {
				best = run
			}
			continue
		}
		run = nil
	}
	return best
}
