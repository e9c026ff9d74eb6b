package cli

import (
	"context"
	"strings"
	"testing"
	"time"
)

// `d365consent emulator` prints, after its endpoints, a verify line that trusts its CA
// (SSL_CERT_FILE=the ca-cert it printed) and names its tenant, app, sign-in client and
// endpoints, and a consent-url line for the same app: lines that run as printed.
func TestEmulatorCommandPrintsCommandsThatRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outB, errB := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, newFactory(strings.NewReader(""), outB, errB, []string{"NO_COLOR=1"}), []string{"emulator", "--cloud", "usgov"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errB.String(), "Running until") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out, errOut := outB.String(), errB.String()
	cancel()
	<-done
	v := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, val, ok := strings.Cut(l, ": "); ok && v[k] == "" {
			v[k] = strings.Fields(val)[0]
		}
	}
	host, _ := strings.CutSuffix(v["authority"], "/"+v["tenant"])
	target := "--app ce --tenant " + v["tenant"] + " --client-id " + v["app ce"] + " --cloud usgov"
	want := "Point d365consent at it (each line runs as printed; sign in as a listed user):\n" +
		"  SSL_CERT_FILE=" + v["ca-cert"] + " d365consent verify " + target + " --signin-client-id " + v["signin-client"] +
		" --authority-host " + host + " --graph-url " + v["graph"] + " --device-code\n" +
		"  d365consent consent-url " + target + " --authority-host " + host + "\n"
	if v["ca-cert"] == "" || !strings.Contains(errOut, want) {
		t.Fatalf("stderr\n%s\nlacks\n%s\n(stdout:\n%s)", errOut, want, out)
	}
}
