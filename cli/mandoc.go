package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Man pages are rendered at release time by internal/cmd/genman (run by
// .goreleaser.yaml's before hooks), not by the shipped binary: cobra/doc and the
// Markdown and YAML packages it links cost every start-up of every command
// (BENCHMARKS.md "Start-up"). This file is what that generator needs from the
// command layer: the command tree as the binary builds it (so the commands and flags
// on the pages are the binary's), the environment table, and the EXIT CODES section
// written from exitcode.go's table.

// ManDocs is the input of the man page generator.
type ManDocs struct {
	// Root is the whole command tree, exactly as the binary builds it.
	Root *cobra.Command
	// Version and Date describe the build (see the version command): -ldflags stamps
	// first, then the toolchain's build info.
	Version, Date string
}

// Docs returns the command tree and build information for documentation generators.
func Docs() ManDocs {
	f := newFactory(strings.NewReader(""), io.Discard, io.Discard, nil)
	bi := f.currentBuildInfo()
	return ManDocs{Root: newRootCmd(f), Version: bi.Version, Date: bi.Date}
}

// ManSections is the roff of the root page's COMMANDS, EXIT CODES and ENVIRONMENT
// sections, which cobra's generator does not write.
func ManSections(root *cobra.Command) string { return rootManSections(root) }

var envDocs = []struct{ name, text string }{
	{"NO_COLOR", "When set to any value, no colour or other escape sequences (like --no-color)."},
	{"D365CONSENT_ASCII", "Set to 1 to draw with ASCII only (checkmarks, borders, the QR code), for terminals and fonts without those glyphs."},
	{"D365CONSENT_UNICODE", "Set to 1 to use Unicode glyphs even when the locale does not announce UTF-8."},
	{"LANG, LC_ALL, LC_CTYPE", "A UTF-8 locale turns on Unicode glyphs; TERM=linux or TERM=dumb, and the legacy Windows console, get ASCII."},
	{"SSH_CONNECTION, SSH_TTY, SSH_CLIENT", "In an SSH session no browser is opened: the sign-in and consent URLs (and a QR code) are shown instead. Consider --device-code."},
	{"WSL_DISTRO_NAME, WSL_INTEROP", "Under WSL the Windows browser is opened through wslview, else cmd.exe."},
	{"DISPLAY, WAYLAND_DISPLAY", "On Linux and BSD a browser is opened only when one of these is set."},
	{"SSL_CERT_FILE, SSL_CERT_DIR", "TLS trust comes from the system certificate pool, so these work (a TLS-inspecting proxy's CA, for instance)."},
}

func rootManSections(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString(".SH COMMANDS\n")
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fP\n%s (see \\fB%s\\-%s\\fP(1))\n", roffEscape(c.Name()), roffEscape(c.Short), root.Name(), roffEscape(c.Name()))
	}
	b.WriteString(".SH EXIT CODES\n")
	for _, e := range ExitCodes() {
		fmt.Fprintf(&b, ".TP\n\\fB%d\\fP (%s)\n%s\n", e.Code, roffEscape(e.Name), roffEscape(e.Meaning))
	}
	var order []string
	for _, e := range exitCodeTable() {
		order = append(order, strconv.Itoa(e.Code))
	}
	fmt.Fprintf(&b, ".PP\n%s\n", roffEscape("When more than one applies (the rows of verify --tenants, drift on an incomplete result), the worst wins, from best to worst: "+strings.Join(order, ", ")+"."))
	b.WriteString(".SH ENVIRONMENT\n")
	for _, e := range envDocs {
		fmt.Fprintf(&b, ".TP\n\\fB%s\\fP\n%s\n", roffEscape(e.name), roffEscape(e.text))
	}
	return b.String()
}

// roffEscape makes text safe in a roff text line: backslashes doubled, hyphens
// escaped, and a leading . or ' (a request) guarded.
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
