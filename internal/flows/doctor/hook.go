package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
)

// Class is the kind of failure an error is, for deciding whether the doctor's
// checks can say more about it.
type Class string

// Failure classes; None means the doctor has nothing to add (an AADSTS refusal, a
// cancellation, a bug).
const (
	None    Class = ""
	Network Class = "network" // DNS, connect, proxy, a timeout on the way
	TLS     Class = "tls"     // a certificate or handshake failure
	Clock   Class = "clock"   // a time-range failure (certificate or assertion not yet / no longer valid)
)

// textMarks recognise a transport failure by its text, for errors that were
// flattened to strings on the way (MSAL's, in places).
var textMarks = []struct {
	mark  string
	class Class
}{
	{"certificate has expired or is not yet valid", Clock},
	{"x509: ", TLS}, {"tls: ", TLS}, {"remote error: tls", TLS},
	{"proxyconnect", Network}, {"Proxy Authentication Required", Network},
	{"no such host", Network}, {"connection refused", Network}, {"connection reset", Network},
	{"i/o timeout", Network}, {"network is unreachable", Network}, {"no route to host", Network},
	{"TLS handshake timeout", TLS}, {"Client.Timeout exceeded", Network},
}

// Classify says whether err is a network, TLS or clock failure the doctor can
// diagnose. Entra ID refusals (AADSTS…) and cancellations are None, except
// AADSTS700024 (a client assertion outside its valid time range: the clock).
func Classify(err error) Class {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, flows.ErrCancelled) {
		return None
	}
	if x := explain.Explain(err); x != nil {
		if x.Code == 700024 {
			return Clock
		}
		return None
	}
	var ci x509.CertificateInvalidError
	if errors.As(err, &ci) && ci.Reason == x509.Expired {
		return Clock
	}
	var (
		ua  x509.UnknownAuthorityError
		hn  x509.HostnameError
		cve *tls.CertificateVerificationError
		rh  tls.RecordHeaderError
		ae  tls.AlertError
		dns *net.DNSError
		op  *net.OpError
		te  *flows.TimeoutError
	)
	switch {
	case errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &cve), errors.As(err, &rh), errors.As(err, &ae), errors.As(err, &ci):
		return TLS
	case errors.As(err, &dns), errors.As(err, &op), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET):
		return Network
	case errors.As(err, &te):
		if te.Awaited == flows.AwaitGraph || te.Awaited == flows.AwaitEntra {
			return Network
		}
		return None
	}
	text := err.Error()
	for _, m := range textMarks {
		if strings.Contains(text, m.mark) {
			return m.class
		}
	}
	if isTimeout(err) {
		return Network
	}
	return None
}

// Diagnosis is the doctor's verdict on a failure.
type Diagnosis struct {
	// Verdict is one line: "TLS inspection by 'Contoso Proxy CA' detected".
	Verdict string
	// Fix is the matching check's fix ("" when nothing was found).
	Fix string
	// Found is false when every check passed: the failure was not reproduced.
	Found  bool
	Report *Report
}

// Diagnose runs the network and clock checks when err is a network, TLS or clock
// failure, and returns their verdict; nil when err is not such a failure. cfg is
// a doctor run for the same cloud (Only is set here); ctx bounds it.
func Diagnose(ctx context.Context, cfg Config, err error) *Diagnosis {
	class := Classify(err)
	if class == None {
		return nil
	}
	cfg.Only = []string{"network", "clock"}
	cfg.Progress = nil
	r := Run(ctx, cfg)
	return verdictOf(r, class)
}

func verdictOf(r *Report, class Class) *Diagnosis {
	d := &Diagnosis{Report: r}
	pick := func(c *Check) *Diagnosis {
		d.Verdict, d.Fix, d.Found = c.Summary, c.Fix, true
		if d.Verdict == "" {
			d.Verdict = c.Title + ": " + c.Evidence
		}
		return d
	}
	// A clock failure first when the error is about time; then the first ✗ in the
	// order of the steps; then a TLS inspection or clock warning.
	if class == Clock {
		if c := r.Check("clock.skew"); c != nil && c.Status == Fail {
			return pick(c)
		}
	}
	for i := range r.Checks {
		if r.Checks[i].Status == Fail {
			return pick(&r.Checks[i])
		}
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		if c.Status == Warn && (strings.HasSuffix(c.ID, ".tls") || c.ID == "clock.skew") {
			return pick(c)
		}
	}
	d.Verdict = "no network, TLS or clock problem found now (DNS, connect, TLS, HTTP and clock all pass)"
	d.Fix = "Try again; if it fails again, run d365consent doctor and attach its report to the ticket."
	return d
}
