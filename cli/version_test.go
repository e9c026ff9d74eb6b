package cli

import (
	"encoding/json"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	code, out, errs := runCmd(t, nil, "version")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"d365consent ", "commit:", "built:", "go:       " + runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCmd(t, nil, "version", "--format", "json")
	var bi buildInfo
	if code != 0 || json.Unmarshal([]byte(out), &bi) != nil || bi.GoVersion != runtime.Version() || bi.Version == "" {
		t.Fatalf("version --format json: exit %d, %q", code, out)
	}

	if code, _, errs := runCmd(t, nil, "version", "--format", "yaml"); code != exitUsage || !strings.Contains(errs, "yaml") {
		t.Errorf("version --format yaml: exit %d, stderr %q; want exit %d", code, errs, exitUsage)
	}
}

func TestRootVersionFlag(t *testing.T) {
	code, out, errs := runCmd(t, nil, "--version")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if !strings.HasPrefix(out, "d365consent version ") || !strings.Contains(out, runtime.Version()) {
		t.Errorf("--version printed %q", out)
	}
}

// TestVersionResolution drives currentBuildInfo with fake toolchain build info.
func TestVersionResolution(t *testing.T) {
	info := func(mainVersion string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/d365consent/d365consent", Version: mainVersion}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	tests := []struct {
		name                string
		ldflags             [3]string
		bi                  *debug.BuildInfo
		version, commit, at string
		modified            bool
	}{
		{name: "release build: ldflags win", ldflags: [3]string{"v1.4.0", "0123456789abcdef0123456789abcdef01234567", "2026-03-01T10:00:00Z"},
			bi:      info("(devel)", "vcs.revision", "ffffffffffffffffffffffffffffffffffffffff", "vcs.time", "2020-01-01T00:00:00Z"),
			version: "v1.4.0", commit: "0123456789abcdef0123456789abcdef01234567", at: "2026-03-01T10:00:00Z"},
		{name: "go install @tag", bi: info("v1.2.3"), version: "v1.2.3", commit: "unknown", at: "unknown"},
		{name: "go install @latest of an untagged commit", bi: info("v0.0.0-20260215093000-abcdef123456"),
			version: "v0.0.0-20260215093000-abcdef123456", commit: "abcdef123456", at: "2026-02-15T09:30:00Z"},
		{name: "pseudo-version after a tag", bi: info("v1.2.4-0.20260215093000-abcdef123456"),
			version: "v1.2.4-0.20260215093000-abcdef123456", commit: "abcdef123456", at: "2026-02-15T09:30:00Z"},
		{name: "build in a checkout", bi: info("(devel)", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true"),
			version: "dev", commit: "0123456789abcdef0123456789abcdef01234567", at: "2026-01-02T03:04:05Z", modified: true},
		{name: "go build -buildvcs=false", bi: info("(devel)"), version: "dev", commit: "unknown", at: "unknown"},
		{name: "no build info", bi: nil, version: "dev", commit: "unknown", at: "unknown"},
		{name: "tag that is not a pseudo-version", bi: info("v2.0.0-rc.1"), version: "v2.0.0-rc.1", commit: "unknown", at: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFactory(strings.NewReader(""), io.Discard, io.Discard, nil)
			f.stamp = releaseStamp{tt.ldflags[0], tt.ldflags[1], tt.ldflags[2]}
			f.buildInfo = func() (*debug.BuildInfo, bool) { return tt.bi, tt.bi != nil }
			got := f.currentBuildInfo()
			if got.Version != tt.version || got.Commit != tt.commit || got.Date != tt.at || got.Modified != tt.modified {
				t.Errorf("got %+v, want version %q commit %q date %q modified %v", got, tt.version, tt.commit, tt.at, tt.modified)
			}
			wantGo := runtime.Version()
			if tt.bi != nil {
				wantGo = "go1.99.1"
			}
			if got.GoVersion != wantGo {
				t.Errorf("GoVersion = %q, want %q", got.GoVersion, wantGo)
			}
			s := f.versionString()
			if !strings.HasPrefix(s, tt.version+" (commit ") || !strings.Contains(s, wantGo) {
				t.Errorf("versionString() = %q", s)
			}
			if tt.modified && !strings.Contains(s, "-dirty") {
				t.Errorf("versionString() = %q, want -dirty", s)
			}
		})
	}
}
