package cli

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/clouds"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

func newCompletionCmd(a *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print the completion script for your shell. Completion covers commands, flags and flag
values (--app, --cloud, --scenario, --format).

  bash        source <(d365consent completion bash)
              or save it to /etc/bash_completion.d/d365consent (bash-completion needed)
  zsh         d365consent completion zsh > "${fpath[1]}/_d365consent"   (compinit needed)
  fish        d365consent completion fish > ~/.config/fish/completions/d365consent.fish
  powershell  d365consent completion powershell | Out-String | Invoke-Expression
              (add that line to $PROFILE to keep it)`,
		Example: `  d365consent completion bash > /etc/bash_completion.d/d365consent
  d365consent completion powershell >> $PROFILE`,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			w := a.stdout
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(w)
			}
			return flows.Usagef("unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
	// Bad arguments are usage errors (exit 2), like every other command's.
	cmd.Args = func(c *cobra.Command, args []string) error {
		if err := cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)(c, args); err != nil {
			return &flows.UsageError{Msg: err.Error() + ": use bash, zsh, fish or powershell"}
		}
		return nil
	}
	return cmd
}

// scenarioNames lists the demo tenant's scenarios as "name\tdescription" for --scenario.
func scenarioNames() []string {
	var out []string
	for _, s := range emulator.Scenarios() {
		out = append(out, s.Name+"\t"+s.Description)
	}
	return out
}

// completing reports whether args ask for shell completions (cobra's hidden
// __complete and __completeNoDesc commands, which every completion script calls):
// only then are the flag value completions registered, so other commands do not
// pay for them at start-up.
func completing(args []string) bool {
	return slices.ContainsFunc(args, func(s string) bool {
		return s == cobra.ShellCompRequestCmd || s == cobra.ShellCompNoDescRequestCmd
	})
}

// registerFlagCompletions walks every command under root and registers value
// completion for flags whose values are known: any flag annotated with
// valuesAnnotation (see annotateValues), plus, by name, --app (catalog keys),
// --cloud, --scenario (demo tenant scenarios), --format (from its usage text when
// not annotated), --catalog (JSON files) and --dir/--report (paths). Each flag is
// registered once, however many commands inherit it.
func registerFlagCompletions(root *cobra.Command) {
	seen := map[*pflag.Flag]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		// Flags declared on c itself (local and persistent); inherited ones were
		// registered on their parent.
		c.Flags().VisitAll(func(f *pflag.Flag) { visitFlag(c, f, seen) })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { visitFlag(c, f, seen) })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func visitFlag(c *cobra.Command, f *pflag.Flag, seen map[*pflag.Flag]bool) {
	if seen[f] {
		return
	}
	seen[f] = true
	if fn := flagCompletion(f); fn != nil {
		// An error means the command already registered its own: keep that one.
		_ = c.RegisterFlagCompletionFunc(f.Name, fn)
	}
}

type completionFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

func fixed(values func(cmd *cobra.Command) []string) completionFunc {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values(cmd) {
			name, desc, hasDesc := strings.Cut(v, "\t")
			if !strings.HasPrefix(name, toComplete) {
				continue
			}
			if hasDesc {
				// One line per completion: a newline or tab in a description would
				// break every shell's parsing of the list.
				v = name + "\t" + strings.Join(strings.Fields(safetext.Sanitize(desc)), " ")
			}
			out = append(out, v)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

func flagCompletion(f *pflag.Flag) completionFunc {
	if vals := f.Annotations[valuesAnnotation]; len(vals) > 0 {
		if f.Name == "app" {
			// Same values, with the app names as descriptions.
			return fixed(func(cmd *cobra.Command) []string { return describeApps(cmd, vals) })
		}
		return fixed(func(*cobra.Command) []string { return vals })
	}
	switch f.Name {
	case "app":
		return fixed(func(cmd *cobra.Command) []string { return describeApps(cmd, nil) })
	case "cloud":
		return fixed(func(*cobra.Command) []string { return cloudCompletions() })
	case "scenario":
		return fixed(func(*cobra.Command) []string { return scenarioNames() })
	case "format":
		if vals := valuesFromUsage(f.Usage); len(vals) > 0 {
			return fixed(func(*cobra.Command) []string { return vals })
		}
	case "catalog":
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"json"}, cobra.ShellCompDirectiveFilterFileExt
		}
	case "dir":
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveFilterDirs
		}
	case "report":
		return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return []cobra.Completion{"md", "json"}, cobra.ShellCompDirectiveFilterFileExt
		}
	}
	return nil
}

// describeApps returns "key\tdisplay name" for the catalog's apps (the --catalog on
// the command line being completed, when given, else the embedded one). With only
// non-nil, it keeps those keys in that order ("all" has its own description).
func describeApps(cmd *cobra.Command, only []string) []string {
	cat := permissions.Embedded()
	if f := cmd.Flag("catalog"); f != nil && f.Value.String() != "" {
		if c, err := permissions.LoadFile(f.Value.String()); err == nil {
			cat = c
		}
	}
	keys := only
	if keys == nil {
		keys = cat.Keys()
	}
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		desc := ""
		if app, ok := cat.App(k); ok {
			desc = app.DisplayName
		} else if k == "all" {
			desc = "every app in the catalog"
		}
		if desc != "" {
			out = append(out, k+"\t"+desc)
		} else {
			out = append(out, k)
		}
	}
	return out
}

// cloudCompletions lists the clouds with their sign-in hosts as descriptions.
func cloudCompletions() []string {
	var out []string
	for _, c := range clouds.All() {
		out = append(out, c.Name+"\t"+strings.TrimPrefix(c.LoginURL, "https://"))
	}
	return out
}

// usageWord is compiled on first use: a package-level regexp costs every start-up.
var usageWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9-]*$`) })

// valuesFromUsage reads the allowed values from usage text of the form
// "output: text (a checklist) or json (the contract)" or "format: a, b or c".
func valuesFromUsage(usage string) []string {
	_, list, ok := strings.Cut(usage, ":")
	if !ok {
		return nil
	}
	// Drop parenthesized remarks.
	var b strings.Builder
	depth := 0
	for _, r := range list {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	fields := strings.FieldsFunc(strings.NewReplacer(" or ", ",", " and ", ",").Replace(b.String()), func(r rune) bool { return r == ',' })
	var out []string
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if !usageWord().MatchString(f) {
			return nil // not a plain list: better no completion than a wrong one
		}
		out = append(out, f)
	}
	return out
}
