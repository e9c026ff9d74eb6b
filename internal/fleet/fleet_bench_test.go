package fleet_test

import (
	"context"
	"fmt"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
)

// BenchmarkFleet100 verifies CE in 100 customer tenants (guest and GDAP access) with
// 50 ms of latency injected into every request the emulator serves (OpenID metadata,
// token refresh per tenant, Graph), 8 tenants at a time (the default). Each
// iteration signs in afresh outside the timer, so every tenant costs its token
// refresh. Metrics: wall time per 100 tenants (the ns/op), Graph requests per tenant,
// and the peak Go heap in use during the check (test process: MSAL, client and the
// emulator serving all of it).
//
//	go test -run '^$' -bench BenchmarkFleet100 -benchtime 5x ./internal/fleet
func BenchmarkFleet100(b *testing.B) {
	f := start(b, "consented", nil)
	var tenants []string
	for i := range 100 {
		access := emulator.AccessGuest
		if i%2 == 1 {
			access = emulator.AccessGDAP
		}
		info, err := f.srv.AddCustomerTenant(emulator.CustomerTenant{Name: fmt.Sprintf("Customer %03d", i), Scenario: "consented", Access: access})
		if err != nil {
			b.Fatal(err)
		}
		tenants = append(tenants, info.Domain)
	}
	app := f.app(b, "ce")
	ctx := context.Background()
	var graphReqs int64
	var peak uint64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f.srv.SetFaults(emulator.Faults{})
		s, err := flows.NewSession(f.session.Config())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.SignIn(ctx, nil); err != nil {
			b.Fatal(err)
		}
		f.srv.SetFaults(emulator.Faults{Latency: 50 * time.Millisecond})
		f.srv.ResetGraphRequests()
		stop := sampleHeap(&peak)
		b.StartTimer()
		res, err := fleet.Verify(ctx, fleetConfig(f, s), app, tenants)
		b.StopTimer()
		stop()
		if err != nil || len(res.Rows) != 100 || res.Summary(nil).Complete != 100 {
			b.Fatalf("%v: %s", err, fleet.SummaryLine(res, nil))
		}
		graphReqs += f.srv.GraphRequests()
		b.StartTimer()
	}
	b.StopTimer()
	f.srv.SetFaults(emulator.Faults{})
	b.ReportMetric(float64(graphReqs)/float64(b.N*len(tenants)), "graph-requests/tenant")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// sampleHeap records the largest Go heap in use (objects) every 5 ms until stopped.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > *peak {
				*peak = v
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
