package safetext

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/d365consent/d365consent/internal/testkit"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Contoso Ltd", "Contoso Ltd"},
		{"Contoso\x1b[31m Red\x1b[0m", "Contoso Red"},
		{"a\x1b]0;pwned title\x07b", "ab"},
		{"clip\x1b]52;c;ZXZpbA==\x1b\\board", "clipboard"},                 // OSC 52 with ST
		{"link \x1b]8;;https://evil\x1b\\text\x1b]8;;\x1b\\", "link text"}, // OSC 8 hyperlink
		{"c1 csi \u009b31mred", "c1 csi red"},
		{"c1 osc \u009d0;title\u009cafter", "c1 osc after"},
		{"dcs \x1bPq#0;2;0;0;0\x1b\\x", "dcs x"},
		{"reset \x1bc done", "reset  done"},
		{"charset \x1b(B ok", "charset  ok"},
		{"bell\a and backspace\b", "bell and backspace"},
		{"tab\tnew\nline\r", "tab new line "},
		{"admin\u202egnp.exe", "admingnp.exe"},               // RLO
		{"x\u2066y\u2069z\u200f", "xyz"},                     // isolates, RLM
		{"zero\u200bwidth", "zerowidth"},                     // ZWSP (Cf)
		{"family 👨\u200d👩\u200d👧", "family 👨\u200d👩\u200d👧"}, // ZWJ kept
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"Zoë Łukasz 日本", "Zoë Łukasz 日本"},
		{"trailing esc \x1b", "trailing esc "},
		{"unterminated \x1b]0;title", "unterminated "},
		{"del\x7f", "del"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := SanitizeMultiline("one\ntwo\x1b[2J"); got != "one\ntwo" {
		t.Errorf("SanitizeMultiline = %q", got)
	}
}

// isBidiControl is the tests' own list of the bidirectional controls of
// CVE-2021-42574 (Sanitize drops them as format characters, unicode.Cf).
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// Every bidirectional control is dropped, alone and between letters, and each is a
// format character (the rule Sanitize applies): a Unicode update that moved one out
// of Cf would fail here, not let it through silently.
func TestBidiControlsAreDropped(t *testing.T) {
	n := 0
	for r := rune(0); r <= 0x2100; r++ {
		if !isBidiControl(r) {
			continue
		}
		n++
		if !unicode.Is(unicode.Cf, r) {
			t.Errorf("%U is not a format character", r)
		}
		for _, in := range []string{string(r), "a" + string(r) + "b"} {
			if got, want := Sanitize(in), strings.ReplaceAll(in, string(r), ""); got != want {
				t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
			}
		}
	}
	if n != 12 {
		t.Fatalf("%d bidirectional controls, want 12 (5 embeddings/overrides, 4 isolates, LRM, RLM, ALM)", n)
	}
}

// A string with nothing to drop is returned as it is, without a copy: display names
// are printed often (BenchmarkSanitizePlain). The printable ASCII range's ends, space
// and tilde, are plain; DEL is not.
func TestSanitizePlainIsNotCopied(t *testing.T) {
	for _, s := range []string{"Contoso Ltd ~", " ", "~"} {
		if allocs := testing.AllocsPerRun(50, func() { _ = Sanitize(s) }); allocs != 0 || Sanitize(s) != s {
			t.Errorf("Sanitize(%q): %v allocations, %q", s, allocs, Sanitize(s))
		}
	}
	if got := Sanitize("~\x7f"); got != "~" {
		t.Errorf("Sanitize(DEL) = %q", got)
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\x1b]52;c;AAAA\x07", "\u009b2J", "\u202e", "\xff\xfe", "a\x1b", "\x1bP\x1b\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		testkit.CheckNoControls(t, out, false)
		if strings.ContainsRune(out, '\n') {
			t.Fatalf("newline kept: %q", out)
		}
		if again := Sanitize(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if len(out) > 3*len(in) {
			t.Fatalf("output grew: %d -> %d", len(in), len(out))
		}
	})
}

// Sanitize and SanitizeMultiline are idempotent, and SanitizeMultiline's output is
// left alone by Sanitize except for its newlines: text cleaned where it entered can
// be cleaned again by a renderer without changing.
func TestSanitizeIsIdempotent(t *testing.T) {
	for _, in := range []string{"Contoso\x1b[31m Red\x1b[0m", "a\x1b]0;t\x07b\nc", "x\u202ey\u009b2Jz", "\xff\x1b", "tab\tnew\nline\r", "plain"} {
		once := Sanitize(in)
		if twice := Sanitize(once); twice != once {
			t.Errorf("Sanitize(Sanitize(%q)) = %q, want %q", in, twice, once)
		}
		multi := SanitizeMultiline(in)
		if twice := SanitizeMultiline(multi); twice != multi {
			t.Errorf("SanitizeMultiline twice on %q = %q, want %q", in, twice, multi)
		}
		if got, want := Sanitize(multi), strings.ReplaceAll(multi, "\n", " "); got != want {
			t.Errorf("Sanitize(SanitizeMultiline(%q)) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkSanitizePlain(b *testing.B) {
	s := "AvePoint Cloud Backup for Dynamics Customer Engagement"
	b.ReportAllocs()
	for b.Loop() {
		_ = Sanitize(s)
	}
}

// WrapError cleans the text and nothing else: the wrapped error is still found by
// errors.Is and errors.As, nil stays nil, and wrapping twice wraps once.
func TestWrapError(t *testing.T) {
	inner := &os.PathError{Op: "open", Path: "a\x1b[2Jb", Err: os.ErrNotExist}
	err := WrapError(fmt.Errorf("reading: %w", inner))
	if got := err.Error(); got != "reading: open ab: file does not exist" {
		t.Errorf("text %q", got)
	}
	var pe *os.PathError
	if !errors.Is(err, os.ErrNotExist) || !errors.As(err, &pe) || pe != inner {
		t.Errorf("the wrapped error is lost: %v", err)
	}
	if WrapError(nil) != nil {
		t.Error("WrapError(nil) is not nil")
	}
	if again := WrapError(err); again != err {
		t.Errorf("wrapped twice: %#v", again)
	}
}

// Escape sequences cut off at the end of the text, and nF sequences whose
// intermediates are the first (SP) or last (/) of their range, are dropped whole.
func TestSanitizeEscapeEdges(t *testing.T) {
	for in, want := range map[string]string{
		"a\x1b(":              "a",  // nF intermediate, then the end
		"a\x1b[12":            "a",  // CSI parameters, then the end
		"a\x1b Fb":            "ab", // ESC SP F
		"a\x1b/Xb":            "ab", // ESC / X
		"a\x1b(Bb":            "ab",
		"a\x1b[1mb":           "ab",
		"a\x1b":               "a",
		"a\x1b]0;t":           "a",
		"a\x1b[1@b":           "ab", // CSI final bytes: the first (@) and the last (~) of their range
		"a\x1b[1~b":           "ab",
		"a\x1b[1 qb":          "ab", // a space is an intermediate byte (DECSCUSR), not the end
		"a\x1b[1\x1fb":        "ab", // a C0 control ends a malformed CSI and is dropped itself
		"a\x1b]0;t\x1b":       "a",  // an ESC as the string's very last byte
		"a\x1b]0;t\x1b\\b":    "ab", // ST as ESC \
		"a\x1b]0;t\x1b[31mb":  "ab", // a new escape (CSI) ends the string and is skipped whole
		"a\x1b]0;\\\x1b[31mb": "ab", // a backslash before that ESC is payload, not ST
	} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}
