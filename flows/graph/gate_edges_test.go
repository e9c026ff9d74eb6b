package graph

import (
	"context"
	"encoding/base64"
	"testing"
	"time"
)

// stuckClock never moves; any wait it is asked for cancels the test's context, so a
// gate that waits when it should not ends with context.Canceled instead of spinning.
type stuckClock struct {
	now    time.Time
	cancel context.CancelFunc
	waits  []time.Duration
}

func (c *stuckClock) Now() time.Time { return c.now }
func (c *stuckClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.cancel()
	return make(chan time.Time) // never fires
}

// An open gate, and a gate closed until exactly now, let the caller through without
// waiting at all.
func TestGateOpenAtItsDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		throttle []time.Duration
	}{
		{"never throttled", nil},
		{"closed until now", []time.Duration{0}},
		{"closed until a second ago", []time.Duration{-time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := &stuckClock{now: time.Unix(1_700_000_000, 0), cancel: cancel}
			g := NewGate(clk)
			for _, d := range tc.throttle {
				g.Throttled(d)
			}
			if err := g.Wait(ctx); err != nil || len(clk.waits) != 0 {
				t.Fatalf("Wait = %v after waits %v, want nil after none", err, clk.waits)
			}
		})
	}
}

// The claims of a challenge are found wherever the parameter stands in the header,
// first included; a challenge whose claims are empty or not JSON is none.
func TestClaimsChallengeParameterPlacement(t *testing.T) {
	claims := `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`
	b64 := base64.StdEncoding.EncodeToString([]byte(claims))
	for _, tc := range []struct{ header, want string }{
		{`claims="` + b64 + `", error="insufficient_claims"`, claims},
		{`Bearer error="insufficient_claims", claims="` + b64 + `"`, claims},
		{`Bearer error="insufficient_claims", claims="` + base64.RawURLEncoding.EncodeToString([]byte(claims)) + `"`, claims},
		{`Bearer error="insufficient_claims", claims=""`, ""},
		{`Bearer error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte("not json")) + `"`, ""},
		{`Bearer error="insufficient_claims", claims="` + b64, ""},
		{`Bearer error="invalid_token", claims="` + b64 + `"`, ""},
		{`Bearer error="insufficient_claims"`, ""},
	} {
		if got := claimsChallenge(tc.header); got != tc.want {
			t.Errorf("claimsChallenge(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}
