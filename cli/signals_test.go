package cli

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestRunWithSignals drives runWithSignals with real signals sent to this process
// and a command that stops on its context, or one that ignores it (then a second
// signal must end the process through exit, with the first signal's code).
func TestRunWithSignals(t *testing.T) {
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{}, 1) // the command that ignores its context saw it end
	release := make(chan struct{})
	// command stops when its context ends (a well-behaved command), or, ignoring it,
	// only once the test releases it.
	command := func(ignore bool) func(context.Context) int {
		return func(ctx context.Context) int {
			started <- struct{}{}
			<-ctx.Done()
			if ignore {
				cancelled <- struct{}{}
				<-release
				return 0
			}
			return exitCode(ctx.Err())
		}
	}
	exited := make(chan int, 1)
	exit := func(code int) { exited <- code }

	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		ignore bool
		code   int
	}{
		{"SIGINT stops the command", syscall.SIGINT, false, 130},
		{"SIGTERM stops the command", syscall.SIGTERM, false, 143},
		{"SIGHUP (the terminal closed) stops the command", syscall.SIGHUP, false, 129},
		{"a second signal exits at once", syscall.SIGTERM, true, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan int, 1)
			go func() {
				done <- runWithSignals(exit, command(tc.ignore))
			}()
			<-started
			if err := syscall.Kill(os.Getpid(), tc.sig); err != nil {
				t.Fatal(err)
			}
			if tc.ignore {
				// The second signal only once the first was taken (the watcher cancelled
				// the context): the kernel merges a signal sent while the same one is
				// still pending.
				<-cancelled
				if err := syscall.Kill(os.Getpid(), tc.sig); err != nil {
					t.Fatal(err)
				}
				select {
				case code := <-exited:
					if code != tc.code {
						t.Fatalf("exit(%d), want exit(%d)", code, tc.code)
					}
				case <-time.After(shutdownGrace / 2):
					t.Fatal("a second signal did not end the process before the grace")
				}
				close(release)
			}
			select {
			case code := <-done:
				if code != tc.code {
					t.Fatalf("exit code %d, want %d", code, tc.code)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("runWithSignals did not return")
			}
			select {
			case code := <-exited:
				t.Fatalf("exit(%d) called although the command stopped", code)
			default:
			}
		})
	}
}
