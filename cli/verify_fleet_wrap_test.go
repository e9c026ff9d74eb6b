package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/testkit"
)

var consentLink = regexp.MustCompile(`https?://\S*adminconsent\?\S*[^\s,.]`)

// fleetWords are a fleet table's words: the separators the narrow layouts add and
// link references left out, as are URLs (each run's demo tenant has its own port).
func fleetWords(s string) map[string]bool {
	words := map[string]bool{}
	for _, w := range strings.Fields(s) {
		if w = strings.TrimRight(w, ";:,"); w != "" && !regexp.MustCompile(`^\[\d+\]$`).MatchString(w) && !strings.Contains(w, "://") {
			words[w] = true
		}
	}
	return words
}

// TestVerifyDemoFleetFitsTheWidth: `verify --demo --tenants customers.txt` (the
// README's demo fleet) at 80 and 120 columns: the note on stderr wrapped at words
// with its printf command whole; the table with no line wider than the terminal
// but the lone consent link, no word split, every tenant whole on a line, the link
// whole on its own line; --format json and csv keep the fix with its link whole.
func TestVerifyDemoFleetFitsTheWidth(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "customers.txt")
	args := []string{"verify", "--demo", "--tenants", missing}
	env := []string{"NO_COLOR=1", "TERM=dumb"}
	_, full, fullNote := runFlowsCmdEnv(t, env, args...)
	if !consentLink.MatchString(full) {
		t.Fatalf("the demo fleet shows no consent link:\n%s", full)
	}
	fullWords := fleetWords(full)
	for _, width := range []int{80, 120} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			_, got, note := runFlowsCmdEnv(t, append(env, "COLUMNS="+strconv.Itoa(width)), args...)
			testkit.CheckWrapped(t, note, fullNote, width)
			testkit.CheckWidth(t, got, width)
			gotWords := fleetWords(got)
			for w := range gotWords {
				if !fullWords[w] && w != "DETAILS" && w != "missing" {
					t.Errorf("%q is no word of the full table (a split word?)\n%s", w, got)
				}
			}
			for w := range fullWords {
				if !gotWords[w] && w != "NAME" && w != "MISSING" && w != "ERROR" && w != "-" {
					t.Errorf("%q is missing (split or lost)\n%s", w, got)
				}
			}
			link := consentLink.FindString(got)
			if link == "" || !strings.Contains(got, "\n    "+link+"\n") {
				t.Errorf("the consent link is not whole on its own line:\n%s", got)
			}
			for _, l := range strings.Split(demoFleetList, "\n")[1:8] {
				if tenant := strings.Fields(l)[0]; !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(tenant) + `\s`).MatchString(got) {
					t.Errorf("tenant %s does not start a line whole:\n%s", tenant, got)
				}
			}

			_, js, _ := runFlowsCmdEnv(t, append(env, "COLUMNS="+strconv.Itoa(width)), append(args, "--format", "json")...)
			var doc fleet.Document
			if err := json.Unmarshal([]byte(js), &doc); err != nil {
				t.Fatal(err)
			}
			fixes := 0
			for _, r := range doc.Rows {
				if r.Fix != "" {
					fixes++
					if strings.Contains(r.Fix, "\n") || !consentLink.MatchString(r.Fix) || !strings.HasSuffix(r.Fix, "through Partner Center") {
						t.Errorf("JSON fix not whole: %q", r.Fix)
					}
				}
			}
			_, csv, _ := runFlowsCmdEnv(t, append(env, "COLUMNS="+strconv.Itoa(width)), append(args, "--format", "csv")...)
			if fixes != 1 || len(strings.Split(strings.TrimSpace(csv), "\n")) != 8 || !consentLink.MatchString(csv) {
				t.Errorf("%d JSON fixes; CSV not one line a row with the link:\n%s", fixes, csv)
			}
		})
	}
}
