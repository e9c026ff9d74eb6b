// Package clouds is the one table of the Microsoft clouds d365consent works in: the
// name --cloud takes, the sign-in (login) host, the Microsoft Graph root, and what a
// tenant's OpenID configuration and access tokens say about the cloud. The command
// line, the sign-in and Graph code, the doctor and the demo tenant all read it here.
//
// Sources (Microsoft Learn): graph/deployments (Graph root endpoints per national
// cloud); entra/identity-platform/authentication-national-cloud (login hosts and
// cloud instance names); entra/identity-platform/access-token-claims-reference, "iss"
// (v1.0 issuers: https://sts.windows.net/{tid}/ in the global and US Government
// clouds, https://sts.chinacloudapi.cn/{tid}/ in the one operated by 21Vianet).
package clouds

import "strings"

// Cloud is one Microsoft cloud. URLs are base URLs without a trailing slash.
type Cloud struct {
	// Name is what --cloud takes: global, usgov, usgov-dod or china.
	Name string
	// Title names the cloud in a sentence ("US Government (GCC High)").
	Title string
	// LoginURL is the sign-in (authority) host, e.g. https://login.microsoftonline.us.
	LoginURL string
	// GraphURL is the Microsoft Graph root endpoint, which is also Graph's resource
	// URI there: the prefix of every fully qualified Graph scope.
	GraphURL string
	// Instance is the cloud_instance_name of the cloud's tenants' OpenID
	// configuration, e.g. microsoftonline.us; InstanceAliases are other spellings of
	// it that name the same cloud.
	Instance        string
	InstanceAliases []string
	// RegionScope is the tenant_region_scope of its tenants (WW, USGov), and
	// RegionSubScope the tenant_region_sub_scope that tells it from another cloud
	// with the same instance (DOD for usgov-dod; "" = none). Entra ID returns both;
	// Learn does not describe them.
	RegionScope, RegionSubScope string
	// IssuerV1 is the host part of the "iss" of the v1.0 access tokens (Graph's).
	IssuerV1 string
}

// all is the table, in the order the clouds are listed to users.
var all = [...]Cloud{
	{
		Name: "global", Title: "the global cloud",
		LoginURL: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com",
		Instance: "microsoftonline.com", RegionScope: "WW", IssuerV1: "https://sts.windows.net",
	},
	{
		Name: "usgov", Title: "US Government (GCC High)",
		LoginURL: "https://login.microsoftonline.us", GraphURL: "https://graph.microsoft.us",
		Instance: "microsoftonline.us", RegionScope: "USGov", IssuerV1: "https://sts.windows.net",
	},
	{
		Name: "usgov-dod", Title: "US Government (DoD)",
		LoginURL: "https://login.microsoftonline.us", GraphURL: "https://dod-graph.microsoft.us",
		Instance: "microsoftonline.us", RegionScope: "USGov", RegionSubScope: "DOD", IssuerV1: "https://sts.windows.net",
	},
	{
		Name: "china", Title: "Microsoft Azure operated by 21Vianet (China)",
		LoginURL: "https://login.partner.microsoftonline.cn", GraphURL: "https://microsoftgraph.chinacloudapi.cn",
		Instance: "partner.microsoftonline.cn", InstanceAliases: []string{"microsoftonline.cn", "chinacloudapi.cn"},
		RegionScope: "WW", IssuerV1: "https://sts.chinacloudapi.cn",
	},
}

// All returns every cloud, global first (a copy: the table cannot be changed).
func All() []Cloud {
	c := all
	return c[:]
}

// Names lists the clouds' names, global first.
func Names() []string {
	out := make([]string, len(all))
	for i, c := range all {
		out[i] = c.Name
	}
	return out
}

// NameList is Names for a sentence: "global, usgov, usgov-dod or china".
func NameList() string {
	n := Names()
	return strings.Join(n[:len(n)-1], ", ") + " or " + n[len(n)-1]
}

// Lookup finds a cloud by name, ignoring case and surrounding space.
func Lookup(name string) (Cloud, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, c := range all {
		if c.Name == name {
			return c, true
		}
	}
	return Cloud{}, false
}

// ForInstance finds the cloud of a tenant from its OpenID configuration's
// cloud_instance_name and tenant_region_sub_scope (both matched ignoring case).
func ForInstance(instance, regionSubScope string) (Cloud, bool) {
	var found Cloud
	ok := false
	for _, c := range all {
		if !c.hasInstance(instance) {
			continue
		}
		if strings.EqualFold(c.RegionSubScope, regionSubScope) {
			return c, true // the exact match: usgov-dod for DOD
		}
		if !ok && c.RegionSubScope == "" {
			found, ok = c, true // the cloud without a sub-scope: usgov for GCC High
		}
	}
	return found, ok
}

func (c Cloud) hasInstance(instance string) bool {
	if strings.EqualFold(c.Instance, instance) {
		return true
	}
	for _, a := range c.InstanceAliases {
		if strings.EqualFold(a, instance) {
			return true
		}
	}
	return false
}

// IsLoginURL reports whether u is one of the clouds' sign-in hosts.
func IsLoginURL(u string) bool {
	for _, c := range all {
		if c.LoginURL == u {
			return true
		}
	}
	return false
}
