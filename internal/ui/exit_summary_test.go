package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/wizard"
)

// A URL and a command are each printed whole on one line however long, the URL an
// OSC 8 link to itself only where the terminal shows links.
func TestPrintExitSummaryKeepsURLsAndCommandsWhole(t *testing.T) {
	url := "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/adminconsent?client_id=" + strings.Repeat("a", 120)
	cmd := "d365consent verify --app ce --tenant 72f988bf-86f1-41af-91ab-2d7cd011db47 --client-id " + strings.Repeat("b", 80)
	s := wizard.ExitSummary{Verdict: "Not consented.", ConsentURL: url, ConsentLabel: "Admin consent link:", Check: cmd}
	for _, links := range []bool{false, true} {
		var b bytes.Buffer
		PrintExitSummary(&b, s, links)
		link := url
		if links {
			link = "\x1b]8;;" + url + "\x07" + url + "\x1b]8;;\x07"
		}
		want := "Not consented.\nAdmin consent link:\n" + link + "\nCheck again with:\n" + cmd + "\n"
		if b.String() != want {
			t.Errorf("links %v:\n%q\nwant\n%q", links, b.String(), want)
		}
	}
}
