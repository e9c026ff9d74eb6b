package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// `d365consent emulator --proxy` prints the proxy's address and how to point clients
// at it (HTTPS_PROXY and the CA file for OpenSSL, Python requests and Node.js); its
// tenant carries Microsoft's names, reachable through the proxy with that CA, until
// the command ends.
func TestEmulatorCommandProxy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outB, errB := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, newFactory(strings.NewReader(""), outB, errB, []string{"NO_COLOR=1"}), []string{"emulator", "--proxy", "--scenario", "consented"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errB.String(), "Running until") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out, errOut := outB.String(), errB.String()
	printed := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			printed[k] = v
		}
	}
	tid, proxy, ca := printed["tenant"], printed["proxy"], printed["ca-cert"]
	if printed["authority"] != "https://login.microsoftonline.com/"+tid || printed["graph"] != "https://graph.microsoft.com" ||
		!strings.HasPrefix(proxy, "http://127.0.0.1:") || ca == "" {
		t.Fatalf("endpoint list:\n%s", out)
	}
	for _, want := range []string{"export HTTPS_PROXY=" + proxy + "\n", "export SSL_CERT_FILE=" + ca + " ",
		"export REQUESTS_CA_BUNDLE=" + ca + " ", "export NODE_EXTRA_CA_CERTS=" + ca + " "} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the instructions lack %q:\n%s", want, errOut)
		}
	}
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	pu, _ := url.Parse(proxy)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://login.microsoftonline.com/" + tid + "/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("through the proxy with the printed CA: %v", err)
	}
	var doc struct{ Issuer string }
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if resp.StatusCode != 200 || doc.Issuer != "https://login.microsoftonline.com/"+tid+"/v2.0" {
		t.Fatalf("openid-configuration: %d issuer %q", resp.StatusCode, doc.Issuer)
	}
	client.CloseIdleConnections()
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("exit %d: %s %s", code, out, errB.String())
	}
	// The process is done: the proxy refuses connections and the CA file is gone.
	if resp, err := client.Get("https://login.microsoftonline.com/" + tid + "/v2.0/.well-known/openid-configuration"); err == nil {
		resp.Body.Close()
		t.Fatal("the proxy still answers after the command ended")
	}
	if _, err := os.Stat(ca); !os.IsNotExist(err) {
		t.Fatalf("the CA file outlives the command: %v", err)
	}
}

// --proxy-addr must be loopback, like --addr: the proxy opens no door to the network.
func TestEmulatorCommandProxyLoopbackOnly(t *testing.T) {
	outB, errB := &lockedBuffer{}, &lockedBuffer{}
	code := run(context.Background(), newFactory(strings.NewReader(""), outB, errB, []string{"NO_COLOR=1"}),
		[]string{"emulator", "--proxy", "--proxy-addr", "0.0.0.0:0"})
	if code != 2 || !strings.Contains(errB.String(), "only listens on 127.0.0.1") || strings.Contains(outB.String(), "proxy:") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, outB.String(), errB.String())
	}
}
