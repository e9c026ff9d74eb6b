package doctor

import (
	"crypto/x509"
	"testing"
)

// An expired certificate is a clock problem; any other invalid certificate is TLS.
func TestClassifyCertificateReasons(t *testing.T) {
	if got := Classify(x509.CertificateInvalidError{Reason: x509.Expired}); got != Clock {
		t.Errorf("expired certificate: %v, want Clock", got)
	}
	if got := Classify(x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}); got != TLS {
		t.Errorf("certificate not authorized to sign: %v, want TLS", got)
	}
}

// The verdict is the first failing check's summary, or its title and evidence when it
// has none; else a TLS or clock warning; other warnings are no verdict.
func TestVerdictOfPicks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		checks  []Check
		verdict string
		found   bool
	}{
		{"failure without summary", []Check{{ID: "network.login.tcp", Status: Fail, Title: "Connect login:443", Evidence: "refused", Fix: "f"}},
			"Connect login:443: refused", true},
		{"failure with summary", []Check{{ID: "network.login.tcp", Status: Fail, Title: "T", Summary: "cannot connect", Evidence: "e"}},
			"cannot connect", true},
		{"TLS warning", []Check{{ID: "machine.proxy", Status: Warn, Summary: "proxy"}, {ID: "network.login.tls", Status: Warn, Summary: "inspected"}},
			"inspected", true},
		{"clock warning", []Check{{ID: "clock.skew", Status: Warn, Summary: "two minutes off"}},
			"two minutes off", true},
		{"other warnings only", []Check{{ID: "machine.proxy", Status: Warn, Summary: "proxy"}, {ID: "network.login.http", Status: Warn, Summary: "slow"}},
			"no network, TLS or clock problem found now (DNS, connect, TLS, HTTP and clock all pass)", false},
	} {
		d := verdictOf(&Report{Checks: tc.checks}, Network)
		if d.Verdict != tc.verdict || d.Found != tc.found {
			t.Errorf("%s: verdict %q found %v, want %q %v", tc.name, d.Verdict, d.Found, tc.verdict, tc.found)
		}
	}
}

// A failing clock check comes first when the error was about time, and only then.
func TestVerdictOfClockFirstForClockErrors(t *testing.T) {
	tcp := Check{ID: "network.login.tcp", Status: Fail, Summary: "cannot connect"}
	for _, tc := range []struct {
		name  string
		class Class
		clock Status
		want  string
	}{
		{"clock error, clock fails", Clock, Fail, "clock off"},
		{"clock error, clock fine", Clock, OK, "cannot connect"},
		{"network error, clock fails", Network, Fail, "cannot connect"},
	} {
		r := &Report{Checks: []Check{tcp, {ID: "clock.skew", Status: tc.clock, Summary: "clock off"}}}
		if d := verdictOf(r, tc.class); d.Verdict != tc.want {
			t.Errorf("%s: verdict %q, want %q", tc.name, d.Verdict, tc.want)
		}
	}
	// No clock check at all (a run without the clock group).
	if d := verdictOf(&Report{Checks: []Check{tcp}}, Clock); d.Verdict != "cannot connect" {
		t.Errorf("no clock check: %q", d.Verdict)
	}
}
