package textfield

import (
	"errors"
	"os"
	"os/exec"
	"runtime"

	tea "charm.land/bubbletea/v2"
)

// pasteMsg carries the clipboard's text to Update after Ctrl+V.
type pasteMsg string

// Paste reads the system clipboard (Ctrl+V). It does what atotto/clipboard did
// for bubbles' textinput, but finds the tool when the key is pressed, not at every
// start of the program. Nothing happens when no tool is found: a terminal's own
// paste (Ctrl+Shift+V, Cmd+V, right click) always works.
func Paste() tea.Msg {
	args, trimCRLF, err := pasteCommand(runtime.GOOS, os.Getenv, exec.LookPath)
	if err != nil {
		return nil
	}
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		return nil
	}
	if trimCRLF && len(out) > 1 {
		out = out[:len(out)-2] // Get-Clipboard ends its output with a line break
	}
	return pasteMsg(out)
}

var errNoClipboardTool = errors.New("no clipboard tool: install xclip, xsel or wl-clipboard")

// pasteCommand is the command that prints the clipboard, tried in atotto/clipboard's
// order: wl-paste on Wayland, xclip, xsel, termux-clipboard-get, then Windows'
// PowerShell (WSL). trimCRLF: the output ends with a CR LF to drop.
func pasteCommand(goos string, getenv func(string) string, lookPath func(string) (string, error)) (args []string, trimCRLF bool, err error) {
	switch goos {
	case "darwin":
		return []string{"pbpaste"}, false, nil
	case "windows":
		return []string{"powershell.exe", "-NoProfile", "-NonInteractive", "-Command", "Get-Clipboard"}, true, nil
	}
	has := func(name string) bool { _, err := lookPath(name); return err == nil }
	switch {
	case getenv("WAYLAND_DISPLAY") != "" && has("wl-paste"):
		return []string{"wl-paste", "--no-newline"}, false, nil
	case has("xclip"):
		return []string{"xclip", "-out", "-selection", "clipboard"}, false, nil
	case has("xsel"):
		return []string{"xsel", "--output", "--clipboard"}, false, nil
	case has("termux-clipboard-get"):
		return []string{"termux-clipboard-get"}, false, nil
	case has("powershell.exe"):
		return []string{"powershell.exe", "Get-Clipboard"}, true, nil
	}
	return nil, false, errNoClipboardTool
}
