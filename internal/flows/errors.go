package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/graph"
)

// Sentinel errors. main maps each to an exit code in one place (see exitCode in main.go);
// everything else is exit 1.
var (
	// ErrUsage is bad usage or bad input: an unknown app, a client id that is not a GUID... (exit 2)
	ErrUsage = errors.New("bad usage")
	// ErrIncomplete means consent is absent or some permission is missing. (exit 3)
	ErrIncomplete = errors.New("consent incomplete")
	// ErrRefused means Entra ID refused sign-in or consent (an AADSTS error, access_denied...):
	// every *explain.AuthError matches it. (exit 4)
	ErrRefused = explain.ErrRefused
	// ErrCancelled means the user cancelled (Ctrl+C, Esc at the top, SIGINT). It also
	// matches context.Canceled. (exit 130)
	ErrCancelled error = &cancelledError{}
	// ErrNotTerminal means the wizard was started without a terminal. (exit 2)
	ErrNotTerminal = errors.New("not a terminal")
)

// UsageError is bad input with an actionable message. errors.Is(err, ErrUsage) holds.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Is makes UsageError match ErrUsage.
func (e *UsageError) Is(target error) bool { return target == ErrUsage }

// Usagef builds a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

// wrapAuth turns an MSAL error carrying an AADSTS/OAuth error into an
// explain.AuthError; other errors are wrapped with op.
func wrapAuth(op string, err error) error {
	if x := explain.Explain(err); x != nil {
		return &explain.AuthError{Op: op, Explanation: x, Err: err}
	}
	return &opError{op: op, err: err}
}

type opError struct {
	op  string
	err error
}

func (e *opError) Error() string { return e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() error { return e.err }

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

// Explain words the timeout by what was awaited (explain.Describe asks it).
func (e *TimeoutError) Explain() *explain.Explanation {
	x := &explain.Explanation{Title: "Timed out waiting for " + e.Awaited}
	switch e.Awaited {
	case AwaitSignIn:
		x.Meaning = "The sign-in was not finished in the browser (or on the device-code page) in time."
		x.Fix = "Start again and finish signing in; raise --timeout if you need longer."
	case AwaitConsent:
		x.Meaning = "Not every grant became visible in Microsoft Graph in time: consent may not have been accepted, or replication is slow."
		x.Fix = "Check the consent page's result, then run verify again later; raise --timeout to wait longer."
	default:
		x.Meaning = e.Awaited + " did not answer in time: the network or the service is slow or unreachable."
		x.Fix = "Try again; raise --timeout on a slow link. " + explain.ProxyFix
	}
	return x
}

// cancelledError is a cancellation; ErrCancelled is one without a cause.
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
