package ui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/d365consent/d365consent/internal/flows"
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

// qrMode is how a step shows the QR code of its URL.
type qrMode int

const (
	// qrHidden: not shown; r shows it.
	qrHidden qrMode = iota
	// qrFirst: shown from the start (Options.QRFirst: the admin's browser is on another
	// device): under the URL when the whole step fits the window with it, else on a
	// view of its own where that view holds what the step needs (the device code's),
	// else one line says r shows it, so the wait and the permission rows stay in sight.
	qrFirst
	// qrAsked: asked for with r: under the URL when the whole step fits with it, else
	// on a view of its own.
	qrAsked
)

// qrSlot is the line a step's body leaves where its QR code goes (urlBlock): frame
// replaces it with the QR code, a line saying how to get it, or nothing.
const qrSlot = "\uE000qr\uE000"

// qrPlace is where placeQR put the step's QR code.
type qrPlace int

const (
	// qrNone: not on screen (hidden, or a line says how to get it).
	qrNone qrPlace = iota
	// qrInline: under the step's URL.
	qrInline
	// qrOwn: on a view of its own under the header.
	qrOwn
	// qrWhole: on a view of its own that takes the whole window: the QR code and a
	// line under it saying what it opens and which key goes back (qrWholeView).
	qrWhole
)

// placeQR lays out the step's QR code at its slot in lines (the wrapped body; hLines
// the header's lines): whole under the URL when the body still fits the window with
// it, else whole on a view of its own (ownQRView) when asked for, else one line saying
// how to get it. A QR code is never drawn in part. It returns the lines and keys to
// show and where the QR code is.
func (m *Model) placeQR(lines []string, keys []key.Binding, w, hLines int) ([]string, []key.Binding, qrPlace) {
	at := slices.Index(lines, qrSlot)
	if at < 0 {
		return lines, keys, qrNone
	}
	rest := slices.Delete(slices.Clone(lines), at, at+1)
	url := m.currentURL()
	if m.qr == qrHidden || url == "" {
		return rest, keys, qrNone
	}
	if qrLines := m.fitQR(url, w, m.room(hLines, keys, w)-len(rest)-2); qrLines != nil {
		inline := append(append([]string{""}, qrLines...), "")
		return slices.Insert(rest, at, inline...), keys, qrInline
	}
	own, ownKeys, place := m.ownQRView(w, hLines)
	if place != qrNone && (m.qr == qrAsked || m.qrViewHoldsStep()) {
		return own, ownKeys, place
	}
	var hint []string
	switch {
	case place != qrNone:
		hint = strings.Split(m.th.Subtle.Render(wrap("The QR code does not fit beside the rest of this step: r shows it on a view of its own.", w)), "\n")
	case m.qrCommand() != "" && m.step() == stepConsent:
		hint = strings.Split(m.th.Subtle.Render(wrap("The QR code does not fit this window: enlarge it, or run:", w))+"\n"+wrap(m.qrCommand(), w), "\n")
	default:
		hint = strings.Split(m.th.Subtle.Render(wrap("The QR code does not fit this window: enlarge it to see it.", w)), "\n")
	}
	return slices.Insert(rest, at, hint...), keys, qrNone
}

// ownQRView is the step's QR code on a view of its own, the first that fits the
// window of: the view under the header with the step's text (qrView), then the whole
// window (qrWholeView); each first with the step's URL, then, for the admin consent
// link, with the link for another device (flows.ConsentLinkForAnotherDevice: the
// documented short link, without the state and the loopback redirect_uri that only
// serve a result coming back to this machine; a phone's result never does, and the
// wait reads the consent from Microsoft Graph). qrNone: no QR code of the URL fits the
// window.
func (m *Model) ownQRView(w, hLines int) ([]string, []key.Binding, qrPlace) {
	url := m.currentURL()
	links := []string{url}
	if m.step() == stepConsent {
		if short := flows.ConsentLinkForAnotherDevice(url); short != url {
			links = append(links, short)
		}
	}
	for _, link := range links {
		short := link != url
		head, status, keys := m.qrView(w, short)
		if qrLines := m.fitQR(link, w, m.room(hLines, keys, w)-len(head)-len(status)); qrLines != nil {
			return append(append(head, qrLines...), status...), keys, qrOwn
		}
		under := m.qrWholeLine(w, short)
		if qrLines := m.fitQR(link, w, m.height-len(under)); qrLines != nil {
			return append(qrLines, under...), nil, qrWhole
		}
	}
	return nil, nil, qrNone
}

// room is the number of body lines the window has under the header (hLines) and
// above a footer of keys, when the body needs no scrolling.
func (m *Model) room(hLines int, keys []key.Binding, w int) int {
	return m.height - hLines - (strings.Count(m.footer(w, keys), "\n") + 1) - 1
}

// qrViewHoldsStep: the QR code's own view holds everything the step needs, so it may
// come first: the device code's (the code, its page, the wait); not the consent's,
// whose permission rows it would hide.
func (m *Model) qrViewHoldsStep() bool {
	p := m.signIn.prompt
	return m.step() == stepSignIn && p != nil && p.DeviceCode
}

// qrView is what the QR code's own view under the header shows above the code (the
// code to enter and its page on one line, the device code's; or the page's URL) and
// under it (the wait's status line), and its keys: r goes back to the page, a still
// answers it in the demo. short: the code is of the consent link for another device,
// which a note says.
func (m *Model) qrView(w int, short bool) (head, status []string, keys []key.Binding) {
	var top, bottom string
	if p := m.signIn.prompt; m.qrViewHoldsStep() {
		top, bottom = m.deviceCodeLines(p.URL, p.UserCode, w), m.signInWaitLine()
	} else {
		top = m.th.Header.Render(wrap("Scan to open the admin consent page, or open it as an admin:", w)) + "\n" + m.linkLines(m.currentURL(), w)
		bottom = m.consentWaitLine()
		if short {
			top += "\n" + m.th.Subtle.Render(wrap(qrShortLinkNote, w))
		}
	}
	head = strings.Split(wrapNoHyphen(top, w), "\n")
	status = strings.Split(wrapNoHyphen(bottom, w), "\n")
	keys = []key.Binding{qrBackKey}
	for _, k := range m.urlKeys() {
		if k.Help().Key == m.keys.Approve.Help().Key { // where the step offers it
			keys = append(keys, k)
		}
	}
	return head, status, keys
}

// qrShortLinkNote says what the QR code of the consent link for another device opens
// and where the result goes: the same consent page; Entra ID sends the phone's browser
// to the app's registered reply page, not back here, and the wizard reads the consent
// from Microsoft Graph.
const qrShortLinkNote = "The QR code holds Microsoft's short admin consent link: the same consent page. " +
	"The phone's browser ends on the app's own reply page; the wizard reads the result from Microsoft Graph."

// qrShortLinkLine is qrShortLinkNote in one line under a QR code that takes the whole
// window (77 columns with " · r back").
const qrShortLinkLine = "Consent page; result read from Graph; phone ends on app's reply page"

// qrWholeLine is the line under a QR code that takes the whole window: what the code
// opens and the key that goes back (wrapped where the window is narrow); on the
// consent step, once the wait has news (consentWaitNews), that news instead, cut to
// one line so the code above keeps its place.
func (m *Model) qrWholeLine(w int, short bool) []string {
	back := m.th.Subtle.Render(" · ") + m.th.Key.Render("r") + m.th.Subtle.Render(" back")
	news := m.consentWaitNews()
	if news == "" && m.qrViewHoldsStep() && m.status != "" {
		news = m.status // the device code's sign-in has moved on (the demo entered the code)
	}
	if news != "" {
		tail := "…"
		if !m.g.Unicode {
			news, back, tail = asciiText.Replace(news), asciiText.Replace(back), "..."
		}
		return []string{ansi.Truncate(news, w-ansi.StringWidth(back), tail) + back}
	}
	var what string
	switch {
	case m.qrViewHoldsStep():
		what = "Scan to open the sign-in page; enter the code " + m.signIn.prompt.UserCode
	case short:
		what = qrShortLinkLine
	default:
		what = "Scan to open the admin consent page"
	}
	line := m.th.Subtle.Render(what) + back
	if !m.g.Unicode {
		line = asciiText.Replace(line)
	}
	return strings.Split(wrapNoHyphen(line, w), "\n")
}

// consentWaitNews is the consent wait's progress in short, once it has any beyond
// waiting with nothing visible yet: permissions visible in Microsoft Graph, the
// browser's result recorded, a pause, the admin consent workflow, what the wait is
// doing (a retry, a sign-in again) or a flash (the demo browser's answer); "" until
// then, and off the consent step.
func (m *Model) consentWaitNews() string {
	if m.step() != stepConsent || m.consent.waiter == nil {
		return ""
	}
	ev := m.consent.event
	extra := m.flash
	if extra == "" && m.approving != "" {
		extra = "Answering the consent page in the demo browser…"
	}
	if extra == "" {
		extra = m.status
	}
	status, _ := m.consentProgress()
	if extra != "" {
		status = strings.TrimSuffix(status, " in Microsoft Graph") // room for the news
	}
	var state string
	switch {
	case m.flow.Redirected():
		state = m.th.OK.Render(m.g.Check+" Consent recorded") + " · " + status
	case m.flow.Paused() != nil, m.flow.Approval() == wizard.ApprovalRequested:
		state = m.th.Warn.Render(m.g.Warn+" Paused") + " · " + status
	case m.flow.Approval() == wizard.ApprovalAwaited:
		state = "Waiting for approval · " + status
	case ev.Visible > 0 || ev.NotVisible > 0 || extra != "":
		state = "Waiting for consent · " + status
	default:
		return ""
	}
	if extra != "" {
		state += " · " + m.th.Subtle.Render(extra)
	}
	return state
}

// qrBackKey is r on a QR code's own view: back to the page.
var qrBackKey = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "back to the page"))

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
