package flows

import (
	"errors"

	"github.com/d365consent/d365consent/internal/browser"
)

// SignInChoice is how the admin signs in, and why when it is the device code flow.
type SignInChoice struct {
	DeviceCode bool
	// Reason is the sentence to show when DeviceCode ("" otherwise).
	Reason string
}

// ChooseSignIn decides between the browser sign-in and the device code flow. The
// browser sign-in returns to http://localhost on the machine running d365consent:
// over SSH, or on a box with no display or browser opener, nobody can finish it from
// another device, so the device code flow is used there; force (--device-code) keeps
// it anywhere. sb describes this machine (its environment, OS, programs).
func ChooseSignIn(force bool, sb *browser.System) SignInChoice {
	if force {
		return SignInChoice{DeviceCode: true, Reason: "Signing in with a device code (--device-code): open the page on any device and enter the code."}
	}
	if sb == nil {
		sb = &browser.System{}
	}
	err := sb.Available()
	var nb *browser.UnavailableError
	if !errors.As(err, &nb) {
		return SignInChoice{}
	}
	why := nb.Reason
	if why == "SSH session" {
		why = "this is an SSH session"
	}
	return SignInChoice{DeviceCode: true, Reason: "Signing in with a device code because " + why +
		": the browser sign-in returns to http://localhost on this machine, which a browser elsewhere cannot reach. " +
		"Open the page below on any device and enter the code."}
}
