package e2e

// The checks the walk (walk_test.go) runs on what the admin needs to take away: on
// every screen it sees, each URL, d365consent command and id is whole (never cut by
// "…", by the window's edge or by a line break of ours); after exit, the normal screen
// keeps every link, check-later command, error code and support id the end screen
// showed, each whole on one line.
//
// A full-screen view cannot leave a long URL to the terminal's own wrap (the renderer
// places every row itself, so tmux's capture-pane -J joins nothing there): a URL longer
// than the window fills each row to the right edge and goes on at the start of the next,
// which is what the terminal's wrap would show. Any other break is ours and fails. On the
// normal screen after exit, capture-pane -J joins the terminal's wraps, so a URL or
// command must be whole on one joined line.

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/cli"
)

// shownURL is a URL as a screen shows it: its text put back together from the rows it
// fills to the right edge, and the rows it takes.
type shownURL struct {
	text     string
	row      int  // the row it starts on
	rows     int  // how many rows it takes
	start    int  // the byte offset of its start in the first row
	ellipsis bool // a "…" follows it: the rest was dropped
}

// urlStops end a URL on a screen: spaces, quotes, angle brackets and the ellipsis a
// truncated text ends with.
const urlStops = "`'\"<>…"

// urlRun is the URL characters at the start of s and whether an ellipsis stops them.
func urlRun(s string) (string, bool) {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(urlStops, r) })
	if i < 0 {
		return s, false
	}
	return s[:i], strings.HasPrefix(s[i:], "…")
}

// trimProse drops the punctuation a sentence puts after a URL ("see https://x.")
// and a closing parenthesis the URL does not open.
func trimProse(u string) string {
	for {
		t := strings.TrimRight(u, ".,;:!")
		if strings.HasSuffix(t, ")") && strings.Count(t, "(") < strings.Count(t, ")") {
			t = strings.TrimSuffix(t, ")")
		}
		if t == u {
			return u
		}
		u = t
	}
}

// urlScheme finds the next URL in s: the byte offset of its scheme, or -1.
func urlScheme(s string) int {
	i, j := strings.Index(s, "http://"), strings.Index(s, "https://")
	if i < 0 || j >= 0 && j < i {
		return j
	}
	return i
}

// screenURLs are the URLs on a screen of the given width. A URL that fills its row to
// the right edge goes on at the start of the next row; among the ways to put it back
// together, the one that is a known URL (the wizard's --url-file, the exit summary)
// wins, else the one that is the start of a known URL, else the longest.
func screenURLs(screen string, width int, known []string) []shownURL {
	rows := strings.Split(screen, "\n")
	var out []shownURL
	for r := 0; r < len(rows); r++ {
		row := rows[r]
		for off := 0; ; {
			i := urlScheme(row[off:])
			if i < 0 {
				break
			}
			start := off + i
			raw, ell := urlRun(row[start:])
			// The candidates: the URL ending on this row, or on the next, …
			type candidate struct {
				text string
				rows int
				ell  bool
			}
			cands := []candidate{{raw, 1, ell}}
			text, end := raw, start+len(raw)
			for k := r; !ell && end == len(rows[k]) && ansi.StringWidth(rows[k]) >= width && k+1 < len(rows); k++ {
				next := rows[k+1]
				if next == "" || unicode.IsSpace([]rune(next)[0]) {
					break
				}
				more, e := urlRun(next)
				text += more
				ell = e
				cands = append(cands, candidate{text, k + 2 - r, e})
				end = len(more)
			}
			pick := cands[len(cands)-1]
			found := false
			for _, c := range cands { // a known URL, exactly
				if slices.Contains(known, trimProse(c.text)) {
					pick, found = c, true
					break
				}
			}
			for j := len(cands) - 1; j >= 0 && !found; j-- { // the start of a known URL
				if prefixOfAny(known, cands[j].text) {
					pick, found = cands[j], true
				}
			}
			out = append(out, shownURL{text: trimProse(pick.text), row: r, rows: pick.rows, start: start, ellipsis: pick.ell})
			if pick.rows > 1 {
				r += pick.rows - 1
				break
			}
			off = start + len(raw)
		}
	}
	return out
}

// prefixOfAny: s is the start of a longer string in list.
func prefixOfAny(list []string, s string) bool {
	for _, l := range list {
		if len(s) < len(l) && strings.HasPrefix(l, s) {
			return true
		}
	}
	return false
}

// cutURLs are the URLs a screen of the given width does not show whole: cut by an
// ellipsis, broken onto the next row before the right edge (a line break or an
// indentation of ours), or only the start of a known URL.
func cutURLs(screen string, width int, known []string) []string {
	rows := strings.Split(screen, "\n")
	var out []string
	for _, u := range screenURLs(screen, width, known) {
		if u.ellipsis && u.text != "http://" && u.text != "https://" { // "https://…?code=…" is a placeholder
			out = append(out, fmt.Sprintf("row %d: URL cut by an ellipsis: %s…", u.row+1, u.text))
			continue
		}
		if slices.Contains(known, u.text) {
			continue
		}
		if prefixOfAny(known, u.text) {
			what := "cut"
			if last := u.row + u.rows - 1; last+1 < len(rows) {
				next := strings.TrimSpace(rows[last+1])
				if more, _ := urlRun(next); more != "" && (slices.Contains(known, u.text+more) || prefixOfAny(known, u.text+more)) {
					what = "broken onto the next row before the right edge"
				}
			}
			out = append(out, fmt.Sprintf("row %d: URL %s: shows %s", u.row+1, what, u.text))
			continue
		}
		// A URL the walk does not know: it must not end inside its query.
		if strings.ContainsAny(u.text[len(u.text)-1:], "?&=%") {
			out = append(out, fmt.Sprintf("row %d: URL cut inside its query: %s", u.row+1, u.text))
		}
	}
	return out
}

// withoutURLs is the screen with every URL blanked out, for the checks of the text
// around them (an id inside a URL is the URL check's).
func withoutURLs(screen string, width int, known []string) string {
	rows := strings.Split(screen, "\n")
	for _, u := range screenURLs(screen, width, known) {
		for k := 0; k < u.rows; k++ {
			row := rows[u.row+k]
			from := 0
			if k == 0 {
				from = u.start
			}
			n, _ := urlRun(row[from:])
			rows[u.row+k] = row[:from] + strings.Repeat(" ", len(n)) + row[from+len(n):]
		}
	}
	return strings.Join(rows, "\n")
}

// guidShape is the length of each hyphen-separated group of a GUID.
var guidShape = []int{8, 4, 4, 4, 12}

// idWordRE finds the words of a screen that could be ids: letters, digits and
// hyphens, with an ellipsis after them when one follows.
var idWordRE = regexp.MustCompile(`[0-9A-Za-z_-]+…?`)

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// guidPart reports whether word (hex groups between hyphens) is a GUID, the start
// of one (8 hex digits and a hyphen, then fewer groups) or the end of one (the
// last 12 hex digits after a hyphen).
func guidPart(word string) (whole, start, end bool) {
	g := strings.Split(word, "-")
	if len(g) < 2 || len(g) > len(guidShape) {
		return false, false, false
	}
	for _, x := range g {
		if !isHex(x) {
			return false, false, false
		}
	}
	whole = len(g) == len(guidShape)
	start = len(g[0]) == 8
	for k := 1; k < len(g); k++ {
		whole = whole && len(g[k]) == guidShape[k]
		if k < len(g)-1 {
			start = start && len(g[k]) == guidShape[k]
		} else {
			start = start && len(g[k]) <= guidShape[k]
		}
	}
	off := len(guidShape) - len(g)
	end = len(g[len(g)-1]) == 12 && len(g[0]) <= guidShape[off]
	for k := 1; k < len(g)-1; k++ {
		end = end && len(g[k]) == guidShape[off+k]
	}
	return whole, start && !whole, end && !whole
}

// cutIDs are the GUIDs (tenant, client, correlation and trace ids) a screen shows cut:
// the start or the end of one alone on a row, or one that an ellipsis cuts short. text
// is the screen without its URLs (withoutURLs): an id inside a URL is cutURLs' to judge.
func cutIDs(text string) []string {
	var out []string
	for r, row := range strings.Split(text, "\n") {
		for _, w := range idWordRE.FindAllString(row, -1) {
			word, ell := strings.CutSuffix(w, "…")
			whole, start, end := guidPart(word)
			switch {
			case start || end:
				out = append(out, fmt.Sprintf("row %d: id cut: %s", r+1, w))
			case ell && (whole || len(word) >= 8 && isHex(word)):
				out = append(out, fmt.Sprintf("row %d: id cut by an ellipsis: %s", r+1, w))
			}
		}
	}
	return out
}

// screenCommands are the d365consent command lines on the rows of a screen (as
// extractCommands reads them), each with the row it is on.
func screenCommands(screen string) []struct {
	line string
	row  int
} {
	var out []struct {
		line string
		row  int
	}
	for r, row := range strings.Split(screen, "\n") {
		for _, p := range extractCommands(row, "") {
			out = append(out, struct {
				line string
				row  int
			}{p.line, r})
		}
	}
	return out
}

// subcommands are the names of d365consent's commands, from its command tree.
var subcommands = sync.OnceValue(func() []string {
	var out []string
	for _, c := range cli.Docs().Root.Commands() {
		out = append(out, c.Name())
	}
	return out
})

// brokenCommands are the d365consent command lines a screen does not show whole: cut
// by an ellipsis, quoted and not closed on the row, going on with a flag on the next
// row, or the start of a known command (the exit summary's) that the next row goes on.
// text is the screen without its URLs (withoutURLs).
func brokenCommands(text string, known []string) []string {
	rows := strings.Split(text, "\n")
	var out []string
	for r, row := range rows {
		i := strings.Index(row, "d365consent")
		if i < 0 {
			continue
		}
		rest := row[i:]
		if f := strings.Fields(rest); len(f) > 1 && !strings.HasPrefix(f[1], "-") && !slices.Contains(subcommands(), f[1]) {
			continue // "d365consent · demo tenant", "d365consent signs in with": not a command
		}
		next := ""
		if r+1 < len(rows) {
			next = strings.TrimSpace(rows[r+1])
		}
		cmd := strings.TrimSpace(rest)
		if q := row[:i]; strings.HasSuffix(q, "`") || strings.HasSuffix(q, "'") {
			close := q[len(q)-1:]
			if j := strings.Index(rest, close); j >= 0 {
				cmd = rest[:j]
			} else if next != "" {
				out = append(out, fmt.Sprintf("row %d: command broken across rows: %s / %s", r+1, strings.TrimSpace(rest), next))
				continue
			}
		}
		switch {
		case strings.Contains(cmd, "…"):
			out = append(out, fmt.Sprintf("row %d: command cut by an ellipsis: %s", r+1, cmd))
		case strings.HasPrefix(next, "-") && !strings.HasPrefix(next, "— "):
			out = append(out, fmt.Sprintf("row %d: command broken across rows: %s / %s", r+1, cmd, next))
		default:
			for _, k := range known {
				joined := cmd + " " + next
				if len(cmd) < len(k) && strings.HasPrefix(k, cmd+" ") && next != "" &&
					(strings.HasPrefix(k, joined) || strings.HasPrefix(joined, k)) {
					out = append(out, fmt.Sprintf("row %d: command broken across rows: %s / %s", r+1, cmd, next))
					break
				}
			}
		}
	}
	return out
}

// supportIDRE finds a support id on a screen: its label and value, on one row or the
// value alone on the next (the error screen's idLine).
var supportIDRE = regexp.MustCompile(`(Correlation id|Trace id|Client request id|Request id):\s+([0-9A-Za-z-]+)`)

// aadstsRE finds an Entra ID error code.
var aadstsRE = regexp.MustCompile(`AADSTS\d+`)

// lostOnExit is what the end screen showed the admin that the normal screen after exit
// (after: capture-pane -J, the terminal's wraps joined) does not keep whole on one
// line, exactly: a URL, a check-later `d365consent verify` command, an AADSTS code, a
// correlation or trace id. must are further URLs the exit must keep (the consent link
// an earlier screen showed, when consent is not complete).
func lostOnExit(end string, width int, known []string, after string, must ...string) []string {
	after = ansi.Strip(after)
	lines := strings.Split(after, "\n")
	var out []string
	var urls []string
	for _, u := range screenURLs(end, width, known) {
		if !u.ellipsis && !slices.Contains(urls, u.text) {
			urls = append(urls, u.text)
		}
	}
	for _, u := range must {
		if !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	for _, u := range urls {
		if !urlOnALine(lines, u) {
			out = append(out, "the link is lost on exit: "+u)
		}
	}
	kept := map[string]bool{}
	for _, p := range extractCommands(after, "") {
		kept[p.line] = true
	}
	for _, p := range screenCommands(withoutURLs(end, width, known)) {
		if f := strings.Fields(p.line); len(f) > 1 && f[1] == "verify" && !strings.Contains(p.line, "…") && !kept[p.line] {
			out = append(out, "the check-later command is lost on exit: "+p.line)
		}
	}
	flat := strings.Join(strings.Fields(end), " ") // an id the error screen put on the row below its label
	for _, code := range dedupe(aadstsRE.FindAllString(end, -1)) {
		if !wordOnALine(lines, code) {
			out = append(out, "the error code is lost on exit: "+code)
		}
	}
	for _, m := range supportIDRE.FindAllStringSubmatch(flat, -1) {
		if !idOnALine(lines, m[1]+":", m[2]) {
			out = append(out, fmt.Sprintf("the %s is lost on exit: %s", strings.ToLower(m[1]), m[2]))
		}
	}
	return dedupe(out)
}

// urlOnALine: a line holds u whole, exactly, as a URL of its own.
func urlOnALine(lines []string, u string) bool {
	for _, l := range lines {
		for off := 0; ; {
			i := urlScheme(l[off:])
			if i < 0 {
				break
			}
			run, _ := urlRun(l[off+i:])
			if trimProse(run) == u {
				return true
			}
			off += i + len(run)
		}
	}
	return false
}

// wordOnALine: a line holds w as a word (not the start of a longer one).
func wordOnALine(lines []string, w string) bool {
	re := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(w) + `($|[^0-9A-Za-z])`)
	for _, l := range lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// idOnALine: a line holds the label and the id, whole.
func idOnALine(lines []string, label, id string) bool {
	re := regexp.MustCompile(regexp.QuoteMeta(label) + `\s+` + regexp.QuoteMeta(id) + `($|[^0-9A-Za-z-])`)
	for _, l := range lines {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

func dedupe(list []string) []string {
	var out []string
	for _, s := range list {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// screenProblems are what every screen of a walk must not show: a cut URL, a broken
// command, a cut id.
func screenProblems(screen string, width int, knownURLs, knownCommands []string) []string {
	text := withoutURLs(screen, width, knownURLs)
	out := cutURLs(screen, width, knownURLs)
	out = append(out, brokenCommands(text, knownCommands)...)
	return append(out, cutIDs(text)...)
}

// checkWhole fails the walk for a URL, command or id that a screen it saw shows cut, and
// for what the end screen showed (and the consent link, when consent is not complete)
// that the normal screen after exit does not keep whole. urls is the wizard's
// --url-file: the browser URLs it showed, whole.
func checkWhole(t *testing.T, seen []string, end *walkEnd, width int, urls, after string) {
	t.Helper()
	knownURLs, consentURLs := shownURLFile(urls), shownURLFile(urls, "consent")
	for _, u := range screenURLs(ansi.Strip(after), 1<<20, nil) { // the exit summary's, whole
		knownURLs = append(knownURLs, u.text)
	}
	var knownCommands []string
	for _, p := range extractCommands(after, "") {
		knownCommands = append(knownCommands, p.line)
	}
	reported := map[string]bool{}
	for _, s := range seen {
		for _, p := range screenProblems(s, width, knownURLs, knownCommands) {
			if !reported[p] {
				reported[p] = true
				t.Errorf("%s, on the screen:\n%s", p, s)
			}
		}
	}
	var must []string // the consent link a screen showed, when consent is not complete
	if end.kind != "complete" {
		for _, s := range seen {
			for _, u := range screenURLs(s, width, knownURLs) {
				if slices.Contains(consentURLs, u.text) && !slices.Contains(must, u.text) {
					must = append(must, u.text)
				}
			}
		}
	}
	for _, p := range lostOnExit(end.screen, width, knownURLs, after, must...) {
		t.Errorf("%s; the end screen:\n%s\nafter exit:\n%s", p, end.screen, after)
	}
}

// shownURLFile are the URLs the wizard's --url-file lists (of the given kinds: all when
// none is given), each whole.
func shownURLFile(file string, kinds ...string) []string {
	data, _ := os.ReadFile(file)
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if kind, u, ok := strings.Cut(l, " "); ok && (len(kinds) == 0 || slices.Contains(kinds, kind)) {
			out = append(out, u)
		}
	}
	return out
}

// halfDrawn reports whether the problems (cut URLs, ids, commands) of screen s are a
// frame's caught while it was being drawn: the renderer writes a frame in pieces, and a
// capture between two shows new rows above old ones (a URL cut where the next look shows
// it whole). A problem the screen keeps over three looks a poll apart is the screen's own.
func (tt *tmuxTerm) halfDrawn(s string, problems func(string) []string) bool {
	first := problems(s)
	for i := 0; i < 2 && len(first) > 0; i++ {
		time.Sleep(50 * time.Millisecond) // about the walk's poll interval: the next look
		again := problems(tt.screen())
		for _, p := range first {
			if !slices.Contains(again, p) {
				return true
			}
		}
	}
	return false
}

// The checks on crafted screens: each way of losing what the admin needs is caught,
// and what the wizard shows whole passes.

const (
	craftedURL  = "http://127.0.0.1:39021/3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44/adminconsent?client_id=cbe0c4cc-d28c-5857-bc0e-bb312578ab4b&state=bbyugbjyY6Q5m7kEyw71XhtVyMdtCWjj7hJQHWJJatM"
	craftedID   = "3f6d2c1a-8b4e-4f7a-9c2d-5e1b0a7d9c44"
	craftedLink = "https://learn.microsoft.com/entra/identity-platform/reference-error-codes"
	craftedCmd  = "d365consent verify --app ce --demo --scenario non-admin"
)

// atEdge is url cut into rows of exactly width columns, as a full-screen view shows it.
func atEdge(url string, width int) string { return ansi.Hardwrap(url, width, false) }

func TestCutURLsOnCraftedScreens(t *testing.T) {
	known := []string{craftedURL}
	for _, tc := range []struct {
		name   string
		screen string
		cut    bool
	}{
		{"filling each row to the edge", "Open this page as an admin and Accept:\n" + atEdge(craftedURL, 80) + "\n\nAfter Accept", false},
		{"on one row, in prose", "See " + craftedLink + ". Then press Enter.", false},
		{"a prose URL that ends at the edge", "Open this page in a browser on this machine (sign-in returns to http://localhost\nhere):", false},
		{"a placeholder", "https://…?admin_consent=True&tenant=…  or  AADSTS65004", false},
		{"broken before the edge", atEdge(craftedURL, 76), true},
		{"its rows indented", strings.ReplaceAll(atEdge(craftedURL, 78), "\n", "\n  "), true},
		{"cut by an ellipsis", craftedURL[:79] + "…", true},
		{"clipped at the edge", craftedURL[:80] + "\nAfter Accept (or Cancel) the browser lands on AvePoint's page", true},
		{"an unknown URL cut inside its query", "Open https://login.example.com/authorize?client_id=\nabc", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cutURLs(tc.screen, 80, known)
			if (len(got) > 0) != tc.cut {
				t.Errorf("cutURLs = %q, want a cut %v on:\n%s", got, tc.cut, tc.screen)
			}
		})
	}
}

func TestBrokenCommandsOnCraftedScreens(t *testing.T) {
	known := []string{craftedCmd}
	for _, tc := range []struct {
		name   string
		screen string
		broken bool
	}{
		{"whole on its row", "Check again with:\n  " + craftedCmd + "\n", false},
		{"quoted and closed", "Run `" + craftedCmd + "` after approval.", false},
		{"the screen's header", "d365consent · demo tenant                  5/6 Admin consent", false},
		{"the tool named in prose", "The app d365consent signs in with (Microsoft Graph Command Line Tools unless\n--signin-client-id is set) asks to read the directory", false},
		{"going on with a flag", "Check again with: d365consent verify --app ce --demo\n--scenario non-admin", true},
		{"quoted, closed on the next row", "Run `d365consent verify --app ce --demo\n--scenario non-admin` after approval.", true},
		{"cut by an ellipsis", "d365consent verify --app ce --demo --scen…", true},
		{"a flag's value on the next row", "Check again with: d365consent verify --app ce --demo --scenario\nnon-admin", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := brokenCommands(tc.screen, known)
			if (len(got) > 0) != tc.broken {
				t.Errorf("brokenCommands = %q, want broken %v on:\n%s", got, tc.broken, tc.screen)
			}
		})
	}
}

func TestCutIDsOnCraftedScreens(t *testing.T) {
	for _, tc := range []struct {
		name   string
		screen string
		cut    bool
	}{
		{"whole after its label", "Correlation id: " + craftedID, false},
		{"whole on the row below its label", "Correlation id:\n" + craftedID, false},
		{"words with hyphens and dates", "Re-authorize the sign-in app; Timestamp: 2024-05-01 12:00:00Z", false},
		{"inside a URL at the edge", "Open:\n" + atEdge(craftedURL, 40), false},
		{"cut by an ellipsis", "Correlation id: " + craftedID[:28] + "…", true},
		{"its start alone on a row", "Trace id: " + craftedID[:14] + "\n" + craftedID[14:], true},
		{"its end alone on a row", "Tenant:\n" + craftedID[9:], true},
		{"its first group and an ellipsis", "Client id " + craftedID[:8] + "…", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cutIDs(withoutURLs(tc.screen, 40, []string{craftedURL}))
			if (len(got) > 0) != tc.cut {
				t.Errorf("cutIDs = %q, want a cut %v on:\n%s", got, tc.cut, tc.screen)
			}
		})
	}
}

func TestLostOnExitOnCraftedScreens(t *testing.T) {
	end := strings.Join([]string{
		"d365consent · demo tenant                                            Error",
		"Something went wrong",
		"For support:",
		"Error code: AADSTS90094 (consent_required)",
		"Correlation id:",
		craftedID,
		"Send this admin consent link to an admin who can grant it:",
		atEdge(craftedURL, 80),
		"Check again with:",
		craftedCmd,
	}, "\n")
	hyperlink := "\x1b]8;;" + craftedURL + "\x1b\\" + craftedURL + "\x1b]8;;\x1b\\"
	kept := strings.Join([]string{
		"$ d365consent demo --scenario non-admin",
		"Error code: AADSTS90094 (consent_required)",
		"Correlation id: " + craftedID,
		"Send this admin consent link to an admin who can grant it:",
		hyperlink,
		"Check again with:",
		craftedCmd,
	}, "\n")
	known := []string{craftedURL}
	if got := lostOnExit(end, 80, known, kept); len(got) > 0 {
		t.Errorf("lostOnExit = %q on a normal screen that keeps everything:\n%s", got, kept)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"the link dropped", hyperlink, "", "link"},
		{"the link hard-wrapped", craftedURL + "\x1b]8;;", atEdge(craftedURL, 80) + "\x1b]8;;", "link"},
		{"the link cut short", craftedURL + "\x1b]8;;", craftedURL[:len(craftedURL)-1] + "\x1b]8;;", "link"},
		{"the command wrapped", craftedCmd, "d365consent verify --app ce --demo\n--scenario non-admin", "check-later command"},
		{"the error code dropped", "Error code: AADSTS90094 (consent_required)", "", "AADSTS90094"},
		{"the correlation id cut", "Correlation id: " + craftedID, "Correlation id: " + craftedID[:20] + "…", "correlation id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after := strings.Replace(kept, tc.from, tc.to, 1)
			got := lostOnExit(end, 80, known, after)
			if len(got) != 1 || !strings.Contains(got[0], tc.want) {
				t.Errorf("lostOnExit = %q, want the %s lost, after:\n%s", got, tc.want, after)
			}
		})
	}
	// A link an earlier screen showed is kept too, when the walk says it must be.
	other := "https://contoso.example/adminconsent?client_id=" + craftedID
	if got := lostOnExit(end, 80, known, kept, other); len(got) != 1 || !strings.Contains(got[0], other) {
		t.Errorf("lostOnExit = %q, want the earlier link lost", got)
	}
}
