package permissions

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// ListSchema is the schema id of the JSON writer's document.
const ListSchema = "d365consent.permissions/v1"

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

// WriteJSON writes the apps as a JSON document (see jsonList), indented by two
// spaces, without HTML escaping, in one write. No apps is written as [].
func WriteJSON(w io.Writer, service string, apps []App) error {
	if apps == nil {
		apps = []App{}
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonList{Schema: ListSchema, Service: service, Apps: apps}); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// YesNo is how the seed document writes "Is newly required?": Yes or No.
func YesNo(b bool) string {
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
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdEscape(p.API), mdEscape(p.Display()), p.Type, mdEscape(p.Purpose), YesNo(p.NewlyRequired))
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
			row := []string{a.Key, p.API, p.ResourceAppID, p.Value, p.FriendlyName, string(p.Type), p.Purpose, YesNo(p.NewlyRequired), p.ID}
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
