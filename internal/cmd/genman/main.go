// Command genman writes d365consent's man pages: d365consent(1) with the COMMANDS,
// EXIT CODES and ENVIRONMENT sections, and d365consent-COMMAND(1) for every visible
// command. It runs at release time (.goreleaser.yaml's before hooks), so the shipped
// binary does not link cobra/doc and its Markdown and YAML dependencies.
//
//	go run ./internal/cmd/genman | man -l -             # the root page on stdout
//	SOURCE_DATE_EPOCH=… go run -ldflags "-X github.com/d365consent/d365consent/cli.version=v1.2.3" ./internal/cmd/genman -dir manpages
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/d365consent/d365consent/cli"
)

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("genman", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "write d365consent.1 and d365consent-COMMAND.1 into this directory (created if missing); default: the root page on stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	d := cli.Docs()
	header := &doc.GenManHeader{
		Title:   "D365CONSENT",
		Section: "1",
		Source:  "d365consent " + d.Version,
		Manual:  "d365consent manual",
		Date:    manDate(getenv, d.Date),
	}
	if *dir == "" {
		page, err := manPage(d.Root, header)
		if err != nil {
			return err
		}
		_, err = stdout.Write(page)
		return err
	}
	return writeManTree(d.Root, header, *dir)
}

// manDate is the pages' date: SOURCE_DATE_EPOCH (reproducible builds,
// https://reproducible-builds.org/specs/source-date-epoch/), else the build date,
// else today.
func manDate(getenv func(string) string, buildDate string) *time.Time {
	if s := getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			t := time.Unix(n, 0).UTC()
			return &t
		}
	}
	if t, err := time.Parse(time.RFC3339, buildDate); err == nil {
		return &t
	}
	t := time.Now()
	return &t
}

// manPage renders one command's page; the root page also gets COMMANDS, EXIT CODES
// and ENVIRONMENT sections, before SEE ALSO.
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
	extra := cli.ManSections(c)
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
