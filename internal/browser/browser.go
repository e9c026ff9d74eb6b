// Package browser opens URLs in the user's browser, or says why it must not: over
// SSH, without a display, or under WSL without a way to reach Windows. Its output
// never reaches the terminal, where the wizard's full-screen view is drawn.
package browser

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"

	pkgbrowser "github.com/pkg/browser"
)

// Browser opens a URL for the user to see (cli/cli's browser.Browser has the same
// shape). *System is the real one; the demo tenant has a scripted one.
type Browser interface {
	Open(url string) error
}

// ErrUnavailable means no browser can be opened from here (an SSH session, a Linux box
// without a display, WSL without a way to reach Windows): the caller shows the URL
// (and QR code) for the user to open elsewhere. Check it with errors.Is.
var ErrUnavailable = errors.New("cannot open a browser here")

// UnavailableError is the ErrUnavailable that says why.
type UnavailableError struct {
	Reason string // e.g. "SSH session"
}

func (e *UnavailableError) Error() string {
	return "cannot open a browser (" + e.Reason + "): open the URL yourself"
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// System opens URLs in the user's browser on every OS, through
// github.com/pkg/browser, with its output kept off the terminal (it would land in
// the middle of the TUI). It refuses where opening a browser would be wrong or
// useless: in an SSH session the browser would open on the remote machine, so it
// never tries; on Linux without DISPLAY/WAYLAND_DISPLAY there is nothing to show it
// on. Under WSL it opens the Windows browser through wslview (wslu) or cmd.exe.
//
// Every outside look-up is a field, so the decision is testable on any OS; the
// zero value uses the real process environment and OS.
type System struct {
	// Environ is the environment in os.Environ form; nil = os.Environ().
	Environ []string
	// GOOS is the operating system; "" = runtime.GOOS.
	GOOS string
	// LookPath finds a program; nil = exec.LookPath.
	LookPath func(file string) (string, error)
	// ReadFile reads a file (/proc/version for WSL); nil = os.ReadFile.
	ReadFile func(name string) ([]byte, error)
	// Run runs a program to completion with its output discarded; nil = os/exec.
	Run func(name string, args ...string) error
	// OpenURL opens a URL the platform's way; nil = github.com/pkg/browser.OpenURL
	// with its Stdout and Stderr set to io.Discard.
	OpenURL func(url string) error
}

var _ Browser = (*System)(nil)

// NewSystem returns a System for the given environment (nil = the process's).
func NewSystem(environ []string) *System {
	return &System{Environ: environ}
}

// Launch methods.
const (
	LaunchPkgBrowser = "pkg/browser" // xdg-open, open, ShellExecute
	LaunchWSLView    = "wslview"
	LaunchCmdExe     = "cmd.exe"
)

// Launch is how Open would open a URL.
type Launch struct {
	Method string
	// Argv is the command line for LaunchWSLView and LaunchCmdExe (nil for
	// LaunchPkgBrowser).
	Argv []string
	// Reason says why this method was chosen.
	Reason string
}

// Open opens rawURL in the user's browser. It returns an error wrapping
// ErrUnavailable when it must not or cannot try, and the launcher's error when
// launching failed; either way the caller keeps showing the URL.
func (b *System) Open(rawURL string) error {
	l, err := b.Plan(rawURL)
	if err != nil {
		return err
	}
	if l.Method == LaunchPkgBrowser {
		if err := b.openURL()(rawURL); err != nil {
			return fmt.Errorf("opening the browser: %w", err)
		}
		return nil
	}
	if err := b.run()(l.Argv[0], l.Argv[1:]...); err != nil {
		return fmt.Errorf("opening the Windows browser with %s: %w", l.Method, err)
	}
	return nil
}

// SSHSession reports whether environ is an SSH session's (SSH_CONNECTION, SSH_TTY
// or SSH_CLIENT set): the user's browser and eyes are on another machine.
func SSHSession(environ []string) bool {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && v != "" && (k == "SSH_CONNECTION" || k == "SSH_TTY" || k == "SSH_CLIENT") {
			return true
		}
	}
	return false
}

func sshSession(env map[string]string) bool {
	for _, k := range []string{"SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"} {
		if env[k] != "" {
			return true
		}
	}
	return false
}

// Available reports why no browser can be opened here (an SSH session, no display,
// no opener), or nil when one can. Callers show the URL and a QR code first when it
// is not nil.
func (b *System) Available() error {
	_, err := b.Plan("https://login.microsoftonline.com/")
	return err
}

// Plan decides how rawURL would be opened, without opening it.
func (b *System) Plan(rawURL string) (Launch, error) {
	if err := CheckURL(rawURL); err != nil {
		return Launch{}, err
	}
	env := b.env()
	goos := b.goos()
	if sshSession(env) {
		// The browser would open on the remote machine, out of the user's sight.
		return Launch{}, &UnavailableError{Reason: "SSH session"}
	}
	if goos == "linux" {
		if wsl, why := b.isWSL(env); wsl {
			return b.planWSL(rawURL, why)
		}
	}
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly", "solaris", "illumos":
		if env["DISPLAY"] == "" && env["WAYLAND_DISPLAY"] == "" {
			return Launch{}, &UnavailableError{Reason: "no graphical display (DISPLAY and WAYLAND_DISPLAY unset)"}
		}
		// pkg/browser falls back to www-browser, which is often a text browser
		// (lynx, w3m) that would fight the TUI for the terminal: only let it run when
		// a graphical opener exists.
		if _, err := b.lookPath()("xdg-open"); err != nil {
			if _, err := b.lookPath()("x-www-browser"); err != nil {
				return Launch{}, &UnavailableError{Reason: "neither xdg-open nor x-www-browser is installed"}
			}
		}
		return Launch{Method: LaunchPkgBrowser, Reason: "graphical display"}, nil
	}
	return Launch{Method: LaunchPkgBrowser, Reason: goos}, nil
}

func (b *System) isWSL(env map[string]string) (bool, string) {
	if env["WSL_DISTRO_NAME"] != "" {
		return true, "WSL_DISTRO_NAME"
	}
	if env["WSL_INTEROP"] != "" {
		return true, "WSL_INTEROP"
	}
	// WSL 1 says "Microsoft", WSL 2 "microsoft-standard-WSL2".
	if data, err := b.readFile()("/proc/version"); err == nil &&
		strings.Contains(strings.ToLower(string(data)), "microsoft") {
		return true, "/proc/version"
	}
	return false, ""
}

// windowsCmdExe is where cmd.exe lives when the Windows PATH is not appended to
// WSL's (appendWindowsPath=false in wsl.conf).
const windowsCmdExe = "/mnt/c/Windows/System32/cmd.exe"

func (b *System) planWSL(rawURL, why string) (Launch, error) {
	if p, err := b.lookPath()("wslview"); err == nil {
		return Launch{Method: LaunchWSLView, Argv: []string{p, rawURL}, Reason: "WSL (" + why + ")"}, nil
	}
	for _, name := range []string{"cmd.exe", windowsCmdExe} {
		if p, err := b.lookPath()(name); err == nil {
			// `start` takes its first *quoted* argument as a window title, so a quoted
			// URL would need an empty "" title first. WSL's interop quoting of such an
			// argument is not something to rely on, so the URL goes unquoted, with
			// cmd.exe's metacharacters (& in every query string!) caret-escaped.
			return Launch{Method: LaunchCmdExe, Argv: []string{p, "/c", "start", cmdEscape(rawURL)}, Reason: "WSL (" + why + ")"}, nil
		}
	}
	return Launch{}, &UnavailableError{Reason: "WSL without wslview or cmd.exe"}
}

// cmdEscape caret-escapes the characters cmd.exe treats specially on a command line.
// % is escaped too: %20...% could otherwise expand as a variable.
func cmdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`^&|<>()%!"`, r) {
			b.WriteByte('^')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CheckURL refuses anything but an absolute http(s) URL without spaces,
// quotes or control characters: URLs here come from the catalog and the network,
// and ShellExecute or a shell would happily run something else.
func CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("not a URL a browser can open: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("not an http(s) URL: %+q", rawURL)
	}
	for _, r := range rawURL {
		if r <= ' ' || r == 0x7f || r == '"' || r >= 0x80 {
			return fmt.Errorf("URL has a character a browser launcher cannot pass safely: %+q", rawURL)
		}
	}
	return nil
}

func (b *System) env() map[string]string {
	environ := b.Environ
	if environ == nil {
		environ = os.Environ()
	}
	windows := b.goos() == "windows"
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if windows {
				k = strings.ToUpper(k) // Windows variable names are case-insensitive
			}
			m[k] = v
		}
	}
	return m
}

func (b *System) goos() string {
	if b.GOOS != "" {
		return b.GOOS
	}
	return runtime.GOOS
}

func (b *System) lookPath() func(string) (string, error) {
	if b.LookPath != nil {
		return b.LookPath
	}
	return exec.LookPath
}

func (b *System) readFile() func(string) ([]byte, error) {
	if b.ReadFile != nil {
		return b.ReadFile
	}
	return os.ReadFile
}

func (b *System) run() func(string, ...string) error {
	if b.Run != nil {
		return b.Run
	}
	return func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard // never onto the TUI
		return cmd.Run()
	}
}

func (b *System) openURL() func(string) error {
	if b.OpenURL != nil {
		return b.OpenURL
	}
	return openWithPkgBrowser
}

var quietPkgBrowser sync.Once

// openWithPkgBrowser is pkg/browser.OpenURL with the launcher's output discarded.
// pkg/browser keeps its writers in package variables; they are set once, before
// the first use, so concurrent opens do not race on them.
func openWithPkgBrowser(u string) error {
	quietPkgBrowser.Do(func() {
		pkgbrowser.Stdout = io.Discard
		pkgbrowser.Stderr = io.Discard
	})
	return pkgbrowser.OpenURL(u)
}
