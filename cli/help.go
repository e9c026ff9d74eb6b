package cli

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/textwrap"
)

// helpFunc prints a command's help wrapped at words to the width of its output
// (widthOf): the description reflowed, list items and flag usages hanging under
// their column, each example command whole on its line. Without a width (a pipe,
// a file) it is plain, cobra's own help unchanged; so is the man page, which
// genman builds from the same Long and Example texts.
func (a *Factory) helpFunc(plain func(*cobra.Command, []string)) func(*cobra.Command, []string) {
	return func(c *cobra.Command, args []string) {
		width := a.widthOf(c.OutOrStdout())
		if width <= 0 || len(c.Groups()) > 0 {
			plain(c, args)
			return
		}
		fmt.Fprint(c.OutOrStdout(), helpText(c, width))
	}
}

// helpText is cobra's default help (its defaultHelpFunc and defaultUsageFunc, which
// this follows section by section, without command groups) wrapped to width.
func helpText(c *cobra.Command, width int) string {
	var b strings.Builder
	long := c.Long
	if long == "" {
		long = c.Short
	}
	if long = strings.TrimRightFunc(long, unicode.IsSpace); long != "" {
		b.WriteString(reflow(long, width) + "\n\n")
	}
	if !c.Runnable() && !c.HasSubCommands() {
		return b.String()
	}
	b.WriteString("Usage:")
	if c.Runnable() {
		b.WriteString("\n" + textwrap.Hang("  ", c.UseLine(), width))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n" + textwrap.Hang("  ", c.CommandPath()+" [command]", width))
	}
	if len(c.Aliases) > 0 {
		b.WriteString("\n\nAliases:\n" + textwrap.Hang("  ", c.NameAndAliases(), width))
	}
	if c.HasExample() {
		b.WriteString("\n\nExamples:\n" + examples(c.Example, width))
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\nAvailable Commands:")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				b.WriteString("\n" + textwrap.Hang(fmt.Sprintf("  %-*s ", sub.NamePadding(), sub.Name()), sub.Short, width))
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("\n\nFlags:\n" + strings.TrimRightFunc(c.LocalFlags().FlagUsagesWrapped(width), unicode.IsSpace))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString("\n\nGlobal Flags:\n" + strings.TrimRightFunc(c.InheritedFlags().FlagUsagesWrapped(width), unicode.IsSpace))
	}
	if c.HasHelpSubCommands() {
		b.WriteString("\n\nAdditional help topics:")
		for _, sub := range c.Commands() {
			if sub.IsAdditionalHelpTopicCommand() {
				b.WriteString("\n" + textwrap.Hang(fmt.Sprintf("  %-*s ", sub.CommandPathPadding(), sub.CommandPath()), sub.Short, width))
			}
		}
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + textwrap.Wrap(fmt.Sprintf("Use %q for more information about a command.", c.CommandPath()+" [command] --help"), width))
	}
	b.WriteString("\n")
	return b.String()
}

// listItem is an indented "term   description" line: the description hangs under
// its column when it wraps.
var listItem = regexp.MustCompile(`^( +\S+(?: \S+)*?  +)(\S.*)$`)

// reflow wraps a command's description to width: the lines of a paragraph (lines
// that start at the margin, up to a blank or indented line) are joined and wrapped
// as one; an indented line is wrapped on its own, a list item's description hanging
// under its column, and a command line kept whole.
func reflow(long string, width int) string {
	var out, para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, textwrap.Wrap(strings.Join(para, " "), width))
			para = nil
		}
	}
	for _, l := range strings.Split(long, "\n") {
		l = strings.TrimRight(l, " ")
		switch {
		case l == "":
			flush()
			out = append(out, "")
		case strings.HasPrefix(l, " "):
			flush()
			if m := listItem.FindStringSubmatch(l); m != nil {
				out = append(out, textwrap.Hang(m[1], m[2], width))
			} else {
				out = append(out, textwrap.Wrap(l, width))
			}
		default:
			para = append(para, l)
		}
	}
	flush()
	return strings.Join(out, "\n")
}

// exampleComment is where an example's comment starts.
var exampleComment = regexp.MustCompile(`  +# `)

// examples keeps every example command whole on its line, however long (it is
// pasted as it is); a comment that does not fit beside its command goes under it,
// each of its lines a "# " comment, so the pasted lines stay a valid shell script.
func examples(ex string, width int) string {
	lines := strings.Split(ex, "\n")
	for i, l := range lines {
		if ansi.StringWidth(l) <= width {
			continue
		}
		loc := exampleComment.FindStringIndex(l)
		if loc == nil {
			continue
		}
		body := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(body)] + "  "
		comment := strings.Split(textwrap.Wrap(l[loc[1]:], width-len(indent)-2), "\n")
		for j, c := range comment {
			comment[j] = indent + "# " + c
		}
		lines[i] = l[:loc[0]] + "\n" + strings.Join(comment, "\n")
	}
	return strings.Join(lines, "\n")
}
