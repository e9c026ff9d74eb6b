package permissions

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
)

// Format is an output format of the permissions writers.
type Format string

// The writer formats.
const (
	FormatTable    Format = "table"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
	FormatCSV      Format = "csv"
)

// Formats lists every format, for help and completion.
var Formats = []Format{FormatTable, FormatJSON, FormatMarkdown, FormatCSV}

// ListSchema is the schema id of the JSON writer's document.
const ListSchema = "d365consent.permissions/v1"

// TableOptions shape the table writer's output.
type TableOptions struct {
	// Width is the terminal width (0: 100 columns).
	Width int
	// Styled adds bold and colour (callers pass false when the output is not a terminal).
	Styled bool
	// ASCII draws borders with + - | for terminals without Unicode.
	ASCII bool
}

// Write renders apps in the given format; to only shapes the table.
func Write(w io.Writer, f Format, service string, apps []App, to TableOptions) error {
	switch f {
	case FormatTable:
		return WriteTable(w, apps, to)
	case FormatJSON:
		return WriteJSON(w, service, apps)
	case FormatMarkdown:
		return WriteMarkdown(w, apps)
	case FormatCSV:
		return WriteCSV(w, apps)
	}
	return fmt.Errorf("unknown format %q", f)
}

// jsonList is the documented JSON output of `permissions --format json`:
//
//	{"schema":"d365consent.permissions/v1","service":"…","apps":[App…]}
//
// where each App and Permission carries the catalog's field names. Fields may be
// added; none will be renamed.
type jsonList struct {
	Schema  string `json:"schema"`
	Service string `json:"service"`
	Apps    []App  `json:"apps"`
}

// WriteJSON writes the apps as an indented JSON document (see jsonList).
func WriteJSON(w io.Writer, service string, apps []App) error {
	if apps == nil {
		apps = []App{}
	}
	return writeJSONList(w, service, apps) // json.go: jsonList, without reflection
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// WriteMarkdown writes one section per app with the seed document's columns:
// API | Permission | Type | Purpose | Is newly required?
func WriteMarkdown(w io.Writer, apps []App) error {
	var b strings.Builder
	for i, a := range apps {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## %s\n\n", mdEscape(a.DisplayName))
		fmt.Fprintf(&b, "- App type in AOS: %s\n", mdEscape(a.AppType))
		fmt.Fprintf(&b, "- App setup method: %s\n", mdEscape(a.SetupMethod))
		fmt.Fprintf(&b, "- New or updated? %s\n", mdEscape(a.NewOrUpdated))
		fmt.Fprintf(&b, "- Consent: %s\n", mdEscape(a.Consent))
		if a.Notice != "" {
			fmt.Fprintf(&b, "\n> %s\n", mdEscape(a.Notice))
		}
		b.WriteString("\n| API | Permission | Type | Purpose | Is newly required? |\n|---|---|---|---|---|\n")
		for _, p := range a.Permissions {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(p.API), mdEscape(p.Display()), p.Type, mdEscape(p.Purpose), yesNo(p.NewlyRequired))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// CSVHeader is the header row of the CSV writer.
var CSVHeader = []string{"app", "api", "resourceAppId", "permission", "friendlyName", "type", "purpose", "newlyRequired", "id"}

// WriteCSV writes one row per app permission (RFC 4180), with CSVHeader first.
func WriteCSV(w io.Writer, apps []App) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, a := range apps {
		for _, p := range a.Permissions {
			row := []string{a.Key, p.API, p.ResourceAppID, p.Value, p.FriendlyName, string(p.Type), p.Purpose, yesNo(p.NewlyRequired), p.ID}
			for i, v := range row {
				row[i] = csvSafe(v)
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe defuses spreadsheet formula injection for a user-supplied catalog
// (OWASP "CSV Injection"): a cell starting with = + - @ gets a leading quote.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteTable writes each app as a header block and a bordered table that fits
// width columns, wrapping long cells (the purpose) rather than cutting them.
func WriteTable(w io.Writer, apps []App, to TableOptions) error {
	width, styled := to.Width, to.Styled
	border, dot := lipgloss.NormalBorder(), "·"
	if to.ASCII {
		border, dot = lipgloss.ASCIIBorder(), "-"
	}
	if width <= 0 {
		width = 100
	}
	if width < 40 {
		width = 40
	}
	bold := lipgloss.NewStyle()
	faint := lipgloss.NewStyle()
	warn := lipgloss.NewStyle()
	header := lipgloss.NewStyle().Padding(0, 1)
	if styled {
		bold = bold.Bold(true)
		faint = faint.Faint(true)
		warn = warn.Foreground(lipgloss.Color("3")).Bold(true)
		header = header.Bold(true)
	}
	var b strings.Builder
	for i, a := range apps {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(lipgloss.Wrap(bold.Render(a.DisplayName), width, " "))
		b.WriteString("\n")
		meta := fmt.Sprintf("%s %s %s %s key %q %s %s", a.AppType, dot, a.SetupMethod, dot, a.Key, dot, a.NewOrUpdated)
		b.WriteString(faint.Render(lipgloss.Wrap(meta, width, " ")))
		b.WriteString("\n")
		if a.Notice != "" {
			b.WriteString(warn.Render(lipgloss.Wrap("Re-authorize only: "+a.Notice, width, " ")))
			b.WriteString("\n")
		}
		rows := make([][]string, len(a.Permissions))
		for j, p := range a.Permissions {
			rows[j] = []string{p.API, p.Display(), string(p.Type), p.Purpose, yesNo(p.NewlyRequired)}
		}
		widths, ok := columnWidths([]string{"API", "Permission", "Type", "Purpose", "New?"}, rows, longestValue(a.Permissions), width)
		if !ok {
			writeCards(&b, a, width, dot, bold, faint)
			b.WriteString(lipgloss.Wrap("Next step: "+a.Consent, width, " "))
			b.WriteString("\n")
			continue
		}
		t := table.New().
			Border(border).
			Headers("API", "Permission", "Type", "Purpose", "New?").
			Rows(rows...).
			Wrap(true).
			StyleFunc(func(row, col int) lipgloss.Style {
				s := lipgloss.NewStyle().Padding(0, 1).Width(widths[col] + 2)
				if row == table.HeaderRow {
					s = s.Inherit(header)
				}
				return s
			})
		if styled {
			t = t.BorderStyle(faint)
		}
		b.WriteString(t.Render())
		b.WriteString("\n")
		b.WriteString(lipgloss.Wrap("Next step: "+a.Consent, width, " "))
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// columnWidths sizes the table's content columns to fit total terminal columns.
// API, Type and New? keep their natural width (they are short and must not break
// mid-word); Permission and Purpose share what is left, Purpose taking the larger
// part, and wrap. Borders and one space of padding each side are accounted for.
// It reports false when even the narrowest readable table does not fit: the
// Permission column must hold the longest permission value unbroken and Purpose
// at least 20 columns.
func columnWidths(headers []string, rows [][]string, minPerm, total int) ([]int, bool) {
	natural := make([]int, len(headers))
	for i, h := range headers {
		natural[i] = lipgloss.Width(h)
	}
	for _, r := range rows {
		for i, c := range r {
			natural[i] = max(natural[i], lipgloss.Width(c))
		}
	}
	const permCol, purposeCol = 1, 3
	overhead := len(headers) + 1 + 2*len(headers) // borders + padding
	fixed := 0
	for i, n := range natural {
		if i != permCol && i != purposeCol {
			fixed += n
		}
	}
	avail := total - overhead - fixed
	widths := append([]int(nil), natural...)
	if avail >= natural[permCol]+natural[purposeCol] {
		return widths, true
	}
	const minPurpose = 20
	if avail < minPerm+minPurpose {
		return nil, false
	}
	// Give Permission up to 40% of what is left (never less than its longest
	// value), Purpose the rest.
	perm := min(natural[permCol], max(minPerm, avail*2/5))
	purpose := avail - perm
	if purpose > natural[purposeCol] {
		purpose = natural[purposeCol]
		perm = avail - purpose
	}
	widths[permCol], widths[purposeCol] = perm, purpose
	return widths, true
}

func longestValue(ps []Permission) int {
	n := 0
	for _, p := range ps {
		n = max(n, lipgloss.Width(p.Value))
	}
	return n
}

// writeCards is the narrow-terminal layout: one block per permission instead of a
// table, every line wrapped to width.
func writeCards(b *strings.Builder, a App, width int, dot string, bold, faint lipgloss.Style) {
	for _, p := range a.Permissions {
		b.WriteString("\n")
		b.WriteString(bold.Render(lipgloss.Wrap(p.Display(), width, " ")))
		b.WriteString("\n")
		meta := fmt.Sprintf("%s %s %s %s newly required: %s", p.API, dot, p.Type, dot, yesNo(p.NewlyRequired))
		b.WriteString(faint.Render(lipgloss.Wrap(meta, width, " ")))
		b.WriteString("\n")
		b.WriteString(lipgloss.Wrap(p.Purpose, width, " "))
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
