package doctor

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/termcaps"
)

// inspectionReport is a run against a host behind a TLS-inspecting firewall whose CA
// this machine does not trust.
func inspectionReport(t *testing.T) (*Report, string) {
	public := newCA(t, "Doctor Test Public Root", "Doctor Test PKI")
	contoso := newCA(t, "Contoso TLS Inspection CA", "Contoso Ltd")
	srv := startFakeHost(t, fakeHostOpts{cert: contoso.leaf(t, "login.doctor.test", "graph.doctor.test")})
	port := portOf(srv.Listener.Addr().String())
	dns := startDNS(t, map[string]string{"login.doctor.test": "127.0.0.1", "graph.doctor.test": "127.0.0.1"})
	cfg := testConfig(t, dns, "https://login.doctor.test:"+port, "https://graph.doctor.test:"+port, pool(public), "Doctor Test Public Root")
	cfg.Tenant = "contoso.onmicrosoft.com"
	return run(t, cfg), port
}

// TestTextReport pins the whole text report of the TLS-inspection case (timings
// left out): sections, marks, evidence and fix lines, the result line.
func TestTextReport(t *testing.T) {
	r, port := inspectionReport(t)
	var b bytes.Buffer
	if err := WriteText(&b, r, TextOptions{Glyphs: termcaps.Unicode, NoLatency: true}); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`d365consent doctor: global cloud (login.doctor.test, graph.doctor.test), tenant contoso.onmicrosoft.com

Machine
  ✓ d365consent
      v9.9.9-test on linux/amd64 (GOVERSION)
  ✓ Terminal
      output is not a terminal (piped or redirected): plain text, no colour
  ✓ Session
      local session, display DISPLAY=:0
  ✓ Browser for sign-in
      sign-in opens the default browser via xdg-open (graphical display), with a redirect back to localhost
  ✓ Proxy
      HTTPS_PROXY and HTTP_PROXY unset: login.doctor.test direct, graph.doctor.test direct
  ✓ Trusted certificates
      the system trust store (SSL_CERT_FILE, SSL_CERT_DIR unset)

Network: sign-in host login.doctor.test
  ✓ DNS login.doctor.test
      login.doctor.test → 127.0.0.1
  ✓ Connect login.doctor.test:PORT
      connected to 127.0.0.1:PORT
  ✗ TLS login.doctor.test
      TLS 1.3, certificate for login.doctor.test issued by 'Contoso TLS Inspection CA' (Contoso Ltd), not Doctor Test Public Root: TLS inspection, by a CA this machine does not trust
      fix: Ask the network team to exempt login.doctor.test from TLS inspection, or for the 'Contoso TLS Inspection CA' root certificate to add to this machine's trust store.

Network: Microsoft Graph host graph.doctor.test
  ✓ DNS graph.doctor.test
      graph.doctor.test → 127.0.0.1
  ✓ Connect graph.doctor.test:PORT
      connected to 127.0.0.1:PORT
  ✗ TLS graph.doctor.test
      TLS 1.3, certificate for graph.doctor.test issued by 'Contoso TLS Inspection CA' (Contoso Ltd), not Doctor Test Public Root: TLS inspection, by a CA this machine does not trust
      fix: Ask the network team to exempt graph.doctor.test from TLS inspection, or for the 'Contoso TLS Inspection CA' root certificate to add to this machine's trust store.

Clock
  ✓ Clock
      within a minute of login.doctor.test's clock (Date header)

Tenant
  – Tenant contoso.onmicrosoft.com
      not checked: HTTPS to login.doctor.test fails (see the network checks above)

Sign-in client
  – Sign-in client
      not checked: HTTPS to login.doctor.test fails (see the network checks above)

Result: 2 problems: sign-in or consent will fail until the problems are fixed.
`, "PORT", port)
	want = strings.ReplaceAll(want, "GOVERSION", goVersion())
	if got := b.String(); got != want {
		t.Errorf("text report:\n%s\nwant:\n%s", got, want)
	}
	if testing.Verbose() {
		t.Logf("\n%s", b.String())
	}

	// ASCII marks, and colour only when asked.
	b.Reset()
	_ = WriteText(&b, r, TextOptions{Glyphs: termcaps.ASCII, NoLatency: true})
	if !strings.Contains(b.String(), "\n  XX TLS login.doctor.test\n") || !strings.Contains(b.String(), "\n  -- Sign-in client\n") || strings.ContainsAny(b.String(), "✓✗–\x1b") {
		t.Errorf("ASCII report:\n%s", b.String())
	}
	b.Reset()
	_ = WriteText(&b, r, TextOptions{Glyphs: termcaps.Unicode, Color: true, NoLatency: true})
	if !strings.Contains(b.String(), "  \x1b[31m✗\x1b[0m TLS login.doctor.test\n") {
		t.Errorf("colour report:\n%q", b.String())
	}
}

// TestJSONReport: the d365consent.doctor/v1 fields, and nothing secret.
func TestJSONReport(t *testing.T) {
	r, _ := inspectionReport(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema, Version, Cloud, AuthorityHost, GraphURL, Status string
		CheckedAt                                               string
		Tenant                                                  map[string]string
		Checks                                                  []map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "d365consent.doctor/v1" || doc.Status != "problems" || doc.Cloud != "global" || doc.Tenant["query"] != "contoso.onmicrosoft.com" || doc.CheckedAt == "" {
		t.Errorf("%+v", doc)
	}
	tls := map[string]any{}
	for _, c := range doc.Checks {
		if c["id"] == "network.login.tls" {
			tls = c
		}
	}
	if tls["status"] != "fail" || tls["summary"] != "TLS inspection by 'Contoso TLS Inspection CA' detected" || tls["group"] != "network" || tls["latencyMs"] == nil {
		t.Errorf("%v", tls)
	}
	for _, secret := range []string{"alice", "secret-device-code"} {
		if strings.Contains(b.String(), secret) {
			t.Errorf("%q in the report", secret)
		}
	}

	b.Reset()
	if err := WriteMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| ✗ | TLS login.doctor.test | TLS 1.3, certificate for login.doctor.test issued by 'Contoso TLS Inspection CA' (Contoso Ltd), not Doctor Test Public Root: TLS inspection, by a CA this machine does not trust | Ask the network team") {
		t.Errorf("markdown:\n%s", b.String())
	}
}

func goVersion() string { return runtime.Version() }
