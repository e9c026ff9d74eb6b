package termcaps

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LineMode reports whether the terminal cannot host a full-screen interface, so the
// wizard should run line by line (as with --accessible), and why: TERM=dumb, TERM
// unset (outside Windows, whose consoles set none), or a TERM that the terminfo
// database does not know (a database exists, but has no entry for it). A machine
// with no terminfo database at all is not judged: Bubble Tea does not need one.
func LineMode(environ []string, goos string) (bool, string) {
	env := envMap(environ, goos)
	term := env["TERM"]
	switch {
	case strings.EqualFold(term, "dumb"):
		return true, "TERM=dumb"
	case term == "" && goos != "windows":
		return true, "TERM is not set"
	case term == "" || goos == "windows":
		return false, ""
	}
	found, dbs := false, 0
	for _, dir := range terminfoDirs(env) {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		dbs++
		// Linux: dir/x/xterm; macOS: dir/78/xterm (the first byte in hex).
		for _, sub := range []string{term[:1], fmt.Sprintf("%x", term[0])} {
			if _, err := os.Stat(filepath.Join(dir, sub, term)); err == nil {
				found = true
			}
		}
	}
	if dbs > 0 && !found {
		return true, fmt.Sprintf("no terminfo entry for TERM=%s", term)
	}
	return false, ""
}

// terminfoDirs are the places terminfo(5) searches, in its order.
func terminfoDirs(env map[string]string) []string {
	var dirs []string
	if d := env["TERMINFO"]; d != "" {
		dirs = append(dirs, d)
	}
	if h := env["HOME"]; h != "" {
		dirs = append(dirs, filepath.Join(h, ".terminfo"))
	}
	for _, d := range strings.Split(env["TERMINFO_DIRS"], ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return append(dirs, "/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/lib/terminfo")
}
