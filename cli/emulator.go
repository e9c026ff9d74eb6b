package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

type emulatorOptions struct {
	Addr, PagesAddr, Scenario string
}

// newEmulatorCmd is the emulator command; runF, when not nil, runs instead of
// runEmulator with the options the command line gave (tests of the flags).
func newEmulatorCmd(a *Factory, runF func(context.Context, *emulatorOptions) error) *cobra.Command {
	var o emulatorOptions
	names, help := scenarioHelp()
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run the embedded demo tenant (Entra ID + Microsoft Graph) on 127.0.0.1",
		Long: `Run the demo tenant standalone until Ctrl+C: an Entra ID authority and a Microsoft Graph
v1.0 service on loopback HTTPS (a certificate generated for this run), plus the sign-in and
consent pages on loopback HTTP. It prints its endpoints, one per line:

  authority: https://127.0.0.1:PORT/{tenant-id}
  graph:     https://127.0.0.1:PORT
  ca-cert:   PATH   (PEM; SSL_CERT_FILE=PATH lets any client trust it)
  tenant:    {tenant-id}
  app ce:    {client id}   and the other apps

With --cloud usgov, usgov-dod or china the tenant imitates that cloud: fully qualified
Graph scopes must use its Graph URI (e.g. https://graph.microsoft.us/User.Read; another
cloud's, or this emulator's own address, is refused with AADSTS500011 as Entra ID does)
and access tokens carry its issuer.

Point the other commands at it with --authority-host, --graph-url and SSL_CERT_FILE, and
the same --cloud (--graph-url moves the endpoint; the scopes stay the cloud's).

Scenarios:
` + help,
		Example: `  d365consent emulator
  d365consent emulator --scenario partial --addr 127.0.0.1:8443
  d365consent emulator --cloud usgov --scenario consented`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runEmulator(cmd.Context(), a, o)
		},
	}
	cmd.Flags().StringVar(&o.Addr, "addr", "127.0.0.1:0", "HTTPS address (authority, token, Graph); loopback only")
	cmd.Flags().StringVar(&o.PagesAddr, "pages-addr", "127.0.0.1:0", "plain-HTTP address of the sign-in and consent pages; loopback only")
	cmd.Flags().StringVar(&o.Scenario, "scenario", "fresh", "starting state: "+strings.Join(names, ", "))
	return cmd
}

// runEmulator runs the demo tenant until ctx ends, after printing its endpoints.
func runEmulator(ctx context.Context, a *Factory, o emulatorOptions) error {
	names, _ := scenarioHelp()
	if err := enumFlag("scenario", o.Scenario, names...); err != nil {
		return err
	}
	cat, err := a.catalog()
	if err != nil {
		return err
	}
	// --cloud: the tenant imitates that cloud's Graph scope prefix and token issuer.
	srv, err := a.startEmulator(emulator.Options{Scenario: o.Scenario, Addr: o.Addr, HTTPAddr: o.PagesAddr, Catalog: cat, Cloud: a.opts.Cloud})
	if err != nil {
		return flows.Usagef("%v", err)
	}
	defer srv.Close()
	f, err := os.CreateTemp("", "d365consent-emulator-*.pem")
	if err != nil {
		return fmt.Errorf("writing the certificate: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(srv.CACertPEM()); err != nil {
		f.Close()
		return fmt.Errorf("writing the certificate: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the certificate: %w", err)
	}
	w := a.out()
	fmt.Fprintf(w, "authority: %s/%s\n", srv.AuthorityHost(), srv.TenantID())
	fmt.Fprintf(w, "graph: %s\n", srv.GraphURL())
	fmt.Fprintf(w, "pages: %s\n", srv.PagesURL())
	fmt.Fprintf(w, "ca-cert: %s\n", f.Name())
	fmt.Fprintf(w, "tenant: %s\n", srv.TenantID())
	fmt.Fprintf(w, "domain: %s\n", srv.TenantDomain())
	fmt.Fprintf(w, "scenario: %s\n", srv.Scenario().Name)
	fmt.Fprintf(w, "cloud: %s (Graph scopes: %s/...)\n", srv.CloudName(), srv.GraphScopePrefix())
	fmt.Fprintf(w, "signin-client: %s\n", srv.SignInClientID())
	for _, app := range srv.Catalog().Apps {
		fmt.Fprintf(w, "app %s: %s (%s)\n", app.Key, app.ClientID, app.DisplayName)
	}
	for _, u := range srv.Users() {
		roles := strings.Join(u.Roles, ", ")
		if roles == "" {
			roles = "no admin role"
		}
		fmt.Fprintf(w, "user: %s (%s)\n", u.UPN, roles)
	}
	fmt.Fprintln(a.errOut(), "Running until Ctrl+C.")
	<-ctx.Done()
	return nil
}
