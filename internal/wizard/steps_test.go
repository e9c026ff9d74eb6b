package wizard

import "testing"

func TestStepTable(t *testing.T) {
	tests := []struct {
		s                      Step
		name, title, pos, fail string
		number                 int
	}{
		{Choose, "choose", "Choose the app", "1/6 ", "Something went wrong.", 1},
		{Review, "review", "Review permissions", "2/6 ", "Something went wrong.", 2},
		{ClientID, "client-id", "App client id", "2/6 ", "Something went wrong.", 2},
		{SignIn, "sign-in", "Sign in", "3/6 ", "Sign-in did not complete.", 3},
		{State, "current-state", "Current state", "4/6 ", "Could not read the app's current state.", 4},
		{Consent, "consent", "Admin consent", "5/6 ", "Admin consent did not complete.", 5},
		{Summary, "summary", "Summary", "6/6 ", "Could not verify the grants.", 6},
		{Error, "error", "Something went wrong", "", "Something went wrong.", 0},
	}
	if len(tests) != int(stepCount) {
		t.Fatalf("%d steps tested, %d defined", len(tests), stepCount)
	}
	for _, tt := range tests {
		if tt.s.String() != tt.name || tt.s.Title() != tt.title || tt.s.Number() != tt.number ||
			tt.s.Position() != tt.pos || tt.s.Failed() != tt.fail {
			t.Errorf("step %d: %q %q %d %q %q, want %q %q %d %q %q", tt.s, tt.s.String(), tt.s.Title(), tt.s.Number(),
				tt.s.Position(), tt.s.Failed(), tt.name, tt.title, tt.number, tt.pos, tt.fail)
		}
	}
	if lastNumber() != 6 {
		t.Errorf("lastNumber %d", lastNumber())
	}
}
