package flows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// BenchmarkConsentDetectionLatency measures the consent wait's target: grants visible in Graph
// → the wait's final event (what the screen renders) ≤ 2.5 s at the 90th percentile.
// Each iteration is a fresh demo tenant whose grants replicate after a different delay
// (spread over the poll phase); the clock is injected, so waiting costs nothing, and
// the latency is the injected clock's (poll schedule) plus the real time of the poll
// that saw the grants (Graph round trip, evaluation, event delivery).
//
//	go test -run '^$' -bench ConsentDetectionLatency -benchtime 40x ./flows
func BenchmarkConsentDetectionLatency(b *testing.B) {
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		delay := 3*time.Second + time.Duration(i*737)*time.Millisecond%(20*time.Second)
		clock := newFakeClock(false)
		f := start(b, "loopback-reply", emulator.Faults{PropagationDelay: delay}, clock, nil) // acceptance is seen by the redirect
		b.StartTimer()
		c, err := f.session.StartConsent(context.Background(), f.app(b, "ce"))
		if err != nil {
			b.Fatal(err)
		}
		var acceptedAt, visibleAt time.Time
		var advancedReal time.Time
		n := 0
		timeout := time.After(30 * time.Second)
	loop:
		for {
			select {
			case ev, ok := <-c.Events():
				if !ok {
					break loop
				}
				n++
				if ev.Done {
					if ev.Err != nil || ev.Result.Status != flows.StatusComplete {
						b.Fatalf("final %+v", ev)
					}
					sim := clock.Now().Sub(visibleAt)
					lat = append(lat, sim+time.Since(advancedReal))
					break loop
				}
				if ev.Redirected && acceptedAt.IsZero() {
					acceptedAt = clock.Now()
					visibleAt = acceptedAt.Add(delay)
				}
				if !acceptedAt.IsZero() {
					advancedReal = time.Now()
					clock.advanceToNext(b, n)
				}
			case <-timeout:
				b.Fatal("consent did not finish")
			}
		}
		c.Close()
		b.StopTimer()
		f.srv.Close()
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.9), "p90-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(0, "ns/op")
}
