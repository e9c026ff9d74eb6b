package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/doctor"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/ui"
)

// diagnoseBudget bounds the doctor's checks after a failure (and the command's
// --timeout still bounds the whole command).
const (
	diagnoseBudget = 20 * time.Second
	diagnoseStep   = 5 * time.Second
)

// diagnose runs the doctor's network and clock checks for a network, TLS or clock
// failure of sign-in or Graph against the real cloud, and returns their verdict;
// nil for any other failure, against the demo tenant, or once the command's context
// has ended (cancelled, or --timeout spent: the command stops at its --timeout).
func (a *Factory) diagnose(ctx context.Context, demo bool, err error) *doctor.Diagnosis {
	if demo || ctx.Err() != nil || doctor.Classify(err) == doctor.None {
		return nil
	}
	cfg, cerr := a.doctorConfig()
	if cerr != nil {
		return nil
	}
	cfg.StepTimeout = diagnoseStep
	dctx, cancel := context.WithTimeout(ctx, diagnoseBudget)
	defer cancel()
	return doctor.Diagnose(dctx, cfg, err)
}

// withDiagnosis prints a network, TLS or clock failure on stderr as the doctor's
// verdict, its fix, the error itself and the doctor command, and returns it silenced (its exit code unchanged); other errors pass through.
func (a *Factory) withDiagnosis(ctx context.Context, demo bool, err error) error {
	d := a.diagnose(ctx, demo, err)
	if d == nil {
		return err
	}
	w := a.errOut()
	// AADSTS700024 (a clock skew): reportFlowError explains the refusal next, so the
	// doctor's verdict is a line under it. Otherwise the verdict is the plain words
	// first, and the error as it happened comes after, for a ticket.
	explained := explain.Explain(err) != nil
	if explained {
		fmt.Fprintf(w, "  doctor: %s\n", d.Verdict)
	} else {
		fmt.Fprintf(w, "d365consent: %s\n", d.Verdict)
	}
	if d.Fix != "" {
		fmt.Fprintf(w, "  fix:    %s\n", d.Fix)
	}
	if !explained {
		fmt.Fprintf(w, "  detail: %s\n", safetext.Sanitize(err.Error()))
	}
	fmt.Fprintf(w, "  every check, for a ticket: %s\n", a.doctorCommand())
	if explained {
		return err
	}
	return silent(err)
}

// doctorCommand is the doctor command line for this command's cloud and tenant.
func (a *Factory) doctorCommand() string {
	parts := []string{"d365consent", "doctor"}
	if a.opts.Cloud != "" && a.opts.Cloud != "global" {
		parts = append(parts, "--cloud", a.opts.Cloud)
	}
	for _, f := range [][2]string{{"--tenant", a.opts.Tenant}, {"--authority-host", a.opts.AuthorityHost}, {"--graph-url", a.opts.GraphURL}} {
		if f[1] != "" {
			parts = append(parts, f[0], shellQuote(f[1]))
		}
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_@:/") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// wizardDiagnoser is the wizard's ui.Options.Diagnose: the same checks, for the error
// screen (none against the demo tenant).
func (a *Factory) wizardDiagnoser(demo bool) ui.Diagnoser {
	if demo {
		return nil
	}
	return func(err error) func(context.Context) (string, string) {
		if doctor.Classify(err) == doctor.None {
			return nil
		}
		return func(ctx context.Context) (string, string) {
			if d := a.diagnose(ctx, false, err); d != nil {
				return d.Verdict, d.Fix
			}
			return "", ""
		}
	}
}
