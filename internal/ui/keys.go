package ui

import "charm.land/bubbles/v2/key"

// keyMap is every key the wizard knows; each step enables the ones that apply, and the
// help bar at the bottom (bubbles/help) shows the enabled ones.
type keyMap struct {
	Up, Down, Enter, Back, Copy, QR, Approve, Recheck, Save, Retry, Help, Quit key.Binding
	Yes, No                                                                    key.Binding
	SaveError                                                                  key.Binding
	// PageDown and PageUp scroll a body taller than the window; Home and End go to
	// its top and bottom.
	PageDown, PageUp, Home, End key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Enter:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Copy:      key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy URL")),
		QR:        key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "QR code")),
		Approve:   key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve in the demo browser")),
		Recheck:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "check now")),
		Save:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save report")),
		SaveError: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "save error report")),
		Retry:     key.NewBinding(key.WithKeys("enter", "r"), key.WithHelp("enter/r", "retry")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Yes:       key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "quit anyway")),
		No:        key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "keep waiting")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn/pgup", "scroll")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "scroll up")),
		Home:      key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "top")),
		End:       key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "bottom")),
	}
}

// helpKeys adapts a list of bindings to help.KeyMap.
type helpKeys []key.Binding

func (h helpKeys) ShortHelp() []key.Binding { return h }
func (h helpKeys) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	for i := 0; i < len(h); i += 4 {
		end := min(i+4, len(h))
		cols = append(cols, h[i:end])
	}
	return cols
}

// asciiKeys is km with ASCII-only help labels (TERM=dumb, no UTF-8 locale).
func asciiKeys(km keyMap) keyMap {
	km.Up.SetHelp("up/k", "up")
	km.Down.SetHelp("down/j", "down")
	return km
}

// The keys of one step each.
var (
	// switchAccountKey is "sign in as someone else".
	switchAccountKey = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sign in as someone else"))
	// findKey looks the app up in the tenant from the client id step (signing in first).
	findKey = key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "find it in your tenant"))
	// waitOthersKey ends a paused consent wait (flows.ConsentEvent.Paused): another
	// admin is granting consent, so wait for it.
	waitOthersKey = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wait for another admin's consent"))
	// awaitApprovalKey waits on the consent screen for a reviewer to approve the
	// request the admin consent workflow filed (wizard.Flow.AwaitApproval).
	awaitApprovalKey = key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wait for the approval"))
	// pasteKey opens the paste-back field on the consent screen.
	pasteKey = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste where the browser ended"))
)
