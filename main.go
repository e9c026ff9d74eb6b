// Command d365consent takes a Microsoft Entra ID tenant admin through granting admin
// consent to the app behind Cloud Backup for Dynamics 365, then proves from Microsoft
// Graph that every required permission is in place.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/d365consent/d365consent/flows"
)

// Exit codes (DESIGN.md "Command line"), mapped from errors in exitCode only.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitIncomplete = 3
	exitRefused    = 4
	exitCancelled  = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// run executes the command line and returns the process exit code. It never panics
// out to the user: a bug is reported in one line with exit 1.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) (code int) {
	app := newApp(stdin, stdout, stderr, environ)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "d365consent: internal error: %v (please report it)\n", r)
			code = exitError
		}
	}()
	root := newRootCmd(app)
	root.SetArgs(args)
	err := cobraUsage(root.ExecuteContext(ctx))
	if err == nil && ctx.Err() != nil {
		err = flows.ErrCancelled
	}
	if err != nil && !errors.Is(err, errSilent) {
		app.printError(err)
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

// exitCode maps an error to the process exit code: the one place that does.
func exitCode(err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flows.ErrCancelled), errors.Is(err, context.Canceled):
		return exitCancelled
	case errors.Is(err, flows.ErrUsage), errors.Is(err, flows.ErrNotTerminal):
		return exitUsage
	case errors.Is(err, flows.ErrIncomplete):
		return exitIncomplete
	case errors.Is(err, flows.ErrRefused):
		return exitRefused
	}
	return exitError
}
