package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
)

// TestDoctorBinarySSLCertFile: the real binary, against the demo tenant, trusts it
// exactly when SSL_CERT_FILE names its certificate — the trust store as Go uses it in
// a fresh process — and says so with exit 0 / exit 1. Endpoints are 127.0.0.1: no
// DNS, nothing leaves the machine.
func TestDoctorBinarySSLCertFile(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pem := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(pem, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	doctor := func(env ...string) (int, map[string]string) {
		t.Helper()
		cmd := exec.Command(bin, "doctor", "--authority-host", srv.AuthorityHost(), "--graph-url", srv.GraphURL(),
			"--tenant", srv.TenantDomain(), "--device-code", "--format", "json", "--timeout", "30s")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "NO_COLOR=1"}, env...)
		out, err := cmd.Output()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Schema string `json:"schema"`
			Checks []struct{ ID, Status, Summary string }
		}
		if err := json.Unmarshal(out, &r); err != nil || r.Schema != "d365consent.doctor/v1" {
			t.Fatalf("%v: %s", err, out)
		}
		st := map[string]string{}
		for _, c := range r.Checks {
			st[c.ID] = c.Status + " " + c.Summary
		}
		return code, st
	}

	code, st := doctor("SSL_CERT_FILE=" + pem)
	for id, s := range st {
		if s != "ok " {
			t.Errorf("with SSL_CERT_FILE: %s is %q", id, s)
		}
	}
	if code != 0 || len(st) != 17 {
		t.Errorf("with SSL_CERT_FILE: exit %d, %d checks", code, len(st))
	}

	// An empty directory as the only trust store: the certificate is not trusted.
	code, st = doctor("SSL_CERT_FILE="+filepath.Join(t.TempDir(), "none.pem"), "SSL_CERT_DIR="+t.TempDir())
	if code != 1 || !strings.HasPrefix(st["machine.certs"], "fail SSL_CERT_FILE cannot be read") ||
		st["network.login.tls"] != "fail this machine does not trust 'd365consent demo tenant' (d365consent emulator)" {
		t.Errorf("untrusted: exit %d, %v", code, st)
	}
}
