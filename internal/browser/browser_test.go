package browser

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	pkgbrowser "github.com/pkg/browser"
)

// fakeSystem records what a System launched, with a fixed PATH and files.
type fakeSystem struct {
	mu      sync.Mutex
	path    map[string]string // program -> full path
	files   map[string]string
	runs    [][]string
	opened  []string
	runErr  error
	openErr error
}

func (f *fakeSystem) browser(goos string, env ...string) *System {
	return &System{
		Environ: append([]string{}, env...), // never nil: nil means the real environment
		GOOS:    goos,
		LookPath: func(file string) (string, error) {
			if p, ok := f.path[file]; ok {
				return p, nil
			}
			return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
		},
		ReadFile: func(name string) ([]byte, error) {
			if s, ok := f.files[name]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		Run: func(name string, args ...string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.runs = append(f.runs, append([]string{name}, args...))
			return f.runErr
		},
		OpenURL: func(u string) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.opened = append(f.opened, u)
			return f.openErr
		},
	}
}

const consentURL = "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=0b1c&state=a%20b&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000"

func TestBrowserPlatforms(t *testing.T) {
	linuxTools := map[string]string{"xdg-open": "/usr/bin/xdg-open"}
	wslTools := map[string]string{"wslview": "/usr/bin/wslview", "cmd.exe": "/mnt/c/Windows/system32/cmd.exe"}
	cmdOnly := map[string]string{"cmd.exe": "/mnt/c/Windows/system32/cmd.exe"}
	wslProc := map[string]string{"/proc/version": "Linux version 5.15.153.1-microsoft-standard-WSL2 (root@…)"}
	wsl1Proc := map[string]string{"/proc/version": "Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)"}
	plainProc := map[string]string{"/proc/version": "Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)"}
	escaped := "https://login.microsoftonline.com/contoso.onmicrosoft.com/adminconsent?client_id=0b1c^&state=a^%20b^&redirect_uri=http^%3A^%2F^%2F127.0.0.1^%3A5000"

	tests := []struct {
		name     string
		goos     string
		env      []string
		path     map[string]string
		files    map[string]string
		wantErr  string // substring; "" = success
		noBrows  bool   // error must be ErrUnavailable
		wantOpen bool   // pkg/browser used
		wantRun  []string
	}{
		{name: "linux desktop X11", goos: "linux", env: []string{"DISPLAY=:0"}, path: linuxTools, files: plainProc, wantOpen: true},
		{name: "linux desktop Wayland", goos: "linux", env: []string{"WAYLAND_DISPLAY=wayland-0"}, path: linuxTools, files: plainProc, wantOpen: true},
		{name: "linux x-www-browser only", goos: "linux", env: []string{"DISPLAY=:0"}, path: map[string]string{"x-www-browser": "/usr/bin/x-www-browser"}, wantOpen: true},
		{name: "linux only a text www-browser", goos: "linux", env: []string{"DISPLAY=:0"}, path: map[string]string{"www-browser": "/usr/bin/w3m"}, noBrows: true, wantErr: "xdg-open"},
		{name: "linux headless", goos: "linux", env: []string{"TERM=xterm"}, path: linuxTools, files: plainProc, noBrows: true, wantErr: "no graphical display"},
		{name: "linux empty DISPLAY", goos: "linux", env: []string{"DISPLAY="}, path: linuxTools, noBrows: true},
		{name: "ssh connection", goos: "linux", env: []string{"DISPLAY=localhost:10.0", "SSH_CONNECTION=10.0.0.1 50000 10.0.0.2 22"}, path: linuxTools, noBrows: true, wantErr: "SSH session"},
		{name: "ssh tty", goos: "darwin", env: []string{"SSH_TTY=/dev/ttys003"}, noBrows: true, wantErr: "SSH"},
		{name: "ssh client on windows", goos: "windows", env: []string{"SSH_CLIENT=10.0.0.1 50000 22"}, noBrows: true},
		{name: "windows variable names in any case", goos: "windows", env: []string{"Ssh_Connection=10.0.0.1 50000 10.0.0.2 22"}, noBrows: true, wantErr: "SSH session"},
		{name: "linux variable names are case-sensitive", goos: "linux", env: []string{"display=:0"}, path: linuxTools, files: plainProc, noBrows: true, wantErr: "no graphical display"},
		{name: "ssh into WSL", goos: "linux", env: []string{"WSL_DISTRO_NAME=Ubuntu", "SSH_TTY=/dev/pts/1"}, path: wslTools, noBrows: true, wantErr: "SSH"},
		{name: "macOS", goos: "darwin", env: []string{"TERM_PROGRAM=Apple_Terminal"}, wantOpen: true},
		{name: "windows", goos: "windows", env: []string{"WT_SESSION=1"}, wantOpen: true},
		{name: "WSL wslview", goos: "linux", env: []string{"WSL_DISTRO_NAME=Ubuntu"}, path: wslTools, wantRun: []string{"/usr/bin/wslview", consentURL}},
		{name: "WSL interop var", goos: "linux", env: []string{"WSL_INTEROP=/run/WSL/8_interop"}, path: wslTools, wantRun: []string{"/usr/bin/wslview", consentURL}},
		{name: "WSL2 from /proc/version, WSLg display ignored", goos: "linux", env: []string{"DISPLAY=:0"}, path: wslTools, files: wslProc, wantRun: []string{"/usr/bin/wslview", consentURL}},
		{name: "WSL cmd.exe fallback escapes &", goos: "linux", env: []string{"WSL_DISTRO_NAME=Debian"}, path: cmdOnly,
			wantRun: []string{"/mnt/c/Windows/system32/cmd.exe", "/c", "start", escaped}},
		{name: "WSL1 /proc/version, cmd.exe by fixed path", goos: "linux", files: wsl1Proc,
			path:    map[string]string{windowsCmdExe: windowsCmdExe},
			wantRun: []string{windowsCmdExe, "/c", "start", escaped}},
		{name: "WSL without any launcher", goos: "linux", env: []string{"WSL_DISTRO_NAME=Ubuntu", "DISPLAY=:0"}, path: linuxTools, noBrows: true, wantErr: "WSL without wslview or cmd.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeSystem{path: tt.path, files: tt.files}
			err := f.browser(tt.goos, tt.env...).Open(consentURL)
			if tt.wantErr == "" && !tt.noBrows {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
			} else {
				if err == nil {
					t.Fatalf("Open succeeded (opened %v, ran %v), want an error", f.opened, f.runs)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not mention %q", err, tt.wantErr)
				}
				if tt.noBrows && !errors.Is(err, ErrUnavailable) {
					t.Errorf("error %v is not ErrUnavailable", err)
				}
				var nb *UnavailableError
				if tt.noBrows && !errors.As(err, &nb) {
					t.Errorf("error %T is not a *UnavailableError", err)
				}
			}
			if tt.wantOpen != (len(f.opened) == 1) || len(f.opened) > 1 {
				t.Errorf("pkg/browser opened %q, want opened=%v", f.opened, tt.wantOpen)
			}
			if tt.wantOpen && f.opened[0] != consentURL {
				t.Errorf("opened %q, want %q", f.opened[0], consentURL)
			}
			var wantRuns [][]string
			if tt.wantRun != nil {
				wantRuns = [][]string{tt.wantRun}
			}
			if !reflect.DeepEqual(f.runs, wantRuns) {
				t.Errorf("ran %q, want %q", f.runs, wantRuns)
			}
		})
	}
}

func TestBrowserRefusesUnsafeURLs(t *testing.T) {
	for _, u := range []string{
		"file:///etc/passwd",
		"calc.exe",
		"javascript:alert(1)",
		"https://",
		"https://evil.example/a b",
		"https://evil.example/\"&calc",
		"https://evil.example/\x1b[2J",
		"https://evil.example/\u0080", // the first non-ASCII rune, a C1 control
		"ms-settings:",
	} {
		t.Run(u, func(t *testing.T) {
			f := &fakeSystem{path: map[string]string{"xdg-open": "/usr/bin/xdg-open"}}
			for _, goos := range []string{"windows", "linux"} {
				if err := f.browser(goos, "DISPLAY=:0").Open(u); err == nil {
					t.Errorf("%s: Open(%q) succeeded", goos, u)
				} else if strings.ContainsRune(err.Error(), 0x1b) {
					t.Errorf("error carries an escape sequence: %q", err)
				}
			}
			if len(f.opened)+len(f.runs) != 0 {
				t.Errorf("launched %v %v", f.opened, f.runs)
			}
		})
	}
}

func TestBrowserLaunchErrors(t *testing.T) {
	boom := errors.New("exit status 3")
	f := &fakeSystem{path: map[string]string{"wslview": "/usr/bin/wslview"}, runErr: boom, openErr: boom}
	err := f.browser("linux", "WSL_DISTRO_NAME=Ubuntu").Open(consentURL)
	if !errors.Is(err, boom) || errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "wslview") {
		t.Errorf("wslview failure: %v", err)
	}
	err = f.browser("darwin").Open(consentURL)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "opening the browser") {
		t.Errorf("pkg/browser failure: %v", err)
	}
}

func TestBrowserCmdEscape(t *testing.T) {
	for in, want := range map[string]string{
		"https://x/?a=1&b=2":       "https://x/?a=1^&b=2",
		"https://x/?q=%41%42":      "https://x/?q=^%41^%42",
		"a|b<c>d(e)f!g^h":          "a^|b^<c^>d^(e^)f^!g^^h",
		"https://x/plain/path-1_2": "https://x/plain/path-1_2",
	} {
		if got := cmdEscape(in); got != want {
			t.Errorf("cmdEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestBrowserPkgBrowserQuiet runs the real pkg/browser path against a fake xdg-open
// that writes to stdout and stderr, and checks pkg/browser's writers are io.Discard
// (so nothing lands on the TUI) and the URL reached the opener intact.
func TestBrowserPkgBrowserQuiet(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("fakes xdg-open")
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "opened")
	script := "#!/bin/sh\necho LEAK-stdout\necho LEAK-stderr >&2\nprintf '%s' \"$1\" > " + marker + "\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	b := &System{Environ: []string{"DISPLAY=:0"}, GOOS: "linux", ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}
	if err := b.Open(consentURL); err != nil {
		t.Fatalf("Open: %v", err)
	}
	got, err := os.ReadFile(marker)
	if err != nil || string(got) != consentURL {
		t.Fatalf("fake xdg-open got %q (%v), want %q", got, err, consentURL)
	}
	if pkgbrowser.Stdout != io.Discard || pkgbrowser.Stderr != io.Discard {
		t.Errorf("pkg/browser writes to %v / %v, want io.Discard", pkgbrowser.Stdout, pkgbrowser.Stderr)
	}
}

func TestBrowserHeadlessDefaults(t *testing.T) {
	b := &System{Environ: []string{}, GOOS: "linux", ReadFile: func(string) ([]byte, error) { return nil, fs.ErrNotExist }}
	if _, err := b.Plan(consentURL); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("headless linux with an empty environment: Plan err = %v, want ErrUnavailable", err)
	}
}

func TestSSHSessionAndAvailable(t *testing.T) {
	if !SSHSession([]string{"HOME=/root", "SSH_CONNECTION=10.0.0.1 22 10.0.0.2 5555"}) || SSHSession([]string{"SSH_TTY="}) || SSHSession(nil) {
		t.Fatal("SSHSession")
	}
	ssh := &System{Environ: []string{"SSH_TTY=/dev/pts/1", "DISPLAY=:0"}, GOOS: "linux"}
	if err := ssh.Available(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("over SSH Available() = %v, want ErrUnavailable", err)
	}
	mac := &System{Environ: []string{"HOME=/Users/a"}, GOOS: "darwin"}
	if err := mac.Available(); err != nil {
		t.Fatalf("macOS Available() = %v", err)
	}
}

// An SSH session is any one of SSH_CONNECTION, SSH_TTY or SSH_CLIENT set to a value;
// a local desktop's environment (display, home, a variable that merely names SSH) is not.
func TestSSHSessionNamesOnlyTheSSHVariables(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want bool
	}{
		{[]string{"SSH_CONNECTION=10.0.0.1 5555 10.0.0.2 22"}, true},
		{[]string{"SSH_TTY=/dev/pts/1"}, true},
		{[]string{"SSH_CLIENT=10.0.0.1 5555 22"}, true},
		{[]string{"HOME=/home/a", "DISPLAY=:0", "SSH_AUTH_SOCK=/run/user/1000/keyring/ssh", "SSH_CONNECTION"}, false},
		{[]string{"SSH_CONNECTION=", "SSH_TTY=", "SSH_CLIENT="}, false},
	} {
		if got := SSHSession(tc.env); got != tc.want {
			t.Errorf("SSHSession(%q) = %t, want %t", tc.env, got, tc.want)
		}
	}
}
