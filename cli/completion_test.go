package cli

import (
	"context"
	"io"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/permissions"
)

// complete runs cobra's hidden __complete command in-process and returns the
// candidate values (descriptions stripped) and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, errs := runCmd(t, nil, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	if code != 0 {
		t.Fatalf("__complete %q: exit %d, stderr %q", args, code, errs)
	}
	var vals []string
	directive := ""
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") {
			directive = line
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		vals = append(vals, name)
	}
	return vals, directive
}

func TestCompletionFlagValues(t *testing.T) {
	keys := permissions.Embedded().Keys()
	var scenarios []string
	for _, s := range emulator.Scenarios() {
		scenarios = append(scenarios, s.Name)
	}
	if len(keys) < 2 || len(scenarios) < 5 {
		t.Fatalf("catalog keys %v, scenarios %v: too few to test", keys, scenarios)
	}
	clouds := []string{"global", "usgov", "usgov-dod", "china"}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"verify", "--app", ""}, keys},
		{[]string{"consent-url", "--app", ""}, keys},
		{[]string{"permissions", "--app", ""}, append(append([]string{}, keys...), "all")},
		{[]string{"verify", "--app", "u"}, []string{"uo"}},
		{[]string{"--cloud", ""}, clouds},
		{[]string{"verify", "--cloud", ""}, clouds},
		{[]string{"verify", "--cloud", "us"}, []string{"usgov", "usgov-dod"}},
		{[]string{"demo", "--scenario", ""}, scenarios},
		{[]string{"verify", "--demo", "--scenario", ""}, scenarios},
		{[]string{"emulator", "--scenario", "slow"}, []string{"slow-propagation"}},
		{[]string{"permissions", "--format", ""}, []string{"table", "json", "markdown", "csv"}},
		{[]string{"verify", "--format", ""}, []string{"text", "json", "markdown", "csv"}},
		{[]string{"verify", "--auth", ""}, []string{"interactive", "device-code", "certificate", "secret", "workload-identity"}},
		{[]string{"consent-url", "--format", ""}, []string{"table", "csv"}},
		{[]string{"version", "--format", ""}, []string{"text", "json"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			if !sameSet(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			// Values only: no file names mixed in.
			if directive != ":4" {
				t.Errorf("directive %s, want :4 (no file completion)", directive)
			}
		})
	}
}

func TestCompletionDescriptionsAreOneLine(t *testing.T) {
	code, out, _ := runCmd(t, nil, cobra.ShellCompRequestCmd, "demo", "--scenario", "")
	if code != 0 {
		t.Fatal(code)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") {
			continue
		}
		name, desc, ok := strings.Cut(line, "\t")
		if !ok || desc == "" || strings.Contains(desc, "\t") {
			t.Errorf("completion %q: want name<TAB>one-line description", line)
		}
		_ = name
	}
}

// TestCompletionCoversEveryValueFlag walks the real command tree: every flag named
// app, cloud, scenario or format, and every flag with a values annotation, must have
// a completion function, so a new command cannot forget one.
func TestCompletionCoversEveryValueFlag(t *testing.T) {
	a := newFactory(strings.NewReader(""), io.Discard, io.Discard, nil)
	a.args = []string{cobra.ShellCompRequestCmd, ""} // completions are registered only when completing
	root := newRootCmd(a)
	checked := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		check := func(f *pflag.Flag) {
			switch {
			case f.Name == "app", f.Name == "cloud", f.Name == "scenario", f.Name == "format", len(f.Annotations[valuesAnnotation]) > 0:
			default:
				return
			}
			checked++
			fn, ok := c.GetFlagCompletionFunc(f.Name)
			if !ok {
				t.Errorf("%s --%s has no completion", c.CommandPath(), f.Name)
				return
			}
			c.SetContext(context.Background())
			vals, _ := fn(c, nil, "")
			if len(vals) == 0 {
				t.Errorf("%s --%s completes to nothing", c.CommandPath(), f.Name)
			}
		}
		c.LocalFlags().VisitAll(check)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if checked < 8 {
		t.Errorf("only %d value flags found: is the tree complete?", checked)
	}
}

func TestCompletionScripts(t *testing.T) {
	marks := map[string][]string{
		"bash":       {"# bash completion V2 for d365consent", "__start_d365consent", "complete -o default -F __start_d365consent d365consent"},
		"zsh":        {"#compdef d365consent", "_d365consent"},
		"fish":       {"complete -c d365consent", "__d365consent_perform_completion"},
		"powershell": {"Register-ArgumentCompleter", "-CommandName 'd365consent'"},
	}
	for shell, want := range marks {
		t.Run(shell, func(t *testing.T) {
			code, out, errs := runCmd(t, nil, "completion", shell)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("%s script lacks %q", shell, w)
				}
			}
			if len(out) < 1000 {
				t.Errorf("%s script is only %d bytes", shell, len(out))
			}
		})
	}
	for _, bad := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, _, errs := runCmd(t, nil, bad...); code != exitUsage || errs == "" {
			t.Errorf("%q: exit %d (stderr %q), want %d", bad, code, errs, exitUsage)
		}
	}
}

func TestValuesFromUsage(t *testing.T) {
	tests := []struct {
		usage string
		want  []string
	}{
		{"output format: table, json, markdown or csv", []string{"table", "json", "markdown", "csv"}},
		{"output: text (a checklist) or json (the verify contract)", []string{"text", "json"}},
		{"format: text and json", []string{"text", "json"}},
		{"the output format", nil},
		{"output: anything you like, really", nil},
	}
	for _, tt := range tests {
		if got := valuesFromUsage(tt.usage); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("valuesFromUsage(%q) = %q, want %q", tt.usage, got, tt.want)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = append([]string{}, a...), append([]string{}, b...)
	sort.Strings(a)
	sort.Strings(b)
	return reflect.DeepEqual(a, b)
}

// TestFlagCompletionsOnlyWhenCompleting: the value completions are registered for
// cobra's __complete command only; other commands skip that walk at start-up.
func TestFlagCompletionsOnlyWhenCompleting(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"permissions", "--format", "json"}, false},
		{nil, false},
		{[]string{cobra.ShellCompRequestCmd, "permissions", "--app", ""}, true},
		{[]string{cobra.ShellCompNoDescRequestCmd, "permissions", "--app", ""}, true},
	} {
		a := newFactory(strings.NewReader(""), io.Discard, io.Discard, nil)
		a.args = tc.args
		perm, _, err := newRootCmd(a).Find([]string{"permissions"})
		if err != nil {
			t.Fatal(err)
		}
		if _, got := perm.GetFlagCompletionFunc("app"); got != tc.want {
			t.Errorf("args %q: permissions --app completion registered = %v, want %v", tc.args, got, tc.want)
		}
	}
}
