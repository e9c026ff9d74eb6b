package graph

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Gate makes many Graph clients back off together: Microsoft Graph throttles per
// app and tenant and per app across tenants (https://learn.microsoft.com/graph/throttling),
// so when one request is answered 429, every client sharing the gate waits until the
// longest Retry-After seen has passed before sending anything more. Share one Gate
// between the clients of a fleet check (WithGate).
type Gate struct {
	clock Clock

	mu    sync.Mutex
	until time.Time
	// Throttles counts the 429s reported to the gate.
	throttles atomic.Int64
}

// NewGate returns an open gate; a nil clock is the real clock.
func NewGate(clock Clock) *Gate {
	if clock == nil {
		clock = realClock{}
	}
	return &Gate{clock: clock}
}

// WithGate makes the client wait at g before every request and close g for the
// Retry-After of every 429 it gets.
func WithGate(g *Gate) Option { return func(c *Client) { c.gate = g } }

// Throttled closes the gate for d from now, unless it is already closed for longer.
func (g *Gate) Throttled(d time.Duration) {
	g.throttles.Add(1)
	until := g.clock.Now().Add(d)
	g.mu.Lock()
	if until.After(g.until) {
		g.until = until
	}
	g.mu.Unlock()
}

// Throttles is how many 429s were reported.
func (g *Gate) Throttles() int64 { return g.throttles.Load() }

// Wait blocks while the gate is closed, or until ctx ends.
func (g *Gate) Wait(ctx context.Context) error {
	for {
		g.mu.Lock()
		d := g.until.Sub(g.clock.Now())
		g.mu.Unlock()
		if d <= 0 {
			return context.Cause(ctx)
		}
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-g.clock.After(d):
		}
	}
}
