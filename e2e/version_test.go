package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildInfo is the JSON of `d365consent version --format json`.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// TestVersionLdflagsStamping builds the binary the way .goreleaser.yaml does and
// checks the stamped values come out of both `version` and `--version`.
func TestVersionLdflagsStamping(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "d365consent")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	ldflags := "-s -w -X github.com/d365consent/d365consent/cli.version=v9.8.7 -X github.com/d365consent/d365consent/cli.commit=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 -X github.com/d365consent/d365consent/cli.date=2026-05-04T03:02:01Z"
	build := exec.Command("go", "build", "-ldflags", ldflags, "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "--format", "json").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	var bi buildInfo
	if err := json.Unmarshal(out, &bi); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := buildInfo{Version: "v9.8.7", Commit: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", Date: "2026-05-04T03:02:01Z",
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != want {
		t.Errorf("stamped binary reports %+v, want %+v", bi, want)
	}
	out, err = exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatalf("--version: %v", err)
	}
	if got, want := strings.TrimSpace(string(out)), "d365consent version v9.8.7 (commit 0a1b2c3d4e5f, built 2026-05-04T03:02:01Z, "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")"; got != want {
		t.Errorf("--version = %q, want %q", got, want)
	}
}
