package termcaps

import "strings"

// RenderQR draws a QR code's module matrix (modules[y][x], true = dark) with g's QR
// blocks, adding a quiet zone of quiet modules on every side (the spec asks for 4;
// 2 usually scans on a screen). On a dark-background terminal a glyph's "ink" is
// light, so dark modules are drawn as Empty and light ones as Full: the code then
// reads dark-on-light as scanners expect. Set inkIsDark for light-background
// terminals and for output to files.
func RenderQR(modules [][]bool, g Glyphs, quiet int, inkIsDark bool) string {
	n := len(modules)
	size := n + 2*quiet
	// ink reports whether the cell at (x, y) in quiet-zone coordinates is drawn with ink.
	ink := func(x, y int) bool {
		dark := false
		if mx, my := x-quiet, y-quiet; my >= 0 && my < n && mx >= 0 && mx < len(modules[my]) {
			dark = modules[my][mx]
		}
		return dark == inkIsDark
	}
	var b strings.Builder
	if !g.QR.Half {
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				if ink(x, y) {
					b.WriteString(g.QR.Full)
				} else {
					b.WriteString(g.QR.Empty)
				}
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	for y := 0; y < size; y += 2 {
		for x := 0; x < size; x++ {
			top := ink(x, y)
			// An odd last row: the missing lower half is left to the background.
			bottom := y+1 < size && ink(x, y+1)
			switch {
			case top && bottom:
				b.WriteString(g.QR.Full)
			case top:
				b.WriteString(g.QR.Upper)
			case bottom:
				b.WriteString(g.QR.Lower)
			default:
				b.WriteString(g.QR.Empty)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
