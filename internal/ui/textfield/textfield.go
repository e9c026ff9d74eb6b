// Package textfield is the wizard's one-line text input: bubbles' textinput
// (charm.land/bubbles/v2/textinput, MIT licence) cut down to what the wizard uses
// (prompt, placeholder, width, character limit, the editing keys and paste), with
// the same keys, rendering and cursor.
//
// Why not textinput itself (issue 13): it links atotto/clipboard, whose init looks
// for xclip, xsel, wl-copy and more in PATH at every start of every command, and
// go-runewidth, whose init builds its tables; together a tenth of the start-up of
// `d365consent permissions`. Here the clipboard tool is looked up when Ctrl+V is
// pressed (clipboard.go). Text from a terminal paste (bracketed paste) arrives as
// a tea.PasteMsg and needs no tool.
package textfield

import (
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"charm.land/bubbles/v2/cursor"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/rivo/uniseg"
)

// KeyMap is the key bindings of the field's editing actions.
type KeyMap struct {
	CharacterForward        key.Binding
	CharacterBackward       key.Binding
	WordForward             key.Binding
	WordBackward            key.Binding
	DeleteWordBackward      key.Binding
	DeleteWordForward       key.Binding
	DeleteAfterCursor       key.Binding
	DeleteBeforeCursor      key.Binding
	DeleteCharacterBackward key.Binding
	DeleteCharacterForward  key.Binding
	LineStart               key.Binding
	LineEnd                 key.Binding
	Paste                   key.Binding
}

// DefaultKeyMap is textinput's default key map (without its suggestion keys).
func DefaultKeyMap() KeyMap {
	return KeyMap{
		CharacterForward:        key.NewBinding(key.WithKeys("right", "ctrl+f")),
		CharacterBackward:       key.NewBinding(key.WithKeys("left", "ctrl+b")),
		WordForward:             key.NewBinding(key.WithKeys("alt+right", "ctrl+right", "alt+f")),
		WordBackward:            key.NewBinding(key.WithKeys("alt+left", "ctrl+left", "alt+b")),
		DeleteWordBackward:      key.NewBinding(key.WithKeys("alt+backspace", "ctrl+w", "ctrl+backspace")),
		DeleteWordForward:       key.NewBinding(key.WithKeys("alt+delete", "alt+d", "ctrl+delete")),
		DeleteAfterCursor:       key.NewBinding(key.WithKeys("ctrl+k")),
		DeleteBeforeCursor:      key.NewBinding(key.WithKeys("ctrl+u")),
		DeleteCharacterBackward: key.NewBinding(key.WithKeys("backspace", "ctrl+h")),
		DeleteCharacterForward:  key.NewBinding(key.WithKeys("delete", "ctrl+d")),
		LineStart:               key.NewBinding(key.WithKeys("home", "ctrl+a")),
		LineEnd:                 key.NewBinding(key.WithKeys("end", "ctrl+e")),
		Paste:                   key.NewBinding(key.WithKeys("ctrl+v")),
	}
}

// styles are textinput's default dark styles, the ones the wizard always used.
type styles struct {
	text, placeholder, prompt lipgloss.Style
}

// fieldStyles are built on first use, not at init (issue 13).
var fieldStyles = sync.OnceValue(func() [2]styles {
	return [2]styles{
		{ // blurred
			placeholder: lipgloss.NewStyle().Foreground(lipgloss.Color("240")),
			prompt:      lipgloss.NewStyle().Foreground(lipgloss.Color("7")),
			text:        lipgloss.NewStyle().Foreground(lipgloss.Color("7")),
		},
		{ // focused
			placeholder: lipgloss.NewStyle().Foreground(lipgloss.Color("240")),
			prompt:      lipgloss.NewStyle().Foreground(lipgloss.Color("7")),
			text:        lipgloss.NewStyle(),
		},
	}
})

// Model is a one-line text field.
type Model struct {
	Prompt      string
	Placeholder string
	// CharLimit is the most characters the field accepts (0: no limit).
	CharLimit int
	KeyMap    KeyMap

	// width is the most characters shown at once; the field scrolls sideways
	// beyond it (0: no limit).
	width int

	value  []rune
	focus  bool
	pos    int // cursor position in value
	cursor cursor.Model

	// The visible part of value when it is wider than width.
	offset, offsetRight int
}

// New returns an empty, blurred field with the prompt "> ".
func New() Model {
	m := Model{Prompt: "> ", KeyMap: DefaultKeyMap(), cursor: cursor.New()}
	m.cursor.Style = lipgloss.NewStyle().Foreground(lipgloss.Color("7"))
	m.cursor.SetMode(cursor.CursorBlink)
	return m
}

// Width is the field's display width (0: unlimited).
func (m Model) Width() int { return m.width }

// SetWidth sets the field's display width.
func (m *Model) SetWidth(w int) { m.width = w }

// Value is the field's text.
func (m Model) Value() string { return string(m.value) }

// Position is the cursor's position, in characters.
func (m Model) Position() int { return m.pos }

// Focused reports whether the field has the keyboard focus.
func (m Model) Focused() bool { return m.focus }

// SetValue replaces the text (tabs and line breaks become spaces, other control
// characters are dropped; cut at CharLimit).
func (m *Model) SetValue(s string) {
	m.setValue(sanitize([]rune(s)))
}

func (m *Model) setValue(runes []rune) {
	empty := len(m.value) == 0
	if m.CharLimit > 0 && len(runes) > m.CharLimit {
		m.value = runes[:m.CharLimit]
	} else {
		m.value = runes
	}
	if (m.pos == 0 && empty) || m.pos > len(m.value) {
		m.SetCursor(len(m.value))
	}
	m.handleOverflow()
}

// SetCursor moves the cursor to pos, kept within the text.
func (m *Model) SetCursor(pos int) {
	m.pos = min(len(m.value), max(0, pos))
	m.handleOverflow()
}

// CursorStart moves the cursor to the start of the text.
func (m *Model) CursorStart() { m.SetCursor(0) }

// CursorEnd moves the cursor to the end of the text.
func (m *Model) CursorEnd() { m.SetCursor(len(m.value)) }

// Focus gives the field the keyboard focus and shows the cursor; the command
// starts its blinking.
func (m *Model) Focus() tea.Cmd {
	m.focus = true
	return m.cursor.Focus()
}

// Blur takes the focus away and hides the cursor.
func (m *Model) Blur() {
	m.focus = false
	m.cursor.Blur()
}

// Reset empties the field.
func (m *Model) Reset() {
	m.value = nil
	m.SetCursor(0)
}

// sanitize makes runes one line: \r, \n and \t become a space, other control
// characters and invalid UTF-8 are dropped.
func sanitize(runes []rune) []rune {
	out := make([]rune, 0, len(runes))
	for _, r := range runes {
		switch {
		case r == utf8.RuneError:
		case r == '\r' || r == '\n' || r == '\t':
			out = append(out, ' ')
		case unicode.IsControl(r):
		default:
			out = append(out, r)
		}
	}
	return out
}

// insert adds typed or pasted text at the cursor, up to CharLimit.
func (m *Model) insert(v []rune) {
	paste := sanitize(v)
	if m.CharLimit > 0 {
		avail := m.CharLimit - len(m.value)
		if avail <= 0 {
			return
		}
		if avail < len(paste) {
			paste = paste[:avail]
		}
	}
	value := make([]rune, 0, len(m.value)+len(paste))
	value = append(value, m.value[:m.pos]...)
	value = append(value, paste...)
	value = append(value, m.value[m.pos:]...)
	m.pos += len(paste)
	m.setValue(value)
}

// handleOverflow keeps the cursor inside the visible window when the text is wider
// than the field.
func (m *Model) handleOverflow() {
	if m.width <= 0 || uniseg.StringWidth(string(m.value)) <= m.width {
		m.offset = 0
		m.offsetRight = len(m.value)
		return
	}
	// Correct the right offset if characters were deleted.
	m.offsetRight = min(m.offsetRight, len(m.value))
	if m.pos < m.offset {
		m.offset = m.pos
		w, i := 0, 0
		runes := m.value[m.offset:]
		for i < len(runes) && w <= m.width {
			w += runeWidth(runes[i])
			if w <= m.width+1 {
				i++
			}
		}
		m.offsetRight = m.offset + i
	} else if m.pos >= m.offsetRight {
		m.offsetRight = m.pos
		w := 0
		runes := m.value[:m.offsetRight]
		i := len(runes) - 1
		for i > 0 && w < m.width {
			w += runeWidth(runes[i])
			if w <= m.width {
				i--
			}
		}
		m.offset = m.offsetRight - (len(runes) - 1 - i)
	}
}

// runeWidth is the cells r takes in a terminal (East Asian wide: 2).
func runeWidth(r rune) int { return uniseg.StringWidth(string(r)) }

func (m *Model) deleteBeforeCursor() {
	m.value = m.value[m.pos:]
	m.offset = 0
	m.SetCursor(0)
}

func (m *Model) deleteAfterCursor() {
	m.value = m.value[:m.pos]
	m.SetCursor(len(m.value))
}

// deleteWordBackward deletes the word left of the cursor (and the spaces between).
func (m *Model) deleteWordBackward() {
	if m.pos == 0 || len(m.value) == 0 {
		return
	}
	oldPos := m.pos
	m.SetCursor(m.pos - 1)
	for unicode.IsSpace(m.value[m.pos]) {
		if m.pos <= 0 {
			break
		}
		m.SetCursor(m.pos - 1) // the spaces before the cursor
	}
	for m.pos > 0 {
		if !unicode.IsSpace(m.value[m.pos]) {
			m.SetCursor(m.pos - 1)
		} else {
			m.SetCursor(m.pos + 1) // keep the space before the word
			break
		}
	}
	if oldPos > len(m.value) {
		m.value = m.value[:m.pos]
	} else {
		m.value = append(m.value[:m.pos], m.value[oldPos:]...)
	}
}

// deleteWordForward deletes the word right of the cursor (and the spaces before it).
func (m *Model) deleteWordForward() {
	if m.pos >= len(m.value) || len(m.value) == 0 {
		return
	}
	oldPos := m.pos
	m.SetCursor(m.pos + 1)
	// (textinput indexes past the end here when only spaces follow, and panics.)
	for m.pos < len(m.value) && unicode.IsSpace(m.value[m.pos]) {
		m.SetCursor(m.pos + 1) // the spaces after the cursor
	}
	for m.pos < len(m.value) {
		if !unicode.IsSpace(m.value[m.pos]) {
			m.SetCursor(m.pos + 1)
		} else {
			break
		}
	}
	if m.pos > len(m.value) {
		m.value = m.value[:oldPos]
	} else {
		m.value = append(m.value[:oldPos], m.value[m.pos:]...)
	}
	m.SetCursor(oldPos)
}

// wordBackward moves the cursor to the start of the word on its left.
func (m *Model) wordBackward() {
	if m.pos == 0 || len(m.value) == 0 {
		return
	}
	i := m.pos - 1
	for i >= 0 && unicode.IsSpace(m.value[i]) {
		m.SetCursor(m.pos - 1)
		i--
	}
	for i >= 0 && !unicode.IsSpace(m.value[i]) {
		m.SetCursor(m.pos - 1)
		i--
	}
}

// wordForward moves the cursor past the end of the word on its right.
func (m *Model) wordForward() {
	if m.pos >= len(m.value) || len(m.value) == 0 {
		return
	}
	i := m.pos
	for i < len(m.value) && unicode.IsSpace(m.value[i]) {
		m.SetCursor(m.pos + 1)
		i++
	}
	for i < len(m.value) && !unicode.IsSpace(m.value[i]) {
		m.SetCursor(m.pos + 1)
		i++
	}
}

// Update handles keys, pastes and the cursor's blinking while the field has the
// focus.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if !m.focus {
		return m, nil
	}
	// Where the cursor was: when it moves, it stops blinking for a moment.
	oldPos := m.pos

	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, m.KeyMap.DeleteWordBackward):
			m.deleteWordBackward()
		case key.Matches(msg, m.KeyMap.DeleteCharacterBackward):
			if len(m.value) > 0 {
				m.value = append(m.value[:max(0, m.pos-1)], m.value[m.pos:]...)
				if m.pos > 0 {
					m.SetCursor(m.pos - 1)
				}
			}
		case key.Matches(msg, m.KeyMap.WordBackward):
			m.wordBackward()
		case key.Matches(msg, m.KeyMap.CharacterBackward):
			if m.pos > 0 {
				m.SetCursor(m.pos - 1)
			}
		case key.Matches(msg, m.KeyMap.WordForward):
			m.wordForward()
		case key.Matches(msg, m.KeyMap.CharacterForward):
			if m.pos < len(m.value) {
				m.SetCursor(m.pos + 1)
			}
		case key.Matches(msg, m.KeyMap.LineStart):
			m.CursorStart()
		case key.Matches(msg, m.KeyMap.DeleteCharacterForward):
			if len(m.value) > 0 && m.pos < len(m.value) {
				m.value = slices.Delete(m.value, m.pos, m.pos+1)
			}
		case key.Matches(msg, m.KeyMap.LineEnd):
			m.CursorEnd()
		case key.Matches(msg, m.KeyMap.DeleteAfterCursor):
			m.deleteAfterCursor()
		case key.Matches(msg, m.KeyMap.DeleteBeforeCursor):
			m.deleteBeforeCursor()
		case key.Matches(msg, m.KeyMap.Paste):
			return m, Paste
		case key.Matches(msg, m.KeyMap.DeleteWordForward):
			m.deleteWordForward()
		default:
			m.insert([]rune(msg.Text)) // typed characters
		}
	case tea.PasteMsg: // a terminal paste (bracketed paste)
		m.insert([]rune(msg.Content))
	case pasteMsg: // Ctrl+V: what the clipboard tool printed
		m.insert([]rune(msg))
	}

	var cmds []tea.Cmd
	var cmd tea.Cmd
	m.cursor, cmd = m.cursor.Update(msg)
	cmds = append(cmds, cmd)
	if oldPos != m.pos && m.cursor.Mode() == cursor.CursorBlink {
		m.cursor.IsBlinked = false
		cmds = append(cmds, m.cursor.Blink())
	}
	m.handleOverflow()
	return m, tea.Batch(cmds...)
}

func (m Model) styles() styles {
	if m.focus {
		return fieldStyles()[1]
	}
	return fieldStyles()[0]
}

// View renders the prompt and the visible part of the text with the cursor, or
// the placeholder when the field is empty.
func (m Model) View() string {
	if len(m.value) == 0 && m.Placeholder != "" {
		return m.placeholderView()
	}
	styleText := m.styles().text.Inline(true).Render
	value := m.value[m.offset:m.offsetRight]
	pos := max(0, m.pos-m.offset)
	v := styleText(string(value[:pos]))
	if pos < len(value) {
		m.cursor.SetChar(string(value[pos]))
		v += m.cursor.View()                  // the cursor and the character under it
		v += styleText(string(value[pos+1:])) // the text after the cursor
	} else {
		m.cursor.SetChar(" ")
		v += m.cursor.View()
	}
	// Pad to the width.
	valWidth := uniseg.StringWidth(string(value))
	if m.width > 0 && valWidth <= m.width {
		padding := max(0, m.width-valWidth)
		if valWidth+padding <= m.width && pos < len(value) {
			padding++
		}
		v += styleText(strings.Repeat(" ", padding))
	}
	return m.styles().prompt.Render(m.Prompt) + v
}

func (m Model) placeholderView() string {
	s := m.styles()
	render := s.placeholder.Render
	p := make([]rune, m.width+1)
	copy(p, []rune(m.Placeholder))
	m.cursor.TextStyle = s.placeholder
	m.cursor.SetChar(string(p[:1]))
	v := m.cursor.View()
	if m.width < 1 && len(p) <= 1 {
		return s.prompt.Render(m.Prompt) + v
	}
	if m.width > 0 {
		// The placeholder's first character is under the cursor.
		minWidth := lipgloss.Width(m.Placeholder)
		availWidth := m.width - minWidth + 1
		if availWidth < 0 {
			minWidth += availWidth
			availWidth = 0
		}
		v += render(string(p[1:minWidth]))
		v += render(strings.Repeat(" ", availWidth))
	} else {
		v += render(string(p[1:]))
	}
	return s.prompt.Render(m.Prompt) + v
}
