package fleet

import (
	"os"
	"strings"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
)

// Resume is an earlier check's verify-many/v1 report (--resume REPORT.json): the
// rows it finished are kept, the tenants it did not finish (cancelled, or could not
// be checked: a network failure) are checked again.
type Resume struct {
	Path string
	App  flows.ResultApp
	// Cloud is the cloud the report was checked in.
	Cloud string
	// Tenants are the report's tenants: its rows, then the ones it did not check.
	Tenants []string
	done    map[string]Row
}

// LoadResume reads a verify-many/v1 document written by verify --tenants --format
// json or --report FILE.json. A file is an entry point: every string of it — rows,
// results, tenants not checked — is made display-safe here (graph.Unmarshal), so the
// rows it keeps print as they are, like the rows a check builds.
func LoadResume(path string) (*Resume, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, flows.Usagef("--resume: %v", err)
	}
	var doc Document
	if err := graph.Unmarshal(data, &doc); err != nil {
		return nil, flows.Usagef("--resume %s: not a verify-many JSON document: %v", path, err)
	}
	if doc.Schema != Schema {
		return nil, flows.Usagef("--resume %s: schema %q is not %s (a verify --tenants --format json report)", path, doc.Schema, Schema)
	}
	r := &Resume{Path: path, App: doc.App, Cloud: doc.Cloud, done: map[string]Row{}}
	results := map[string]*flows.Result{}
	for _, res := range doc.Results {
		if res != nil {
			results[strings.ToLower(res.Tenant.ID)] = res
		}
	}
	for _, row := range doc.Rows {
		key := strings.ToLower(row.Tenant)
		if key == "" {
			continue
		}
		r.Tenants = append(r.Tenants, key)
		if row.Status == StatusError || row.Status == "" {
			continue // could not be checked: check again
		}
		if res := results[strings.ToLower(row.TenantID)]; res != nil && row.TenantID != "" {
			row.Result, row.Checked = res, true
		}
		r.done[key] = row
	}
	for _, t := range doc.NotChecked {
		r.Tenants = append(r.Tenants, strings.ToLower(t))
	}
	return r, nil
}

// CheckApp refuses a report of another app.
func (r *Resume) CheckApp(app flows.ResultApp) error {
	if !strings.EqualFold(r.App.ClientID, app.ClientID) {
		return flows.Usagef("--resume %s checked app %s, not %s", r.Path, r.App.ClientID, app.ClientID)
	}
	return nil
}

// Split divides tenants into the rows the report finished (kept as they were) and
// the tenants to check now.
func (r *Resume) Split(tenants []string) (kept map[string]Row, check []string) {
	kept = map[string]Row{}
	for _, t := range tenants {
		if row, ok := r.done[strings.ToLower(t)]; ok {
			kept[strings.ToLower(t)] = row
		} else {
			check = append(check, t)
		}
	}
	return kept, check
}

// Merge puts the kept rows and a check of the other tenants together, in the
// order of tenants: the result a single uninterrupted check would have given.
func Merge(tenants []string, kept map[string]Row, now *Result) *Result {
	fresh := map[string]Row{}
	for _, row := range now.Rows {
		fresh[strings.ToLower(row.Tenant)] = row
	}
	out := *now
	out.Total, out.Rows, out.Pending = len(tenants), nil, nil
	for _, t := range tenants {
		k := strings.ToLower(t)
		if row, ok := kept[k]; ok {
			out.Rows = append(out.Rows, row)
		} else if row, ok := fresh[k]; ok {
			out.Rows = append(out.Rows, row)
		} else {
			out.Pending = append(out.Pending, t)
		}
	}
	return &out
}
