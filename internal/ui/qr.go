package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/termcaps"
	"github.com/d365consent/d365consent/internal/wizard"
)

// renderQR draws s as a QR code at level M with termcaps.QRCode, as `consent-url --qr`
// does (the same modules and colours: black on white where colour is on, else
// inverted for the background). It returns "" when the code would be wider than
// maxWidth.
func renderQR(s string, maxWidth int, darkBG, color bool, g termcaps.Glyphs) string {
	lines, width, err := termcaps.QRCode(s, g, termcaps.QRStyle{Color: color, DarkBackground: darkBG})
	if err != nil || width > maxWidth {
		return ""
	}
	return strings.Join(lines, "\n")
}

// fitQR draws s as a QR code that fits maxWidth cells and maxRows lines, with
// termcaps.FitQRCode as `consent-url --qr` does: level M where it fits, else level
// L. It returns nil when neither fits: a QR code is never drawn in part.
func (m *Model) fitQR(s string, maxWidth, maxRows int) []string {
	if maxRows <= 0 {
		return nil
	}
	q, err := termcaps.FitQRCode(s, m.g, termcaps.QRStyle{Color: !m.opts.NoColor, DarkBackground: m.dark}, maxWidth, maxRows)
	if err != nil {
		return nil
	}
	return q.Lines
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
