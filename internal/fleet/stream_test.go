package fleet_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
)

// heldTokens holds the token of one tenant until released: that tenant finishes
// after the others whatever the scheduling.
type heldTokens struct {
	flows.TenantTokens
	held    string
	release chan struct{}
}

func (h *heldTokens) TenantToken(ctx context.Context, tenant string) (string, error) {
	if tenant == h.held {
		select {
		case <-h.release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return h.TenantTokens.TenantToken(ctx, tenant)
}

// TestStreamsWriteRowsAsTenantsFinish: with the first listed tenant held back until
// every other row is out, csv and ndjson write each row when its tenant finishes
// (the held tenant last), every tenant exactly once, while the result's rows (the
// table and JSON) keep the input order.
func TestStreamsWriteRowsAsTenantsFinish(t *testing.T) {
	f := start(t, "consented", nil)
	tenants := customers(t, f,
		emulator.CustomerTenant{Name: "Held", Scenario: "consented", Access: emulator.AccessGuest},
		emulator.CustomerTenant{Name: "Partial", Scenario: "partial", Access: emulator.AccessGDAP},
		emulator.CustomerTenant{Name: "Fresh", Scenario: "fresh", Access: emulator.AccessGuest},
		emulator.CustomerTenant{Name: "Closed", Scenario: "consented", Access: emulator.AccessNone},
	)
	for _, format := range []string{"csv", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			stream, err := fleet.NewStream(&out, format)
			if err != nil {
				t.Fatal(err)
			}
			h := &heldTokens{TenantTokens: f.session, held: tenants[0], release: make(chan struct{})}
			cfg := fleetConfig(f, h)
			cfg.Parallel, cfg.DropResults = len(tenants), true
			streamed := 0
			cfg.OnRow = func(r fleet.Row) {
				if err := stream.Row(r); err != nil {
					t.Error(err)
				}
				if streamed++; streamed == len(tenants)-1 {
					close(h.release)
				}
			}
			// Rows held back until the end would keep the held tenant waiting: the
			// deadline ends it unfinished and the check below fails.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := fleet.Verify(ctx, cfg, f.app(t, "ce"), tenants)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			switch format {
			case "csv":
				recs, err := csv.NewReader(&out).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(recs[0], ",") != "tenant,tenant_id,tenant_name,status,missing,error,aadsts" {
					t.Fatalf("header %v", recs[0])
				}
				for _, r := range recs[1:] {
					got = append(got, r[0]+" "+r[3])
				}
			default:
				for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
					var r struct {
						Schema, Tenant, Status string
					}
					if err := json.Unmarshal([]byte(line), &r); err != nil || r.Schema != fleet.NDJSONSchema {
						t.Fatalf("line %q: %v", line, err)
					}
					got = append(got, r.Tenant+" "+r.Status)
				}
			}
			if len(got) != len(tenants) || got[len(got)-1] != tenants[0]+" complete" {
				t.Fatalf("streamed %q; want %d rows, the held tenant last", got, len(tenants))
			}
			seen := map[string]int{}
			for _, g := range got {
				seen[strings.Fields(g)[0]]++
			}
			for _, tn := range tenants {
				if seen[tn] != 1 {
					t.Fatalf("%s streamed %d times: %q", tn, seen[tn], got)
				}
			}
			for i, r := range res.Rows {
				if r.Tenant != tenants[i] || r.Result != nil {
					t.Fatalf("result row %d: %s (result kept: %v); want %s in input order, no result", i, r.Tenant, r.Result != nil, tenants[i])
				}
			}
			if s := res.Summary(nil); s.Checked != 3 || s.NoAccess != 1 {
				t.Fatalf("summary %+v", s)
			}
		})
	}
}
