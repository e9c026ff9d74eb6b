// Package termcaps decides, from the environment alone, whether the terminal can show
// Unicode (box drawing, ✓ ✗, QR half blocks) and colour, and hands out the glyphs to
// draw with. It never touches the terminal itself: whether stdout is a TTY, and the
// exact colour profile, are the caller's business (colorprofile does the latter).
//
// The environment is injected ([]string in os.Environ form) so every rule is testable
// on any OS. Overrides: D365CONSENT_ASCII=1 forces ASCII, D365CONSENT_UNICODE=1 forces
// Unicode (ASCII wins when both are set: it is the one that cannot render wrongly).
package termcaps

import (
	"strconv"
	"strings"
)

// Caps is what the terminal can show.
type Caps struct {
	// Unicode reports whether non-ASCII glyphs (box drawing, ✓, QR half blocks) render.
	Unicode bool
	// Color reports whether the environment allows colour at all (NO_COLOR, TERM=dumb
	// say no). How many colours is colorprofile's job.
	Color bool
	// Glyphs is the glyph set matching Unicode.
	Glyphs Glyphs
	// Hyperlinks reports whether the terminal shows OSC 8 links (a URL printed as a
	// link to itself can be clicked whole). Terminals without it may print the escape
	// sequences as text, so it is only set for the ones known to support them.
	Hyperlinks bool
	// Reason says which rule decided Unicode, for --debug output and bug reports.
	Reason string
}

// Glyphs are the symbols the UI draws with; Unicode and ASCII hold the two sets.
type Glyphs struct {
	Unicode  bool
	Check    string // granted
	Cross    string // missing
	Warn     string // warning
	Bullet   string
	Arrow    string // "next" / selected row
	Ellipsis string
	Spinner  []string // frames of a busy indicator
	Box      Box
	QR       QRBlocks
}

// Box is a border set: lipgloss.Border has the same fields, so the UI can copy them.
type Box struct {
	Top, Bottom, Left, Right                                 string
	TopLeft, TopRight, BottomLeft, BottomRight               string
	MiddleLeft, MiddleRight, Middle, MiddleTop, MiddleBottom string
}

// QRBlocks are what a QR code is drawn with. With Half set, one text cell holds two
// module rows (upper and lower half), so the code is square on screen; without it
// (ASCII) each module is two cells wide and one row high.
type QRBlocks struct {
	Half  bool
	Full  string // both halves dark (Half) / one dark module (ASCII)
	Upper string // upper half dark (Half only)
	Lower string // lower half dark (Half only)
	Empty string // light
}

// Unicode is the glyph set for terminals that render UTF-8.
var Unicode = Glyphs{
	Unicode:  true,
	Check:    "✓",
	Cross:    "✗",
	Warn:     "⚠",
	Bullet:   "•",
	Arrow:    "›",
	Ellipsis: "…",
	Spinner:  []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"},
	Box: Box{
		Top: "─", Bottom: "─", Left: "│", Right: "│",
		TopLeft: "╭", TopRight: "╮", BottomLeft: "╰", BottomRight: "╯",
		MiddleLeft: "├", MiddleRight: "┤", Middle: "┼", MiddleTop: "┬", MiddleBottom: "┴",
	},
	QR: QRBlocks{Half: true, Full: "█", Upper: "▀", Lower: "▄", Empty: " "},
}

// ASCII is the glyph set for everything else (legacy conhost, the Linux console,
// TERM=dumb, a C/POSIX locale).
var ASCII = Glyphs{
	Unicode:  false,
	Check:    "[x]",
	Cross:    "[ ]",
	Warn:     "!",
	Bullet:   "*",
	Arrow:    ">",
	Ellipsis: "...",
	Spinner:  []string{"|", "/", "-", "\\"},
	Box: Box{
		Top: "-", Bottom: "-", Left: "|", Right: "|",
		TopLeft: "+", TopRight: "+", BottomLeft: "+", BottomRight: "+",
		MiddleLeft: "+", MiddleRight: "+", Middle: "+", MiddleTop: "+", MiddleBottom: "+",
	},
	QR: QRBlocks{Half: false, Full: "##", Empty: "  "},
}

// Env var names of the overrides.
const (
	EnvASCII   = "D365CONSENT_ASCII"
	EnvUnicode = "D365CONSENT_UNICODE"
)

// Detect decides the terminal's capabilities from environ (os.Environ form; later
// entries win, like the OS) and goos (runtime.GOOS).
func Detect(environ []string, goos string) Caps {
	env := envMap(environ, goos)
	uni, reason := detectUnicode(env, goos)
	c := Caps{Unicode: uni, Color: detectColor(env), Hyperlinks: detectHyperlinks(env), Reason: reason, Glyphs: ASCII}
	if uni {
		c.Glyphs = Unicode
	}
	return c
}

func detectUnicode(env map[string]string, goos string) (bool, string) {
	switch {
	case truthy(env[EnvASCII]):
		return false, EnvASCII
	case truthy(env[EnvUnicode]):
		return true, EnvUnicode
	}
	term := strings.ToLower(env["TERM"])
	switch term {
	case "dumb":
		return false, "TERM=dumb"
	case "linux":
		// The Linux virtual console's font has no ✓ ✗ and few box or block glyphs.
		return false, "TERM=linux (Linux console)"
	}
	// POSIX precedence: the first non-empty of LC_ALL, LC_CTYPE, LANG names the locale.
	locale, localeVar := "", ""
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := env[k]; v != "" {
			locale, localeVar = v, k
			break
		}
	}
	if locale != "" {
		if isUTF8(locale) {
			return true, localeVar + "=" + locale
		}
		if goos != "windows" {
			return false, localeVar + "=" + locale + " (not UTF-8)"
		}
		// Git Bash and MSYS set LANG on Windows, but what renders is the console's
		// business: fall through to the console checks.
	}
	if goos == "windows" {
		switch {
		case env["WT_SESSION"] != "":
			return true, "Windows Terminal (WT_SESSION)"
		case strings.EqualFold(env["CONEMUANSI"], "ON") || env["CONEMUPID"] != "":
			return true, "ConEmu"
		case env["TERM_PROGRAM"] != "":
			return true, "TERM_PROGRAM=" + env["TERM_PROGRAM"]
		case term != "":
			// mintty (Git Bash, Cygwin, MSYS2) sets TERM; conhost never does.
			return true, "TERM=" + term + " (mintty or similar)"
		}
		return false, "legacy Windows console"
	}
	if goos == "darwin" {
		// Terminal.app and iTerm2 are UTF-8 out of the box even when no locale is
		// exported (e.g. a launchd or ssh session without LANG).
		return true, "macOS terminal default"
	}
	if env["TERM_PROGRAM"] != "" {
		return true, "TERM_PROGRAM=" + env["TERM_PROGRAM"]
	}
	return false, "no UTF-8 locale (LANG/LC_ALL/LC_CTYPE unset)"
}

// detectColor follows https://no-color.org and TERM=dumb; CLICOLOR_FORCE/FORCE_COLOR
// override TERM=dumb but never NO_COLOR.
// EnvHyperlinks forces OSC 8 links on (1) or off (0), as FORCE_HYPERLINK does for
// other command-line tools.
const EnvHyperlinks = "FORCE_HYPERLINK"

// detectHyperlinks: the terminals known to show OSC 8 links (the list the
// supports-hyperlinks convention keeps: Windows Terminal, iTerm2 3.1+, WezTerm,
// VS Code, GNOME's VTE 0.50+, kitty, foot, ghostty), FORCE_HYPERLINK deciding first;
// never for TERM=dumb.
func detectHyperlinks(env map[string]string) bool {
	if v, ok := env[EnvHyperlinks]; ok && v != "" {
		return v != "0" && !strings.EqualFold(v, "false")
	}
	term := strings.ToLower(env["TERM"])
	if term == "dumb" || term == "linux" {
		return false
	}
	switch {
	case env["WT_SESSION"] != "", env["KITTY_WINDOW_ID"] != "", env["WEZTERM_EXECUTABLE"] != "", env["GHOSTTY_RESOURCES_DIR"] != "":
		return true
	case term == "xterm-kitty", term == "foot", strings.HasPrefix(term, "foot-"), term == "xterm-ghostty", term == "wezterm":
		return true
	}
	switch env["TERM_PROGRAM"] {
	case "WezTerm", "vscode", "ghostty":
		return true
	case "iTerm.app":
		major, minor, _ := strings.Cut(env["TERM_PROGRAM_VERSION"], ".")
		minor, _, _ = strings.Cut(minor, ".")
		return atoi(major) > 3 || atoi(major) == 3 && atoi(minor) >= 1
	}
	return atoi(env["VTE_VERSION"]) >= 5000
}

// atoi is the decimal number s, 0 when s is not one.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0
	}
	return n
}

func detectColor(env map[string]string) bool {
	if env["NO_COLOR"] != "" {
		return false
	}
	if v := env["CLICOLOR_FORCE"]; v != "" && v != "0" {
		return true
	}
	if v := env["FORCE_COLOR"]; v != "" && v != "0" && v != "false" {
		return true
	}
	return !strings.EqualFold(env["TERM"], "dumb")
}

func isUTF8(locale string) bool {
	l := strings.ToLower(locale)
	return strings.Contains(l, "utf-8") || strings.Contains(l, "utf8")
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// envMap indexes environ; on Windows, where variable names are case-insensitive, by
// the upper-case name (so look-ups use upper-case names throughout).
func envMap(environ []string, goos string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if goos == "windows" {
				k = strings.ToUpper(k)
			}
			m[k] = v
		}
	}
	return m
}
