package flows

import (
	"testing"
	"time"
)

// TestRetryWaitWording: whole seconds as "N s"; below ten seconds a wait at least a
// twentieth of a second off the whole number is told to the tenth; from ten
// seconds on, rounded to the second.
func TestRetryWaitWording(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Second:          "2 s",
		2500 * time.Millisecond:  "2.5 s",
		2128 * time.Millisecond:  "2.1 s",
		2040 * time.Millisecond:  "2 s",
		50 * time.Millisecond:    "0.1 s",
		40 * time.Millisecond:    "0 s",
		9960 * time.Millisecond:  "10 s",
		10 * time.Second:         "10 s",
		12500 * time.Millisecond: "13 s",
		90 * time.Second:         "90 s",
	} {
		if got := fmtWait(d); got != want {
			t.Errorf("fmtWait(%s) = %q, want %q", d, got, want)
		}
	}
}
