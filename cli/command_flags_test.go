package cli

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/signin"
)

// Each command's flags reach its options struct: the command is built with a runF
// that records the options instead of running, under a root with the shared flags
// only, so neither MSAL nor the demo tenant runs.

// flagsFactory is a Factory whose demo tenant and browser fail the test when used,
// with no terminal.
func flagsFactory(t *testing.T) *Factory {
	t.Helper()
	f := newFactory(strings.NewReader(""), io.Discard, io.Discard, []string{"NO_COLOR=1"})
	f.isTerminal = func(any) bool { return false }
	f.startEmulator = func(emulator.Options) (*emulator.Server, error) {
		t.Error("a demo tenant was started")
		return nil, errors.New("no demo tenant in a flags test")
	}
	f.browser.OpenURL = func(string) error {
		t.Error("a browser was opened")
		return nil
	}
	return f
}

// parseFlags runs args through a root holding only cmd, built on f.
func parseFlags(f *Factory, cmd *cobra.Command, args []string) error {
	root := newRootOnly(f, nil)
	root.AddCommand(cmd)
	root.SetArgs(args)
	return cobraUsage(root.ExecuteContext(context.Background()))
}

// flagCase is one command line and the options it must give; shared, when not nil,
// checks the shared flags after it.
type flagCase[O any] struct {
	args   []string
	want   O
	shared func(sharedOptions) bool
}

// checkFlags runs each case through the command newCmd builds and compares the
// options its runF received with the case's, field by field.
func checkFlags[O any](t *testing.T, newCmd func(*Factory, func(context.Context, *O) error) *cobra.Command, cases []flagCase[O]) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := flagsFactory(t)
			var got *O
			err := parseFlags(f, newCmd(f, func(_ context.Context, o *O) error { got = o; return nil }), tc.args)
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("options\n got %+v\nwant %+v", *got, tc.want)
			}
			if tc.shared != nil && !tc.shared(f.opts) {
				t.Errorf("shared options %+v", f.opts)
			}
		})
	}
}

func TestVerifyFlags(t *testing.T) {
	defaults := fleetFlags{Parallel: fleet.DefaultParallel, Auth: "interactive"}
	with := func(change func(*fleetFlags)) fleetFlags {
		f := defaults
		change(&f)
		return f
	}
	checkFlags(t, newVerifyCmd, []flagCase[verifyOptions]{
		{args: []string{"verify", "--app", "ce"}, want: verifyOptions{App: "ce", Format: "text", Fleet: defaults}},
		{args: []string{"verify", "--app", "uo", "--format", "json", "--report", "r.json", "--tenant", "contoso.onmicrosoft.com", "--cloud", "usgov", "--client-id", exampleClientID},
			want: verifyOptions{App: "uo", Format: "json", Report: "r.json", Fleet: defaults},
			shared: func(s sharedOptions) bool {
				return s.Tenant == "contoso.onmicrosoft.com" && s.Cloud == "usgov" && s.ClientID == exampleClientID
			}},
		{args: []string{"verify", "--demo", "--scenario", "partial", "--demo-faults", "latency=1s,seed=7", "--format", "markdown"},
			want: verifyOptions{Format: "markdown", Demo: true, Scenario: "partial", DemoFaults: "latency=1s,seed=7", Fleet: defaults}},
		{args: []string{"verify", "--app", "ce", "--device-code"}, want: verifyOptions{App: "ce", Format: "text", Fleet: defaults, DeviceCode: true},
			shared: func(s sharedOptions) bool { return s.DeviceCode }},
		// --auth device-code is verify's own choice: the shared --device-code stays off.
		{args: []string{"verify", "--app", "ce", "--auth", "device-code"},
			want:   verifyOptions{App: "ce", Format: "text", Fleet: with(func(f *fleetFlags) { f.Auth = "device-code" }), DeviceCode: true},
			shared: func(s sharedOptions) bool { return !s.DeviceCode }},
		{args: []string{"verify", "--app", "ce", "--tenants", "t.txt", "--parallel", "3", "--auth", "certificate", "--certificate", "c.pem",
			"--identity-client-id", exampleIdentityID, "--baseline", "b.json", "--format", "csv", "--timeout", "90s"},
			want: verifyOptions{App: "ce", Format: "csv", Fleet: fleetFlags{Tenants: "t.txt", Parallel: 3, Auth: "certificate",
				Certificate: "c.pem", IdentityClientID: exampleIdentityID, Baseline: "b.json"}},
			shared: func(s sharedOptions) bool { return s.Timeout == 90*time.Second }},
	})
}

func TestConsentURLFlags(t *testing.T) {
	checkFlags(t, newConsentURLCmd, []flagCase[consentURLOptions]{
		{args: []string{"consent-url", "--app", "ce", "--tenant", "contoso.onmicrosoft.com"}, want: consentURLOptions{App: "ce", Format: "table"},
			shared: func(s sharedOptions) bool { return s.Tenant == "contoso.onmicrosoft.com" }},
		{args: []string{"consent-url", "--app", "uo", "--qr"}, want: consentURLOptions{App: "uo", QR: true, Format: "table"}},
		{args: []string{"consent-url", "--demo", "--scenario", "partial"}, want: consentURLOptions{Demo: true, Scenario: "partial", Format: "table"}},
		{args: []string{"consent-url", "--app", "ce", "--tenants", "-", "--format", "csv"}, want: consentURLOptions{App: "ce", Tenants: "-", Format: "csv"}},
	})
}

func TestDemoFlags(t *testing.T) {
	// The command layer asks nothing of the terminal (flagsFactory has none): the
	// wizard's need for one is the run's to check.
	checkFlags(t, newDemoCmd, []flagCase[demoOptions]{
		{args: []string{"demo"}, want: demoOptions{Scenario: "fresh"}},
		{args: []string{"demo", "--scenario", "partial", "--url-file", "urls.txt", "--no-browser", "--accessible"},
			want:   demoOptions{Scenario: "partial", URLFile: "urls.txt"},
			shared: func(s sharedOptions) bool { return s.NoBrowser && s.Accessible }},
	})
}

func TestDoctorFlags(t *testing.T) {
	checkFlags(t, newDoctorCmd, []flagCase[doctorOptions]{
		{args: []string{"doctor"}, want: doctorOptions{Format: "text"},
			shared: func(s sharedOptions) bool { return s.Cloud == "global" && s.Tenant == "" }},
		{args: []string{"doctor", "--cloud", "china", "--tenant", "contoso.partner.onmschina.cn", "--format", "json", "--report", "d.md"},
			want:   doctorOptions{Format: "json", Report: "d.md"},
			shared: func(s sharedOptions) bool { return s.Cloud == "china" && s.Tenant == "contoso.partner.onmschina.cn" }},
	})
}

func TestPermissionsFlags(t *testing.T) {
	checkFlags(t, newPermissionsCmd, []flagCase[permissionsOptions]{
		{args: []string{"permissions"}, want: permissionsOptions{App: "all", Format: "table"}},
		{args: []string{"permissions", "--app", "uo", "--format", "markdown"}, want: permissionsOptions{App: "uo", Format: "markdown"}},
		{args: []string{"permissions", "--format", "json", "--catalog", "c.json"}, want: permissionsOptions{App: "all", Format: "json"},
			shared: func(s sharedOptions) bool { return s.Catalog == "c.json" }},
	})
}

// TestFlagErrorsStopBeforeTheRun: a bad flag, a bad shared flag or an argument is a
// usage error (exit 2) and the command's run never starts.
func TestFlagErrorsStopBeforeTheRun(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--bogus"}, "unknown flag: --bogus (see 'd365consent verify --help')"},
		{[]string{"verify", "extra"}, `unknown command "extra" for "d365consent verify"`},
		{[]string{"verify", "--cloud", "mars"}, `unknown cloud "mars": use global, usgov, usgov-dod or china`},
		{[]string{"verify", "--parallel", "many"}, `invalid argument "many" for "--parallel" flag`},
		{[]string{"verify", "--signin-client-id", "nope"}, `--signin-client-id "nope" is not a GUID`},
		{[]string{"verify", "--authority-host", "https://login.example\x1b]8;;https://evil.example\x07"},
			`--authority-host "https://login.example\x1b]8;;https://evil.example\a" holds a control character, an escape sequence or a bidirectional control: give it as plain text`},
		{[]string{"verify", "--authority-host", "https://login.example\u202e/"},
			`--authority-host "https://login.example\u202e/" holds a control character, an escape sequence or a bidirectional control: give it as plain text`},
		{[]string{"verify", "--graph-url", "https://graph.example\u009b31m"},
			`--graph-url "https://graph.example\u009b31m" holds a control character, an escape sequence or a bidirectional control: give it as plain text`},
		{[]string{"verify", "--graph-url", "https://graph.example\r\nX"},
			`--graph-url "https://graph.example\r\nX" holds a control character, an escape sequence or a bidirectional control: give it as plain text`},
		{[]string{"verify", "--tenant", "contoso.com\u2066"},
			`--tenant "contoso.com\u2066" holds a control character, an escape sequence or a bidirectional control: give it as plain text`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := flagsFactory(t)
			ran := false
			err := parseFlags(f, newVerifyCmd(f, func(context.Context, *verifyOptions) error { ran = true; return nil }), tc.args)
			if ran || err == nil || !strings.Contains(err.Error(), tc.want) || exitCode(err) != exitUsage || strings.ContainsAny(err.Error(), "\x1b\x07\u009b\u202e\u2066\r\n") {
				t.Errorf("ran %v, exit %d, error %v; want %q", ran, exitCode(err), err, tc.want)
			}
		})
	}
}

// The wizard is the root command's own run: its flags reach the shared options.
func TestWizardFlags(t *testing.T) {
	cases := []struct {
		args []string
		want sharedOptions
	}{
		{nil, sharedOptions{Cloud: "global", SignInClientID: signin.ClientID, Timeout: 10 * time.Minute}},
		{[]string{"--tenant", "contoso.onmicrosoft.com", "--cloud", "usgov", "--device-code", "--accessible", "--remember", "--timeout", "5m"},
			sharedOptions{Tenant: "contoso.onmicrosoft.com", Cloud: "usgov", SignInClientID: signin.ClientID, DeviceCode: true, Accessible: true, Remember: true, Timeout: 5 * time.Minute}},
		{[]string{"--client-id", exampleClientID, "--signin-client-id", exampleIdentityID, "--no-browser", "--no-color"},
			sharedOptions{Cloud: "global", ClientID: exampleClientID, SignInClientID: exampleIdentityID, NoBrowser: true, NoColor: true, Timeout: 10 * time.Minute}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := flagsFactory(t)
			var got *sharedOptions
			root := newRootOnly(f, func(_ context.Context, o *sharedOptions) error { got = o; return nil })
			root.SetArgs(tc.args)
			if err := cobraUsage(root.ExecuteContext(context.Background())); err != nil {
				t.Fatalf("error %v", err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			if *got != tc.want {
				t.Errorf("options\n got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
	// A shared flag's check runs before the wizard: a bad value never reaches it.
	f := flagsFactory(t)
	root := newRootOnly(f, func(context.Context, *sharedOptions) error { t.Error("the wizard ran with --timeout 0"); return nil })
	root.SetArgs([]string{"--timeout", "0s"})
	if err := cobraUsage(root.ExecuteContext(context.Background())); err == nil || !strings.Contains(err.Error(), "--timeout must be positive") {
		t.Errorf("error %v", err)
	}
}
