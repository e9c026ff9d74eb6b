package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/cli"
)

// visibleCommands lists the commands a user sees in --help.
func visibleCommands(t *testing.T) []*cobra.Command {
	t.Helper()
	var out []*cobra.Command
	for _, c := range cli.Docs().Root.Commands() {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			out = append(out, c)
		}
	}
	if len(out) < 4 {
		t.Fatalf("only %d commands", len(out))
	}
	return out
}

func genman(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, func(k string) string { return env[k] }, &out, &errb)
	if errb.Len() > 0 {
		t.Errorf("stderr %q", errb.String())
	}
	return out.String(), err
}

func TestManPage(t *testing.T) {
	env := map[string]string{"SOURCE_DATE_EPOCH": "1767225600"} // 2026-01-01
	page, err := genman(t, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`.TH "D365CONSENT" "1" "Jan 2026"`,
		".SH NAME\nd365consent - Grant and verify admin consent",
		".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", `\fB--cloud\fP="global"`,
		".SH COMMANDS", ".SH EXIT CODES", ".SH ENVIRONMENT", "D365CONSENT_ASCII", "SSH_CONNECTION",
		".SH SEE ALSO",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	sections := []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH COMMANDS", ".SH EXIT CODES", ".SH ENVIRONMENT", ".SH SEE ALSO"}
	last := -1
	for _, s := range sections {
		i := strings.Index(page, s)
		if i < last {
			t.Errorf("section %s out of order", s)
		}
		last = i
	}
	_, commands, _ := strings.Cut(page, ".SH COMMANDS\n")
	commands, _, _ = strings.Cut(commands, ".SH EXIT CODES")
	for _, c := range visibleCommands(t) {
		if !strings.Contains(commands, `\fB`+strings.ReplaceAll(c.Name(), "-", `\-`)+`\fP`) {
			t.Errorf("COMMANDS lacks %s", c.Name())
		}
	}
	if strings.Contains(commands, `\fBhelp\fP`) || strings.Contains(commands, `\fB__complete\fP`) {
		t.Error("COMMANDS lists a hidden command")
	}
	_, codes, _ := strings.Cut(page, ".SH EXIT CODES\n")
	codes, _, _ = strings.Cut(codes, ".SH ENVIRONMENT")
	// Every code of cli's table, and the codes of the README's "Exit codes" written
	// here independently of it.
	want := []int{0, 1, 2, 3, 4, 5, 130, 143}
	for _, e := range cli.ExitCodes() {
		if !slices.Contains(want, e.Code) {
			want = append(want, e.Code)
		}
	}
	for _, c := range want {
		if !strings.Contains(codes, `.TP`+"\n"+`\fB`+strconv.Itoa(c)+`\fP (`) {
			t.Errorf("EXIT CODES lacks %d", c)
		}
	}
	if !strings.Contains(codes, "the worst wins, from best to worst: 0, 3, 5, 6, 4, 1, 2, 130, 129, 143.") {
		t.Errorf("EXIT CODES does not say which code wins:\n%s", codes)
	}
	if strings.Contains(page, "Auto generated") {
		t.Error("page carries cobra's auto-generated tag")
	}
	if again, _ := genman(t, env); again != page {
		t.Error("man page is not reproducible with SOURCE_DATE_EPOCH")
	}
	// Render it when man(1) is here: roff errors show up as warnings on stderr.
	if manBin, err := exec.LookPath("man"); err == nil {
		cmd := exec.Command(manBin, "--warnings", "-l", "-")
		cmd.Stdin = strings.NewReader(page)
		cmd.Env = append(os.Environ(), "MANPAGER=cat", "MANWIDTH=80")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "EXIT CODES") || strings.Contains(string(out), "warning") {
			t.Errorf("man -l: %v\n%s", err, out)
		}
	}
}

func TestManPageDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "manpages")
	if out, err := genman(t, nil, "-dir", dir); err != nil || out != "" {
		t.Fatalf("err %v, stdout %q", err, out)
	}
	root, err := os.ReadFile(filepath.Join(dir, "d365consent.1"))
	if err != nil || !strings.Contains(string(root), ".SH EXIT CODES") {
		t.Fatalf("d365consent.1: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(visibleCommands(t))+1 {
		t.Errorf("%d pages, want one per visible command plus the root's", len(entries))
	}
	for _, c := range visibleCommands(t) {
		page, err := os.ReadFile(filepath.Join(dir, "d365consent-"+c.Name()+".1"))
		if err != nil {
			t.Errorf("no page for %s: %v", c.Name(), err)
			continue
		}
		for _, want := range []string{".SH NAME", ".SH SYNOPSIS", `\fBd365consent ` + c.Name()} {
			if !strings.Contains(string(page), want) {
				t.Errorf("d365consent-%s.1 lacks %q", c.Name(), want)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "d365consent-help.1")); err == nil {
		t.Error("d365consent-help.1 written for a hidden command")
	}
	if _, err := genman(t, nil, "extra"); err == nil {
		t.Error("an unexpected argument was accepted")
	}
}

// The shipped binary carries no man page renderer: cobra/doc (and the Markdown and
// YAML packages it pulls in) cost every start-up (BENCHMARKS.md "Start-up").
func TestShippedBinaryDoesNotLinkManRenderer(t *testing.T) {
	if testing.Short() {
		t.Skip("lists the dependencies of the main package")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/d365consent/d365consent").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		switch {
		case pkg == "github.com/spf13/cobra/doc", strings.HasPrefix(pkg, "github.com/russross/blackfriday"),
			strings.HasPrefix(pkg, "github.com/cpuguy83/go-md2man"), strings.HasPrefix(pkg, "go.yaml.in/yaml"), strings.HasPrefix(pkg, "gopkg.in/yaml"):
			t.Errorf("the d365consent binary links %s", pkg)
		}
	}
}
