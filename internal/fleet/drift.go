package fleet

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
)

// Drift: what changed since an earlier verification (a baseline `verify --format
// json` document). A scheduled check fails on drift when a grant was revoked, a
// newly required permission appeared, or something was granted beyond the required
// set.

// Kinds of change.
const (
	DriftStatus            = "status"             // the tenant's overall status changed
	DriftPermission        = "permission"         // a required permission's status changed
	DriftPermissionAdded   = "permission-added"   // the app now requires a permission the baseline did not list
	DriftPermissionRemoved = "permission-removed" // the baseline listed a permission the app no longer requires
	DriftExtraAppeared     = "extra-appeared"     // a grant beyond the required set appeared
	DriftExtraVanished     = "extra-vanished"     // a grant beyond the required set disappeared
	DriftSPEnabled         = "service-principal"  // the app's service principal appeared, vanished, or was enabled or disabled
)

// DriftChange is one difference from the baseline.
type DriftChange struct {
	TenantID   string `json:"tenantId"`
	Kind       string `json:"kind"`
	API        string `json:"api,omitempty"`
	Permission string `json:"permission,omitempty"`
	Type       string `json:"type,omitempty"`
	Before     string `json:"before"`
	After      string `json:"after"`
}

// String is the change in one line, e.g.
// "Microsoft Graph Directory.Read.All (Application): granted -> missing".
func (c DriftChange) String() string {
	switch c.Kind {
	case DriftStatus:
		return fmt.Sprintf("status: %s -> %s", c.Before, c.After)
	case DriftSPEnabled:
		return fmt.Sprintf("service principal: %s -> %s", c.Before, c.After)
	case DriftExtraAppeared:
		return fmt.Sprintf("extra grant appeared: %s %s (%s)", c.API, c.Permission, c.Type)
	case DriftExtraVanished:
		return fmt.Sprintf("extra grant vanished: %s %s (%s)", c.API, c.Permission, c.Type)
	case DriftPermissionAdded:
		return fmt.Sprintf("newly required: %s %s (%s), now %s", c.API, c.Permission, c.Type, c.After)
	case DriftPermissionRemoved:
		return fmt.Sprintf("no longer required: %s %s (%s), was %s", c.API, c.Permission, c.Type, c.Before)
	}
	return fmt.Sprintf("%s %s (%s): %s -> %s", c.API, c.Permission, c.Type, c.Before, c.After)
}

// Drift is the comparison with a baseline.
type Drift struct {
	Baseline          string        `json:"baseline"`
	BaselineCheckedAt time.Time     `json:"baselineCheckedAt"`
	Changes           []DriftChange `json:"changes"`
	// NoBaseline lists tenants checked now that the baseline does not have.
	NoBaseline []string `json:"noBaseline,omitempty"`
}

// Drifted reports whether anything changed.
func (d *Drift) Drifted() bool { return d != nil && len(d.Changes) > 0 }

// Baseline is an earlier verification: one result (verify/v1) or a fleet check's
// results (verify-many/v1), by tenant id.
type Baseline struct {
	Path      string
	CheckedAt time.Time
	App       flows.ResultApp
	byTenant  map[string]*flows.Result
}

// LoadBaseline reads a `verify --format json` document of either schema. A file is an
// entry point: its strings are made display-safe here (graph.Unmarshal), and its path
// too, which the drift section prints.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, flows.Usagef("--baseline: %v", err)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, flows.Usagef("--baseline %s: not a verify JSON document: %v", path, err)
	}
	b := &Baseline{Path: safetext.Sanitize(path), byTenant: map[string]*flows.Result{}}
	switch head.Schema {
	case flows.ResultSchema:
		var r flows.Result
		if err := graph.Unmarshal(data, &r); err != nil {
			return nil, flows.Usagef("--baseline %s: %v", path, err)
		}
		b.add(&r)
		b.CheckedAt, b.App = r.CheckedAt, r.App
	case Schema:
		var doc Document
		if err := graph.Unmarshal(data, &doc); err != nil {
			return nil, flows.Usagef("--baseline %s: %v", path, err)
		}
		for _, r := range doc.Results {
			b.add(r)
		}
		b.CheckedAt, b.App = doc.CheckedAt, doc.App
	default:
		return nil, flows.Usagef("--baseline %s: schema %q is not %s or %s", path, safetext.Sanitize(head.Schema), flows.ResultSchema, Schema)
	}
	return b, nil
}

func (b *Baseline) add(r *flows.Result) {
	if r != nil && r.Tenant.ID != "" {
		b.byTenant[strings.ToLower(r.Tenant.ID)] = r
	}
}

// CheckApp refuses a baseline of another app.
func (b *Baseline) CheckApp(app flows.ResultApp) error {
	if !strings.EqualFold(b.App.ClientID, app.ClientID) || b.App.Key != app.Key {
		return flows.Usagef("--baseline %s is for %s (%s), not %s (%s)", b.Path, b.App.Key, b.App.ClientID, app.Key, app.ClientID)
	}
	return nil
}

// Compare compares current results with the baseline. Tenants the baseline does
// not have are listed in NoBaseline, not as drift.
func (b *Baseline) Compare(current ...*flows.Result) *Drift {
	d := &Drift{Baseline: b.Path, BaselineCheckedAt: b.CheckedAt, Changes: []DriftChange{}}
	for _, r := range current {
		if r == nil {
			continue
		}
		before := b.byTenant[strings.ToLower(r.Tenant.ID)]
		if before == nil {
			d.NoBaseline = append(d.NoBaseline, r.Tenant.ID)
			continue
		}
		d.Changes = append(d.Changes, CompareResults(before, r)...)
	}
	return d
}

type permKey struct{ api, perm, typ string }

// CompareResults lists every difference between two verifications of one tenant, in
// a stable order: overall status, service principal, required permissions (in the
// current order, then removed ones), extra grants.
func CompareResults(before, after *flows.Result) []DriftChange {
	tid := after.Tenant.ID
	var out []DriftChange
	if before.Status != after.Status {
		out = append(out, DriftChange{TenantID: tid, Kind: DriftStatus, Before: string(before.Status), After: string(after.Status)})
	}
	if sb, sa := spState(before.ServicePrincipal), spState(after.ServicePrincipal); sb != sa {
		out = append(out, DriftChange{TenantID: tid, Kind: DriftSPEnabled, Before: sb, After: sa})
	}
	key := func(p flows.PermissionCheck) permKey {
		return permKey{strings.ToLower(p.ResourceAppID), strings.ToLower(p.Permission), p.Type}
	}
	was := map[permKey]flows.PermissionCheck{}
	for _, p := range before.Permissions {
		was[key(p)] = p
	}
	seen := map[permKey]bool{}
	for _, p := range after.Permissions {
		k := key(p)
		seen[k] = true
		b, ok := was[k]
		switch {
		case !ok:
			out = append(out, DriftChange{TenantID: tid, Kind: DriftPermissionAdded, API: p.API, Permission: p.Permission, Type: p.Type, Before: "", After: string(p.Status)})
		case b.Status != p.Status:
			out = append(out, DriftChange{TenantID: tid, Kind: DriftPermission, API: p.API, Permission: p.Permission, Type: p.Type, Before: string(b.Status), After: string(p.Status)})
		}
	}
	for _, p := range before.Permissions {
		if !seen[key(p)] {
			out = append(out, DriftChange{TenantID: tid, Kind: DriftPermissionRemoved, API: p.API, Permission: p.Permission, Type: p.Type, Before: string(p.Status), After: ""})
		}
	}
	ek := func(e flows.ExtraGrant) permKey {
		return permKey{strings.ToLower(e.API), strings.ToLower(e.Permission), e.Type}
	}
	had, has := map[permKey]bool{}, map[permKey]bool{}
	for _, e := range before.Extra {
		had[ek(e)] = true
	}
	for _, e := range after.Extra {
		has[ek(e)] = true
	}
	var extras []DriftChange
	for _, e := range after.Extra {
		if !had[ek(e)] {
			extras = append(extras, DriftChange{TenantID: tid, Kind: DriftExtraAppeared, API: e.API, Permission: e.Permission, Type: e.Type, Before: "absent", After: "granted"})
		}
	}
	for _, e := range before.Extra {
		if !has[ek(e)] {
			extras = append(extras, DriftChange{TenantID: tid, Kind: DriftExtraVanished, API: e.API, Permission: e.Permission, Type: e.Type, Before: "granted", After: "absent"})
		}
	}
	sort.SliceStable(extras, func(i, j int) bool {
		return extras[i].Kind+extras[i].API+extras[i].Permission < extras[j].Kind+extras[j].API+extras[j].Permission
	})
	return append(out, extras...)
}

func spState(sp *flows.ResultSP) string {
	switch {
	case sp == nil:
		return "absent"
	case sp.AccountEnabled:
		return "enabled"
	}
	return "disabled"
}
