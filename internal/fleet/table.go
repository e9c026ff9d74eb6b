package fleet

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"

	"github.com/d365consent/d365consent/internal/textwrap"
)

// minTextColumn is the narrowest a wrapping column (missing, error, details) gets.
const minTextColumn = 20

// columnGap is the space between two columns.
const columnGap = 2

// WriteTableWidth writes the table fitted to width columns (a terminal): the
// tenant and status columns at their full width (a tenant id or domain is never
// cut), the others wrapping at words inside their cells. Where the five columns do
// not fit, the tenant name, missing permissions and error share one DETAILS column;
// where even that does not fit, each tenant is a block of lines. A URL in an error
// is shown below the table, whole on a line of its own, with a numbered reference
// in the cell. width <= 0 is WriteTable: full lines, for pipes and files.
func WriteTableWidth(w io.Writer, f *Result, drift *Drift, width int) error {
	if width <= 0 {
		return WriteTable(w, f, drift)
	}
	type link struct{ tenant, url string }
	var links []link
	rows := make([][]string, len(f.Rows))
	for i, r := range f.Rows {
		name := r.TenantName
		if name == "" {
			name = "-"
		}
		tenant := r.Tenant
		errText, urls := pullLinks(errorCell(r), len(links))
		for _, u := range urls {
			links = append(links, link{tenant, u})
		}
		rows[i] = []string{tenant, name, string(r.Status), missingCell(r), errText}
	}
	var b strings.Builder
	b.WriteString(fitTable(rows, width))
	for i, l := range links {
		b.WriteString("\n" + textwrap.Wrap(fmt.Sprintf("[%d] %s:", i+1, l.tenant), width) + "\n    " + l.url + "\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	var d strings.Builder
	WriteDriftText(&d, drift)
	_, err := fmt.Fprintf(w, "%s\n%s\n", textwrap.Wrap(d.String(), width), textwrap.Wrap(SummaryLine(f, drift), width))
	return err
}

// urlPattern is a URL in an error cell, without the punctuation that follows it.
var urlPattern = regexp.MustCompile(`[a-z][a-z0-9+.-]*://[^\s]*[^\s,.;:)]`)

// pullLinks replaces each URL in cell by a reference to the list below the table
// ("[3]"), numbered after the n links already taken, and returns them.
func pullLinks(cell string, n int) (string, []string) {
	var urls []string
	cell = urlPattern.ReplaceAllStringFunc(cell, func(u string) string {
		urls = append(urls, u)
		return fmt.Sprintf("[%d]", n+len(urls))
	})
	return cell, urls
}

// fitTable lays the rows (tenant, name, status, missing, error) out in width columns.
func fitTable(rows [][]string, width int) string {
	headers := []string{"TENANT", "TENANT NAME", "STATUS", "MISSING", "ERROR"}
	natural := make([]int, len(headers))
	longestWord := make([]int, len(headers))
	for i, h := range headers {
		natural[i], longestWord[i] = lipgloss.Width(h), longest(h)
	}
	for _, r := range rows {
		for i, c := range r {
			natural[i], longestWord[i] = max(natural[i], lipgloss.Width(c)), max(longestWord[i], longest(c))
		}
	}
	const tenant, name, status, missing, errCol = 0, 1, 2, 3, 4
	gaps := columnGap * (len(headers) - 1)
	fixed := natural[tenant] + natural[status]
	if sum(natural...)+gaps <= width {
		return renderTable(headers, rows, natural)
	}
	// Five columns: the name as narrow as its longest word allows, missing and
	// error sharing the rest (the error, usually longer, taking more).
	nameW := min(natural[name], max(longestWord[name], 12))
	rest := width - fixed - nameW - gaps
	if rest >= 2*minTextColumn && rest >= longestWord[missing]+longestWord[errCol] {
		missW := min(natural[missing], max(rest*2/5, minTextColumn, longestWord[missing]))
		errW := rest - missW
		if errW > natural[errCol] {
			errW = natural[errCol]
			missW = min(natural[missing], rest-errW)
		}
		return renderTable(headers, rows, []int{natural[tenant], nameW, natural[status], missW, errW})
	}
	// Three columns: the name, missing permissions and error in one.
	details := make([][]string, len(rows))
	detailsWord := longest("DETAILS")
	for i, r := range rows {
		details[i] = []string{r[tenant], r[status], detailsCell(r[name], r[missing], r[errCol])}
		detailsWord = max(detailsWord, longest(details[i][2]))
	}
	rest = width - fixed - 2*columnGap
	if rest >= minTextColumn && rest >= detailsWord {
		return renderTable([]string{"TENANT", "STATUS", "DETAILS"}, details, []int{natural[tenant], natural[status], rest})
	}
	// Blocks: the tenant and its status, then the details under them.
	var b strings.Builder
	for i, r := range details {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(textwrap.Hang("", r[0]+"  "+r[1], width) + "\n")
		b.WriteString(textwrap.Wrap("    "+r[2], width) + "\n")
	}
	return b.String()
}

// detailsCell is the tenant name, missing permissions and error of a row in one cell.
func detailsCell(name, missing, errText string) string {
	var parts []string
	if name != "-" {
		parts = append(parts, name)
	}
	if missing != "-" {
		parts = append(parts, "missing: "+missing)
	}
	if errText != "" {
		parts = append(parts, errText)
	}
	return strings.Join(parts, "; ")
}

// renderTable draws a borderless Lip Gloss table, each cell wrapped at words to its
// column's width, columns apart by columnGap spaces.
func renderTable(headers []string, rows [][]string, widths []int) string {
	wrapped := make([][]string, len(rows))
	for i, r := range rows {
		wrapped[i] = make([]string, len(r))
		for j, c := range r {
			wrapped[i][j] = textwrap.Wrap(c, widths[j])
		}
	}
	t := table.New().
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).
		Headers(headers...).
		Rows(wrapped...).
		StyleFunc(func(_, col int) lipgloss.Style {
			s := lipgloss.NewStyle().Width(widths[col])
			if col < len(widths)-1 {
				s = s.Width(widths[col] + columnGap).PaddingRight(columnGap)
			}
			return s
		})
	lines := strings.Split(t.Render(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n") + "\n"
}

func longest(s string) int {
	n := 0
	for _, u := range textwrap.Units(s) {
		n = max(n, lipgloss.Width(u))
	}
	return n
}

func sum(ns ...int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}
