package cli

import (
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/testkit"
)

// helpCommands is every command line whose help a user can ask for.
func helpCommands(t *testing.T) [][]string {
	t.Helper()
	root := newRootCmd(newFactory(strings.NewReader(""), nil, nil, nil))
	lines := [][]string{{"--help"}}
	var walk func(*cobra.Command, []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() {
				continue
			}
			p := append(append([]string(nil), path...), sub.Name())
			lines = append(lines, append(append([]string(nil), p...), "--help"))
			walk(sub, p)
		}
	}
	walk(root, nil)
	if len(lines) < 11 {
		t.Fatalf("only %d commands", len(lines))
	}
	return lines
}

// TestHelpWrapsAtWords: every command's --help at 80 and 120 columns has no line
// wider than the terminal but a single unbreakable command, the
// same words as the full (piped) help in the same order — none split — and every
// example command whole on one line.
func TestHelpWrapsAtWords(t *testing.T) {
	for _, args := range helpCommands(t) {
		_, full, _ := runCmd(t, nil, args...)
		for _, width := range []int{80, 120} {
			t.Run(strings.Join(args, " ")+"@"+strconv.Itoa(width), func(t *testing.T) {
				code, got, stderr := runCmd(t, []string{"COLUMNS=" + strconv.Itoa(width)}, args...)
				if code != 0 || stderr != "" {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				testkit.CheckWrapped(t, got, full, width)
				for _, l := range strings.Split(got, "\n") {
					if l := strings.TrimSpace(l); ansi.StringWidth(l) > width && !strings.HasPrefix(l, "d365consent ") && !strings.HasPrefix(l, "HTTPS_PROXY=") {
						t.Errorf("line wider than %d is no command: %q", width, l)
					}
				}
			})
		}
	}
}

// TestHelpPipedIsFull: with no terminal and no COLUMNS the help is cobra's own,
// each description line as written (the long source lines are not wrapped).
func TestHelpPipedIsFull(t *testing.T) {
	_, got, _ := runCmd(t, nil, "doctor", "--help")
	root := newRootCmd(newFactory(strings.NewReader(""), nil, nil, nil))
	doctor, _, err := root.Find([]string{"doctor"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, doctor.Long+"\n\nUsage:\n  d365consent doctor [flags]\n") {
		t.Fatalf("piped help is not the description as written:\n%s", got)
	}
}

// TestHelpExampleCommentsStayComments: an example whose comment does not fit goes
// on two lines, the command whole and the comment under it as a "# " line, so
// pasting both still runs only the command.
func TestHelpExampleCommentsStayComments(t *testing.T) {
	got := examples("  d365consent doctor --tenant contoso.onmicrosoft.com   # why sign-in would fail (no sign-in)\n  d365consent demo  # short", 50)
	want := "  d365consent doctor --tenant contoso.onmicrosoft.com\n" +
		"    # why sign-in would fail (no sign-in)\n" +
		"  d365consent demo  # short"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	got = examples("  d365consent demo   # the wizard against the embedded demo tenant, no account", 36)
	want = "  d365consent demo\n" +
		"    # the wizard against the\n" +
		"    # embedded demo tenant, no\n" +
		"    # account"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
