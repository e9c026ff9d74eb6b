package cli

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/d365consent/d365consent/emulator"
)

// The demo tenant follows --signin-client-id (the admin's own sign-in app, the fix the
// signin-app-blocked screen recommends) and --cloud (the cloud the tenant imitates).
func TestDemoHonoursSignInClientAndCloud(t *testing.T) {
	const ownApp = "0f0e0d0c-1111-2222-3333-444455556666"
	tests := []struct {
		name      string
		args      []string
		code      int
		status    string
		cloud     string
		signInApp string
	}{
		{"blocked sign-in app", []string{"--scenario", "signin-app-blocked"}, exitRefused, "refused", "global", emulator.SignInClientID},
		{"own sign-in app", []string{"--scenario", "signin-app-blocked", "--signin-client-id", ownApp}, exitIncomplete, "not-consented", "global", ownApp},
		{"us government cloud", []string{"--scenario", "partial", "--cloud", "usgov"}, exitIncomplete, "incomplete", "usgov", emulator.SignInClientID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var started []emulator.Options
			var srv *emulator.Server
			watch := func(f *Factory) {
				start := f.startEmulator
				f.startEmulator = func(o emulator.Options) (*emulator.Server, error) {
					s, err := start(o)
					mu.Lock()
					started, srv = append(started, o), s
					mu.Unlock()
					return s, err
				}
			}
			args := append([]string{"verify", "--demo", "--app", "ce", "--format", "json"}, tt.args...)
			code, out, errOut := runFlowsCmdWith(t, watch, []string{"NO_COLOR=1", "TERM=dumb"}, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.code, out, errOut)
			}
			var doc struct{ Status, SignedInAs string }
			if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Status != tt.status {
				t.Fatalf("status %q, want %q (%v)\n%s", doc.Status, tt.status, err, out)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(started) != 1 || srv.CloudName() != tt.cloud || srv.SignInClientID() != tt.signInApp {
				t.Fatalf("%d demo tenants; cloud %q, sign-in app %q; want %q, %q", len(started), srv.CloudName(), srv.SignInClientID(), tt.cloud, tt.signInApp)
			}
		})
	}
}
