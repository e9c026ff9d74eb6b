package cli

import (
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/testkit"
)

// verify --demo sends the admin to the demo wizard saying that it starts a fresh demo
// tenant, and prints no verify to run afterwards: that verify would start the scenario
// afresh and send the admin back to the demo, a loop.
func TestVerifyDemoNextStepSaysItStartsAFreshTenant(t *testing.T) {
	code, out, errOut := runFlowsCmd(t, "verify", "--demo", "--scenario", "fresh", "--app", "ce")
	if code != exitIncomplete {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitIncomplete, out, errOut)
	}
	want := "Grant admin consent in the demo wizard, which then checks the grants itself:\n" +
		"  d365consent demo --scenario fresh\n" +
		"(Each demo command starts a fresh demo tenant in the scenario's starting state: it does not see what this run changed.)\n"
	if !strings.HasSuffix(out, want) {
		t.Fatalf("stdout ends\n%s\nwant it to end\n%s", out, want)
	}
	if strings.Contains(out, "then check with") {
		t.Errorf("verify --demo still sends the admin to a verify after the demo:\n%s", out)
	}
}

// Against overridden endpoints trusted through SSL_CERT_FILE (the standalone
// emulator), the printed commands that connect carry that SSL_CERT_FILE, so they run
// as printed; consent-url, which does not connect, does not.
func TestVerifyNextCommandsCarryTheCertificateTrust(t *testing.T) {
	cat := testkit.Catalog(t)
	app, _ := cat.App("ce")
	r := &flows.Result{App: flows.ResultApp{Key: "ce", ClientID: app.ClientID}, Tenant: flows.ResultTenant{ID: "tid"}}
	for _, tc := range []struct {
		name, ca, host string
		prefix         string
	}{
		{name: "emulator", ca: "/tmp/ca.pem", host: "https://127.0.0.1:8443", prefix: "SSL_CERT_FILE=/tmp/ca.pem d365consent"},
		{name: "default endpoints", ca: "/tmp/ca.pem", prefix: "d365consent"},
		{name: "no SSL_CERT_FILE", host: "https://127.0.0.1:8443", prefix: "d365consent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env []string
			if tc.ca != "" {
				env = []string{"SSL_CERT_FILE=" + tc.ca}
			}
			a := newFactory(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}, env)
			a.opts.AuthorityHost, a.opts.GraphURL = tc.host, tc.host
			next := a.nextCommands(r, &commandTarget{catalog: cat}, verifyOptions{})
			for _, c := range []string{next.wizard, next.verify} {
				if !strings.HasPrefix(c, tc.prefix) {
					t.Errorf("%q does not start with %q", c, tc.prefix)
				}
			}
			if !strings.HasPrefix(next.consentURL, "d365consent consent-url ") {
				t.Errorf("consent-url line %q", next.consentURL)
			}
		})
	}
}
