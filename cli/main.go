// Package cli is the d365consent command line: one file per command (cobra), each
// built from the Factory (streams, environment, what reaches outside the process,
// shared flags) and added to the root in newRootCmd, and the one map from errors to
// exit codes. The binary's main package only calls Main.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
)

// errTerminated is the cancellation cause when SIGTERM stopped the run (exit 143).
var errTerminated = fmt.Errorf("terminated: %w", flows.ErrCancelled)

// errHangup is the cancellation cause when the terminal closed (SIGHUP, exit 129):
// the run stops as after Ctrl+C, so its listeners close and its files go.
var errHangup = fmt.Errorf("hangup: %w", flows.ErrCancelled)

// shutdownGrace bounds how long main waits, after a signal, for the command to
// close its listeners and restore the terminal before exiting anyway.
const shutdownGrace = 2 * time.Second

// Main runs the command line args (without the program name) with the given
// streams and environment, and returns the process exit code. SIGINT, SIGTERM and SIGHUP
// cancel the run (see runWithSignals).
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	f := newFactory(stdin, stdout, stderr, environ)
	return runWithSignals(f.exit, func(ctx context.Context) int { return run(ctx, f, args) })
}

// runWithSignals runs cmd with SIGINT, SIGTERM and SIGHUP cancelling its context (the flows
// then close their listeners, the wizard restores the terminal). After a signal it
// waits up to shutdownGrace for that; a second signal, or the end of the grace,
// calls exit at once. SIGINT exits 130, SIGTERM 143, SIGHUP 129.
//
// The command runs on the calling goroutine; a watcher goroutine waits for the
// signals.
func runWithSignals(exit func(code int), cmd func(context.Context) int) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan struct{})    // closed when the run returns
	caught := make(chan error, 1)  // the cause, when a signal stopped the run
	watched := make(chan struct{}) // closed when the watcher is done
	go func() {
		defer close(watched)
		var sig os.Signal
		select {
		case <-done:
			select {
			case sig = <-sigs: // the signal raced the end of the run: it still decides
			default:
				return
			}
		case sig = <-sigs:
		}
		cause := error(flows.ErrCancelled)
		switch sig {
		case syscall.SIGTERM:
			cause = errTerminated
		case syscall.SIGHUP:
			cause = errHangup
		}
		cancel(cause)
		caught <- cause
		grace := time.NewTimer(shutdownGrace)
		defer grace.Stop()
		select {
		case <-done:
		case <-grace.C:
			exit(exitCode(cause)) // the command did not stop in time
		case <-sigs:
			exit(exitCode(cause)) // a second signal: stop now
		}
	}()
	code := cmd(ctx)
	close(done)
	<-watched
	select {
	case cause := <-caught:
		return exitCode(cause)
	default:
		return code
	}
}

// run executes the command line args with the Factory app and returns the process
// exit code. It never panics out to the user: a bug is reported in one line with exit 1.
func run(ctx context.Context, app *Factory, args []string) (code int) {
	app.args = args
	defer app.closeDebugLog()
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(app.stderr, "d365consent: internal error: %v (please report it)\n", r)
			code = exitError
		}
	}()
	root := newRootCmd(app)
	root.SetArgs(args)
	err := cobraUsage(root.ExecuteContext(ctx))
	if ctx.Err() != nil {
		switch cause := context.Cause(ctx); {
		case errors.Is(cause, flows.ErrCancelled):
			// A signal (runWithSignals) stopped the run: it gives the exit code, 130 or
			// 143, whatever the command made of its cancelled context.
			if err == nil {
				err = cause
			} else {
				err = &causeErr{err, cause}
			}
		case err == nil:
			err = flows.ErrCancelled
		}
	}
	if err != nil && !errors.Is(err, errSilent) {
		app.printError(err)
	}
	if app.debugLog != nil {
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		app.debugLog.Info("exit", "exitCode", exitCode(err), "err", errText, "peakRSSKiB", peakRSSKiB())
	}
	return exitCode(err)
}

// errSilent marks an error whose message the command already printed.
var errSilent = errors.New("silent")

// silent wraps err so run does not print it again, keeping its exit code.
func silent(err error) error {
	if err == nil {
		return nil
	}
	return &silentErr{err}
}

type silentErr struct{ err error }

func (e *silentErr) Error() string { return e.err.Error() }
func (e *silentErr) Unwrap() []error {
	return []error{e.err, errSilent}
}

// causeErr keeps err's message but also matches cause (how the run was stopped).
type causeErr struct{ err, cause error }

func (e *causeErr) Error() string   { return e.err.Error() }
func (e *causeErr) Unwrap() []error { return []error{e.err, e.cause} }

// cobraUsage turns cobra's own argument errors (unknown command, wrong number of
// arguments, missing required flag) into usage errors, so they exit 2.
func cobraUsage(err error) error {
	if err == nil || errors.Is(err, flows.ErrUsage) {
		return err
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires ", "required flag", "invalid argument", "unknown flag", "unknown shorthand", "flag needs an argument"} {
		if strings.HasPrefix(msg, p) {
			return &flows.UsageError{Msg: msg}
		}
	}
	return err
}
