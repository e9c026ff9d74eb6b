package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// The text report shows a timed step's latency after its title, an untimed one's
// none, and none at all with NoLatency.
func TestWriteTextLatency(t *testing.T) {
	r := &Report{Cloud: "global", AuthorityHost: "https://login.microsoftonline.com", GraphURL: "https://graph.microsoft.com",
		Checks: []Check{
			{ID: "network.login.dns", Group: "network", Status: OK, Title: "DNS login", Evidence: "ip", Duration: 12 * time.Millisecond},
			{ID: "network.login.tcp", Group: "network", Status: OK, Title: "Connect login", Evidence: "ok"},
		}}
	for _, tc := range []struct {
		noLatency bool
		dns       string
	}{{false, "  ok DNS login  (12 ms)\n"}, {true, "  ok DNS login\n"}} {
		var b strings.Builder
		if err := WriteText(&b, r, TextOptions{NoLatency: tc.noLatency}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.Contains(out, tc.dns) || !strings.Contains(out, "  ok Connect login\n") {
			t.Errorf("NoLatency %v:\n%s", tc.noLatency, out)
		}
	}
}

// The Markdown report names the tenant (and its id when known), groups the checks,
// and gives a fix only for a check that is not OK.
func TestWriteMarkdownExact(t *testing.T) {
	r := &Report{Version: "1.2.3", Cloud: "global", AuthorityHost: "https://login", GraphURL: "https://graph",
		CheckedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Checks: []Check{
			{ID: "machine.proxy", Group: "machine", Status: OK, Title: "Proxy", Evidence: "none", Fix: "unused fix"},
			{ID: "network.login.tcp", Group: "network", Status: Fail, Title: "Connect", Evidence: "refused", Fix: "open port 443", Duration: 3 * time.Millisecond},
		}}
	for _, tc := range []struct {
		tenant *Tenant
		line   string
	}{
		{nil, ""},
		{&Tenant{Query: "contoso.com"}, "- Tenant: contoso.com\n"},
		{&Tenant{Query: "contoso.com", ID: "72f988bf-86f1-41af-91ab-2d7cd011db47"}, "- Tenant: contoso.com (72f988bf-86f1-41af-91ab-2d7cd011db47)\n"},
	} {
		r.Tenant = tc.tenant
		var b strings.Builder
		if err := WriteMarkdown(&b, r); err != nil {
			t.Fatal(err)
		}
		want := "# d365consent doctor\n\n- Version: 1.2.3\n- Cloud: global (https://login, https://graph)\n" + tc.line +
			"- Checked at: 2026-01-02T03:04:05Z\n- " + ResultLine(r) + "\n" +
			"\n## Machine\n\n| | Check | Evidence | Fix | Latency |\n|---|---|---|---|---|\n" +
			"| " + Glyph(OK, termcaps.Unicode) + " | Proxy | none |  |  |\n" +
			"\n## Network\n\n| | Check | Evidence | Fix | Latency |\n|---|---|---|---|---|\n" +
			"| " + Glyph(Fail, termcaps.Unicode) + " | Connect | refused | open port 443 | 3 ms |\n"
		if got := b.String(); got != want {
			t.Errorf("tenant %+v:\n%s\nwant\n%s", tc.tenant, got, want)
		}
	}
}
