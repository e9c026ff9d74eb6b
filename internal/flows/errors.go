package flows

import (
	"errors"
	"fmt"
)

// Sentinel errors. main maps each to an exit code in one place (see exitCode in main.go);
// everything else is exit 1.
var (
	// ErrUsage is bad usage or bad input: an unknown app, a client id that is not a GUID... (exit 2)
	ErrUsage = errors.New("bad usage")
	// ErrIncomplete means consent is absent or some permission is missing. (exit 3)
	ErrIncomplete = errors.New("consent incomplete")
	// ErrRefused means Entra ID refused sign-in or consent (an AADSTS error, access_denied...). (exit 4)
	ErrRefused = errors.New("refused by Entra ID")
	// ErrCancelled means the user cancelled (Ctrl+C, Esc at the top, SIGINT). (exit 130)
	ErrCancelled = errors.New("cancelled")
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
