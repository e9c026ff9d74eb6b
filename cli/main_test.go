package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the command line in-process and returns its exit code and output.
func runCmd(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), newFactory(strings.NewReader(""), &out, &errb, env), args)
	return code, out.String(), errb.String()
}

func TestPermissionsFormats(t *testing.T) {
	env := []string{"TERM=xterm-256color", "COLORTERM=truecolor", "CLICOLOR_FORCE=1"}
	for _, f := range []string{"table", "json", "markdown", "csv"} {
		for _, app := range []string{"ce", "uo", "all"} {
			code, out, errs := runCmd(t, env, "permissions", "--app", app, "--format", f)
			if code != 0 || errs != "" {
				t.Fatalf("%s/%s: exit %d, stderr %q", f, app, code, errs)
			}
			// Not a terminal: no escape sequence at all, even with colour forced by the environment.
			if strings.IndexByte(out, 0x1b) >= 0 {
				t.Errorf("%s/%s: piped output has an ESC byte", f, app)
			}
			if app != "uo" && !strings.Contains(out, "user_impersonation") {
				t.Errorf("%s/%s: CE permission missing", f, app)
			}
			if app == "ce" && strings.Contains(out, "AX.FullAccess") {
				t.Errorf("%s/ce: shows a UO permission", f)
			}
		}
	}
}

// A real file descriptor that is not a terminal (the `> file` case), with NO_COLOR.
func TestPermissionsToFileHasNoEscapes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	code := run(context.Background(), newFactory(strings.NewReader(""), f, f, []string{"TERM=xterm-256color"}), []string{"permissions"})
	f.Close()
	data, _ := os.ReadFile(path)
	if code != 0 || bytes.IndexByte(data, 0x1b) >= 0 || !bytes.Contains(data, []byte("Directory.Read.All")) {
		t.Fatalf("exit %d, output %q", code, data)
	}
}

func TestUsageErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"schema":"d365consent.catalog/v1","apps":[{"key":"ce"}]}`), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"permissions", "--format", "xml"}, `--format "xml" is not one of: table, json, markdown, csv`},
		{[]string{"permissions", "--app", "fo"}, `--app "fo" is not one of: ce, uo, all`},
		{[]string{"permissions", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"--cloud", "mars", "permissions"}, `unknown cloud "mars"`},
		{[]string{"permissions", "--client-id", "abc"}, `--client-id "abc" is not a GUID`},
		{[]string{"permissions", "--timeout", "-1s"}, "--timeout must be positive"},
		{[]string{"permissions", "--catalog", bad}, "app ce, field displayName: must not be empty"},
		{[]string{"permissions", "--catalog", filepath.Join(t.TempDir(), "none.json")}, "reading catalog"},
		{[]string{"nosuchcommand"}, "unknown command"},
	}
	for _, tt := range tests {
		code, out, errs := runCmd(t, nil, tt.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", tt.args, code, errs)
		}
		lines := strings.Split(strings.TrimSpace(errs), "\n")
		if len(lines) != 1 || !strings.Contains(errs, tt.want) || !strings.HasPrefix(errs, "d365consent: ") {
			t.Errorf("%v: stderr %q, want one line containing %q", tt.args, errs, tt.want)
		}
		if out != "" {
			t.Errorf("%v: usage dumped to stdout: %q", tt.args, out)
		}
	}
}

func TestHelpShowsExamples(t *testing.T) {
	code, out, _ := runCmd(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--authority-host") || !strings.Contains(out, "permissions") {
		t.Fatalf("exit %d help %q", code, out)
	}
}

// The table falls back to ASCII where the terminal has no Unicode, and the override wins.
func TestPermissionsTableASCIIFallback(t *testing.T) {
	_, uni, _ := runCmd(t, []string{"LANG=en_US.UTF-8", "TERM=xterm-256color"}, "permissions", "--app", "ce")
	_, ascii, _ := runCmd(t, []string{"LANG=en_US.UTF-8", "TERM=xterm-256color", "D365CONSENT_ASCII=1"}, "permissions", "--app", "ce")
	if !strings.Contains(uni, "┌") {
		t.Errorf("UTF-8 terminal did not get box drawing:\n%s", uni)
	}
	for _, r := range ascii {
		if r > 0x7e {
			t.Fatalf("D365CONSENT_ASCII=1 output has %q:\n%s", r, ascii)
		}
	}
}

func runCapture(t *testing.T, args ...string) string {
	t.Helper()
	var out, errs strings.Builder
	code := Main(args, strings.NewReader(""), &out, &errs, []string{"NO_COLOR=1"})
	return fmt.Sprintf("exit %d\n%s%s", code, out.String(), errs.String())
}
