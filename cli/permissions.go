package cli

import (
	"context"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/permtable"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/permissions"
)

// The output formats of `permissions`.
const (
	formatTable    = "table"
	formatJSON     = "json"
	formatMarkdown = "markdown"
	formatCSV      = "csv"
)

func formatNames() []string { return []string{formatTable, formatJSON, formatMarkdown, formatCSV} }

type permissionsOptions struct {
	App    string
	Format string
}

// newPermissionsCmd is the permissions command; runF, when not nil, runs instead of
// runPermissions with the options the command line gave (tests of the flags).
func newPermissionsCmd(a *Factory, runF func(context.Context, *permissionsOptions) error) *cobra.Command {
	var o permissionsOptions
	cmd := &cobra.Command{
		Use:   "permissions",
		Short: "List the permissions each app needs, and why",
		Long: `List the API permissions that the AvePoint apps behind Cloud Backup for Dynamics 365
require, exactly as AvePoint documents them: API, permission, Delegated or Application,
purpose, and whether it is newly required.`,
		Example: `  d365consent permissions
  d365consent permissions --app uo --format markdown > uo-permissions.md
  d365consent permissions --format csv > permissions.csv
  d365consent permissions --format json | jq '.apps[].permissions[].value'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runPermissions(a, o)
		},
	}
	cmd.Flags().StringVar(&o.App, "app", "all", "app: ce (Customer Engagement), uo (Unified Operations) or all")
	cmd.Flags().StringVar(&o.Format, "format", "table", "output format: table (or text), json, markdown or csv")
	annotateValues(cmd, "app", "ce", "uo", "all")
	annotateValues(cmd, "format", formatNames()...)
	return cmd
}

func runPermissions(a *Factory, o permissionsOptions) error {
	format := o.Format
	if format == "text" {
		format = formatTable // verify's word for the same human-readable output
	}
	if err := enumFlag("format", format, append(formatNames(), "text")...); err != nil {
		return err
	}
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	apps := cat.Apps
	if o.App != "all" {
		app, ok := cat.App(o.App)
		if !ok {
			return flows.Usagef("--app %q is not one of: %s, all", o.App, joinKeys(cat))
		}
		apps = []permissions.App{*app}
	}
	switch format {
	case formatJSON:
		// JSON escapes every control character (ESC is \u001b), so the document never
		// carries an escape sequence: it goes straight to stdout, without the
		// colour-profile filter of a.out().
		return permissions.WriteJSON(a.stdout, cat.Service, apps)
	case formatMarkdown:
		return permissions.WriteMarkdown(a.out(), apps)
	case formatCSV:
		return permissions.WriteCSV(a.out(), apps)
	}
	styled := !a.noColor() && a.isTerminal(a.stdout)
	caps := termcaps.Detect(a.environ, runtime.GOOS)
	return permtable.Write(a.out(), apps, permtable.Options{
		Width: a.termWidth(), Styled: styled, ASCII: !caps.Unicode,
	})
}

func joinKeys(c *permissions.Catalog) string {
	s := ""
	for i, k := range c.Keys() {
		if i > 0 {
			s += ", "
		}
		s += k
	}
	return s
}

// valuesAnnotation lists a flag's allowed values, for shell completion and help.
const valuesAnnotation = "d365consent_values"

// annotateValues records a flag's allowed values on the flag (read by completion).
func annotateValues(cmd *cobra.Command, flag string, values ...string) {
	_ = cmd.Flags().SetAnnotation(flag, valuesAnnotation, values)
}
