package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// The start-up guards (BENCHMARKS.md): `permissions` starts and exits within 50 ms
// and within 3.5 times an empty Go program, the demo draws its first frame within
// 100 ms, and the release binary is at most 20 MB. Times are Go benchmarks, run by
// hand on a quiet machine, not timed assertions in the suite:
//
//	go test -run '^$' -bench 'Startup|FirstFrame' -benchtime 40x ./e2e/
//
// Each builds its programs as releases are built (.goreleaser.yaml: CGO off,
// -trimpath, -s -w) and fails when its figure is over the guard.

const (
	maxPermissionsStartup = 50 * time.Millisecond
	maxStartupRatio       = 3.5
	maxFirstFrame         = 100 * time.Millisecond
	maxBinaryBytes        = 20_000_000
)

// releaseBuild builds the main package in dir as a release is built, into out.
func releaseBuild(tb testing.TB, dir, out string) string {
	tb.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build in %s: %v\n%s", dir, err, msg)
	}
	return out
}

// releaseBinary is d365consent built as a release, in a temporary directory.
func releaseBinary(tb testing.TB) string {
	tb.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		tb.Fatal(err)
	}
	return releaseBuild(tb, root, filepath.Join(tb.TempDir(), "d365consent"))
}

// emptyProgram is a Go program that writes "{}" and exits, built as a release.
func emptyProgram(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	files := map[string]string{
		"go.mod":  "module empty\n\ngo 1.22\n",
		"main.go": "package main\n\nimport \"os\"\n\nfunc main() { os.Stdout.WriteString(\"{}\\n\") }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return releaseBuild(tb, dir, filepath.Join(dir, "empty"))
}

// TestReleaseBinarySize: the release binary (linux/amd64 or whatever this machine
// is, stripped) stays at most 20 MB.
func TestReleaseBinarySize(t *testing.T) {
	fi, err := os.Stat(releaseBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("release binary: %d bytes", fi.Size())
	if fi.Size() > maxBinaryBytes {
		t.Fatalf("the release binary is %d bytes, over the %d-byte guard", fi.Size(), maxBinaryBytes)
	}
}

// timeRun is the wall time of one run of argv, from start to exit.
func timeRun(tb testing.TB, argv ...string) time.Duration {
	tb.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%v: %v\n%s", argv, err, out)
	}
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkStartupPermissions runs an empty Go program and `d365consent permissions
// --format json` in alternation (so load changes hit both alike) and reports the
// medians, ms-empty and ms-permissions, and their ratio, x-empty.
func BenchmarkStartupPermissions(b *testing.B) {
	empty, tool := emptyProgram(b), releaseBinary(b)
	permissions := []string{tool, "permissions", "--format", "json"}
	for range 3 { // the first runs read the binaries from disk
		timeRun(b, empty)
		timeRun(b, permissions...)
	}
	var e, p []time.Duration
	for b.Loop() {
		e = append(e, timeRun(b, empty))
		p = append(p, timeRun(b, permissions...))
	}
	me, mp := median(e), median(p)
	ratio := float64(mp) / float64(me)
	b.ReportMetric(millis(me), "ms-empty")
	b.ReportMetric(millis(mp), "ms-permissions")
	b.ReportMetric(ratio, "x-empty")
	if mp > maxPermissionsStartup {
		b.Errorf("permissions takes %v (median of %d), over the %v guard", mp, len(p), maxPermissionsStartup)
	}
	if ratio > maxStartupRatio {
		b.Errorf("permissions takes %.2fx an empty Go program (%v against %v), over the %.1fx guard", ratio, mp, me, maxStartupRatio)
	}
}
