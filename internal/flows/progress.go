package flows

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/d365consent/d365consent/internal/flows/graph"
)

type progressKey struct{}

// WithProgress returns ctx carrying fn, told in plain words what the flow is doing
// while a step waits ("Checking Microsoft Graph…", "Microsoft Graph asked us to wait
// 2 s (429)…", "Signed in; reading your account and roles…"), so a waiting screen
// always says why it waits. fn must not block.
func WithProgress(ctx context.Context, fn func(string)) context.Context {
	ctx = context.WithValue(ctx, progressKey{}, fn)
	return graph.WithRetryNotice(ctx, func(wait time.Duration, status int) {
		if status == 0 {
			fn(fmt.Sprintf("The connection to Microsoft Graph broke; sending the read again in %s…", fmtWait(wait)))
			return
		}
		fn(fmt.Sprintf("Microsoft Graph asked us to wait %s (%d); retrying then…", fmtWait(wait), status))
	})
}

// RetryNotice is the line said when Microsoft Graph asks for a wait before a retry
// (Retry-After, graph/throttling): how long, why, and until when (now + wait, local
// time).
func RetryNotice(wait time.Duration, status int, now time.Time) string {
	if status == 0 { // the connection broke or the reply was cut: a read is sent again
		return fmt.Sprintf("The connection to Microsoft Graph broke; sending the read again at %s…", now.Add(wait).Format("15:04:05"))
	}
	return fmt.Sprintf("Microsoft Graph asked us to wait %s (HTTP %d); retrying at %s…", fmtWait(wait), status, now.Add(wait).Format("15:04:05"))
}

// Progress tells ctx's progress function, if any, what the flow is doing.
func Progress(ctx context.Context, msg string) {
	if fn, ok := ctx.Value(progressKey{}).(func(string)); ok && fn != nil {
		fn(msg)
	}
}

// fmtWait is a wait in whole seconds ("2 s"), or tenths below ten seconds when not whole.
func fmtWait(d time.Duration) string {
	s := d.Seconds()
	if s < 10 && math.Abs(s-math.Round(s)) >= 0.05 {
		return fmt.Sprintf("%.1f s", s)
	}
	return fmt.Sprintf("%d s", int(math.Round(s)))
}
