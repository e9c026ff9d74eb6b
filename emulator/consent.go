package emulator

import (
	"fmt"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// missingResourceError is AADSTS650052: consent names a resource the tenant lacks.
type missingResourceError struct{ API, AppID string }

func (e *missingResourceError) Error() string {
	return fmt.Sprintf("AADSTS650052: The app is trying to access a service '%s'(%s) that your organization '%s' lacks a service principal for. "+
		"Contact your IT Admin to review the configuration of your service subscriptions or consent to the application in order to create the required service principal.",
		e.AppID, e.API, demoTenantID)
}

// applyConsent does what admin consent does: create the app's service principal if
// absent, grant what the app *registration* requests (its requiredResourceAccess,
// app.Required — not our catalog: the static permissions configured on the
// registration are what the admin consent endpoints grant,
// entra/identity-platform/v2-admin-consent and
// entra/identity-platform/permissions-consent-overview), replacing the earlier
// tenant-wide delegated grants of this client, and assign its application permissions. Objects it creates become
// visible at visibleAt (grants at grantsAt, assignments at assignAt when the
// replication is staggered). With partial (a scenario's starting state), resources
// missing from the tenant are skipped instead of failing, and earlier grants are
// only added to.
func (d *directory) applyConsent(app *application, now, visibleAt time.Time, skip func(permissions.Permission) bool, partial bool) (*servicePrincipal, error) {
	return d.applyConsentStaggered(app, now, visibleAt, visibleAt, visibleAt, skip, partial)
}

func (d *directory) applyConsentStaggered(app *application, now, spAt, grantsAt, assignAt time.Time, skip func(permissions.Permission) bool, partial bool) (*servicePrincipal, error) {
	if !partial {
		for _, p := range app.Required {
			if d.spByAppID(p.ResourceAppID, time.Time{}) == nil {
				return nil, &missingResourceError{API: p.API, AppID: p.ResourceAppID}
			}
		}
	}
	sp := d.addSP(app, true, spAt)
	delegated := map[*servicePrincipal][]string{}
	var resources []*servicePrincipal
	for _, p := range app.Required {
		if skip != nil && skip(p) {
			continue
		}
		res := d.spByAppID(p.ResourceAppID, time.Time{})
		if res == nil {
			continue
		}
		switch p.Type {
		case permissions.Delegated:
			if res.App.scope(p.Value) != nil {
				if _, seen := delegated[res]; !seen {
					resources = append(resources, res)
				}
				delegated[res] = append(delegated[res], p.Value)
			}
		case permissions.Application:
			if r := res.App.role(p.Value); r != nil {
				d.assignRole(sp, res, r.ID, now, assignAt)
			}
		}
	}
	if partial {
		for _, res := range resources {
			d.grantDelegated(sp, res, "AllPrincipals", "", delegated[res], grantsAt)
		}
		return sp, nil
	}
	// Every resource the client holds a tenant-wide grant on gets exactly what the
	// registration requests of it now (nothing: the grant is revoked).
	for _, g := range append([]*grant(nil), d.grants...) {
		if g.ClientID == sp.ID && g.ConsentType == "AllPrincipals" {
			if res := d.spByID(g.ResourceID, time.Time{}); res != nil {
				if _, seen := delegated[res]; !seen {
					resources = append(resources, res)
				}
			}
		}
	}
	for _, res := range resources {
		d.replaceDelegated(sp, res, delegated[res], grantsAt)
	}
	return sp, nil
}
