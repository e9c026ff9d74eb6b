package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/d365consent/d365consent/internal/flows"
)

// checkLine renders one permission's status: a mark, the permission and the status
// in words.
func (m *Model) checkLine(pc flows.PermissionCheck, w int) string {
	var mark, status string
	switch pc.Status {
	case flows.PermGranted:
		mark, status = m.th.OK.Render(m.g.Check), "granted"
	case flows.PermMissing:
		mark, status = m.th.Bad.Render(m.g.Cross), "missing"
		if pc.NewlyRequired {
			status = "missing (newly required)"
		}
	case flows.PermUserConsentOnly:
		mark, status = m.th.Warn.Render(m.g.Warn), "user consent only, not for the whole tenant"
	case flows.PermResourceMissing:
		mark, status = m.th.Bad.Render(m.g.Cross), "resource missing in the tenant"
	default:
		mark, status = m.th.Subtle.Render(m.g.Bullet), string(pc.Status)
	}
	typ := "Delegated"
	if pc.Type != "" {
		typ = pc.Type
	}
	api := pc.API
	if w < 70 {
		if typ == "Application" {
			typ = "App"
		} else {
			typ = "Del"
		}
		return mark + " " + wrapIndent(pc.Permission+" ("+typ+") — "+status, w-2, "  ")
	}
	left := fmt.Sprintf("%s · %s (%s)", api, pc.Permission, typ)
	return mark + " " + cell(left, 52) + " " + status
}

// checklist renders all of r's permission checks.
//
// The rows that need action come first, in catalog order, then the granted ones: on
// a short window the missing row is on screen, not below the fold.
func (m *Model) checklist(r *flows.Result, w int) string {
	rows := slices.Clone(r.Permissions)
	slices.SortStableFunc(rows, func(a, b flows.PermissionCheck) int {
		return cmp.Compare(granted(a), granted(b))
	})
	lines := make([]string, 0, len(rows))
	for _, pc := range rows {
		lines = append(lines, m.checkLine(pc, w))
	}
	return strings.Join(lines, "\n")
}

// granted is 1 for a granted row, 0 for one that needs action (the sort key).
func granted(p flows.PermissionCheck) int {
	if p.Status == flows.PermGranted {
		return 1
	}
	return 0
}

// extrasAndWarnings renders the grants beyond the required set and the warnings.
func (m *Model) extrasAndWarnings(r *flows.Result, w int) string {
	var b strings.Builder
	if len(r.Extra) > 0 {
		b.WriteString("\n" + m.th.Header.Render("Also granted (not required):") + "\n")
		for _, e := range r.Extra {
			b.WriteString("  " + wrap(e.API+" · "+e.Permission+" ("+e.Type+")", w-2) + "\n")
		}
	}
	for _, wn := range r.Warnings {
		b.WriteString("\n" + m.th.Warn.Render("Warning: ") + wrap(wn, w-9))
	}
	return strings.TrimRight(b.String(), "\n")
}

// missing lists the permissions that are not granted.
func missing(r *flows.Result) []flows.PermissionCheck {
	var out []flows.PermissionCheck
	for _, p := range r.Permissions {
		if p.Status != flows.PermGranted {
			out = append(out, p)
		}
	}
	return out
}

// headline is one sentence about r.
func headline(r *flows.Result) string {
	n, g := len(r.Permissions), r.Granted()
	switch {
	case r.Status == flows.StatusNotConsented || r.ServicePrincipal == nil:
		return fmt.Sprintf("The app is not in your tenant yet: none of its %d permissions is granted.", n)
	case r.Status == flows.StatusComplete:
		return fmt.Sprintf("All %d permissions are granted.", n)
	case g == n: // granted, yet not complete (a disabled service principal)
		return flows.Summary(r)
	}
	return fmt.Sprintf("%d of %d permissions are granted; %d missing.", g, n, n-g)
}
