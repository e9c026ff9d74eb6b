package cli

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
)

// The process exit codes (README "Exit codes"). exitCodeTable documents each
// one and orders them; errors map to them in exitCode, results in outcomeExit,
// fleet rows in fleetStatusExit.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitIncomplete = 3
	exitRefused    = 4
	exitDrift      = 5
	// exitSignInConsent: a fleet check met a tenant where the sign-in client needs
	// consent (AADSTS90099 or 65001 for its token).
	exitSignInConsent = 6
	exitHangup        = 129 // 128 + SIGHUP
	exitCancelled     = 130
	exitTerminated    = 143 // 128 + SIGTERM
)

// ExitCode documents one exit code.
type ExitCode struct {
	Code int
	// Name is the code's short name, e.g. "incomplete".
	Name string
	// Meaning is the sentence the man page prints for it.
	Meaning string
}

// exitCodeTable is every exit code, from the best outcome to the worst: when more
// than one applies (the rows of a fleet check, drift on an incomplete result), the
// one later in the table wins (worstExit). A check that could not look (1) is worse
// than one that was refused (4), which is worse than drift (5) or a known gap (3).
// The man page's EXIT CODES section is generated from it (ExitCodes).
func exitCodeTable() []ExitCode {
	return []ExitCode{
		{exitOK, "ok", "Success; for verify, every required permission is granted."},
		{exitIncomplete, "incomplete", "Consent is incomplete or absent: at least one required permission is not granted."},
		{exitDrift, "drift", "verify --baseline: the result differs from the baseline (a grant revoked or added, a newly required permission)."},
		{exitSignInConsent, "signin-consent", "verify --tenants: in at least one tenant the sign-in app needs consent (AADSTS90099 or 65001 for its token); the row names the customer admin's consent link (consent-url --signin-client) or Partner Center pre-consent."},
		{exitRefused, "refused", "Sign-in or consent was refused by Entra ID (an AADSTS error such as 65004 or 90094), or Microsoft Graph refused the read (HTTP 403)."},
		{exitError, "error", "An error: network, Microsoft Graph, a file that could not be written."},
		{exitUsage, "usage", "Bad usage or input: an unknown flag or value, a malformed GUID or URL, no terminal for the wizard."},
		{exitCancelled, "cancelled", "Cancelled (Ctrl+C or SIGINT, Esc out of the wizard); verify --tenants prints the rows finished so far."},
		{exitHangup, "hangup", "The terminal closed (SIGHUP): the run stopped and cleaned up as after Ctrl+C."},
		{exitTerminated, "terminated", "Terminated by SIGTERM."},
	}
}

// ExitCodes is every exit code in numeric order, as the man page lists them.
func ExitCodes() []ExitCode {
	codes := exitCodeTable()
	slices.SortFunc(codes, func(a, b ExitCode) int { return cmp.Compare(a.Code, b.Code) })
	return codes
}

// exitRank is code's place in exitCodeTable; a code missing from it ranks worst.
func exitRank(code int) int {
	table := exitCodeTable()
	for i, e := range table {
		if e.Code == code {
			return i
		}
	}
	return len(table)
}

// worstExit is the worst of codes by exitCodeTable's order (exitOK for none).
func worstExit(codes ...int) int {
	worst := exitOK
	for _, c := range codes {
		if exitRank(c) > exitRank(worst) {
			worst = c
		}
	}
	return worst
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var ce *codeError
	var ge *graph.Error
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errTerminated):
		return exitTerminated
	case errors.Is(err, errHangup):
		return exitHangup
	case errors.As(err, &ce) && !errors.Is(err, flows.ErrCancelled):
		// A fleet check or a drift comparison decided the code (withCode).
		return ce.code
	case errors.Is(err, flows.ErrCancelled), errors.Is(err, context.Canceled):
		return exitCancelled
	case errors.Is(err, flows.ErrUsage), errors.Is(err, flows.ErrNotTerminal):
		return exitUsage
	case errors.Is(err, flows.ErrIncomplete):
		return exitIncomplete
	case errors.Is(err, flows.ErrRefused), errors.As(err, &ge) && ge.Status == http.StatusForbidden:
		return exitRefused
	}
	return exitError
}

// outcomeExit is the exit code of a verification's outcome, for verify and the
// wizard alike: err's code when err is set; else exitOK for a complete result,
// exitIncomplete for any other, and exitCancelled when there is no result (left
// before any).
func outcomeExit(r *flows.Result, err error) int {
	switch {
	case err != nil:
		return exitCode(err)
	case r == nil:
		return exitCancelled
	case r.Status == flows.StatusComplete:
		return exitOK
	}
	return exitIncomplete
}

// fleetStatusExit is the exit code a fleet row of status s would give alone.
func fleetStatusExit(s fleet.Status) int {
	switch s {
	case fleet.StatusComplete:
		return exitOK
	case fleet.StatusIncomplete, fleet.StatusNotConsented:
		return exitIncomplete
	case fleet.StatusSignInConsent:
		return exitSignInConsent
	case fleet.StatusNoAccess, fleet.StatusRefused, fleet.StatusForbidden:
		return exitRefused
	}
	return exitError
}

// fleetExit is a fleet check's exit code: exitCancelled when it stopped before every
// tenant finished, else the worst row's, with drift from the baseline (may be nil).
func fleetExit(res *fleet.Result, drift *fleet.Drift) int {
	if res.Cancelled {
		return exitCancelled
	}
	codes := make([]int, 0, len(res.Rows)+1)
	for _, r := range res.Rows {
		codes = append(codes, fleetStatusExit(r.Status))
	}
	if drift.Drifted() {
		codes = append(codes, exitDrift)
	}
	return worstExit(codes...)
}

// codeError carries an exit code decided by the command (a fleet check's worst row,
// drift); its message was already printed.
type codeError struct {
	code int
	msg  string
}

func (e *codeError) Error() string { return e.msg }

// withCode returns a silent error that exits with code (nil for exitOK).
func withCode(code int, msg string) error {
	if code == exitOK {
		return nil
	}
	return silent(&codeError{code: code, msg: msg})
}
