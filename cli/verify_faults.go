package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/spf13/pflag"
)

// The demo-only fault injection of verify lives here, apart from the command: a
// hidden flag (never in help or man pages) that only acts on the embedded demo
// tenant, so reading verify.go is reading the real command.

// addDemoFaultsFlag registers the hidden --demo-faults flag.
func addDemoFaultsFlag(f *pflag.FlagSet, spec *string) {
	f.StringVar(spec, "demo-faults", "", "inject faults into the demo tenant, e.g. latency=500ms,unavailable-rate=0.3,seed=7")
	_ = f.MarkHidden("demo-faults")
}

// checkDemoFaults refuses --demo-faults without --demo (before any work).
func checkDemoFaults(o verifyOptions) error {
	if o.DemoFaults != "" && !o.Demo {
		return flows.Usagef("--demo-faults needs --demo")
	}
	return nil
}

// applyDemoFaults layers spec over the demo tenant's faults; it does nothing for a
// real tenant.
func (t *commandTarget) applyDemoFaults(spec string) error {
	if t.demo == nil {
		return nil
	}
	if spec != "" {
		f, err := parseDemoFaults(t.demo.Server.Faults(), spec)
		if err != nil {
			return err
		}
		t.demo.Server.SetFaults(f)
	}
	return nil
}

// parseDemoFaults reads the hidden --demo-faults flag of verify: comma-separated
// key=value settings layered over the scenario's faults, so the network-fault tests
// (and anyone reproducing one) can run the real command against a misbehaving demo
// tenant. Keys: latency, throttle, retry-after, unavailable, unavailable-rate, seed,
// page-size, propagation-delay, and hang (no value).
func parseDemoFaults(f emulator.Faults, spec string) (emulator.Faults, error) {
	for _, kv := range strings.Split(spec, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "hang":
			f.Hang = true
		case "latency":
			f.Latency, err = time.ParseDuration(v)
		case "retry-after":
			f.RetryAfter, err = time.ParseDuration(v)
		case "propagation-delay":
			f.PropagationDelay, err = time.ParseDuration(v)
		case "throttle":
			f.Throttle, err = strconv.Atoi(v)
		case "unavailable":
			f.Unavailable, err = strconv.Atoi(v)
		case "page-size":
			f.PageSize, err = strconv.Atoi(v)
		case "seed":
			f.Seed, err = strconv.ParseUint(v, 10, 64)
		case "unavailable-rate":
			f.UnavailableRate, err = strconv.ParseFloat(v, 64)
			if err == nil && (f.UnavailableRate < 0 || f.UnavailableRate > 1) {
				err = fmt.Errorf("not in [0, 1]")
			}
		default:
			return f, flows.Usagef("--demo-faults: unknown setting %q", k)
		}
		if err != nil {
			return f, flows.Usagef("--demo-faults %s: %v", kv, err)
		}
	}
	return f, nil
}

// timeoutCause is why a command's context ended when --timeout ran out: errors name
// the limit instead of "context deadline exceeded".
type timeoutCause struct{ d time.Duration }

func (e *timeoutCause) Error() string {
	return fmt.Sprintf("no answer within --timeout %s (the network or the service is too slow or unreachable)", e.d)
}

func (e *timeoutCause) Unwrap() error { return context.DeadlineExceeded }

// withCommandTimeout bounds a whole non-interactive command (sign-in and Graph) by d.
func withCommandTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, d, &timeoutCause{d})
}
