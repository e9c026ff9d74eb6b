package cli

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// visibleCommands lists the commands a user sees in --help.
func visibleCommands(t *testing.T) []*cobra.Command {
	t.Helper()
	root := newRootCmd(newApp(strings.NewReader(""), io.Discard, io.Discard, nil))
	var out []*cobra.Command
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			out = append(out, c)
		}
	}
	if len(out) < 4 {
		t.Fatalf("only %d commands", len(out))
	}
	return out
}

func TestManPage(t *testing.T) {
	env := []string{"SOURCE_DATE_EPOCH=1767225600"} // 2026-01-01
	code, page, errs := runCmd(t, env, "man")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
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
	if strings.Contains(commands, `\fBman\fP`) || strings.Contains(commands, `\fBhelp\fP`) {
		t.Error("COMMANDS lists a hidden command")
	}
	_, codes, _ := strings.Cut(page, ".SH EXIT CODES\n")
	codes, _, _ = strings.Cut(codes, ".SH ENVIRONMENT")
	for _, c := range []int{exitOK, exitError, exitUsage, exitIncomplete, exitRefused, exitCancelled} {
		if !strings.Contains(codes, `.TP`+"\n"+`\fB`+strconv.Itoa(c)+`\fP`) {
			t.Errorf("EXIT CODES lacks %d", c)
		}
	}
	if strings.Contains(page, "Auto generated") {
		t.Error("page carries cobra's auto-generated tag")
	}
	if _, again, _ := runCmd(t, env, "man"); again != page {
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
	if code, out, errs := runCmd(t, nil, "man", "--dir", dir); code != 0 || out != "" || errs != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	root, err := os.ReadFile(filepath.Join(dir, "d365consent.1"))
	if err != nil || !strings.Contains(string(root), ".SH EXIT CODES") {
		t.Fatalf("d365consent.1: %v", err)
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
	for _, hidden := range []string{"d365consent-man.1", "d365consent-help.1"} {
		if _, err := os.Stat(filepath.Join(dir, hidden)); err == nil {
			t.Errorf("%s written for a hidden command", hidden)
		}
	}
}
