package cli

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// peakRSSKiB is this process's peak resident set size in KiB (VmHWM in
// /proc/self/status, Linux), 0 where unknown. Unlike getrusage's maxrss it counts
// this program's own memory only: a process started by vfork+exec (Go's os/exec)
// inherits its parent's high-water mark in maxrss.
func peakRSSKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
