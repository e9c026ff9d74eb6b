package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"

	"github.com/spf13/cobra"
)

// Stamped by release builds: -ldflags "-X github.com/d365consent/d365consent/cli.version=v1.2.3 -X github.com/d365consent/d365consent/cli.commit=… -X github.com/d365consent/d365consent/cli.date=…"
// (.goreleaser.yaml). Empty in `go build` / `go install` builds, where the build info
// embedded by the Go toolchain answers instead.
var (
	version = ""
	commit  = ""
	date    = ""
)

// releaseStamp is what -ldflags stamped into a release build ("" = not stamped).
type releaseStamp struct{ version, commit, date string }

// buildInfo is what `d365consent version` reports.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	Modified  bool   `json:"modified,omitempty"`
}

// currentBuildInfo merges the -ldflags stamps (a.stamp, which win) with the
// toolchain's build info (a.buildInfo): the module version for `go install …@vX` builds,
// vcs.revision/vcs.time/vcs.modified for builds in a checkout, and the commit and
// time a pseudo-version (`go install …@latest` of an untagged commit) carries.
func (a *Factory) currentBuildInfo() buildInfo {
	bi := buildInfo{
		Version:   a.stamp.version,
		Commit:    a.stamp.commit,
		Date:      a.stamp.date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if info, ok := a.buildInfo(); ok && info != nil {
		if info.GoVersion != "" {
			bi.GoVersion = info.GoVersion
		}
		mv := info.Main.Version
		if bi.Version == "" && mv != "" && mv != "(devel)" {
			bi.Version = mv
		}
		var revision, vcsTime string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				vcsTime = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
		if pc, pt, ok := pseudoVersionParts(mv); ok {
			if revision == "" {
				revision = pc
			}
			if vcsTime == "" {
				vcsTime = pt
			}
		}
		if bi.Commit == "" {
			bi.Commit = revision
		}
		if bi.Date == "" {
			bi.Date = vcsTime
		}
	}
	if bi.Version == "" {
		bi.Version = "dev"
	}
	if bi.Commit == "" {
		bi.Commit = "unknown"
	}
	if bi.Date == "" {
		bi.Date = "unknown"
	}
	return bi
}

// pseudoVersionParts extracts the commit prefix and UTC time from a Go
// pseudo-version (vX.Y.Z-[pre.]yyyymmddhhmmss-abcdef123456, https://go.dev/ref/mod#pseudo-versions).
func pseudoVersionParts(v string) (commit, when string, ok bool) {
	v = strings.TrimSuffix(v, "+incompatible")
	i := strings.LastIndexByte(v, '-')
	if i < 0 || len(v)-i-1 != 12 || !isLowerHex(v[i+1:]) {
		return "", "", false
	}
	rev := v[i+1:]
	rest := v[:i]
	// The timestamp is the last 14 digits before the revision, after '-' or '.'.
	if len(rest) < 15 {
		return "", "", false
	}
	ts := rest[len(rest)-14:]
	if sep := rest[len(rest)-15]; (sep != '-' && sep != '.') || !isDigits(ts) {
		return "", "", false
	}
	when = ts[0:4] + "-" + ts[4:6] + "-" + ts[6:8] + "T" + ts[8:10] + ":" + ts[10:12] + ":" + ts[12:14] + "Z"
	return rev, when, true
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return s != ""
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// versionString is the one-line version root.Version carries for --version.
func (a *Factory) versionString() string {
	bi := a.currentBuildInfo()
	c := shortCommit(bi.Commit)
	if bi.Modified {
		c += "-dirty"
	}
	return fmt.Sprintf("%s (commit %s, built %s, %s %s)", bi.Version, c, bi.Date, bi.GoVersion, bi.Platform)
}

func shortCommit(c string) string {
	if len(c) > 12 && isLowerHex(c) {
		return c[:12]
	}
	return c
}

type versionOptions struct {
	Format string
}

// newVersionCmd is the version command; runF, when not nil, runs instead of
// runVersion with the options the command line gave (tests of the flags).
func newVersionCmd(a *Factory, runF func(context.Context, *versionOptions) error) *cobra.Command {
	var o versionOptions
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Long: `Print the version, commit, build date and Go version of this binary. Release builds are
stamped at build time; 'go install' builds report what the Go toolchain recorded.`,
		Example: `  d365consent version
  d365consent version --format json
  d365consent --version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), &o)
			}
			return runVersion(a, o)
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "text", "output format: text or json")
	annotateValues(cmd, "format", "text", "json")
	return cmd
}

func runVersion(a *Factory, o versionOptions) error {
	if err := enumFlag("format", o.Format, "text", "json"); err != nil {
		return err
	}
	bi := a.currentBuildInfo()
	if o.Format == "json" {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(bi)
	}
	w := a.out()
	c := bi.Commit
	if bi.Modified {
		c += " (modified)"
	}
	fmt.Fprintf(w, "d365consent %s\n", bi.Version)
	fmt.Fprintf(w, "commit:   %s\n", c)
	fmt.Fprintf(w, "built:    %s\n", bi.Date)
	fmt.Fprintf(w, "go:       %s %s\n", bi.GoVersion, bi.Platform)
	return nil
}
