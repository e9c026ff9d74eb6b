package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/d365consent/d365consent/internal/wizard"
)

// View renders the current step: a header, the step's body clipped to the window,
// then a flash line and the key help.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	// Focus reports: coming back from the browser checks Graph at once.
	v.ReportFocus = true
	v.WindowTitle = "d365consent"
	return v
}

// Text is the view as plain text without escape sequences (tests, goldens).
func (m *Model) Text() string { return ansi.Strip(m.render()) }

// scroller is the body's scroll position; Update keeps it (layout), View only reads it.
type scroller struct {
	// scroll is the first body line shown when the body is taller than the window;
	// maxScroll is its limit for the current body.
	scroll, maxScroll int
	// lastFocus is the step's focus lines the scroll last followed.
	lastFocus [2]int
}

// screen is a step's body, the keys it offers and the body lines it wants on screen
// (the selected row; -1 when none).
type screen struct {
	body  string
	keys  []key.Binding
	focus [2]int
}

// frame is the laid-out window: computed from the model, changing nothing.
type frame struct {
	header, footer string
	lines          []string
	room           int
	focus          [2]int
	// qr is where the step's QR code is on screen, whole (placeQR); qrWhole: the
	// lines fill the window, without header or footer.
	qr qrPlace
}

func (m *Model) frame() frame {
	w := max(m.width, 20)
	sc := m.body(w)
	body, keys := sc.body, sc.keys
	if m.showingReprompt() && !m.confirmQuit {
		body = m.repromptView(w) + "\n" + body
		if m.opts.Approver != nil {
			keys = append([]key.Binding{m.keys.Approve}, keys...)
		}
	}
	if !m.g.Unicode {
		body = asciiText.Replace(body)
	}
	if m.confirmQuit {
		verify := m.flow.Command("verify")
		if note := m.flow.Target().CommandNote(); note != "" {
			verify += "\n" + m.th.Subtle.Render(wrap(note, w))
		}
		body = m.th.Warn.Render("Consent may be half done in the browser.") + "\n" +
			wrap("If you quit now, the wizard stops waiting; you can check later with:", w) + "\n" + verify + "\n" +
			"\n\n" + "Quit anyway? " + m.th.Key.Render("y") + " yes  " + m.th.Key.Render("n") + " no, keep waiting"
		keys = []key.Binding{m.keys.Yes, m.keys.No}
	}
	body = wrapNoHyphen(body, w)
	f := frame{header: m.header(w), lines: strings.Split(body, "\n"), focus: sc.focus}
	hLines := strings.Count(f.header, "\n") + 1
	f.lines, keys, f.qr = m.placeQR(f.lines, keys, w, hLines)
	if f.qr == qrWhole {
		f.header, f.room = "", m.height
		return f
	}
	f.footer = m.footer(w, keys)
	f.room = m.height - hLines - (strings.Count(f.footer, "\n") + 1) - 1
	if len(f.lines) > max(f.room, 3) {
		// Too tall for the window: the body scrolls, and the help says how.
		f.footer = m.footer(w, append(keys, m.keys.PageDown)) // its help names pgup too
		f.room = m.height - hLines - (strings.Count(f.footer, "\n") + 1) - 1
	}
	f.room = max(f.room, 3)
	if !m.g.Unicode {
		f.footer = asciiText.Replace(f.footer)
	}
	return f
}

func (m *Model) render() string {
	f := m.frame()
	if f.qr == qrWhole {
		return strings.Join(f.lines, "\n")
	}
	body := m.scrollWindow(f.lines, f.room)
	return f.header + "\n" + body + "\n" + padTo(body, f.room) + f.footer
}

// layout keeps the scroll within the body and on the step's focus when the focus
// moved (a new selection), not on every frame, so PgDn still works.
func (m *Model) layout() {
	f := m.frame()
	m.follow(f.focus, len(f.lines), f.room)
	m.maxScroll = maxScroll(len(f.lines), f.room)
}

// maxScroll is the last first line of a body of n lines in room lines: the markers
// take two of them.
func maxScroll(n, room int) int {
	if n <= room {
		return 0
	}
	return n - (room - 2)
}

// asciiText replaces the typographic characters of our own texts where the terminal
// shows only ASCII (TERM=dumb, no UTF-8 locale): glyphs come from termcaps, these
// are the rest.
var asciiText = strings.NewReplacer("·", "-", "…", "...", "—", "-", "–", "-", "›", ">", "‹", "<",
	"’", "'", "‘", "'", "“", `"`, "”", `"`, "•", "*", "→", "->", "×", "x", "↑", "up", "↓", "down")

// scrollWindow shows room lines of a body starting at m.scroll (clamped), with a
// marker line where lines are hidden above or below.
func (m *Model) scrollWindow(lines []string, room int) string {
	if len(lines) <= room {
		return strings.Join(lines, "\n")
	}
	top := min(max(m.scroll, 0), maxScroll(len(lines), room))
	var out []string
	if top > 0 {
		out = append(out, m.th.Subtle.Render(fmt.Sprintf("  %s %d more above (pgup)", m.g.Ellipsis, top)))
	}
	end := min(len(lines), top+room-len(out)-1)
	if len(lines)-top <= room-len(out) {
		end = len(lines) // the rest fits: no marker below
	}
	out = append(out, lines[top:end]...)
	if end < len(lines) {
		out = append(out, m.th.Subtle.Render(fmt.Sprintf("  %s %d more below (pgdn)", m.g.Ellipsis, len(lines)-end)))
	}
	return strings.Join(out, "\n")
}

// follow scrolls so the focus lines f are on screen, once per new focus.
func (m *Model) follow(f [2]int, n, room int) {
	if f[0] < 0 || f == m.lastFocus || n <= room {
		m.lastFocus = f
		return
	}
	m.lastFocus = f
	shown := max(room-2, 1) // lines left once both markers take theirs
	if f[0] < m.scroll || f[0] <= 1 {
		m.scroll = f[0]
		if f[0] <= 1 {
			m.scroll = 0
		}
	}
	if f[1] >= m.scroll+shown {
		m.scroll = min(f[1]-shown+1, f[0])
	}
}

// padTo returns the newlines that push the footer to the bottom of the window.
func padTo(body string, room int) string {
	n := room - (strings.Count(body, "\n") + 1)
	if n <= 0 {
		return ""
	}
	return strings.Repeat("\n", n)
}

func (m *Model) header(w int) string {
	name := "d365consent"
	if m.opts.Demo {
		name += " · demo tenant"
	}
	right := m.step().Position() + m.step().Title()
	line := m.th.Title.Render(name)
	gap := w - ansi.StringWidth(name) - ansi.StringWidth(right)
	if gap >= 2 {
		line += strings.Repeat(" ", gap) + m.th.Header.Render(right)
	} else {
		line += "\n" + m.th.Header.Render(right)
	}
	return line + "\n" + m.th.Subtle.Render(strings.Repeat(m.g.Box.Top, w))
}

func (m *Model) footer(w int, keys []key.Binding) string {
	if !m.confirmQuit { // the quit question answers only its own keys
		keys = append(keys, m.keys.Help, m.keys.Quit)
	}
	h := m.help
	h.SetWidth(0) // we break the lines ourselves: nothing is dropped on narrow windows
	var out string
	if m.showHelp {
		out = h.FullHelpView(helpKeys(keys).FullHelp())
		if ansi.StringWidth(strings.SplitN(out, "\n", 2)[0]) > w {
			cols := make([][]key.Binding, 0, len(keys))
			for _, k := range keys {
				cols = append(cols, []key.Binding{k})
			}
			lines := make([]string, len(cols))
			for i, c := range cols {
				lines[i] = h.ShortHelpView(c)
			}
			out = strings.Join(lines, "\n")
		}
	} else {
		// Short help, broken into as many lines as the width needs.
		var lines []string
		var cur []key.Binding
		for _, k := range keys {
			try := append(append([]key.Binding(nil), cur...), k)
			if len(cur) > 0 && ansi.StringWidth(h.ShortHelpView(try)) > w {
				lines = append(lines, h.ShortHelpView(cur))
				cur = []key.Binding{k}
				continue
			}
			cur = try
		}
		lines = append(lines, h.ShortHelpView(cur))
		out = strings.Join(lines, "\n")
	}
	if m.flash != "" {
		out = wrap(m.th.Accent.Render(m.flash), w) + "\n" + out
	}
	return out
}

// body renders the step, the keys it offers and its focus lines.
func (m *Model) body(w int) screen {
	none := [2]int{-1, -1}
	var text string
	var keys []key.Binding
	switch m.step() {
	case stepChoose:
		text, keys = m.chooseView(w)
	case stepReview:
		return m.reviewView(w)
	case stepClientID:
		text, keys = m.clientIDView(w)
	case stepSignIn:
		text, keys = m.signInView(w)
	case stepState:
		text, keys = m.stateView(w)
	case stepConsent:
		text, keys = m.consentView(w)
	case stepSummary:
		text, keys = m.summaryView(w)
	case stepError:
		text, keys = m.errorView(w)
	}
	return screen{body: text, keys: keys, focus: none}
}

// spin is a spinner frame and the elapsed time of the current wait, both derived
// from the injected clock so a frame is reproducible.
func (m *Model) spin() string {
	return m.spinFrame() + " " + m.th.Subtle.Render(fmtElapsed(m.elapsed()))
}

// spinFrame is the spinner frame alone.
func (m *Model) spinFrame() string {
	frames := m.g.Spinner
	return m.th.Accent.Render(frames[int(m.elapsed()/(100*time.Millisecond))%len(frames)])
}

// elapsed is how long the current wait has run.
func (m *Model) elapsed() time.Duration {
	return max(m.opts.now().Sub(m.waitAt), 0)
}

func fmtElapsed(d time.Duration) string {
	d = d.Truncate(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// wrap word-wraps s to w columns at spaces. A word longer than w (a URL) is broken
// where it must, but never at a hyphen: ids and GUIDs stay whole when they fit.
func wrap(s string, w int) string {
	if w < 10 {
		w = 10
	}
	return wrapNoHyphen(s, w)
}

// nbHyphen stands in for "-" while wrapping: ansi.Wrap always breaks after a hyphen,
// which cut GUIDs ("…-41af-" / "91ab-…") on the error screen.
const nbHyphen = "\u2011"

// wrapNoHyphen is ansi.Wrap at spaces only: hyphens do not break.
func wrapNoHyphen(s string, w int) string {
	s = strings.ReplaceAll(s, "-", nbHyphen)
	return strings.ReplaceAll(ansi.Wrap(s, max(w, 1), ""), nbHyphen, "-")
}

// idLine is "label id" on one line when it fits, else the label on one line and the
// id alone on the next: an id is never broken across lines.
func idLine(label, id string, w int) string {
	if ansi.StringWidth(label)+1+ansi.StringWidth(id) <= w {
		return label + " " + id
	}
	return label + "\n" + id
}

// linkLines shows url on lines of its own: whole when it fits, else cut only at the
// window's edge (the admin's terminal cannot wrap inside a full-screen view), every
// piece carrying an OSC 8 hyperlink to the whole URL, so a click or a hyperlink copy
// gets all of it. Nothing else shares its lines.
func (m *Model) linkLines(url string, w int) string {
	pieces := strings.Split(ansi.Hardwrap(url, max(w, 10), false), "\n")
	for i, p := range pieces {
		pieces[i] = ansi.SetHyperlink(url) + m.th.URL.Render(p) + ansi.ResetHyperlink()
	}
	return strings.Join(pieces, "\n")
}

// urlBlock shows a browser URL: always on screen, whole, on lines of its own, with
// the copy and QR keys; qr: the step offers the URL's QR code (placeQR puts it where
// the block ends).
func (m *Model) urlBlock(label, url string, w int, qr bool) string {
	b := m.th.Header.Render(wrap(label, w)) + "\n" + m.linkLines(url, w) + "\n"
	if qr {
		b += qrSlot + "\n"
	}
	return b
}

// urlKeys are the keys of a step that shows a browser URL.
func (m *Model) urlKeys() []key.Binding {
	ks := []key.Binding{m.keys.Copy, m.keys.QR}
	if m.opts.Approver != nil && !(m.step() == stepConsent && m.flow.Approval() != wizard.NoApproval) {
		// Once the consent page filed a request, answering it again would file another.
		ks = append(ks, m.keys.Approve)
	}
	return ks
}

// urlKey handles c / r / a on a step with a URL; ok reports whether it was one.
func (m *Model) urlKey(k tea.KeyPressMsg) (tea.Cmd, bool) {
	url := m.currentURL()
	switch {
	case key.Matches(k, m.keys.Copy) && url != "":
		// OSC 52 has no reply: the terminal may ignore it, so never claim "copied".
		m.flash = "Copy requested (OSC 52): if your terminal does not support it, select the URL above."
		return tea.SetClipboard(url), true
	case key.Matches(k, m.keys.QR) && url != "":
		// r hides a QR code on screen (or one asked for that cannot fit), else asks for it.
		if m.qr == qrAsked || m.frame().qr != qrNone {
			m.qr = qrHidden
		} else {
			m.qr = qrAsked
		}
		m.scroll = 0
		return nil, true
	case key.Matches(k, m.keys.Approve) && m.opts.Approver != nil:
		return m.approve(), true
	}
	return nil, false
}

func (m *Model) mark(ok bool) string {
	if ok {
		return m.th.OK.Render(m.g.Check)
	}
	return m.th.Bad.Render(m.g.Cross)
}

// repromptView asks the admin to sign in again over the current step: a token refresh
// or a claims challenge after the sign-in step needs them (MFA, Conditional Access,
// an expired session), and the step's work waits for it.
func (m *Model) repromptView(w int) string {
	p := m.reprompt
	how := "Sign in in your browser. If it did not open, open this page:"
	if p.DeviceCode {
		how = "Open this page and enter the code " + m.th.Header.Render(p.UserCode) + ":"
	}
	return m.th.Warn.Render(wrap(m.g.Warn+" "+wizard.SignInAgainLine(*p), w)) + "\n" + wrap(how, w) + "\n" + m.linkLines(p.URL, w) + "\n"
}

// showingReprompt: a sign-in again (repromptMsg) is shown over a later step.
func (m *Model) showingReprompt() bool { return m.reprompt != nil && m.step() != stepSignIn }
