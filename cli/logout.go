package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/internal/credstore"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/entra"
	"github.com/d365consent/d365consent/internal/safetext"
)

type logoutOptions struct {
	All bool
	// Account is the account to forget (its username or home account id); "" with
	// one account remembered forgets that one.
	Account string
}

// newLogoutCmd is the logout command; runF, when not nil, runs instead of runLogout
// with the options the command line gave (tests of the flags).
func newLogoutCmd(a *Factory, runF func(context.Context, *logoutOptions) error) *cobra.Command {
	var o logoutOptions
	cmd := &cobra.Command{
		Use:   "logout [ACCOUNT | --all]",
		Short: "Forget a sign-in that --remember kept",
		Long: `logout removes what --remember kept: the account's tokens from the encrypted cache, and with
--all every cache file and its key in the operating system's credential store. It signs
nobody out of Microsoft Entra ID (the browser's own session stays); revoke sessions in Entra
ID for that. With one account remembered, ACCOUNT may be left out.`,
		Example: `  d365consent logout
  d365consent logout admin@contoso.onmicrosoft.com
  d365consent logout --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Account = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runLogout(cmd.Context(), a, o)
		},
	}
	cmd.Flags().BoolVar(&o.All, "all", false, "forget every remembered sign-in and remove the key from the credential store")
	return cmd
}

func runLogout(ctx context.Context, a *Factory, o logoutOptions) error {
	if o.All && o.Account != "" {
		return flows.Usagef("name an account or --all, not both")
	}
	st, err := a.credStore(ctx)
	if err != nil {
		return fmt.Errorf("forgetting the sign-in: %w", err)
	}
	list, err := st.List()
	if err != nil {
		return fmt.Errorf("reading the remembered sign-ins: %w", err)
	}
	if o.All {
		n := 0
		for _, r := range list {
			n += len(r.Accounts)
		}
		if err := st.RemoveAll(); err != nil {
			return fmt.Errorf("forgetting every sign-in: %w", err)
		}
		fmt.Fprintf(a.out(), "Forgot every remembered sign-in (%d %s) and removed its key from the credential store.\n", n, plural(n, "account", "accounts"))
		return nil
	}
	if len(list) == 0 {
		fmt.Fprintln(a.out(), "No sign-in is remembered.")
		return nil
	}
	target := o.Account
	if target == "" {
		names := rememberedNames(list)
		if len(names) > 1 {
			return flows.Usagef("several accounts are remembered (%s): name one, or use --all", strings.Join(names, ", "))
		}
		target = names[0]
	}
	forgot := 0
	for _, r := range list {
		for _, acc := range r.Accounts {
			if !strings.EqualFold(acc.Username, target) && acc.HomeAccountID != target {
				continue
			}
			if err := forgetAccount(ctx, st, r, acc); err != nil {
				return fmt.Errorf("forgetting %s: %w", safetext.Sanitize(acc.Username), err)
			}
			forgot++
			fmt.Fprintf(a.out(), "Forgot %s (%s).\n", safetext.Sanitize(acc.Username), profileText(r.Profile))
		}
	}
	if forgot == 0 {
		return flows.Usagef("%s is not remembered (remembered: %s)", safetext.Sanitize(target), strings.Join(rememberedNames(list), ", "))
	}
	return nil
}

// forgetAccount removes acc's tokens from r's cache through MSAL, and the file
// when no account is left in it.
func forgetAccount(ctx context.Context, st *credstore.Store, r credstore.Remembered, acc credstore.Account) error {
	c := st.Cache(r.Profile)
	if len(r.Accounts) == 1 {
		return c.Remove()
	}
	cl, err := entra.New(entra.Options{Authority: r.Profile.AuthorityHost + "/organizations", ClientID: r.Profile.ClientID, Cache: c})
	if err != nil {
		return err
	}
	if err := cl.RemoveAccount(ctx, acc.HomeAccountID); err != nil {
		return err
	}
	c.Forget(acc.HomeAccountID)
	return c.Close()
}

// rememberedNames are the remembered accounts' usernames, each once.
func rememberedNames(list []credstore.Remembered) []string {
	var names []string
	seen := map[string]bool{}
	for _, r := range list {
		for _, acc := range r.Accounts {
			n := safetext.Sanitize(acc.Username)
			if !seen[strings.ToLower(n)] {
				seen[strings.ToLower(n)] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// profileText names a profile for people: its cloud, authority host and client.
func profileText(p credstore.Profile) string {
	return fmt.Sprintf("cloud %s at %s, sign-in client %s", safetext.Sanitize(p.Cloud), safetext.Sanitize(p.AuthorityHost), safetext.Sanitize(p.ClientID))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
