// Package wizard is the wizard's flow without a user interface: which app, which step
// comes after each event, what blocks consent, how the run ended and the command lines
// it prints. The full-screen model and line mode (internal/ui) only render a Flow and
// turn keys and lines into its events, as cli/cli drives one Login through a Prompter.
package wizard

import "fmt"

// Step is where the wizard is.
type Step int

// The steps, in the order an admin meets them.
const (
	Choose   Step = iota // choose the app (CE / UO)
	Review               // the permission table and the wizard's own scopes
	ClientID             // ask for the app's client id when neither catalog nor flag has it
	SignIn               // waiting for the admin to sign in
	State                // the current state before consent
	Consent              // waiting for admin consent
	Summary              // the final verification
	Error                // what went wrong, retry or back
	stepCount
)

type stepInfo struct {
	name, title string
	// number is the position shown in the header ("4/6"); 0 = none.
	number int
	// failed says what did not happen when the step's work failed ("" = nothing runs).
	failed string
}

// steps is the one table of the steps. Its length is checked against stepCount by the
// compiler, so a step added to the constants without a row here does not build.
var steps = [...]stepInfo{
	Choose:   {name: "choose", title: "Choose the app", number: 1},
	Review:   {name: "review", title: "Review permissions", number: 2},
	ClientID: {name: "client-id", title: "App client id", number: 2},
	SignIn:   {name: "sign-in", title: "Sign in", number: 3, failed: "Sign-in did not complete."},
	State:    {name: "current-state", title: "Current state", number: 4, failed: "Could not read the app's current state."},
	Consent:  {name: "consent", title: "Admin consent", number: 5, failed: "Admin consent did not complete."},
	Summary:  {name: "summary", title: "Summary", number: 6, failed: "Could not verify the grants."},
	Error:    {name: "error", title: "Something went wrong"},
}

var _ [stepCount]stepInfo = steps

// String is the step's name ("current-state").
func (s Step) String() string { return steps[s].name }

// Title is the step's title in the header.
func (s Step) Title() string { return steps[s].title }

// Number is the step's position among the numbered steps, 0 when it has none.
func (s Step) Number() int { return steps[s].number }

// Position is "n/total " for a numbered step, "" otherwise.
func (s Step) Position() string {
	if s.Number() == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d ", s.Number(), lastNumber())
}

// Failed is the line that says what did not happen when the work of step s failed.
func (s Step) Failed() string {
	if f := steps[s].failed; f != "" {
		return f
	}
	return "Something went wrong."
}

// lastNumber is the highest step number: the count the header shows.
func lastNumber() int {
	n := 0
	for _, s := range steps {
		n = max(n, s.number)
	}
	return n
}
