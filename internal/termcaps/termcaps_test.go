package termcaps

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDetectUnicode(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		goos string
		want bool
	}{
		{"linux UTF-8 LANG", []string{"LANG=en_US.UTF-8", "TERM=xterm-256color"}, "linux", true},
		{"linux utf8 spelling", []string{"LANG=de_DE.utf8"}, "linux", true},
		{"C.UTF-8", []string{"LC_ALL=C.UTF-8"}, "linux", true},
		{"LC_ALL beats LANG", []string{"LANG=en_US.UTF-8", "LC_ALL=C"}, "linux", false},
		{"LC_CTYPE beats LANG", []string{"LANG=C", "LC_CTYPE=en_US.UTF-8"}, "linux", true},
		{"LC_ALL beats LC_CTYPE", []string{"LC_CTYPE=en_US.UTF-8", "LC_ALL=POSIX"}, "linux", false},
		{"empty LC_ALL ignored", []string{"LC_ALL=", "LANG=en_US.UTF-8"}, "linux", true},
		{"latin1 locale", []string{"LANG=en_US.ISO-8859-1"}, "linux", false},
		{"no locale on linux", []string{"TERM=xterm"}, "linux", false},
		{"no locale but TERM_PROGRAM", []string{"TERM_PROGRAM=vscode"}, "linux", true},
		{"TERM=linux console", []string{"LANG=en_US.UTF-8", "TERM=linux"}, "linux", false},
		{"TERM=dumb", []string{"LANG=en_US.UTF-8", "TERM=dumb"}, "linux", false},
		{"later entry wins", []string{"LANG=C", "LANG=en_US.UTF-8"}, "linux", true},
		{"macOS without locale", nil, "darwin", true},
		{"macOS C locale", []string{"LC_ALL=C"}, "darwin", false},
		{"Windows Terminal", []string{"WT_SESSION=0b1c"}, "windows", true},
		{"Windows ConEmu", []string{"ConEmuANSI=ON"}, "windows", true},
		{"Windows ConEmu PID", []string{"ConEmuPID=42"}, "windows", true},
		{"Windows case-insensitive names", []string{"wt_session=1"}, "windows", true},
		{"Windows VS Code", []string{"TERM_PROGRAM=vscode"}, "windows", true},
		{"Windows mintty", []string{"TERM=xterm"}, "windows", true},
		{"legacy conhost", []string{"COMSPEC=C:\\Windows\\system32\\cmd.exe"}, "windows", false},
		{"legacy conhost with Git Bash LANG", []string{"LANG=C"}, "windows", false},
		{"conhost with UTF-8 LANG", []string{"LANG=en_US.UTF-8"}, "windows", true},
		{"override ASCII", []string{"LANG=en_US.UTF-8", "D365CONSENT_ASCII=1"}, "linux", false},
		{"override ASCII true", []string{"WT_SESSION=x", "D365CONSENT_ASCII=true"}, "windows", false},
		{"override ASCII=0 ignored", []string{"LANG=en_US.UTF-8", "D365CONSENT_ASCII=0"}, "linux", true},
		{"override Unicode", []string{"TERM=linux", "D365CONSENT_UNICODE=1"}, "linux", true},
		{"override Unicode on conhost", []string{"D365CONSENT_UNICODE=yes"}, "windows", true},
		{"ASCII beats Unicode", []string{"D365CONSENT_UNICODE=1", "D365CONSENT_ASCII=1"}, "linux", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Detect(tt.env, tt.goos)
			if c.Unicode != tt.want {
				t.Fatalf("Detect(%q, %s).Unicode = %v (%s), want %v", tt.env, tt.goos, c.Unicode, c.Reason, tt.want)
			}
			if c.Glyphs.Unicode != tt.want {
				t.Errorf("Glyphs.Unicode = %v, want %v", c.Glyphs.Unicode, tt.want)
			}
			if c.Reason == "" {
				t.Error("empty Reason")
			}
		})
	}
}

func TestDetectColor(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want bool
	}{
		{"default", []string{"TERM=xterm-256color"}, true},
		{"no TERM", nil, true},
		{"NO_COLOR", []string{"NO_COLOR=1"}, false},
		{"NO_COLOR empty is unset", []string{"NO_COLOR="}, true},
		{"dumb", []string{"TERM=dumb"}, false},
		{"dumb forced", []string{"TERM=dumb", "CLICOLOR_FORCE=1"}, true},
		{"FORCE_COLOR", []string{"TERM=dumb", "FORCE_COLOR=1"}, true},
		{"FORCE_COLOR=0", []string{"TERM=dumb", "FORCE_COLOR=0"}, false},
		{"NO_COLOR beats force", []string{"NO_COLOR=1", "CLICOLOR_FORCE=1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.env, "linux").Color; got != tt.want {
				t.Fatalf("Color = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestGlyphSets checks that the ASCII set really is ASCII and that both sets are complete.
func TestGlyphSets(t *testing.T) {
	for _, g := range []Glyphs{Unicode, ASCII} {
		all := []string{g.Check, g.Cross, g.Warn, g.Bullet, g.Arrow, g.Ellipsis,
			g.Box.Top, g.Box.Bottom, g.Box.Left, g.Box.Right, g.Box.TopLeft, g.Box.TopRight,
			g.Box.BottomLeft, g.Box.BottomRight, g.Box.MiddleLeft, g.Box.MiddleRight,
			g.Box.Middle, g.Box.MiddleTop, g.Box.MiddleBottom, g.QR.Full, g.QR.Empty}
		all = append(all, g.Spinner...)
		if g.QR.Half {
			all = append(all, g.QR.Upper, g.QR.Lower)
		}
		for i, s := range all {
			if s == "" {
				t.Errorf("unicode=%v: glyph %d is empty", g.Unicode, i)
			}
			if !g.Unicode {
				for _, r := range s {
					if r >= utf8.RuneSelf {
						t.Errorf("ASCII glyph %q is not ASCII", s)
					}
				}
			}
		}
		if len(g.QR.Full) == 0 || len([]rune(g.QR.Full)) != len([]rune(g.QR.Empty)) {
			t.Errorf("unicode=%v: QR Full %q and Empty %q differ in width", g.Unicode, g.QR.Full, g.QR.Empty)
		}
	}
	if Unicode.Check == ASCII.Check || Unicode.Check != "✓" {
		t.Errorf("Unicode.Check = %q", Unicode.Check)
	}
}

func TestRenderQR(t *testing.T) {
	// A 3x3 matrix with a known pattern: X.X / .X. / X.X
	m := [][]bool{{true, false, true}, {false, true, false}, {true, false, true}}

	t.Run("ASCII dark ink", func(t *testing.T) {
		got := RenderQR(m, ASCII, 1, true)
		want := "" +
			"          \n" +
			"  ##  ##  \n" +
			"    ##    \n" +
			"  ##  ##  \n" +
			"          \n"
		if got != want {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("ASCII light ink inverts", func(t *testing.T) {
		got := RenderQR(m, ASCII, 0, false)
		want := "" +
			"  ##  \n" +
			"##  ##\n" +
			"  ##  \n"
		if got != want {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("half blocks", func(t *testing.T) {
		got := RenderQR(m, Unicode, 0, true)
		// rows 0+1: (X,.) (.,X) (X,.) = ▀▄▀ ; row 2 alone: X . X = ▀ ▀
		want := "▀▄▀\n▀ ▀\n"
		if got != want {
			t.Fatalf("got\n%q\nwant\n%q", got, want)
		}
		lines := strings.Split(strings.TrimSuffix(RenderQR(m, Unicode, 2, false), "\n"), "\n")
		if len(lines) != 4 { // 3+4 = 7 module rows -> 4 text rows
			t.Fatalf("got %d lines, want 4", len(lines))
		}
		if strings.Trim(lines[0], "█") != "" {
			t.Errorf("quiet zone row on a dark terminal must be full blocks, got %q", lines[0])
		}
	})
}
