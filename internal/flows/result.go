package flows

import "time"

// ResultSchema is the schema id of the verify JSON contract.
const ResultSchema = "d365consent.verify/v1"

// Status is the overall verification outcome.
type Status string

// Overall statuses.
const (
	StatusComplete     Status = "complete"
	StatusIncomplete   Status = "incomplete"
	StatusNotConsented Status = "not-consented"
)

// PermStatus is one required permission's state in the tenant.
type PermStatus string

// Per-permission statuses.
const (
	PermGranted         PermStatus = "granted"
	PermMissing         PermStatus = "missing"
	PermUserConsentOnly PermStatus = "user-consent-only"
	PermResourceMissing PermStatus = "resource-missing"
)

// Result is a verification, in the shape of the `verify --format json` contract.
// Fields may be added; none may be renamed.
//
// Its text is display-safe: names and values come from Graph through
// graph.Unmarshal, which sanitizes them, or from the catalog; renderers print it
// as it is.
type Result struct {
	Schema           string            `json:"schema"`
	App              ResultApp         `json:"app"`
	Tenant           ResultTenant      `json:"tenant"`
	Cloud            string            `json:"cloud"`
	CheckedAt        time.Time         `json:"checkedAt"`
	SignedInAs       string            `json:"signedInAs"`
	Status           Status            `json:"status"`
	ServicePrincipal *ResultSP         `json:"servicePrincipal"`
	Permissions      []PermissionCheck `json:"permissions"`
	Extra            []ExtraGrant      `json:"extra"`
	Warnings         []string          `json:"warnings"`
	// ReauthorizeOnly is set when the app can only be re-authorized and its service
	// principal is absent: consent cannot create it.
	ReauthorizeOnlyBlocked bool `json:"reauthorizeOnlyBlocked,omitempty"`
	// Replicating is set when Graph showed the app's service principal but answered 404
	// for its grant or assignment lists (replication right after consent).
	Replicating bool `json:"replicating,omitempty"`
	// NextStep is the step in AOS after consent.
	NextStep string `json:"nextStep,omitempty"`
	// GraphRequests counts the Graph HTTP requests the verification made.
	GraphRequests int `json:"graphRequests"`
}

// ResultApp identifies the verified app.
type ResultApp struct {
	Key         string `json:"key"`
	DisplayName string `json:"displayName"`
	ClientID    string `json:"clientId"`
}

// ResultTenant identifies the tenant.
type ResultTenant struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// ResultSP is the app's service principal in the tenant.
type ResultSP struct {
	ID             string `json:"id"`
	AccountEnabled bool   `json:"accountEnabled"`
	DisplayName    string `json:"displayName,omitempty"`
}

// PermissionCheck is one required permission and what the tenant shows for it.
type PermissionCheck struct {
	API           string     `json:"api"`
	ResourceAppID string     `json:"resourceAppId"`
	Permission    string     `json:"permission"`
	FriendlyName  string     `json:"friendlyName,omitempty"`
	Type          string     `json:"type"`
	Status        PermStatus `json:"status"`
	// Evidence is the oauth2PermissionGrant or appRoleAssignment id that grants it.
	Evidence string `json:"evidence"`
	// ID is the scope / app role id resolved in the tenant, when the resource exists.
	ID            string `json:"id,omitempty"`
	NewlyRequired bool   `json:"newlyRequired,omitempty"`
}

// ExtraGrant is a permission granted to the app beyond the required set.
type ExtraGrant struct {
	API        string `json:"api"`
	Permission string `json:"permission"`
	Type       string `json:"type"`
}

// Granted counts the granted permissions.
func (r *Result) Granted() int {
	n := 0
	for _, p := range r.Permissions {
		if p.Status == PermGranted {
			n++
		}
	}
	return n
}
