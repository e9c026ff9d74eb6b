package graph

import (
	"context"
	"time"
)

type retryNoticeKey struct{}

// WithRetryNotice returns ctx carrying fn, called before the client waits to retry a
// throttled or unavailable request: how long, and the status that asked for it (0:
// the connection broke or the reply was cut, and a read is sent again). The
// wizard uses it to say "Graph asked us to wait 2 s (429)" instead of standing still.
func WithRetryNotice(ctx context.Context, fn func(wait time.Duration, status int)) context.Context {
	return context.WithValue(ctx, retryNoticeKey{}, fn)
}

// noticeRetry tells ctx's retry notice, if any, about a wait.
func noticeRetry(ctx context.Context, wait time.Duration, status int) {
	if fn, ok := ctx.Value(retryNoticeKey{}).(func(time.Duration, int)); ok && fn != nil {
		fn(wait, status)
	}
}
