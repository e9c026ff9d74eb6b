package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/signin"
)

// inspectingServer is a TLS server on 127.0.0.1 whose certificate a
// "Contoso TLS Inspection CA" issued, as a TLS-inspecting firewall's would be.
func inspectingServer(t *testing.T) *httptest.Server {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, leafKey := key(), key()
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Contoso TLS Inspection CA", Organization: []string{"Contoso Ltd"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// TestVerifyDiagnosesTLSInspection: verify's sign-in fails on a chain Go refuses; the
// doctor's checks run and name the inspecting CA on stderr, with the command that
// shows every check. Exit code 1 (a network error), unchanged.
func TestVerifyDiagnosesTLSInspection(t *testing.T) {
	srv := inspectingServer(t)
	// Only the TLS judgement is adjusted: the emulator's name stands for "the CA this
	// host normally uses" (a loopback host has none by default).
	publicCAs := func(f *Factory) {
		f.publicCAs = func(string) []string { return []string{"d365consent emulator"} }
	}
	base := srv.URL
	code, out, errs := runFlowsCmdWith(t, publicCAs, []string{"NO_COLOR=1"}, "verify", "--app", "ce", "--client-id", "11111111-2222-3333-4444-555555555555",
		"--tenant", "contoso.onmicrosoft.com", "--authority-host", base, "--graph-url", base, "--device-code", "--timeout", "30s")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	// The plain words first, then the fix, the error as it happened, the doctor command.
	if len(lines) == 4 && strings.HasPrefix(lines[2], "  detail: signing in: ") && strings.Contains(lines[2], "x509") {
		lines[2] = "  detail: …"
	}
	want := []string{
		"d365consent: TLS inspection by 'Contoso TLS Inspection CA' detected",
		"  fix:    Ask the network team to exempt 127.0.0.1 from TLS inspection, or for the 'Contoso TLS Inspection CA' root certificate to add to this machine's trust store.",
		"  detail: …",
		"  every check, for a ticket: d365consent doctor --tenant contoso.onmicrosoft.com --authority-host " + base + " --graph-url " + base,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("stderr:\n%s", errs)
	}
	if testing.Verbose() {
		t.Logf("stderr:\n%s", errs)
	}
}

// TestWizardDiagnoser: the wizard's error screen gets the doctor for a TLS failure
// of the real cloud's endpoints, and nothing for an AADSTS refusal or the demo tenant.
func TestWizardDiagnoser(t *testing.T) {
	srv := inspectingServer(t)
	a := newFactory(strings.NewReader(""), io.Discard, io.Discard, []string{"NO_COLOR=1"})
	a.publicCAs = func(string) []string { return []string{"d365consent emulator"} }
	a.opts.Cloud, a.opts.AuthorityHost, a.opts.GraphURL = "global", srv.URL, srv.URL
	a.opts.SignInClientID = signin.ClientID
	tlsErr := errors.New(`signing in: Get "` + srv.URL + `/organizations/v2.0/.well-known/openid-configuration": tls: failed to verify certificate: x509: certificate signed by unknown authority`)
	if a.wizardDiagnoser(true) != nil {
		t.Error("a diagnoser for the demo tenant")
	}
	d := a.wizardDiagnoser(false)
	if d(errors.New(`{"error":"invalid_grant","error_description":"AADSTS50076: MFA.","error_codes":[50076]}`)) != nil {
		t.Error("a diagnosis for an AADSTS refusal")
	}
	run := d(tlsErr)
	if run == nil {
		t.Fatal("no diagnosis for a TLS failure")
	}
	v, fix := run(context.Background())
	if v != "TLS inspection by 'Contoso TLS Inspection CA' detected" || !strings.HasPrefix(fix, "Ask the network team to exempt 127.0.0.1 from TLS inspection") {
		t.Errorf("%q / %q", v, fix)
	}
}
