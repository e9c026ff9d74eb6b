package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/safetext"
)

type statusOptions struct {
	Format string
}

// newStatusCmd is the status command; runF, when not nil, runs instead of runStatus
// with the options the command line gave (tests of the flags).
func newStatusCmd(a *Factory, runF func(context.Context, *statusOptions) error) *cobra.Command {
	var o statusOptions
	cmd := &cobra.Command{
		Use:     "status",
		Aliases: []string{"whoami"},
		Short:   "Show which sign-ins --remember kept (never a token)",
		Long: `status lists the sign-ins --remember kept: the account, its cloud, authority host and sign-in
client, since when it is remembered, when it was last used, and the tenants it got tokens for.
It prints no token and makes no network call.`,
		Example: `  d365consent status
  d365consent status --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runStatus(cmd.Context(), a, o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "text", "output: text or json")
	annotateValues(cmd, "format", "text", "json")
	return cmd
}

// statusDoc is status --format json.
type statusDoc struct {
	Schema string `json:"schema"`
	// Store says where the sign-ins are kept, or why nothing can be.
	Store      string             `json:"store"`
	Available  bool               `json:"available"`
	Remembered []statusRemembered `json:"remembered"`
}

type statusRemembered struct {
	Account        string    `json:"account"`
	Cloud          string    `json:"cloud"`
	AuthorityHost  string    `json:"authorityHost"`
	SignInClientID string    `json:"signInClientId"`
	Since          time.Time `json:"since"`
	LastUsed       time.Time `json:"lastUsed"`
	Tenants        []string  `json:"tenants"`
}

func runStatus(ctx context.Context, a *Factory, o statusOptions) error {
	if err := enumFlag("format", o.Format, "text", "json"); err != nil {
		return err
	}
	doc := statusDoc{Schema: "d365consent.status/v1", Remembered: []statusRemembered{}}
	st, err := a.credStore(ctx)
	var ue *credstore.UnavailableError
	switch {
	case errors.As(err, &ue):
		doc.Store = safetext.Sanitize(err.Error()) + ": nothing can be remembered on this machine"
	case err != nil:
		return err
	default:
		doc.Available = true
		doc.Store = "key in the operating system's credential store; encrypted cache in " + safetext.Sanitize(st.Dir())
		list, err := st.List()
		if err != nil {
			return fmt.Errorf("reading the remembered sign-ins: %w", err)
		}
		for _, r := range list {
			for _, acc := range r.Accounts {
				tenants := acc.TenantIDs()
				for i := range tenants {
					tenants[i] = safetext.Sanitize(tenants[i])
				}
				doc.Remembered = append(doc.Remembered, statusRemembered{
					Account: safetext.Sanitize(acc.Username), Cloud: safetext.Sanitize(r.Profile.Cloud),
					AuthorityHost: safetext.Sanitize(r.Profile.AuthorityHost), SignInClientID: safetext.Sanitize(r.Profile.ClientID),
					Since: acc.Since, LastUsed: acc.LastUsed, Tenants: tenants,
				})
			}
		}
	}
	if o.Format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(doc)
	}
	w := a.out()
	if !doc.Available {
		fmt.Fprintf(w, "No sign-in is remembered: %s.\n", doc.Store)
		return nil
	}
	if len(doc.Remembered) == 0 {
		fmt.Fprintln(w, "No sign-in is remembered. (--remember on the wizard, verify or consent-url keeps one.)")
		return nil
	}
	fmt.Fprintf(w, "Remembered sign-ins (%s):\n", doc.Store)
	for _, r := range doc.Remembered {
		fmt.Fprintf(w, "\n  %s\n", r.Account)
		fmt.Fprintf(w, "    cloud %s at %s, sign-in client %s\n", r.Cloud, r.AuthorityHost, r.SignInClientID)
		fmt.Fprintf(w, "    remembered since %s, last used %s\n", r.Since.UTC().Format("2006-01-02 15:04 MST"), r.LastUsed.UTC().Format("2006-01-02 15:04 MST"))
		tenants := "none yet"
		if len(r.Tenants) > 0 {
			tenants = strings.Join(r.Tenants, ", ")
		}
		fmt.Fprintf(w, "    tenants: %s\n", tenants)
	}
	fmt.Fprintln(w, "\nd365consent logout [ACCOUNT | --all] forgets them.")
	return nil
}
