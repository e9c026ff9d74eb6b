package fleet

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
)

// Schema is the schema id of `verify --tenants FILE --format json`.
const Schema = "d365consent.verify-many/v1"

// Document is the verify-many/v1 JSON document: the rows of the table in input
// order, every tenant's full result in the verify/v1 contract (unchanged), and a
// summary. Fields may be added; none may be renamed.
type Document struct {
	Schema     string          `json:"schema"`
	App        flows.ResultApp `json:"app"`
	Cloud      string          `json:"cloud"`
	CheckedAt  time.Time       `json:"checkedAt"`
	SignedInAs string          `json:"signedInAs"`
	// Authentication is "delegated" (an admin signed in) or "app-only".
	Authentication string `json:"authentication"`
	Rows           []Row  `json:"rows"`
	// Results are the verify/v1 results of the tenants that could be checked.
	Results []*flows.Result `json:"results"`
	Summary Summary         `json:"summary"`
	Drift   *Drift          `json:"drift,omitempty"`
	// NotChecked lists the tenants a cancelled check did not finish, in input
	// order (verify --resume checks them).
	NotChecked []string `json:"notChecked,omitempty"`
}

// Summary counts the rows by status.
type Summary struct {
	Tenants      int `json:"tenants"`
	Checked      int `json:"checked"`
	Complete     int `json:"complete"`
	Incomplete   int `json:"incomplete"`
	NotConsented int `json:"notConsented"`
	NoAccess     int `json:"noAccess"`
	// SignInConsent counts tenants where the sign-in client needs consent.
	SignInConsent int  `json:"signInConsent,omitempty"`
	Refused       int  `json:"refused"`
	Forbidden     int  `json:"forbidden"`
	Errors        int  `json:"errors"`
	Cancelled     bool `json:"cancelled"`
	// NotChecked counts tenants left when the check was cancelled.
	NotChecked int `json:"notChecked"`
	Drifted    int `json:"drifted,omitempty"`
	// ExitCode is the command's exit code, which the command line decides from the
	// statuses, the drift and the cancellation (Document's exitCode).
	ExitCode int `json:"exitCode"`
}

// Summary counts f's rows; drift (may be nil) adds the drifted tenants. Its
// ExitCode is left 0: the document's is the command line's.
func (f *Result) Summary(drift *Drift) Summary {
	s := Summary{Tenants: f.Total, Cancelled: f.Cancelled, NotChecked: f.Total - len(f.Rows)}
	for _, r := range f.Rows {
		switch r.Status {
		case StatusComplete:
			s.Complete++
		case StatusIncomplete:
			s.Incomplete++
		case StatusNotConsented:
			s.NotConsented++
		case StatusNoAccess:
			s.NoAccess++
		case StatusSignInConsent:
			s.SignInConsent++
		case StatusRefused:
			s.Refused++
		case StatusForbidden:
			s.Forbidden++
		default:
			s.Errors++
		}
		if r.Checked || r.Result != nil {
			s.Checked++
		}
	}
	if drift.Drifted() {
		tenants := map[string]bool{}
		for _, c := range drift.Changes {
			tenants[c.TenantID] = true
		}
		s.Drifted = len(tenants)
	}
	return s
}

// Document builds the verify-many/v1 document; exitCode is the command's exit code,
// which the summary carries.
func (f *Result) Document(drift *Drift, exitCode int) *Document {
	doc := &Document{Schema: Schema, App: f.App, Cloud: f.Cloud, CheckedAt: f.CheckedAt, SignedInAs: f.SignedInAs,
		Authentication: "delegated", Rows: f.Rows, Results: []*flows.Result{}, Summary: f.Summary(drift), Drift: drift,
		NotChecked: f.Pending}
	doc.Summary.ExitCode = exitCode
	if f.AppOnly {
		doc.Authentication = "app-only"
	}
	if doc.Rows == nil {
		doc.Rows = []Row{}
	}
	for _, r := range f.Rows {
		if r.Result != nil {
			doc.Results = append(doc.Results, r.Result)
		}
	}
	return doc
}

// JSON is the verify-many/v1 document, indented.
func JSON(f *Result, drift *Drift, exitCode int) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f.Document(drift, exitCode)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// SummaryLine is the verdict in one line.
func SummaryLine(f *Result, drift *Drift) string {
	s := f.Summary(drift)
	parts := []string{fmt.Sprintf("%d complete", s.Complete)}
	for _, p := range []struct {
		n    int
		what string
	}{{s.Incomplete, "incomplete"}, {s.NotConsented, "not consented"}, {s.NoAccess, "no access"},
		{s.SignInConsent, "sign-in app needs consent"}, {s.Refused, "refused"},
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
func missingCell(r Row) string {
	if len(r.Missing) == 0 {
		if r.Result == nil && !r.Checked {
			return "-"
		}
		return "none"
	}
	return strings.Join(r.Missing, "; ")
}

func errorCell(r Row) string {
	if r.Error == "" {
		return ""
	}
	cell := strings.ReplaceAll(r.Error, "\n", " ")
	if r.Fix != "" {
		cell += " — fix: " + r.Fix
	}
	return cell
}

// WriteTable writes the rows as an aligned text table (tenant, tenant name,
// status, missing, error), then the summary line.
func WriteTable(w io.Writer, f *Result, drift *Drift) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENANT\tTENANT NAME\tSTATUS\tMISSING\tERROR")
	for _, r := range f.Rows {
		name := r.TenantName
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Tenant, name, r.Status, missingCell(r), errorCell(r))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	WriteDriftText(w, drift)
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(f, drift))
	return err
}

// WriteDriftText writes a drift section: the changes, or that there are none, and
// the tenants without a baseline. Nothing for a nil drift (no --baseline).
func WriteDriftText(w io.Writer, drift *Drift) {
	if drift == nil {
		return
	}
	if !drift.Drifted() {
		fmt.Fprintf(w, "\nNo drift since the baseline (%s, checked %s).\n", drift.Baseline, drift.BaselineCheckedAt.Format(time.RFC3339))
	} else {
		fmt.Fprintf(w, "\nDrift since the baseline (%s, checked %s):\n", drift.Baseline, drift.BaselineCheckedAt.Format(time.RFC3339))
		for _, c := range drift.Changes {
			fmt.Fprintf(w, "  ~ %s: %s\n", c.TenantID, c.String())
		}
	}
	for _, t := range drift.NoBaseline {
		fmt.Fprintf(w, "  (no baseline for tenant %s)\n", t)
	}
}

// csvCell keeps a cell from being read as a formula by a spreadsheet.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes one line per row: tenant, tenant_id, tenant_name, status,
// missing (semicolon-separated), error, aadsts.
func WriteCSV(w io.Writer, f *Result) error {
	s, err := NewStream(w, "csv")
	if err != nil {
		return err
	}
	for _, r := range f.Rows {
		if err := s.Row(r); err != nil {
			return err
		}
	}
	return nil
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "\\", "\\\\")
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// WriteMarkdown writes a Markdown report: a heading, the table, the summary.
func WriteMarkdown(w io.Writer, f *Result, drift *Drift) error {
	fmt.Fprintf(w, "# %s across %d tenants\n\n", mdCell(f.App.DisplayName), f.Total)
	fmt.Fprintf(w, "Client id `%s` · checked %s · as %s · cloud %s\n\n", f.App.ClientID, f.CheckedAt.Format(time.RFC3339), mdCell(f.SignedInAs), f.Cloud)
	fmt.Fprintln(w, "| Tenant | Tenant name | Status | Missing | Error |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range f.Rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCell(r.Tenant), mdCell(r.TenantName), r.Status, mdCell(missingCell(r)), mdCell(errorCell(r)))
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
	_, err := fmt.Fprintf(w, "\n%s\n", SummaryLine(f, drift))
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
