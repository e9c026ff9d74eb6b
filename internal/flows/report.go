package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/safetext"
)

// JSONReport renders r as the `verify --format json` contract, indented, with a
// trailing newline.
func JSONReport(r *Result) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// StatusSymbol is the ASCII marker of a permission status in text and Markdown reports.
func StatusSymbol(s PermStatus) string {
	switch s {
	case PermGranted:
		return "[x]"
	case PermUserConsentOnly:
		return "[~]"
	case PermResourceMissing:
		return "[!]"
	}
	return "[ ]"
}

// StatusLabel is the plain-words form of a permission status.
func StatusLabel(s PermStatus) string {
	switch s {
	case PermGranted:
		return "granted"
	case PermUserConsentOnly:
		return "user consent only (no admin consent)"
	case PermResourceMissing:
		return "resource missing in the tenant"
	}
	return "missing"
}

// Summary is a one-line verdict of r.
func Summary(r *Result) string {
	switch {
	case r.ReauthorizeOnlyBlocked:
		return "Re-authorize only: the app's service principal does not exist in this tenant, and consent cannot create it."
	case r.Status == StatusComplete:
		return fmt.Sprintf("All %d permissions are granted.", len(r.Permissions))
	case r.Status == StatusNotConsented:
		return "Not consented: the app has no service principal in this tenant yet."
	case r.ServicePrincipal != nil && !r.ServicePrincipal.AccountEnabled && r.Granted() == len(r.Permissions):
		return fmt.Sprintf("Incomplete: all %d permissions are granted, but the app's service principal is disabled, so the app cannot sign in.", len(r.Permissions))
	}
	return fmt.Sprintf("Incomplete: %d of %d permissions granted.", r.Granted(), len(r.Permissions))
}

// MarkdownReport renders r for a support ticket.
func MarkdownReport(r *Result) []byte {
	var b strings.Builder
	esc := mdEscape // r's text is display-safe
	fmt.Fprintf(&b, "# Admin consent check: %s\n\n", esc(r.App.DisplayName))
	fmt.Fprintf(&b, "**%s**\n\n", esc(Summary(r)))
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| App | %s (`%s`), client id `%s` |\n", esc(r.App.DisplayName), esc(r.App.Key), esc(r.App.ClientID))
	fmt.Fprintf(&b, "| Tenant | %s (`%s`) |\n", esc(r.Tenant.DisplayName), esc(r.Tenant.ID))
	fmt.Fprintf(&b, "| Cloud | %s |\n", esc(r.Cloud))
	fmt.Fprintf(&b, "| Signed in as | %s |\n", esc(r.SignedInAs))
	fmt.Fprintf(&b, "| Checked at | %s |\n", r.CheckedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "| Status | `%s` |\n", r.Status)
	if sp := r.ServicePrincipal; sp != nil {
		fmt.Fprintf(&b, "| Service principal | `%s` (enabled: %t) |\n", esc(sp.ID), sp.AccountEnabled)
	} else {
		fmt.Fprintf(&b, "| Service principal | none |\n")
	}
	fmt.Fprintf(&b, "\n## Permissions\n\n| | API | Permission | Type | Status | Evidence |\n|---|---|---|---|---|---|\n")
	for _, p := range r.Permissions {
		name := esc(p.Permission)
		if p.FriendlyName != "" {
			name += " (" + esc(p.FriendlyName) + ")"
		}
		if p.NewlyRequired {
			name += " — newly required"
		}
		ev := ""
		if p.Evidence != "" {
			ev = "`" + esc(p.Evidence) + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", StatusSymbol(p.Status), esc(p.API), name, esc(p.Type), StatusLabel(p.Status), ev)
	}
	if len(r.Extra) > 0 {
		fmt.Fprintf(&b, "\n## Granted beyond the required set\n\n")
		for _, e := range r.Extra {
			fmt.Fprintf(&b, "- %s · %s · %s\n", esc(e.API), esc(e.Permission), esc(e.Type))
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(&b, "\n## Warnings\n\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", esc(w))
		}
	}
	if r.NextStep != "" && r.Status == StatusComplete {
		fmt.Fprintf(&b, "\n## Next step\n\n%s\n", esc(r.NextStep))
	}
	return []byte(b.String())
}

// mdEscape makes s literal text in a Markdown table cell or paragraph. Backslash
// escapes (CommonMark §2.4), never HTML entities: a report is read as plain text too,
// where "AOS &gt; Management" would be noise. ">" is literal unless it starts a line
// (a block quote), so only a leading one is escaped; "<" could start HTML.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "<", `\<`, "`", "'", "\\", `\\`)
	s = r.Replace(s)
	if strings.HasPrefix(s, ">") {
		s = `\` + s
	}
	return s
}

// WriteReport writes r to path as Markdown (.md, .markdown) or JSON (anything else),
// atomically: a temporary file in the same directory, synced, then renamed over path,
// so a reader never sees half a report. Its error is display-safe: the operating
// system's error names the path, whatever the directory is called.
func WriteReport(path string, r *Result) error {
	return safetext.WrapError(writeReport(path, r))
}

// WriteErrorReport writes an error report (ErrorReport) to path, readable by its
// owner only. Its error is display-safe, as WriteReport's.
func WriteErrorReport(path string, data []byte) error {
	return safetext.WrapError(os.WriteFile(path, data, 0o600))
}

func writeReport(path string, r *Result) error {
	var data []byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".md", ".markdown":
		data = MarkdownReport(r)
	case ".json":
		var err error
		if data, err = JSONReport(r); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
	default:
		return Usagef("report %q: use a .md or .json file name", path)
	}
	return writeAtomic(path, data)
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing report: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
