package textwrap_test

import (
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/internal/textwrap"
)

func TestWrapAtWords(t *testing.T) {
	for _, c := range []struct {
		name, in string
		width    int
		want     string
	}{
		{"words", "doctor checks everything sign-in needs instead of guessing", 20,
			"doctor checks\neverything sign-in\nneeds instead of\nguessing"},
		{"a hyphen never breaks", "the tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 is read", 24,
			"the tenant\n72f988bf-86f1-41af-91ab-2d7cd011db47\nis read"},
		{"indentation carries on", "    one two three four five six seven", 20,
			"    one two three\n    four five six\n    seven"},
		{"a URL longer than the width stands alone", "open https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=1 to consent", 30,
			"open\nhttps://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=1\nto consent"},
		{"a command stays on one line", "Use --cloud usgov with every command: d365consent doctor --cloud usgov --tenant contoso.onmicrosoft.us", 40,
			"Use --cloud usgov with every command:\nd365consent doctor --cloud usgov --tenant contoso.onmicrosoft.us"},
		{"a command ends at two spaces", "d365consent completion zsh > \"${fpath[1]}/_d365consent\"   (compinit needed)", 50,
			"d365consent completion zsh > \"${fpath[1]}/_d365consent\"\n(compinit needed)"},
		{"export", `set HTTPS_PROXY too: export HTTPS_PROXY="$HTTP_PROXY" and retry`, 30,
			"set HTTPS_PROXY too:\nexport HTTPS_PROXY=\"$HTTP_PROXY\" and retry"},
		{"prose naming the program wraps", "d365consent takes a Microsoft Entra ID tenant admin through", 20,
			"d365consent takes a\nMicrosoft Entra ID\ntenant admin through"},
		{"no width: unchanged", "a b c d e f g", 0, "a b c d e f g"},
		{"fits: unchanged", "  a  b", 80, "  a  b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := textwrap.Wrap(c.in, c.width)
			if got != c.want {
				t.Fatalf("Wrap(%q, %d)\n got %q\nwant %q", c.in, c.width, got, c.want)
			}
			if c.width > 0 {
				testkit.CheckWrapped(t, got, c.in, c.width)
			}
		})
	}
}

func TestHangIndentsUnderTheText(t *testing.T) {
	got := textwrap.Hang("      fix: ", "Ask the network team to allow outbound HTTPS (TCP 443) to login.microsoftonline.com.", 40)
	want := "      fix: Ask the network team to allow\n" +
		"           outbound HTTPS (TCP 443) to\n" +
		"           login.microsoftonline.com."
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// A command that does not fit beside the prefix goes on its own line.
	got = textwrap.Hang("      fix: ", "d365consent doctor --cloud usgov --tenant contoso.onmicrosoft.us", 40)
	want = "      fix:\n           d365consent doctor --cloud usgov --tenant contoso.onmicrosoft.us"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// A list item: the description hangs under its column.
	got = textwrap.Hang("  fresh       ", "nothing consented yet: CE can be granted in one trip", 40)
	want = "  fresh       nothing consented yet: CE\n" +
		"              can be granted in one trip"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// TestHangKeepsAColumn: an indent deeper than the width allows is reduced, so the
// text keeps MinColumn cells.
func TestHangKeepsAColumn(t *testing.T) {
	got := textwrap.HangAt("", "alpha beta gamma delta epsilon zeta", 30, 20)
	for _, l := range strings.Split(got, "\n")[1:] {
		if ind := len(l) - len(strings.TrimLeft(l, " ")); ind != 20-textwrap.MinColumn {
			t.Fatalf("indent %d, want %d:\n%s", ind, 20-textwrap.MinColumn, got)
		}
	}
	testkit.CheckWrapped(t, got, "alpha beta gamma delta epsilon zeta", 20)
}

// TestWrapANSI: escape sequences take no width and are never cut; a style that
// spans a break is closed at the line's end and reopened on the next line.
func TestWrapANSI(t *testing.T) {
	in := "\x1b[31mred words that span the break\x1b[0m then plain"
	got := textwrap.Wrap(in, 16)
	want := "\x1b[31mred words that\x1b[m\n\x1b[31mspan the break\x1b[0m\nthen plain"
	if got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	link := "see \x1b]8;;https://example.com/a-b\x07the docs\x1b]8;;\x07 for the rest of it"
	got = textwrap.Wrap(link, 12)
	if !strings.Contains(got, "\x1b]8;;https://example.com/a-b\x07") {
		t.Fatalf("hyperlink changed: %q", got)
	}
	testkit.CheckWrapped(t, got, link, 12)
}

// TestWrapKeepsStandInRunes: text that holds the private-use runes the wrapper
// uses internally comes out byte for byte.
func TestWrapKeepsStandInRunes(t *testing.T) {
	in := "odd \uE000 \uE001 \uE002 text here"
	got := textwrap.Wrap(in, 8)
	if strings.ReplaceAll(got, "\n", " ") != in {
		t.Fatalf("got %q", got)
	}
}

func TestUnits(t *testing.T) {
	for in, want := range map[string][]string{
		"run d365consent verify --app ce now":            {"run", "d365consent verify --app ce now"},
		"  d365consent demo      # the wizard":           {"d365consent demo", "#", "the", "wizard"},
		"d365consent logout admin@contoso.com":           {"d365consent logout admin@contoso.com"},
		"app d365consent signs in with":                  {"app", "d365consent", "signs", "in", "with"},
		"HTTPS_PROXY=... SSL_CERT_FILE=PATH az login -x": {"HTTPS_PROXY=... SSL_CERT_FILE=PATH az login -x"},
		"  HTTPS_PROXY=x d365consent verify ...":         {"HTTPS_PROXY=x d365consent verify ..."},
		"source <(d365consent completion bash)":          {"source <(d365consent completion bash)"},
		"  printf '%s\\n' a.com b.com > customers.txt":   {"printf '%s\\n' a.com b.com > customers.txt"},
		"sign-in and re-authorize":                       {"sign-in", "and", "re-authorize"},
	} {
		if got := textwrap.Units(in); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("Units(%q) = %q, want %q", in, got, want)
		}
	}
}
