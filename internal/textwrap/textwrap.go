// Package textwrap wraps text for the terminal at word boundaries: the one wrapper
// of doctor's report, every command's --help and the fleet table. It never breaks
// inside a word, at a hyphen (ids, GUIDs, flags and host names stay whole), inside a
// URL, or inside a command the admin is meant to paste (`d365consent verify ...`,
// `export NAME=...`, `NAME=value command ...`): such a unit goes on a line of its
// own instead, longer than the width if it must be, so it pastes and opens whole.
//
// The wrapping itself is ansi.Wordwrap (github.com/charmbracelet/x/ansi), which
// measures cells, not bytes, and passes escape sequences through; lipgloss's
// WrapWriter then closes a style or hyperlink at a line's end and reopens it on the
// next, so colour never bleeds into the indentation.
package textwrap

import (
	"regexp"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// MinColumn is the narrowest column a hanging indent leaves for the text: a deeper
// indent is reduced so that at least this many cells remain.
const MinColumn = 16

// Stand-ins while ansi.Wordwrap runs: it breaks at every space and after every
// hyphen, so the spaces inside a command and every hyphen are swapped for
// private-use runes (one cell wide, never a break point) and swapped back after.
// fill holds the columns a first line's prefix takes beyond the hanging indent.
const (
	keepSpace  = '\uE000'
	keepHyphen = '\uE001'
	fill       = '\uE002'
)

// Wrap wraps each line of s to width cells at word boundaries. A line's
// continuation lines take its indentation (its leading spaces). width <= 0 returns
// s unchanged: output to a pipe keeps its full lines.
func Wrap(s string, width int) string {
	if width <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		body := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(body)]
		lines[i] = Hang(indent, body, width)
	}
	return strings.Join(lines, "\n")
}

// Hang writes prefix, then body wrapped to width cells at word boundaries, its
// continuation lines indented by spaces as wide as prefix (a hanging indent: under
// the text of a list item or a doctor check). When the body's first unit does not
// fit beside a prefix that holds text, the prefix stands alone on the first line.
// body is one line. width <= 0 returns prefix+body unchanged.
func Hang(prefix, body string, width int) string {
	return HangAt(prefix, body, ansi.StringWidth(prefix), width)
}

// HangAt is Hang with continuation lines indented by hang spaces.
func HangAt(prefix, body string, hang, width int) string {
	if width <= 0 {
		return prefix + body
	}
	hang = max(0, min(hang, width-MinColumn))
	pw := ansi.StringWidth(prefix)
	body = strings.TrimRight(body, " ")
	if strings.ContainsRune(body, '\n') || strings.ContainsAny(body, string([]rune{keepSpace, keepHyphen, fill})) {
		// Not one line, or it holds the stand-ins themselves: wrap as is, each
		// newline ending a line (never corrupt the text).
		return wrapPlain(prefix, body, hang, width)
	}
	units := Units(body)
	if len(units) == 0 {
		return strings.TrimRight(prefix, " ")
	}
	if strings.TrimSpace(ansi.Strip(prefix)) != "" && pw+ansi.StringWidth(units[0]) > width {
		return strings.TrimRight(prefix, " ") + "\n" + HangAt(strings.Repeat(" ", hang), body, hang, width)
	}
	protected := protect(body)
	lead := ""
	if pw > hang {
		lead = strings.Repeat(string(fill), pw-hang)
	}
	wrapped := ansi.Wordwrap(lead+protected, max(1, width-hang), "")
	wrapped = strings.TrimPrefix(wrapped, lead)
	lines := strings.Split(restore(wrapped), "\n")
	indent := strings.Repeat(" ", hang)
	var b strings.Builder
	b.WriteString(prefix)
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n" + indent)
		}
		b.WriteString(strings.TrimRight(l, " "))
	}
	return closeStyles(b.String())
}

// wrapPlain wraps body as ansi.Wordwrap does, without the stand-ins.
func wrapPlain(prefix, body string, hang, width int) string {
	lines := strings.Split(ansi.Wordwrap(body, max(1, width-hang), ""), "\n")
	return closeStyles(prefix + strings.Join(lines, "\n"+strings.Repeat(" ", hang)))
}

// closeStyles ends a style or hyperlink at each line's end and restarts it on the
// next line (lipgloss's WrapWriter), so a wrapped span stays styled and the
// indentation does not.
func closeStyles(s string) string {
	if !strings.ContainsRune(s, '\x1b') {
		return s
	}
	var b strings.Builder
	w := lipgloss.NewWrapWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

// Units splits one line of text into what wrapping never breaks: words (at spaces;
// a hyphen does not split), and whole commands. A command starts at a command word
// (see commandStart) and runs to the end of the line, or to a run of two or more
// spaces or a " # " comment, which end it.
func Units(line string) []string {
	var units []string
	for _, seg := range segments(line) {
		if seg.command {
			units = append(units, seg.text)
			continue
		}
		units = append(units, strings.Fields(seg.text)...)
	}
	return units
}

type segment struct {
	text    string
	command bool
}

// commandEnd ends a command: two or more spaces or " # " before its comment or
// note ("d365consent demo    # the wizard ..."), or the punctuation that closes it
// in a sentence (",", ";" or ")" before a space or the end, a full stop before the
// next sentence or the end, not "..."), kept with it.
var commandEnd = regexp.MustCompile(`(  +| # )|([,;)])(?: |$)|[^.](\.)(?: [A-Z]|$)`)

// segments cuts a line into commands and the text around them.
func segments(line string) []segment {
	var segs []segment
	rest := line
	for rest != "" {
		start := commandStart(rest)
		if start < 0 {
			segs = append(segs, segment{text: rest})
			break
		}
		if start > 0 {
			segs = append(segs, segment{text: rest[:start]})
		}
		cmd := rest[start:]
		end := len(cmd)
		if m := commandEnd.FindStringSubmatchIndex(cmd); m != nil {
			switch {
			case m[2] >= 0: // spaces or a comment: they are not the command's
				end = m[2]
			case m[4] >= 0: // closing punctuation ends the command, with it
				end = m[5]
			default:
				end = m[7]
			}
		}
		segs = append(segs, segment{text: cmd[:end], command: true})
		rest = cmd[end:]
	}
	return segs
}

// A command is recognised by its first words: this program's name followed by a
// flag, or by one or two command words and then a flag, an argument that is a
// name, path or address (it holds . @ / = or a shell operator), a comment, a
// closing parenthesis or the end — not prose such as "d365consent takes a ...";
// `export NAME=`; a line that starts with printf or source; or environment
// assignments (NAME=value) leading a command line.
var (
	programCmd = regexp.MustCompile(`(^|\s)([(<]*d365consent(( [a-z][a-z-]*){1,2}( -| \S*[.@/=>|<]|\)|$|  | #)| -))`)
	exportCmd  = regexp.MustCompile(`(^|\s)(export [A-Za-z_][A-Za-z0-9_]*=)`)
	shellCmd   = regexp.MustCompile(`^ *()((printf|source) \S)`)
	envCmd     = regexp.MustCompile(`^ *()([A-Z_][A-Z0-9_]*=\S*( [A-Z_][A-Z0-9_]*=\S*)* [a-z])`)
)

// commandStart is the byte offset where the first command in s starts, or -1.
func commandStart(s string) int {
	plain := ansi.Strip(s)
	if plain != s {
		// Commands are recognised in plain text only; styled text wraps at words.
		return -1
	}
	best := -1
	for _, re := range []*regexp.Regexp{programCmd, exportCmd, shellCmd, envCmd} {
		if m := re.FindStringSubmatchIndex(s); m != nil && (best < 0 || m[4] < best) {
			best = m[4]
		}
	}
	return best
}

// protect swaps the break points wrapping must not use for stand-ins: every
// hyphen, and the spaces inside commands.
func protect(s string) string {
	var b strings.Builder
	for _, seg := range segments(s) {
		t := seg.text
		if seg.command {
			t = strings.ReplaceAll(t, " ", string(keepSpace))
		}
		b.WriteString(t)
	}
	return strings.ReplaceAll(b.String(), "-", string(keepHyphen))
}

var restorer = strings.NewReplacer(string(keepSpace), " ", string(keepHyphen), "-", string(fill), "")

func restore(s string) string { return restorer.Replace(s) }
