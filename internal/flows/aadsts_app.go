package flows

// Plain-words explanations of the AADSTS errors an app identity (verify --auth
// certificate|secret|workload-identity) and a partner's per-tenant tokens meet.
// Wording checked against https://learn.microsoft.com/entra/identity-platform/reference-error-codes
// and https://learn.microsoft.com/entra/workload-id/workload-identity-federation.
var appIdentityCodes = map[int]known{
	7000215: {"Invalid client secret",
		"The client secret sent is not a current secret of the app registration (often the secret's ID was copied instead of its value).",
		"Create a new client secret in Entra admin center > App registrations > the monitoring app > Certificates & secrets, and put its value in D365CONSENT_CLIENT_SECRET."},
	7000222: {"Client secret expired",
		"The app's client secret has passed its expiry date.",
		"Create a new client secret (or better, upload a certificate) for the monitoring app and update D365CONSENT_CLIENT_SECRET."},
	700027: {"Certificate not accepted",
		"The client assertion's signature did not validate: the certificate used is not one uploaded to the app registration, or the key does not match it.",
		"Upload the certificate's public part to the monitoring app (Certificates & secrets > Certificates), or pass the certificate that is uploaded there with --certificate."},
	700024: {"Client assertion outside its valid time",
		"The signed assertion was expired or not yet valid when Entra ID received it: this machine's clock is off, or the federated token file is stale.",
		"Synchronize this machine's clock (NTP); with workload identity, make sure the token file is being refreshed (AZURE_FEDERATED_TOKEN_FILE)."},
	700021: {"Client assertion for another app",
		"The assertion's issuer or subject is not the client id the request named.",
		"Use the monitoring app's own client id (--identity-client-id or AZURE_CLIENT_ID) with its certificate."},
	70021: {"No matching federated credential",
		"No federated identity credential of the app trusts the token's issuer, subject and audience together.",
		"Add a federated credential to the monitoring app with the issuer, subject and audience (api://AzureADTokenExchange) of your cluster or pipeline token."},
	700211: {"No federated credential for this issuer",
		"The app has no federated identity credential for the issuer of the presented token.",
		"Add a federated credential whose issuer is exactly the token's issuer (your cluster's OIDC issuer URL or your CI provider's)."},
	700212: {"No federated credential for this audience",
		"A federated credential matches the issuer and subject, but not the token's audience.",
		"Request the token with audience api://AzureADTokenExchange, or add that audience to the federated credential."},
	700213: {"No federated credential for this subject",
		"A federated credential trusts the issuer, but none names the token's subject (service account, branch or environment).",
		"Add a federated credential whose subject is exactly the token's subject (e.g. system:serviceaccount:NAMESPACE:NAME)."},
	1002012: {"Client credentials need a .default scope",
		"App-only tokens are requested for a resource's .default scope.",
		"This is a bug in the request: please report it."},
	9001023: {"App identity needs a tenant",
		"App-only tokens cannot be requested from /common or /organizations.",
		"Name the tenant with --tenant or AZURE_TENANT_ID."},
	90002: {"Tenant not found",
		"Entra ID has no tenant with this id or domain in this cloud.",
		"Check the tenant id or domain (and --cloud); a domain must be one of the tenant's verified domains."},
	500213: {"Blocked by the tenant's cross-tenant access policy",
		"The customer tenant's inbound cross-tenant access settings do not let accounts from your tenant in.",
		"Ask the customer's admin to allow your tenant in External Identities > Cross-tenant access settings, or use your GDAP relationship."},
}

func init() {
	for code, k := range appIdentityCodes {
		if _, exists := knownCodes[code]; !exists {
			knownCodes[code] = k
		}
	}
}
