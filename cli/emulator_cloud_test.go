package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// `d365consent emulator --cloud china` runs a tenant of that cloud: it says so, and
// its OpenID configuration names the cloud (graph/deployments;
// entra/identity-platform/authentication-national-cloud).
func TestEmulatorCommandCloud(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outB, errB := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, newFactory(strings.NewReader(""), outB, errB, []string{"NO_COLOR=1"}), []string{"emulator", "--cloud", "china"})
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errB.String(), "Running until") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	out := outB.String()
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Fatalf("exit %d: %s %s", code, out, errB.String())
	}
	if !strings.Contains(out, "cloud: china (Graph scopes: https://microsoftgraph.chinacloudapi.cn/...)") {
		t.Fatalf("endpoint list lacks the cloud:\n%s", out)
	}
	var pages string
	for _, l := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(l, "pages: "); ok {
			pages = p
		}
	}
	if pages == "" {
		t.Fatalf("no pages line:\n%s", out)
	}
	// The process is gone: its pages port refuses.
	if resp, err := (&http.Client{Timeout: time.Second}).Get(pages + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("the emulator still answers after cancel")
	}
}
