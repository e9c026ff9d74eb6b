package testkit

import tea "charm.land/bubbletea/v2"

// namedKeys are the keys Key knows by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"enter":  {Code: tea.KeyEnter},
	"esc":    {Code: tea.KeyEscape},
	"up":     {Code: tea.KeyUp},
	"down":   {Code: tea.KeyDown},
	"pgup":   {Code: tea.KeyPgUp},
	"pgdown": {Code: tea.KeyPgDown},
	"home":   {Code: tea.KeyHome},
	"end":    {Code: tea.KeyEnd},
	"ctrl+c": {Code: 'c', Mod: tea.ModCtrl},
}

// Key is the key press a test sends to a Bubble Tea model, by name: "enter", "esc",
// "up", "down", "pgup", "pgdown", "home", "end", "ctrl+c", or one character (its
// rune, with its text, as a terminal reports a typed key).
func Key(name string) tea.KeyPressMsg {
	if k, ok := namedKeys[name]; ok {
		return k
	}
	return tea.KeyPressMsg{Code: []rune(name)[0], Text: name}
}
