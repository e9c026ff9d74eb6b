package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/textwrap"
)

// groupTitles orders and names the report's sections.
var groupTitles = []struct{ key, title string }{
	{"machine", "Machine"},
	{"network", "Network"},
	{"clock", "Clock"},
	{"tenant", "Tenant"},
	{"signin", "Sign-in client"},
}

// Glyph is the mark of a status: ✓ ! ✗ – with Unicode, ok !! XX -- without.
func Glyph(s Status, g termcaps.Glyphs) string {
	if g.Unicode {
		switch s {
		case OK:
			return "✓"
		case Warn:
			return "!"
		case Fail:
			return "✗"
		}
		return "–"
	}
	switch s {
	case OK:
		return "ok"
	case Warn:
		return "!!"
	case Fail:
		return "XX"
	}
	return "--"
}

// TextOptions shape the text report.
type TextOptions struct {
	Glyphs termcaps.Glyphs
	// Color adds ANSI colour to the marks (the caller's colour-profile writer strips it
	// where it does not belong).
	Color bool
	// NoLatency leaves the step timings out (golden tests).
	NoLatency bool
	// Width wraps the report at words to this many columns: a check's title under
	// its title, its evidence and fix under their text; commands and URLs whole
	// (textwrap). 0 writes every line in full (a pipe, a file).
	Width int
}

func colour(s Status, text string, on bool) string {
	if !on {
		return text
	}
	code := map[Status]string{OK: "32", Warn: "33", Fail: "31", Skip: "2"}[s]
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func latency(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Millisecond:
		return "<1 ms"
	case d < 10*time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// WriteText writes the report for people: one section per group, each check with
// its mark, title, latency, evidence and fix; then the result line.
func WriteText(w io.Writer, r *Report, o TextOptions) error {
	var b strings.Builder
	wrap := func(s string) string { return textwrap.Wrap(s, o.Width) }
	head := "d365consent doctor: " + r.Cloud + " cloud (" + hostOf(r.AuthorityHost) + ", " + hostOf(r.GraphURL) + ")"
	if r.Tenant != nil {
		head += ", tenant " + r.Tenant.Query
	}
	b.WriteString(wrap(head) + "\n")
	for _, g := range groupTitles {
		section := ""
		for _, c := range r.Checks {
			if c.Group != g.key {
				continue
			}
			if t := sectionTitle(r, g.title, c); t != section {
				b.WriteString("\n" + wrap(t) + "\n")
				section = t
			}
			title := c.Title
			if l := latency(c.Duration); l != "" && !o.NoLatency {
				title += "  (" + l + ")"
			}
			b.WriteString(textwrap.Hang("  "+colour(c.Status, Glyph(c.Status, o.Glyphs), o.Color)+" ", title, o.Width) + "\n")
			b.WriteString(textwrap.Hang("      ", c.Evidence, o.Width) + "\n")
			if c.Fix != "" && c.Status != OK {
				b.WriteString(textwrap.Hang("      fix: ", c.Fix, o.Width) + "\n")
			}
		}
	}
	b.WriteString("\n" + wrap(ResultLine(r)) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// sectionTitle is the heading a check goes under: its group, and for network checks
// which host they are about.
func sectionTitle(r *Report, group string, c Check) string {
	switch {
	case strings.HasPrefix(c.ID, "network.login."):
		return group + ": sign-in host " + hostOf(r.AuthorityHost)
	case strings.HasPrefix(c.ID, "network.graph."):
		return group + ": Microsoft Graph host " + hostOf(r.GraphURL)
	}
	return group
}

// ResultLine sums the report up in one line.
func ResultLine(r *Report) string {
	var fails, warns int
	for _, c := range r.Checks {
		switch c.Status {
		case Fail:
			fails++
		case Warn:
			warns++
		}
	}
	switch {
	case fails > 0 && warns == 0:
		return fmt.Sprintf("Result: %s: sign-in or consent will fail until the problems are fixed.", plural(fails, "problem"))
	case fails > 0:
		return fmt.Sprintf("Result: %s, %s: sign-in or consent will fail until the problems are fixed.", plural(fails, "problem"), plural(warns, "warning"))
	case warns > 0:
		return fmt.Sprintf("Result: no problems, %s.", plural(warns, "warning"))
	}
	return "Result: no problems found."
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// WriteJSON writes the d365consent.doctor/v1 report.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteMarkdown writes the report as a Markdown table per group, for tickets.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("# d365consent doctor\n\n")
	fmt.Fprintf(&b, "- Version: %s\n- Cloud: %s (%s, %s)\n", md(r.Version), r.Cloud, md(r.AuthorityHost), md(r.GraphURL))
	if r.Tenant != nil {
		fmt.Fprintf(&b, "- Tenant: %s", md(r.Tenant.Query))
		if r.Tenant.ID != "" {
			fmt.Fprintf(&b, " (%s)", r.Tenant.ID)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "- Checked at: %s\n- %s\n", r.CheckedAt.Format(time.RFC3339), ResultLine(r))
	for _, g := range groupTitles {
		first := true
		for _, c := range r.Checks {
			if c.Group != g.key {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n## %s\n\n| | Check | Evidence | Fix | Latency |\n|---|---|---|---|---|\n", g.title)
				first = false
			}
			fix := c.Fix
			if c.Status == OK {
				fix = ""
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", Glyph(c.Status, termcaps.Unicode), md(c.Title), md(c.Evidence), md(fix), latency(c.Duration))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// md escapes a value for a Markdown table cell.
func md(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "`", "'", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)
	return r.Replace(s)
}
