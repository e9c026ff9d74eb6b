package termcaps

import "testing"

func TestDetectHyperlinks(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		goos string
		want bool
	}{
		{"plain xterm", []string{"TERM=xterm-256color"}, "linux", false},
		{"Windows Terminal", []string{"WT_SESSION=0b1c"}, "windows", true},
		{"Windows Terminal, lower-case name", []string{"wt_session=0b1c"}, "windows", true},
		{"legacy conhost", []string{"COMSPEC=cmd.exe"}, "windows", false},
		{"VTE 0.50", []string{"TERM=xterm-256color", "VTE_VERSION=5002"}, "linux", true},
		{"VTE 0.48", []string{"TERM=xterm-256color", "VTE_VERSION=4803"}, "linux", false},
		{"iTerm2 3.1", []string{"TERM_PROGRAM=iTerm.app", "TERM_PROGRAM_VERSION=3.1.5"}, "darwin", true},
		{"iTerm2 3.0", []string{"TERM_PROGRAM=iTerm.app", "TERM_PROGRAM_VERSION=3.0.15"}, "darwin", false},
		{"Apple Terminal", []string{"TERM_PROGRAM=Apple_Terminal"}, "darwin", false},
		{"VS Code", []string{"TERM_PROGRAM=vscode"}, "linux", true},
		{"kitty", []string{"TERM=xterm-kitty"}, "linux", true},
		{"TERM=dumb in Windows Terminal", []string{"WT_SESSION=1", "TERM=dumb"}, "windows", false},
		{"forced on", []string{"TERM=xterm", "FORCE_HYPERLINK=1"}, "linux", true},
		{"forced off", []string{"TERM_PROGRAM=vscode", "FORCE_HYPERLINK=0"}, "linux", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.env, tt.goos).Hyperlinks; got != tt.want {
				t.Errorf("Hyperlinks = %v, want %v", got, tt.want)
			}
		})
	}
}
