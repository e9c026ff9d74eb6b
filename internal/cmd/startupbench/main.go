// Command startupbench measures whole-process start-up of commands side by side: it
// runs them in alternation (A B A B …, so load drifts hit both alike), times each
// from fork to exit, and prints the median of each and each one's ratio to the
// first. scripts/startup-bench builds the binaries and calls it (BENCHMARKS.md).
//
//	go run ./internal/cmd/startupbench -runs 41 -- /tmp/hello -- /tmp/d365consent permissions --format json
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

func main() {
	runs := flag.Int("runs", 41, "measured runs of each command (after -warmup)")
	warmup := flag.Int("warmup", 5, "unmeasured runs of each command first")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: startupbench [-runs N] [-warmup N] -- CMD [ARGS] -- CMD [ARGS] ...")
		flag.PrintDefaults()
	}
	flag.Parse()
	var cmds [][]string
	for _, a := range flag.Args() {
		if a == "--" {
			cmds = append(cmds, nil)
			continue
		}
		if len(cmds) == 0 {
			cmds = append(cmds, nil)
		}
		cmds[len(cmds)-1] = append(cmds[len(cmds)-1], a)
	}
	cmds = slices.DeleteFunc(cmds, func(c []string) bool { return len(c) == 0 })
	if len(cmds) < 2 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	times := make([][]time.Duration, len(cmds))
	cpu := make([][]time.Duration, len(cmds))
	for i := -*warmup; i < *runs; i++ {
		for j, c := range cmds {
			d, used, err := once(c)
			if err != nil {
				fmt.Fprintf(os.Stderr, "startupbench: %s: %v\n", strings.Join(c, " "), err)
				os.Exit(1)
			}
			if i >= 0 {
				times[j] = append(times[j], d)
				cpu[j] = append(cpu[j], used)
			}
		}
	}
	base, cpuBase := median(times[0]), median(cpu[0])
	fmt.Printf("%-45s %10s %10s %10s %7s %10s %7s\n", "command", "wall med", "min", "max", "ratio", "cpu med", "ratio")
	for j, c := range cmds {
		m, cm := median(times[j]), median(cpu[j])
		fmt.Printf("%-45s %10s %10s %10s %6.2fx %10s %6.2fx\n", strings.Join(c, " "), ms(m), ms(slices.Min(times[j])), ms(slices.Max(times[j])),
			float64(m)/float64(base), ms(cm), float64(cm)/float64(cpuBase))
	}
	fmt.Printf("(%d alternating runs each after %d warm-up runs; wall = fork to exit; cpu = user + system time of the process;\n"+
		" ratio = median / median of the first command)\n", *runs, *warmup)
}

// once runs c with its output discarded and returns the time from start to exit
// and the CPU time (user + system) the process used.
func once(c []string) (wall, cpu time.Duration, err error) {
	cmd := exec.Command(c[0], c[1:]...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, err
	}
	wall = time.Since(start)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }
