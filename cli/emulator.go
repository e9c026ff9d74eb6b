package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

type emulatorOptions struct {
	Addr, PagesAddr, Scenario string
	// Proxy runs the HTTPS proxy of the Microsoft-named mode; ProxyAddr is its address.
	Proxy     bool
	ProxyAddr string
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

With --proxy the tenant takes Microsoft's names: an HTTPS proxy on 127.0.0.1 answers
for the cloud's sign-in and Graph hosts (login.microsoftonline.com, graph.microsoft.com)
and, in the global cloud, the Azure Resource Manager tenant and subscription lists
(management.azure.com), with certificates signed by the emulator's CA, and refuses every
other host. Clients that cannot be given another authority (Azure CLI, CLI for
Microsoft 365, MSAL Python) then reach the demo tenant unmodified, and so do the other
commands with their default endpoints:

  HTTPS_PROXY=http://127.0.0.1:PORT SSL_CERT_FILE=PATH d365consent verify ...
  HTTPS_PROXY=... REQUESTS_CA_BUNDLE=PATH az login --use-device-code --allow-no-subscriptions
  HTTPS_PROXY=... NODE_EXTRA_CA_CERTS=PATH m365 login --authType deviceCode

Scenarios:
` + help,
		Example: `  d365consent emulator
  d365consent emulator --scenario partial --addr 127.0.0.1:8443
  d365consent emulator --cloud usgov --scenario consented
  d365consent emulator --proxy --scenario partial`,
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
	cmd.Flags().BoolVar(&o.Proxy, "proxy", false, "also run an HTTPS proxy that answers for Microsoft's host names with the demo tenant")
	cmd.Flags().StringVar(&o.ProxyAddr, "proxy-addr", "127.0.0.1:0", "address of the --proxy proxy; loopback only")
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
	opts := emulator.Options{Scenario: o.Scenario, Addr: o.Addr, HTTPAddr: o.PagesAddr, Catalog: cat, Cloud: a.opts.Cloud}
	if o.Proxy {
		opts.Proxy = o.ProxyAddr
	}
	srv, err := a.startEmulator(opts)
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
	if p := srv.ProxyURL(); p != "" {
		fmt.Fprintf(w, "proxy: %s\n", p)
	}
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
	if srv.ProxyURL() == "" {
		writeEmulatorCommands(a.errOut(), srv, f.Name(), a.opts.Cloud)
	}
	if p := srv.ProxyURL(); p != "" {
		fmt.Fprintf(a.errOut(), `Clients reach the demo tenant by its Microsoft names through the proxy:
  export HTTPS_PROXY=%[1]s
  export SSL_CERT_FILE=%[2]s        # d365consent, curl, OpenSSL
  export REQUESTS_CA_BUNDLE=%[2]s   # Azure CLI, MSAL Python
  export NODE_EXTRA_CA_CERTS=%[2]s  # CLI for Microsoft 365, Node.js
`, p, f.Name())
	}
	fmt.Fprintln(a.errOut(), "Running until Ctrl+C.")
	<-ctx.Done()
	return nil
}

// writeEmulatorCommands prints d365consent command lines that run as printed against
// the standalone emulator srv: its endpoints, its sign-in client, the same --cloud,
// and for the commands that connect its CA (caFile) in SSL_CERT_FILE.
func writeEmulatorCommands(w io.Writer, srv *emulator.Server, caFile, cloud string) {
	apps := srv.Catalog().Apps
	if len(apps) == 0 {
		return
	}
	app := apps[0]
	var cloudFlag []string
	if cloud != "" && cloud != "global" {
		cloudFlag = []string{"--cloud", cloud}
	}
	target := append([]string{"--app", app.Key, "--tenant", srv.TenantID(), "--client-id", app.ClientID}, cloudFlag...)
	verify := append(append([]string{"SSL_CERT_FILE=" + caFile, "d365consent", "verify"}, target...),
		"--signin-client-id", srv.SignInClientID(), "--authority-host", srv.AuthorityHost(), "--graph-url", srv.GraphURL(), "--device-code")
	consentURL := append(append([]string{"d365consent", "consent-url"}, target...), "--authority-host", srv.AuthorityHost())
	fmt.Fprintf(w, "Point d365consent at it (each line runs as printed; sign in as a listed user):\n  %s\n  %s\n",
		strings.Join(verify, " "), strings.Join(consentURL, " "))
}
