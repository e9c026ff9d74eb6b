package emulator

import (
	"github.com/d365consent/d365consent/internal/clouds"
)

// CloudInstance is what the tenant's OpenID configuration says about the cloud it
// lives in. A real tenant's document at
// https://{login-host}/{tenant}/v2.0/.well-known/openid-configuration (Microsoft Learn:
// entra/identity-platform/v2-protocols-oidc) carries cloud_instance_name — the cloud
// instance, e.g. microsoftonline.com (global), microsoftonline.us (US Government),
// partner.microsoftonline.cn (China) (entra/identity-platform/authentication-national-cloud) —
// and tenant_region_scope / tenant_region_sub_scope (e.g. "USGov" / "DODCON" for GCC
// High), which Entra ID returns but Learn does not describe. Setting it lets a test
// build a tenant that lives in another cloud than the one the client talks to.
type CloudInstance struct {
	Name           string // cloud_instance_name; "" = microsoftonline.com
	RegionScope    string // tenant_region_scope; "" = WW
	RegionSubScope string // tenant_region_sub_scope; "" = omitted (as for most global tenants)
}

// openIDCloudFields are the cloud fields of the OpenID configuration.
func (c CloudInstance) openIDCloudFields() map[string]any {
	global, _ := clouds.Lookup("global")
	m := map[string]any{"cloud_instance_name": global.Instance, "tenant_region_scope": global.RegionScope}
	if c.Name != "" {
		m["cloud_instance_name"] = c.Name
	}
	if c.RegionScope != "" {
		m["tenant_region_scope"] = c.RegionScope
	}
	if c.RegionSubScope != "" {
		m["tenant_region_sub_scope"] = c.RegionSubScope
	}
	return m
}
