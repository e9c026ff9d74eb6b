package explain

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
)

// Explainer is an error that explains itself in plain words (a consent blocker, a
// client id of another app, a wait that ran out): Describe asks it first.
type Explainer interface {
	error
	Explain() *Explanation
}

// ProxyFix is the advice every network failure ends with.
const ProxyFix = "If this network needs a proxy, set HTTPS_PROXY (e.g. HTTPS_PROXY=http://proxy.example:8080); `d365consent doctor` checks DNS, proxy and TLS."

// Describe explains err in plain words: an error that explains itself (Explainer), an
// Entra ID error (Explain), or a failure that carries no AADSTS code — a name that
// does not resolve, a refused connection, a certificate nobody trusts (a
// TLS-inspecting proxy), a cancellation, throttling. nil when there is nothing to add
// to err's text.
func Describe(err error) *Explanation {
	if err == nil {
		return nil
	}
	var self Explainer
	if errors.As(err, &self) {
		if x := self.Explain(); x != nil {
			return x
		}
	}
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == 403 {
		return &Explanation{Title: "Microsoft Graph refused to show this to your account",
			Meaning:     "Graph answered 403 (" + ge.Code + "): reading the app's grants and app role assignments needs a directory role of the signed-in account, and this account has none that allows it. It does not mean the permissions are missing.",
			Fix:         "Sign in as a Global Administrator, Privileged Role Administrator, Global Reader or Directory Reader (activate the role in PIM first if it is eligible), or have such an admin check it with this tool.",
			Description: ge.Message, RequestID: ge.RequestID, ClientRequestID: ge.ClientRequestID, Timestamp: ge.Date}
	}
	// Our own messages may name an AADSTS code (a blocker's cause): they are read
	// first, Entra ID's errors next.
	if x := Explain(err); x != nil {
		return x
	}
	return describeNetwork(err)
}

// describeNetwork explains a failure to reach a server, or a cancellation.
func describeNetwork(err error) *Explanation {
	host := "the server"
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			host = safetext.Sanitize(u.Host)
		}
	}
	var th *graph.ThrottledError
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.Canceled):
		return &Explanation{Title: "Cancelled", Meaning: "The operation was cancelled before it finished; nothing more was changed.",
			Fix: "Run the command again when you are ready."}
	case errors.As(err, &th):
		return &Explanation{Title: "Microsoft Graph is throttling",
			Meaning: fmt.Sprintf("Microsoft Graph asked us to wait %s before trying again (HTTP %d), longer than the time left.", th.Wait, th.Status),
			Fix:     "Wait a few minutes and run it again, or raise --timeout."}
	case errors.As(err, &dns):
		name := safetext.Sanitize(dns.Name)
		if name == "" {
			name = host
		}
		return &Explanation{Title: "Cannot find " + name,
			Meaning: "The name " + name + " does not resolve (DNS): this machine is offline, its DNS server does not answer, or the network blocks it.",
			Fix:     "Check the network connection and DNS (try opening https://" + name + " in a browser). " + ProxyFix}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Explanation{Title: "Connection refused",
			Meaning: "Nothing accepted the connection to " + host + ": a firewall rejects it, or an --authority-host/--graph-url override points at a server that is not running.",
			Fix:     "Check the address and any firewall. " + ProxyFix}
	case errors.As(err, &unknownCA) || (errors.As(err, &verify) && errors.As(verify.Err, &unknownCA)):
		return &Explanation{Title: "Certificate not trusted",
			Meaning: "The server's TLS certificate for " + host + " is signed by an authority this machine does not trust. On company networks this is usually a proxy or TLS-inspecting firewall that re-signs HTTPS traffic.",
			Fix: "Add the proxy's root certificate to the system trust store, or point SSL_CERT_FILE at a PEM bundle that includes it (SSL_CERT_FILE=/path/to/ca-bundle.pem). " +
				"If the network needs an explicit proxy, set HTTPS_PROXY. Never disable certificate checks."}
	case errors.As(err, &hostErr):
		return &Explanation{Title: "Certificate for another name",
			Meaning: "The certificate presented for " + host + " is for a different name: something between you and Microsoft answers in its place.",
			Fix:     "Check --authority-host/--graph-url and any proxy. " + ProxyFix}
	case errors.As(err, &invalid):
		return &Explanation{Title: "Certificate invalid",
			Meaning: "The server's certificate is expired or not yet valid — or this machine's clock is wrong.",
			Fix:     "Check the system clock (timedatectl / Date & Time settings), then try again."}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &Explanation{Title: "No answer from " + host,
			Meaning: "The connection to " + host + " timed out: the network is slow, or a firewall drops the traffic.",
			Fix:     "Try again. " + ProxyFix}
	}
	return nil
}
