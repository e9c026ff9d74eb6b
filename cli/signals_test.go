package cli

import (
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestRunWithSignals drives runWithSignals with real signals sent to this process
// and a command that stops on its context, or one that ignores it (then a second
// signal must end the process through exit, with the first signal's code).
func TestRunWithSignals(t *testing.T) {
	started := make(chan struct{}, 1)
	cancelled := make(chan struct{}, 1) // the command that ignores its context saw it end
	release := make(chan struct{})
	registerCommand("zz-test-wait", func(a *app) *cobra.Command {
		var ignore bool
		cmd := &cobra.Command{Use: "zz-test-wait", RunE: func(cmd *cobra.Command, _ []string) error {
			started <- struct{}{}
			if ignore {
				<-cmd.Context().Done()
				cancelled <- struct{}{}
				<-release
				return nil
			}
			<-cmd.Context().Done()
			return cmd.Context().Err()
		}}
		cmd.Flags().BoolVar(&ignore, "ignore", false, "")
		return cmd
	})
	t.Cleanup(func() { delete(commandFactories, "zz-test-wait") })
	exited := make(chan int, 1)
	exit = func(code int) { exited <- code }
	t.Cleanup(func() { exit = os.Exit })

	for _, tc := range []struct {
		name   string
		sig    syscall.Signal
		ignore bool
		code   int
	}{
		{"SIGINT stops the command", syscall.SIGINT, false, 130},
		{"SIGTERM stops the command", syscall.SIGTERM, false, 143},
		{"a second signal exits at once", syscall.SIGTERM, true, 143},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"zz-test-wait"}
			if tc.ignore {
				args = append(args, "--ignore")
			}
			done := make(chan int, 1)
			go func() {
				done <- runWithSignals(args, strings.NewReader(""), io.Discard, io.Discard, nil)
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
