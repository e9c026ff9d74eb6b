package fleet_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/testkit"
)

// consentURL is a sign-in consent link as a signin-consent row's fix carries it.
const consentURL = "https://login.microsoftonline.com/tailspintoys-partner.onmicrosoft.com/v2.0/adminconsent?client_id=14d82eec-204b-4c2f-b7e8-296a70dab67e&redirect_uri=http%3A%2F%2Flocalhost&scope=https%3A%2F%2Fgraph.microsoft.com%2FUser.Read"

// fleetWithLink is everyStatus with a long tenant domain and a signin-consent row
// whose fix holds a consent link.
func fleetWithLink() *fleet.Result {
	f := everyStatus()
	f.Rows = append(f.Rows, fleet.Row{Tenant: "tailspintoys-partner.onmicrosoft.com", Status: fleet.StatusSignInConsent, Missing: []string{},
		Error: "AADSTS90099: The sign-in app is not authorised in the customer tenant", AADSTS: 90099,
		Fix: "a Global Administrator of this tenant consents to the sign-in app for the organisation at " + consentURL + ", or the partner pre-consents it through Partner Center"})
	return f
}

// tableWord is a word of the table as the full table prints it: the separators
// the narrow layouts add (";", ":", ",") and the link references are not words.
var linkRef = regexp.MustCompile(`^\[\d+\]$`)

func tableWords(s string) map[string]int {
	words := map[string]int{}
	for _, w := range strings.Fields(ansi.Strip(s)) {
		w = strings.TrimRight(w, ";:,")
		if w == "" || linkRef.MatchString(w) || strings.Contains(w, "://") {
			continue
		}
		words[w]++
	}
	return words
}

// TestFleetTableFitsTheWidth: at 120, 80 and 40 columns the table has no line
// wider than the terminal but a lone URL; no word is split (every word of the
// fitted table is a word of the full table, and the other way round but for the
// column names a narrow layout merges or leaves out); every tenant is whole on one line; the
// consent link stands whole on a line of its own below the table, referenced from
// its row.
func TestFleetTableFitsTheWidth(t *testing.T) {
	var full strings.Builder
	if err := fleet.WriteTable(&full, fleetWithLink(), driftOf()); err != nil {
		t.Fatal(err)
	}
	fullWords := tableWords(full.String())
	for _, width := range []int{120, 80, 40} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			var b strings.Builder
			if err := fleet.WriteTableWidth(&b, fleetWithLink(), driftOf(), width); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			testkit.CheckWidth(t, got, width)
			gotWords := tableWords(got)
			for w := range gotWords {
				if fullWords[w] == 0 && w != "DETAILS" && w != "missing" {
					t.Errorf("%q is no word of the full table (a split word?)\n%s", w, got)
				}
			}
			for w := range fullWords {
				if gotWords[w] == 0 && !slices.Contains([]string{"TENANT", "NAME", "STATUS", "MISSING", "ERROR", "-"}, w) {
					t.Errorf("%q is missing (split or lost)\n%s", w, got)
				}
			}
			lines := strings.Split(got, "\n")
			for _, r := range fleetWithLink().Rows {
				if !lineHas(lines, r.Tenant) {
					t.Errorf("tenant %s is not whole on one line\n%s", r.Tenant, got)
				}
			}
			if !lineHas(lines, "    "+consentURL) || !strings.Contains(got, "at [1], or") {
				t.Errorf("the consent link is not whole on a line of its own, referenced as [1]\n%s", got)
			}
		})
	}
}

// TestFleetTableWrapsInsideCells: at 120 columns an error wraps at words inside
// its cell: its continuation lines start under the last column (ERROR, or DETAILS
// where the name, missing permissions and error share one), never at the margin.
func TestFleetTableWrapsInsideCells(t *testing.T) {
	var b strings.Builder
	if err := fleet.WriteTableWidth(&b, fleetWithLink(), nil, 120); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	col := strings.LastIndex(strings.TrimRight(lines[0], " "), " ") + 1
	if !strings.HasPrefix(lines[0], "TENANT") || col <= 0 {
		t.Fatalf("header %q", lines[0])
	}
	i := slicesIndex(lines, "tailspintoys-partner.onmicrosoft.com")
	if i < 0 || !strings.Contains(lines[i], "AADSTS90099") || strings.TrimSpace(lines[i+1][:col]) != "" || lines[i+1][col] == ' ' {
		t.Fatalf("the error does not wrap inside its cell:\n%s", b.String())
	}
}

// TestFleetTableFullWhenItFits: a table that fits keeps every row on one line.
func TestFleetTableFullWhenItFits(t *testing.T) {
	var b strings.Builder
	if err := fleet.WriteTableWidth(&b, allComplete(), nil, 120); err != nil {
		t.Fatal(err)
	}
	want := "TENANT                    TENANT NAME  STATUS    MISSING  ERROR\n" +
		"fabrikam.onmicrosoft.com  Fabrikam     complete  none\n" +
		"contoso.com               Contoso      complete  none\n" +
		"\n2 of 2 tenants: 2 complete.\n"
	if b.String() != want {
		t.Fatalf("got %q\nwant %q", b.String(), want)
	}
}

func lineHas(lines []string, s string) bool { return slicesIndex(lines, s) >= 0 }

func slicesIndex(lines []string, s string) int {
	for i, l := range lines {
		if strings.Contains(l, s) {
			return i
		}
	}
	return -1
}
