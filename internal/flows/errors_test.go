package flows

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
)

// Cancellation reads "cancelled", never Go's "context canceled", and still matches
// both ErrCancelled and context.Canceled.
func TestCancelledErrorText(t *testing.T) {
	err := fmt.Errorf("signing in: %w", Cancelled(context.Canceled))
	if err.Error() != "signing in: cancelled" || !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("%q", err)
	}
}

// A timeout says how long it waited only when it knows (a Graph call's deadline does
// not): never "after 0s".
func TestTimeoutErrorText(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if err := graphCtxErr(expired, errors.New("Post: context deadline exceeded")); err.Error() != "timed out waiting for Microsoft Graph" ||
		!errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Graph call past its deadline: %q", err)
	}
	if err := ctxDone(expired, AwaitSignIn, 90*time.Second); err.Error() != "timed out after 1m30s waiting for you to sign in" {
		t.Errorf("sign-in past its deadline: %q", err)
	}
	limit, cancelLimit := context.WithDeadlineCause(context.Background(), time.Unix(0, 0), errors.New("--timeout 5m reached"))
	defer cancelLimit()
	if err := ctxDone(limit, AwaitConsent, 0); err.Error() != "timed out waiting for admin consent to become visible in Microsoft Graph: --timeout 5m reached" {
		t.Errorf("consent wait past --timeout: %q", err)
	}
}

// A Graph call cut by the command's --timeout returns the --timeout's own error (it
// names the limit), not a TimeoutError about Graph.
func TestGraphErrorPastTheCommandTimeout(t *testing.T) {
	limit := errors.New("no answer within --timeout 5m")
	ctx, cancel := context.WithDeadlineCause(context.Background(), time.Unix(0, 0), limit)
	defer cancel()
	err := graphCtxErr(ctx, errors.New("Post: context deadline exceeded"))
	var te *TimeoutError
	if err != limit || errors.As(err, &te) {
		t.Fatalf("graphCtxErr = %q (%T), want the --timeout's error %q", err, err, limit)
	}
}

// A cancellation with a cause of its own (Ctrl+C) still matches context.Canceled and
// ErrCancelled, and nothing else: not a deadline, not a usage error.
func TestCancelledWithACause(t *testing.T) {
	interrupt := errors.New("interrupted (Ctrl+C)")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interrupt)
	err := fmt.Errorf("verifying grants: %w", ctxDone(ctx, AwaitGraph, 0))
	if err.Error() != "verifying grants: cancelled" || !errors.Is(err, context.Canceled) || !errors.Is(err, ErrCancelled) || !errors.Is(err, interrupt) {
		t.Fatalf("%q: want \"verifying grants: cancelled\" matching context.Canceled, ErrCancelled and its cause", err)
	}
	for _, other := range []error{context.DeadlineExceeded, ErrUsage} {
		if errors.Is(err, other) {
			t.Errorf("%q matches %v", err, other)
		}
	}
}

// Waits that ran out explain themselves by what was awaited; a cancellation, bare or
// with a cause, reads "Cancelled".
func TestDescribeTimeoutsAndCancellation(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want explain.Explanation
	}{
		{"sign-in", &TimeoutError{Awaited: AwaitSignIn, After: 10 * time.Minute}, explain.Explanation{Title: "Timed out waiting for you to sign in",
			Meaning: "The sign-in was not finished in the browser (or on the device-code page) in time.",
			Fix:     "Start again and finish signing in; raise --timeout if you need longer."}},
		{"graph", &TimeoutError{Awaited: AwaitGraph, After: 30 * time.Second}, explain.Explanation{Title: "Timed out waiting for Microsoft Graph",
			Meaning: "Microsoft Graph did not answer in time: the network or the service is slow or unreachable.",
			Fix: "Try again; raise --timeout on a slow link. If this network needs a proxy, set HTTPS_PROXY (e.g. HTTPS_PROXY=http://proxy.example:8080); " +
				"`d365consent doctor` checks DNS, proxy and TLS."}},
		{"consent", fmt.Errorf("waiting for consent: %w", &TimeoutError{Awaited: AwaitConsent, After: 5 * time.Minute}), explain.Explanation{
			Title:   "Timed out waiting for admin consent to become visible in Microsoft Graph",
			Meaning: "Not every grant became visible in Microsoft Graph in time: consent may not have been accepted, or replication is slow.",
			Fix:     "Check the consent page's result, then run verify again later; raise --timeout to wait longer."}},
		{"bare ErrCancelled", ErrCancelled, explain.Explanation{Title: "Cancelled",
			Meaning: "The operation was cancelled before it finished; nothing more was changed.", Fix: "Run the command again when you are ready."}},
		{"cancelled with a cause", fmt.Errorf("verifying: %w", Cancelled(errors.New("interrupted"))), explain.Explanation{Title: "Cancelled",
			Meaning: "The operation was cancelled before it finished; nothing more was changed.", Fix: "Run the command again when you are ready."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if x := explain.Describe(tc.err); x == nil || *x != tc.want {
				t.Fatalf("explain.Describe(%v)\n got %+v\nwant %+v", tc.err, x, tc.want)
			}
		})
	}
}

// A consent blocker and a client id of another app explain themselves.
func TestDescribeBlockerAndWrongApp(t *testing.T) {
	blocked := &BlockedError{Reason: BlockCannotRead, Cause: "The grants cannot be read.", NextStep: "Sign in as a Global Reader."}
	if x := explain.Describe(fmt.Errorf("waiting: %w", blocked)); x == nil || *x != (explain.Explanation{Title: "Consent cannot fix this",
		Meaning: "The grants cannot be read.", Fix: "Sign in as a Global Reader."}) {
		t.Errorf("blocker: %+v", x)
	}
	wrong := &WrongAppError{ClientID: "c1", Found: "Other App", Expected: "AvePoint", Grants: []string{"Mail.Read", "User.Read"}}
	want := explain.Explanation{Title: "STOP — this client id is another app",
		Meaning: `Client id c1 is "Other App" in this tenant, not "AvePoint". Consenting would grant "Other App", for the whole tenant: Mail.Read, User.Read.`,
		Fix:     "Nothing was opened. Check the client id, paste the consent link AOS gives you, or pick the app found in the tenant."}
	if x := explain.Describe(wrong); x == nil || *x != want {
		t.Errorf("wrong app:\n got %+v\nwant %+v", x, want)
	}
}
