package flows

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/d365consent/d365consent/internal/safetext"
)

// FleetSchema is the schema id of `verify --tenants FILE --format json`.
const FleetSchema = "d365consent.verify-many/v1"

// FleetDocument is the verify-many/v1 JSON document: the rows of the table in input
// order, every tenant's full result in the verify/v1 contract (unchanged), and a
// summary. Fields may be added; none may be renamed.
type FleetDocument struct {
	Schema     string    `json:"schema"`
	App        ResultApp `json:"app"`
	Cloud      string    `json:"cloud"`
	CheckedAt  time.Time `json:"checkedAt"`
	SignedInAs string    `json:"signedInAs"`
	// Authentication is "delegated" (an admin signed in) or "app-only".
	Authentication string     `json:"authentication"`
	Rows           []FleetRow `json:"rows"`
	// Results are the verify/v1 results of the tenants that could be checked.
	Results []*Result    `json:"results"`
	Summary FleetSummary `json:"summary"`
	Drift   *Drift       `json:"drift,omitempty"`
}

// FleetSummary counts the rows by status.
type FleetSummary struct {
	Tenants      int  `json:"tenants"`
	Checked      int  `json:"checked"`
	Complete     int  `json:"complete"`
	Incomplete   int  `json:"incomplete"`
	NotConsented int  `json:"notConsented"`
	NoAccess     int  `json:"noAccess"`
	Refused      int  `json:"refused"`
	Forbidden    int  `json:"forbidden"`
	Errors       int  `json:"errors"`
	Cancelled    bool `json:"cancelled"`
	// NotChecked counts tenants left when the check was cancelled.
	NotChecked int `json:"notChecked"`
	Drifted    int `json:"drifted,omitempty"`
	ExitCode   int `json:"exitCode"`
}

// Summary counts f's rows; drift (may be nil) adds the drifted tenants and exit 5.
func (f *FleetResult) Summary(drift *Drift) FleetSummary {
	s := FleetSummary{Tenants: f.Total, Cancelled: f.Cancelled, NotChecked: f.Total - len(f.Rows)}
	for _, r := range f.Rows {
		switch r.Outcome {
		case OutcomeComplete:
			s.Complete++
		case OutcomeIncomplete:
			s.Incomplete++
		case OutcomeNotConsented:
			s.NotConsented++
		case OutcomeNoAccess:
			s.NoAccess++
		case OutcomeRefused:
			s.Refused++
		case OutcomeForbidden:
			s.Forbidden++
		default:
			s.Errors++
		}
		if r.Result != nil {
			s.Checked++
		}
	}
	s.ExitCode = f.ExitCode()
	if drift.Drifted() {
		tenants := map[string]bool{}
		for _, c := range drift.Changes {
			tenants[c.TenantID] = true
		}
		s.Drifted = len(tenants)
		if !f.Cancelled {
			s.ExitCode = WorstExitCode(s.ExitCode, 5)
		}
	}
	return s
}

// Document builds the verify-many/v1 document.
func (f *FleetResult) Document(drift *Drift) *FleetDocument {
	doc := &FleetDocument{Schema: FleetSchema, App: f.App, Cloud: f.Cloud, CheckedAt: f.CheckedAt, SignedInAs: f.SignedInAs,
		Authentication: "delegated", Rows: f.Rows, Results: []*Result{}, Summary: f.Summary(drift), Drift: drift}
	if f.AppOnly {
		doc.Authentication = "app-only"
	}
	if doc.Rows == nil {
		doc.Rows = []FleetRow{}
	}
	for _, r := range f.Rows {
		if r.Result != nil {
			doc.Results = append(doc.Results, r.Result)
		}
	}
	return doc
}

// FleetJSON is the verify-many/v1 document, indented.
func FleetJSON(f *FleetResult, drift *Drift) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f.Document(drift)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// FleetSummaryLine is the verdict in one line.
func FleetSummaryLine(f *FleetResult, drift *Drift) string {
	s := f.Summary(drift)
	parts := []string{fmt.Sprintf("%d complete", s.Complete)}
	for _, p := range []struct {
		n    int
		what string
	}{{s.Incomplete, "incomplete"}, {s.NotConsented, "not consented"}, {s.NoAccess, "no access"}, {s.Refused, "refused"},
		{s.Forbidden, "forbidden"}, {s.Errors, "could not be checked"}, {s.Drifted, "drifted from the baseline"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	line := fmt.Sprintf("%d of %d tenants: %s.", len(f.Rows), f.Total, strings.Join(parts, ", "))
	if f.Cancelled {
		line += fmt.Sprintf(" Cancelled: %d not checked.", s.NotChecked)
	}
	return line
}

// missingCell is a row's missing permissions for one table cell.
func missingCell(r FleetRow) string {
	if len(r.Missing) == 0 {
		if r.Result == nil {
			return "-"
		}
		return "none"
	}
	return strings.Join(r.Missing, "; ")
}

func errorCell(r FleetRow) string {
	if r.Error == "" {
		return ""
	}
	return strings.ReplaceAll(r.Error, "\n", " ")
}

// WriteFleetTable writes the rows as an aligned text table (tenant, tenant name,
// status, missing, error), then the summary line.
func WriteFleetTable(w io.Writer, f *FleetResult, drift *Drift) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tTENANT NAME\tSTATUS\tMISSING\tERROR")
	for _, r := range f.Rows {
		name := r.TenantName
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", safetext.Sanitize(r.Tenant), safetext.Sanitize(name), r.Outcome, safetext.Sanitize(missingCell(r)), safetext.Sanitize(errorCell(r)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeDriftText(w, drift)
	_, err := fmt.Fprintf(w, "\n%s\n", FleetSummaryLine(f, drift))
	return err
}

func writeDriftText(w io.Writer, drift *Drift) {
	if drift == nil {
		return
	}
	if !drift.Drifted() {
		fmt.Fprintf(w, "\nNo drift since the baseline (%s, checked %s).\n", safetext.Sanitize(drift.Baseline), drift.BaselineCheckedAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "\nDrift since the baseline (%s, checked %s):\n", safetext.Sanitize(drift.Baseline), drift.BaselineCheckedAt.Format(time.RFC3339))
		for _, c := range drift.Changes {
			fmt.Fprintf(w, "  ~ %s: %s\n", c.TenantID, safetext.Sanitize(c.String()))
		}
	}
	for _, t := range drift.NoBaseline {
		fmt.Fprintf(w, "  (no baseline for tenant %s)\n", t)
	}
}

// WriteDriftText writes a drift section (for single-tenant output).
func WriteDriftText(w io.Writer, drift *Drift) { writeDriftText(w, drift) }

// csvCell keeps a cell from being read as a formula by a spreadsheet.
func csvCell(s string) string {
	s = safetext.Sanitize(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteFleetCSV writes one line per row: tenant, tenant_id, tenant_name, status,
// missing (semicolon-separated), error, aadsts.
func WriteFleetCSV(w io.Writer, f *FleetResult) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"tenant", "tenant_id", "tenant_name", "status", "missing", "error", "aadsts"})
	for _, r := range f.Rows {
		code := ""
		if r.AADSTS != 0 {
			code = strconv.Itoa(r.AADSTS)
		}
		_ = cw.Write([]string{csvCell(r.Tenant), csvCell(r.TenantID), csvCell(r.TenantName), string(r.Outcome),
			csvCell(strings.Join(r.Missing, "; ")), csvCell(errorCell(r)), code})
	}
	cw.Flush()
	return cw.Error()
}

func mdCell(s string) string {
	s = safetext.Sanitize(s)
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// WriteFleetMarkdown writes a Markdown report: a heading, the table, the summary.
func WriteFleetMarkdown(w io.Writer, f *FleetResult, drift *Drift) error {
	fmt.Fprintf(w, "# %s across %d tenants\n\n", mdCell(f.App.DisplayName), f.Total)
	fmt.Fprintf(w, "Client id `%s` · checked %s · as %s · cloud %s\n\n", f.App.ClientID, f.CheckedAt.Format(time.RFC3339), mdCell(f.SignedInAs), f.Cloud)
	fmt.Fprintln(w, "| Tenant | Tenant name | Status | Missing | Error |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range f.Rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCell(r.Tenant), mdCell(r.TenantName), r.Outcome, mdCell(missingCell(r)), mdCell(errorCell(r)))
	}
	if drift != nil {
		fmt.Fprintln(w)
		if !drift.Drifted() {
			fmt.Fprintf(w, "No drift since the baseline (checked %s).\n", drift.BaselineCheckedAt.Format(time.RFC3339))
		} else {
			fmt.Fprintf(w, "## Drift since the baseline (checked %s)\n\n", drift.BaselineCheckedAt.Format(time.RFC3339))
			for _, c := range drift.Changes {
				fmt.Fprintf(w, "- `%s`: %s\n", c.TenantID, mdCell(c.String()))
			}
		}
	}
	_, err := fmt.Fprintf(w, "\n%s\n", FleetSummaryLine(f, drift))
	return err
}

// ProgressLine renders a progress bar of width cells for done of total, e.g.
// "[#######.............]  7/20 tenants".
func ProgressLine(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	width = max(width, 10)
	fill := done * width / total
	return fmt.Sprintf("[%s%s] %*d/%d tenants", strings.Repeat("#", fill), strings.Repeat(".", width-fill), len(strconv.Itoa(total)), done, total)
}
