// Package permissions holds the catalog of AvePoint apps behind Cloud Backup for
// Dynamics 365 and the permissions each one needs, exactly as AvePoint documents
// them, plus writers that render the catalog as JSON, Markdown or CSV (the
// terminal table is internal/permtable's).
//
// The package uses the standard library only (and internal/clouds, the table of
// cloud names, itself standard library only); every other package reads the
// catalog from here.
package permissions

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/d365consent/d365consent/internal/clouds"
)

// Schema is the value of the catalog's "schema" field.
const Schema = "d365consent.catalog/v1"

// Type is how a permission is granted: on behalf of a user (Delegated) or to the
// app itself (Application).
type Type string

// The two permission types of Microsoft identity platform.
const (
	Delegated   Type = "Delegated"
	Application Type = "Application"
)

// Valid reports whether t is Delegated or Application.
func (t Type) Valid() bool { return t == Delegated || t == Application }

// Explain says in plain words what the type means for a tenant admin.
func (t Type) Explain() string {
	switch t {
	case Delegated:
		return "Delegated: the app acts on behalf of a signed-in user and can never do more than that user may. " +
			"Admin consent grants it for every user in the tenant (an oauth2PermissionGrant with consentType AllPrincipals)."
	case Application:
		return "Application: the app acts as itself, with no user signed in, across the whole tenant. " +
			"Only an admin can grant it (an appRoleAssignment on the app's service principal)."
	}
	return string(t)
}

// Well-known resource application ids.
const (
	GraphAppID       = "00000003-0000-0000-c000-000000000000"
	DynamicsCRMAppID = "00000007-0000-0000-c000-000000000000"
	DynamicsERPAppID = "00000015-0000-0000-c000-000000000000"
)

// Permission is one API permission an app requires.
type Permission struct {
	// API is the resource's display name, e.g. "Microsoft Graph".
	API string `json:"api"`
	// ResourceAppID is the resource application's appId.
	ResourceAppID string `json:"resourceAppId"`
	// Value is the permission value, e.g. "User.Read": what is matched in the tenant.
	Value string `json:"value"`
	// FriendlyName is the admin-facing name, e.g. "Sign in and read user profile".
	FriendlyName string `json:"friendlyName"`
	Type         Type   `json:"type"`
	Purpose      string `json:"purpose"`
	// NewlyRequired marks a permission added since the app was first published.
	NewlyRequired bool `json:"newlyRequired"`
	// ID is the permission's scope or app role id where it is public; empty otherwise.
	// Verification never relies on it: it resolves Value against the tenant.
	ID string `json:"id,omitempty"`
}

// Display is "Value (FriendlyName)", the way the seed document writes a permission.
func (p Permission) Display() string {
	if p.FriendlyName == "" {
		return p.Value
	}
	return p.Value + " (" + p.FriendlyName + ")"
}

// App is one AvePoint app and what consenting to it requires.
type App struct {
	Key          string `json:"key"`
	Category     string `json:"category"`
	AppType      string `json:"appType"`
	SetupMethod  string `json:"setupMethod"`
	DisplayName  string `json:"displayName"`
	NewOrUpdated string `json:"newOrUpdated"`
	// Consent is the next step after consent, in AOS.
	Consent     string `json:"consent"`
	ProfileNote string `json:"profileNote,omitempty"`
	// ClientID is the app's client (application) id when known; AvePoint does not publish it.
	// It is the global cloud's (the legacy field); ClientIDs holds one per cloud.
	ClientID string `json:"clientId"`
	// ClientIDs are the app's client ids per cloud ("global", "usgov", "usgov-dod",
	// "china"): an app registered in the global cloud does not exist in GCC High or
	// China. Use ClientIDFor.
	ClientIDs map[string]string `json:"clientIds,omitempty"`
	// RedirectURI is sent with the admin consent request when set.
	RedirectURI string `json:"redirectUri,omitempty"`
	// ReauthorizeOnly means the app can no longer be created: only tenants that
	// already have its service principal can re-authorize it.
	ReauthorizeOnly  bool         `json:"reauthorizeOnly"`
	CreationClosedOn string       `json:"creationClosedOn,omitempty"`
	Notice           string       `json:"notice,omitempty"`
	Permissions      []Permission `json:"permissions"`
}

// CloudNames are the clouds a catalog may give client ids for (internal/clouds).
var CloudNames = clouds.Names()

// ClientIDFor is the app's client id in cloud ("" = global): ClientIDs[cloud], else —
// for the global cloud only — ClientID. "" when the catalog does not know it there.
func (a *App) ClientIDFor(cloud string) string {
	if cloud == "" {
		cloud = "global"
	}
	if id := a.ClientIDs[cloud]; id != "" {
		return id
	}
	if cloud == "global" {
		return a.ClientID
	}
	return ""
}

// Resources lists the distinct resource appIds the app needs, in catalog order.
func (a *App) Resources() []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range a.Permissions {
		if !seen[p.ResourceAppID] {
			seen[p.ResourceAppID] = true
			out = append(out, p.ResourceAppID)
		}
	}
	return out
}

// APIName returns the display name the catalog uses for a resource appId.
func (a *App) APIName(resourceAppID string) string {
	for _, p := range a.Permissions {
		if strings.EqualFold(p.ResourceAppID, resourceAppID) {
			return p.API
		}
	}
	return resourceAppID
}

// Catalog is the set of apps.
type Catalog struct {
	Schema  string `json:"schema"`
	Service string `json:"service"`
	Source  string `json:"source,omitempty"`
	Apps    []App  `json:"apps"`
}

// Keys lists the app keys in catalog order.
func (c *Catalog) Keys() []string {
	keys := make([]string, len(c.Apps))
	for i, a := range c.Apps {
		keys[i] = a.Key
	}
	return keys
}

// App returns the app with the given key (case-insensitive).
func (c *Catalog) App(key string) (*App, bool) {
	for i := range c.Apps {
		if strings.EqualFold(c.Apps[i].Key, key) {
			return &c.Apps[i], true
		}
	}
	return nil, false
}

// Clone returns a deep copy, so callers may change it (e.g. set a client id).
func (c *Catalog) Clone() *Catalog {
	out := *c
	out.Apps = make([]App, len(c.Apps))
	for i, a := range c.Apps {
		a.Permissions = append([]Permission(nil), a.Permissions...)
		if a.ClientIDs != nil {
			ids := make(map[string]string, len(a.ClientIDs))
			for k, v := range a.ClientIDs {
				ids[k] = v
			}
			a.ClientIDs = ids
		}
		out.Apps[i] = a
	}
	return &out
}

//go:embed catalog.json
var embedded []byte

// embeddedCatalog parses and validates catalog.json once, at the first call.
var embeddedCatalog = sync.OnceValues(func() (*Catalog, error) { return Parse(embedded) })

// Embedded returns the catalog built into the binary (catalog.json, parsed and
// validated at the first call). Each call returns a fresh copy, so tests and
// callers can change theirs freely. It panics when catalog.json does not validate,
// a defect of the build that TestEmbeddedCatalogValidates reports first.
func Embedded() *Catalog {
	c, err := embeddedCatalog()
	if err != nil {
		panic("permissions: the built-in catalog.json: " + err.Error())
	}
	return c.Clone()
}

// EmbeddedJSON returns the raw embedded catalog document.
func EmbeddedJSON() []byte { return bytes.Clone(embedded) }

// LoadFile reads and validates a user-supplied catalog file.
func LoadFile(path string) (*Catalog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading catalog: %w", err)
	}
	defer f.Close()
	c, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

// Load decodes and validates a catalog. Unknown fields are rejected.
func Load(r io.Reader) (*Catalog, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("reading catalog: %w", err)
	}
	return Parse(data)
}

// Parse decodes and validates a catalog document.
func Parse(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, &ValidationError{Field: "document", Problem: jsonProblem(err)}
	}
	if dec.More() {
		return nil, &ValidationError{Field: "document", Problem: "unexpected data after the catalog object"}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must be a %s, not %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return "empty document"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "invalid JSON: the document ends early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ValidationError names what is wrong in a catalog and where.
type ValidationError struct {
	App        string // app key, or "apps[i]" when the key is missing
	Permission string // permission value, or "permissions[i]"
	Field      string
	Problem    string
}

func (e *ValidationError) Error() string {
	var where []string
	if e.App != "" {
		where = append(where, "app "+e.App)
	}
	if e.Permission != "" {
		where = append(where, "permission "+e.Permission)
	}
	if e.Field != "" {
		where = append(where, "field "+e.Field)
	}
	return "invalid catalog: " + strings.Join(where, ", ") + ": " + e.Problem
}

// IsGUID reports whether s is a GUID in its 8-4-4-4-12 hexadecimal form. (Written out
// rather than a regexp: a package-level regexp is compiled at every start-up.)
func IsGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// validatePermission checks permission j of the app named name; seen holds the
// resource, value and type of the app's permissions before it.
func validatePermission(name string, j int, p Permission, seen map[string]bool) error {
	pname := p.Value
	if pname == "" {
		pname = fmt.Sprintf("permissions[%d]", j)
	}
	pbad := func(field, problem string) error {
		return &ValidationError{App: name, Permission: pname, Field: field, Problem: problem}
	}
	switch {
	case strings.TrimSpace(p.Value) == "" || strings.ContainsAny(p.Value, " \t\r\n"):
		return pbad("value", "must be a non-empty permission value without spaces")
	case strings.TrimSpace(p.API) == "":
		return pbad("api", "must not be empty")
	case !IsGUID(p.ResourceAppID):
		return pbad("resourceAppId", fmt.Sprintf("%q is not a GUID", p.ResourceAppID))
	case !p.Type.Valid():
		return pbad("type", fmt.Sprintf("must be Delegated or Application, got %q", p.Type))
	case strings.TrimSpace(p.FriendlyName) == "":
		return pbad("friendlyName", "must not be empty")
	case strings.TrimSpace(p.Purpose) == "":
		return pbad("purpose", "must not be empty")
	case p.ID != "" && !IsGUID(p.ID):
		return pbad("id", fmt.Sprintf("%q is not a GUID", p.ID))
	}
	for _, f := range [][2]string{{"api", p.API}, {"value", p.Value}, {"friendlyName", p.FriendlyName}, {"purpose", p.Purpose}} {
		if problem := textProblem(f[1]); problem != "" {
			return pbad(f[0], problem)
		}
	}
	k := strings.ToLower(p.ResourceAppID) + "|" + strings.ToLower(p.Value) + "|" + string(p.Type)
	if seen[k] {
		return pbad("value", "listed twice for the same resource and type")
	}
	seen[k] = true
	return nil
}

// textProblem says why s cannot be catalog text, "" when it can: catalog text is
// printed in terminals and reports as it is, so it holds no control character (C0,
// DEL, C1: escape sequences, line breaks inside a field) and no bidirectional
// override or isolate (U+202A-U+202E, U+2066-U+2069), which reorder what a reader
// sees; nor invalid UTF-8.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		// The characters safetext drops from network text: C0 and C1 controls, and
		// every format character but ZWJ (the bidirectional controls of
		// CVE-2021-42574 among them: overrides, isolates, LRM, RLM, ALM).
		if r < 0x20 || r >= 0x7f && r < 0xa0 || unicode.Is(unicode.Cf, r) && r != 0x200d {
			return fmt.Sprintf("contains the control character U+%04X: catalog text is printed as it is, so it must hold none", r)
		}
	}
	return ""
}

// validKey reports whether key is 1-16 lower-case letters, digits or '-', starting
// with a letter.
func validKey(key string) bool {
	if len(key) == 0 || len(key) > 16 || key[0] < 'a' || key[0] > 'z' {
		return false
	}
	for i := 1; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks the catalog: required fields, GUID formats, permission types,
// and no permission listed twice for the same resource and type.
func (c *Catalog) Validate() error {
	if c.Schema != Schema {
		return &ValidationError{Field: "schema", Problem: fmt.Sprintf("must be %q, got %q", Schema, c.Schema)}
	}
	if len(c.Apps) == 0 {
		return &ValidationError{Field: "apps", Problem: "the catalog lists no app"}
	}
	keys := map[string]bool{}
	for i := range c.Apps {
		a := &c.Apps[i]
		name := a.Key
		if name == "" {
			name = fmt.Sprintf("apps[%d]", i)
		}
		bad := func(field, problem string) error {
			return &ValidationError{App: name, Field: field, Problem: problem}
		}
		switch {
		case !validKey(a.Key):
			return bad("key", "must be 1-16 lower-case letters, digits or '-', starting with a letter")
		case keys[a.Key]:
			return bad("key", "listed twice")
		case strings.TrimSpace(a.DisplayName) == "":
			return bad("displayName", "must not be empty")
		case strings.TrimSpace(a.AppType) == "":
			return bad("appType", "must not be empty")
		case strings.TrimSpace(a.Consent) == "":
			return bad("consent", "must not be empty")
		case a.ClientID != "" && !IsGUID(a.ClientID):
			return bad("clientId", fmt.Sprintf("%q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", a.ClientID))
		case a.RedirectURI != "" && !strings.HasPrefix(a.RedirectURI, "https://") && !strings.HasPrefix(a.RedirectURI, "http://localhost") && !strings.HasPrefix(a.RedirectURI, "http://127.0.0.1"):
			return bad("redirectUri", "must be https, or http on localhost / 127.0.0.1")
		case len(a.Permissions) == 0:
			return bad("permissions", "the app lists no permission")
		}
		for _, f := range [][2]string{{"category", a.Category}, {"appType", a.AppType}, {"setupMethod", a.SetupMethod},
			{"displayName", a.DisplayName}, {"newOrUpdated", a.NewOrUpdated}, {"consent", a.Consent}, {"profileNote", a.ProfileNote},
			{"redirectUri", a.RedirectURI}, {"creationClosedOn", a.CreationClosedOn}, {"notice", a.Notice}} {
			if problem := textProblem(f[1]); problem != "" {
				return bad(f[0], problem)
			}
		}
		for cloud, id := range a.ClientIDs {
			if !slices.Contains(CloudNames, cloud) {
				return bad("clientIds", fmt.Sprintf("unknown cloud %q (use %s)", cloud, strings.Join(CloudNames, ", ")))
			}
			if id != "" && !IsGUID(id) {
				return bad("clientIds", fmt.Sprintf("%s: %q is not a GUID", cloud, id))
			}
		}
		keys[a.Key] = true
		seen := map[string]bool{}
		for j, p := range a.Permissions {
			if err := validatePermission(name, j, p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}
