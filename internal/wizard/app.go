package wizard

import (
	"fmt"
	"strings"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// ResolveApp is the app a run works on: a copy of the catalog's entry with the client
// id of cloud ("" = global) from the catalog's per-cloud ids, then clientIDFlag applied
// (a GUID, or a pasted AOS consent link, whose client_id and redirect_uri are taken).
// The client id is "" when neither gives one. The verify and consent-url commands and
// the wizard resolve apps only here.
func ResolveApp(app *permissions.App, cloud, clientIDFlag string) (*permissions.App, error) {
	a := *app
	a.Permissions = append([]permissions.Permission(nil), app.Permissions...)
	// An app registered in the global cloud does not exist in GCC High or China.
	a.ClientID = a.ClientIDFor(cloud)
	if clientIDFlag != "" {
		id, redirect, err := flows.ParseClientIDInput(clientIDFlag)
		if err != nil {
			return nil, fmt.Errorf("--client-id: %w", err)
		}
		a.ClientID = id
		if redirect != "" {
			a.RedirectURI = redirect
		}
	}
	return &a, nil
}

// Target is what the printed command lines run against.
type Target struct {
	// Catalog is the catalog the run uses (--catalog, or the embedded one).
	Catalog *permissions.Catalog
	// Cloud is --cloud ("" = global): the catalog's client ids are per cloud.
	Cloud string
	// ClientIDFlag is --client-id as given ("" = none).
	ClientIDFlag string
	// Tenant is --tenant as given ("" = none): the tenant a printed command names
	// when the run learnt none (sign-in did not complete).
	Tenant string
	// Demo marks the demo tenant, whose tenant id is new each run.
	Demo bool
	// Flags make a printed command run against the same target (--cloud usgov,
	// --authority-host URL, --demo --scenario S …).
	Flags []string
}

// Command is the d365consent command line sub for app in tenant that runs as printed:
// --app, the tenant (not in the demo; tenant, else Target.Tenant), the client id when the catalog has none for the
// cloud or --client-id gave it, the target's flags, then extra. It is the one builder
// of the command lines the wizard and its outcome print. Every part is display-safe
// as it comes: a tenant id from Graph, --tenant and the target's flags (cli refuses
// them with control characters), a client id that is a GUID.
func (t Target) Command(sub string, app *permissions.App, tenant string, extra ...string) string {
	parts := []string{"d365consent", sub}
	if app != nil {
		parts = append(parts, "--app", app.Key)
	}
	if !t.Demo {
		if tenant == "" {
			tenant = t.Tenant
		}
		if tenant != "" {
			parts = append(parts, "--tenant", tenant)
		}
		if app != nil && app.ClientID != "" && t.needsClientID(app.Key) {
			parts = append(parts, "--client-id", app.ClientID)
		}
	}
	parts = append(parts, t.Flags...)
	parts = append(parts, extra...)
	return strings.Join(parts, " ")
}

// CommandNote is the line said after a printed command: in the demo, that the command
// starts the scenario's demo tenant afresh (its starting state, not this run's); ""
// for a real tenant.
func (t Target) CommandNote() string {
	if !t.Demo {
		return ""
	}
	return "(Each demo command starts a fresh demo tenant in the scenario's starting state: it does not see what this run changed.)"
}

// needsClientID: the catalog alone does not give the app's client id in this cloud.
func (t Target) needsClientID(key string) bool {
	if t.ClientIDFlag != "" || t.Catalog == nil {
		return true
	}
	cat, ok := t.Catalog.App(key)
	return !ok || cat.ClientIDFor(t.Cloud) == ""
}
