package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// firstScreen is text of the demo's first frame.
const firstScreen = "Cloud Backup"

// openPTY opens a pseudo-terminal of 120×40: the controlling side and the
// terminal a program runs in.
func openPTY(tb testing.TB) (ptmx, pts *os.File) {
	tb.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	fd := int(ptmx.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		tb.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		tb.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(pts.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 120}); err != nil {
		tb.Fatal(err)
	}
	return ptmx, pts
}

// firstFrame starts `tool demo` in a 120×40 terminal and returns the time from
// start to the first output that holds the first screen's text.
func firstFrame(tb testing.TB, tool string) time.Duration {
	tb.Helper()
	ptmx, pts := openPTY(tb)
	defer ptmx.Close()
	cmd := exec.Command(tool, "demo")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, pts, pts
	cmd.Env = append(os.Environ(), "TERM=xterm-256color", "LANG=C.UTF-8")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	type seen struct {
		at  time.Duration
		out []byte
	}
	found := make(chan seen, 1)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	pts.Close()
	go func() {
		var out []byte
		buf := make([]byte, 64<<10)
		for {
			n, err := ptmx.Read(buf)
			out = append(out, buf[:n]...)
			if bytes.Contains(out, []byte(firstScreen)) {
				found <- seen{time.Since(start), out}
				return
			}
			if err != nil { // the demo exited and the terminal closed
				found <- seen{0, out}
				return
			}
		}
	}()
	var s seen
	select {
	case s = <-found:
	case <-time.After(10 * time.Second):
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if s.at == 0 {
		tb.Fatalf("the demo did not show %q within 10 s; it wrote:\n%q", firstScreen, s.out)
	}
	return s.at
}

// BenchmarkDemoFirstFrame reports the median time from starting `d365consent
// demo` in a 120×40 terminal to its first frame, ms-first-frame.
func BenchmarkDemoFirstFrame(b *testing.B) {
	tool := releaseBinary(b)
	firstFrame(b, tool) // the first run reads the binary from disk
	var frames []time.Duration
	for b.Loop() {
		frames = append(frames, firstFrame(b, tool))
	}
	m := median(frames)
	b.ReportMetric(millis(m), "ms-first-frame")
	if m > maxFirstFrame {
		b.Errorf("the demo's first frame takes %v (median of %d), over the %v guard", m, len(frames), maxFirstFrame)
	}
}
