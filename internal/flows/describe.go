package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/d365consent/d365consent/internal/flows/graph"
)

// What a timeout was waiting for: the admin (sign-in, consent) or a service.
const (
	AwaitSignIn  = "you to sign in"
	AwaitConsent = "admin consent to become visible in Microsoft Graph"
	AwaitGraph   = "Microsoft Graph"
	AwaitEntra   = "Microsoft Entra ID"
)

// TimeoutError is a wait that ran out, worded by what was awaited.
// errors.Is(err, context.DeadlineExceeded) holds.
type TimeoutError struct {
	// Awaited is one of the Await* constants (or similar words).
	Awaited string
	After   time.Duration
	// Cause is the context's cause when it says more than "deadline exceeded" (the
	// command's --timeout).
	Cause error
}

func (e *TimeoutError) Error() string {
	s := "timed out waiting for " + e.Awaited
	if e.After > 0 {
		s = fmt.Sprintf("timed out after %s waiting for %s", e.After.Round(time.Second), e.Awaited)
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Is makes TimeoutError match context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

type cancelledError struct{ cause error }

func (e *cancelledError) Error() string { return "cancelled" }
func (e *cancelledError) Unwrap() error { return e.cause }
func (e *cancelledError) Is(target error) bool {
	return target == ErrCancelled || target == context.Canceled
}

// Cancelled is a cancellation whose text is "cancelled" (never Go's "context
// canceled"); it matches ErrCancelled and context.Canceled, and unwraps to cause.
func Cancelled(cause error) error { return &cancelledError{cause: cause} }

// ctxDone turns a finished context into the error to return: a cancellation reads
// "cancelled"; a deadline keeps its cause (the command's --timeout says which limit)
// or becomes a TimeoutError naming what was awaited.
func ctxDone(ctx context.Context, awaited string, waited time.Duration) error {
	cause := context.Cause(ctx)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		te := &TimeoutError{Awaited: awaited, After: waited}
		if cause != nil && cause != context.DeadlineExceeded {
			te.Cause = cause
		}
		return te
	}
	return Cancelled(cause)
}

// Describe explains err in plain words: an Entra ID error (Explain), or a failure
// that carries no AADSTS code — a name that does not resolve, a refused connection, a
// certificate nobody trusts (a TLS-inspecting proxy), a timeout (worded by what was
// awaited), a cancellation, throttling. nil when there is nothing to add to err's text.
func Describe(err error) *Explanation {
	if err == nil {
		return nil
	}
	var blocked *BlockedError
	if errors.As(err, &blocked) {
		return &Explanation{Title: "Consent cannot fix this", Meaning: blocked.Cause, Fix: blocked.NextStep}
	}
	var wrong *WrongAppError
	if errors.As(err, &wrong) {
		return &Explanation{Title: "STOP — this client id is another app",
			Meaning: fmt.Sprintf("Client id %s is %q in this tenant, not %q. Consenting would grant %q, for the whole tenant: %s.",
				wrong.ClientID, wrong.Found, wrong.Expected, wrong.Found, strings.Join(wrong.Grants, ", ")),
			Fix: "Nothing was opened. Check the client id, paste the consent link AOS gives you, or pick the app found in the tenant."}
	}
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == 403 {
		return &Explanation{Title: "Microsoft Graph refused to show this to your account",
			Meaning:     "Graph answered 403 (" + Sanitize(ge.Code) + "): reading the app's grants and app role assignments needs a directory role of the signed-in account, and this account has none that allows it. It does not mean the permissions are missing.",
			Fix:         "Sign in as a Global Administrator, Privileged Role Administrator, Global Reader or Directory Reader (activate the role in PIM first if it is eligible), or have such an admin check it with this tool.",
			Description: Sanitize(ge.Error())}
	}
	// Our own messages may name an AADSTS code (a blocker's cause): they are read
	// first, Entra ID's errors next.
	if x := Explain(err); x != nil {
		return x
	}
	host := "the server"
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
	}
	proxyFix := "If this network needs a proxy, set HTTPS_PROXY (e.g. HTTPS_PROXY=http://proxy.example:8080); `d365consent doctor` checks DNS, proxy and TLS."
	var te *TimeoutError
	var th *graph.ThrottledError
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled):
		return &Explanation{Title: "Cancelled", Meaning: "The operation was cancelled before it finished; nothing more was changed.",
			Fix: "Run the command again when you are ready."}
	case errors.As(err, &te):
		x := &Explanation{Title: "Timed out waiting for " + te.Awaited}
		switch te.Awaited {
		case AwaitSignIn:
			x.Meaning = "The sign-in was not finished in the browser (or on the device-code page) in time."
			x.Fix = "Start again and finish signing in; raise --timeout if you need longer."
		case AwaitConsent:
			x.Meaning = "Not every grant became visible in Microsoft Graph in time: consent may not have been accepted, or replication is slow."
			x.Fix = "Check the consent page's result, then run verify again later; raise --timeout to wait longer."
		default:
			x.Meaning = te.Awaited + " did not answer in time: the network or the service is slow or unreachable."
			x.Fix = "Try again; raise --timeout on a slow link. " + proxyFix
		}
		return x
	case errors.As(err, &th):
		return &Explanation{Title: "Microsoft Graph is throttling",
			Meaning: fmt.Sprintf("Microsoft Graph asked us to wait %s before trying again (HTTP %d), longer than the time left.", th.Wait, th.Status),
			Fix:     "Wait a few minutes and run it again, or raise --timeout."}
	case errors.As(err, &dns):
		name := dns.Name
		if name == "" {
			name = host
		}
		return &Explanation{Title: "Cannot find " + Sanitize(name),
			Meaning: "The name " + Sanitize(name) + " does not resolve (DNS): this machine is offline, its DNS server does not answer, or the network blocks it.",
			Fix:     "Check the network connection and DNS (try opening https://" + Sanitize(name) + " in a browser). " + proxyFix}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Explanation{Title: "Connection refused",
			Meaning: "Nothing accepted the connection to " + Sanitize(host) + ": a firewall rejects it, or an --authority-host/--graph-url override points at a server that is not running.",
			Fix:     "Check the address and any firewall. " + proxyFix}
	case errors.As(err, &unknownCA) || (errors.As(err, &verify) && errors.As(verify.Err, &unknownCA)):
		return &Explanation{Title: "Certificate not trusted",
			Meaning: "The server's TLS certificate for " + Sanitize(host) + " is signed by an authority this machine does not trust. On company networks this is usually a proxy or TLS-inspecting firewall that re-signs HTTPS traffic.",
			Fix: "Add the proxy's root certificate to the system trust store, or point SSL_CERT_FILE at a PEM bundle that includes it (SSL_CERT_FILE=/path/to/ca-bundle.pem). " +
				"If the network needs an explicit proxy, set HTTPS_PROXY. Never disable certificate checks."}
	case errors.As(err, &hostErr):
		return &Explanation{Title: "Certificate for another name",
			Meaning: "The certificate presented for " + Sanitize(host) + " is for a different name: something between you and Microsoft answers in its place.",
			Fix:     "Check --authority-host/--graph-url and any proxy. " + proxyFix}
	case errors.As(err, &invalid):
		return &Explanation{Title: "Certificate invalid",
			Meaning: "The server's certificate is expired or not yet valid — or this machine's clock is wrong.",
			Fix:     "Check the system clock (timedatectl / Date & Time settings), then try again."}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Explanation{Title: "No answer from " + Sanitize(host),
			Meaning: "The connection to " + Sanitize(host) + " timed out: the network is slow, or a firewall drops the traffic.",
			Fix:     "Try again. " + proxyFix}
	}
	return nil
}

// graphCtxErr is err, or — when ctx ended — a cancellation that reads "cancelled", or
// the deadline's own cause (the command's --timeout names itself), or a TimeoutError
// waiting for Microsoft Graph.
func graphCtxErr(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	var th *graph.ThrottledError
	if errors.As(err, &th) {
		return err
	}
	cause := context.Cause(ctx)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && cause != nil && cause != context.DeadlineExceeded {
		return cause
	}
	return ctxDone(ctx, AwaitGraph, 0)
}
