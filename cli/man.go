package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { registerCommand("man", newManCmd) }

func newManCmd(a *app) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "man",
		Short:  "Print the d365consent(1) man page, or write one page per command with --dir",
		Hidden: true, // a packaging tool: release archives carry its output (see .goreleaser.yaml)
		Args:   cobra.NoArgs,
		Example: `  d365consent man | man -l -
  d365consent man --dir manpages`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root := cmd.Root()
			header := &doc.GenManHeader{
				Title:   "D365CONSENT",
				Section: "1",
				Source:  "d365consent " + currentBuildInfo().Version,
				Manual:  "d365consent manual",
				Date:    a.manDate(),
			}
			if dir == "" {
				page, err := manPage(root, header)
				if err != nil {
					return err
				}
				_, err = a.stdout.Write(page)
				return err
			}
			return writeManTree(root, header, dir)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write d365consent.1 and d365consent-COMMAND.1 into this directory (created if missing)")
	return cmd
}

// manDate is the page's date: SOURCE_DATE_EPOCH (reproducible builds,
// https://reproducible-builds.org/specs/source-date-epoch/), else the build date,
// else today.
func (a *app) manDate() *time.Time {
	if s := a.getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			t := time.Unix(n, 0).UTC()
			return &t
		}
	}
	if t, err := time.Parse(time.RFC3339, currentBuildInfo().Date); err == nil {
		return &t
	}
	t := time.Now()
	return &t
}

// manPage renders one command's page; the root page also gets COMMANDS, EXIT CODES
// and ENVIRONMENT sections.
func manPage(c *cobra.Command, header *doc.GenManHeader) ([]byte, error) {
	c.DisableAutoGenTag = true
	h := *header
	if c.HasParent() {
		h.Title = strings.ToUpper(strings.ReplaceAll(c.CommandPath(), " ", "-"))
	}
	var buf bytes.Buffer
	if err := doc.GenMan(c, &h, &buf); err != nil {
		return nil, fmt.Errorf("generating the man page of %q: %w", c.CommandPath(), err)
	}
	if c.HasParent() {
		return buf.Bytes(), nil
	}
	extra := rootManSections(c)
	page := buf.String()
	if i := strings.Index(page, "\n.SH SEE ALSO"); i >= 0 {
		page = page[:i+1] + extra + page[i+1:]
	} else {
		page += extra
	}
	return []byte(page), nil
}

// writeManTree writes a page for the root and every visible command under it.
func writeManTree(root *cobra.Command, header *doc.GenManHeader, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the man page directory: %w", err)
	}
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		if c.HasParent() && (!c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand()) {
			return nil
		}
		page, err := manPage(c, header)
		if err != nil {
			return err
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + "." + header.Section
		if err := os.WriteFile(filepath.Join(dir, name), page, 0o644); err != nil {
			return fmt.Errorf("writing the man page: %w", err)
		}
		for _, sub := range c.Commands() {
			if err := walk(sub); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(root)
}

// exitCodeDocs is the exit code table (DESIGN.md "Command line"); the values are
// main.go's constants, so the page cannot drift from the code.
var exitCodeDocs = []struct {
	code int
	text string
}{
	{exitOK, "Success; for verify, every required permission is granted."},
	{exitError, "An error: network, Microsoft Graph, a file that could not be written."},
	{exitUsage, "Bad usage or input: an unknown flag or value, a malformed GUID or URL, no terminal for the wizard."},
	{exitIncomplete, "Consent is incomplete or absent: at least one required permission is not granted."},
	{exitRefused, "Sign-in or consent was refused (an AADSTS error such as 65004 or 90094)."},
	{exitCancelled, "Cancelled (Ctrl+C or SIGINT, Esc out of the wizard)."},
	{exitTerminated, "Terminated by SIGTERM."},
}

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
	for _, e := range exitCodeDocs {
		fmt.Fprintf(&b, ".TP\n\\fB%d\\fP\n%s\n", e.code, roffEscape(e.text))
	}
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
