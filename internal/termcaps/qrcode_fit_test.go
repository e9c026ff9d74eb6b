package termcaps

import (
	"errors"
	"slices"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// An admin consent link as production builds it: 180 characters, a code of 29 lines
// by 57 cells at level M and 27 by 53 at level L (half-block rows).
const fitTestLink = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/adminconsent?client_id=cbe0c4cc-d28c-5857-bc0e-bb312578ab4b&state=alrAodKur3SHROB2JqaxKX5vBLYtctTrKCtBfCHwfLQ"

// FitQRCode draws level M where it fits, level L where only L fits, and nothing
// (with the smallest size) where neither fits.
func TestFitQRCodeLevel(t *testing.T) {
	st := QRStyle{Color: true, DarkBackground: true}
	medium, mw, _ := drawQR(fitTestLink, qrcode.Medium, Unicode, st)
	low, lw, _ := drawQR(fitTestLink, qrcode.Low, Unicode, st)
	if len(medium) != 29 || mw != 57 || len(low) != 27 || lw != 53 {
		t.Fatalf("sizes: M %d×%d, L %d×%d", len(medium), mw, len(low), lw)
	}
	for _, tc := range []struct {
		name          string
		width, rows   int
		want          []string
		wantW         int
		low, tooLarge bool
	}{
		{"M fits exactly", 57, 29, medium, 57, false, false},
		{"no limits: M", 0, 0, medium, 57, false, false},
		{"M one line too tall: L", 80, 28, low, 53, true, false},
		{"M one cell too wide: L", 56, 40, low, 53, true, false},
		{"L fits exactly", 53, 27, low, 53, true, false},
		{"L one line too tall: none", 80, 26, nil, 0, false, true},
		{"L one cell too wide: none", 52, 40, nil, 0, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := FitQRCode(fitTestLink, Unicode, st, tc.width, tc.rows)
			if tc.tooLarge {
				var big *QRTooLargeError
				if !errors.As(err, &big) || *big != (QRTooLargeError{Width: 53, Rows: 27}) || q.Lines != nil {
					t.Fatalf("got %d lines, error %v; want none and the smallest size 53×27", len(q.Lines), err)
				}
				return
			}
			if err != nil || !slices.Equal(q.Lines, tc.want) || q.Width != tc.wantW || q.Low != tc.low {
				t.Fatalf("got %d lines × %d (low %v), %v; want %d × %d (low %v)", len(q.Lines), q.Width, q.Low, err, len(tc.want), tc.wantW, tc.low)
			}
		})
	}
}

// Without half blocks (ASCII) a module is a whole line: the rows counted are the
// lines drawn.
func TestFitQRCodeCountsASCIILines(t *testing.T) {
	const link = "https://microsoft.com/devicelogin" // 29 modules and the quiet zone: 33 lines
	q, err := FitQRCode(link, ASCII, QRStyle{}, 0, 33)
	if err != nil || len(q.Lines) != 33 || q.Width != 66 || q.Low {
		t.Fatalf("%d lines × %d (low %v), %v", len(q.Lines), q.Width, q.Low, err)
	}
	if _, err := FitQRCode(link, ASCII, QRStyle{}, 0, 32); err == nil {
		t.Fatal("drawn in 32 lines")
	}
}

// QRCode is FitQRCode without limits: level M.
func TestQRCodeIsLevelM(t *testing.T) {
	lines, w, err := QRCode(fitTestLink, Unicode, QRStyle{})
	q, _ := FitQRCode(fitTestLink, Unicode, QRStyle{}, 0, 0)
	if err != nil || !slices.Equal(lines, q.Lines) || w != q.Width || q.Low {
		t.Fatalf("QRCode %d×%d, FitQRCode %d×%d low %v", len(lines), w, len(q.Lines), q.Width, q.Low)
	}
}
