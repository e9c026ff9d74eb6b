package flows_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/flows"
)

// syncBuffer is a bytes.Buffer the consent wait's goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}

// logTo makes the session log, without times, to buf.
func logTo(buf *syncBuffer) func(*flows.Config) {
	return func(c *flows.Config) {
		c.Logger = slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	}
}

// hasLine reports whether some line of lines contains every part, in order.
func hasLine(lines []string, parts ...string) bool {
next:
	for _, l := range lines {
		rest := l
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				continue next
			}
			rest = rest[i+len(p):]
		}
		return true
	}
	return false
}

// The consent wait's debug log (--debug-log) says what happened in order: started
// (with or without a listener), each poll by number, the pasted result and whether
// it granted, and the end with its error.
func TestConsentWaitLog(t *testing.T) {
	for _, tc := range []struct {
		name  string
		paste func(state, tenant string) string
		want  [][]string
	}{
		{"granted", func(state, tenant string) string {
			return "https://www.avepointonlineservices.com/?admin_consent=True&tenant=" + tenant + "&state=" + state
		}, [][]string{
			{`level=INFO msg="consent wait started" app=ce listener=false timeout=`},
			{`msg="consent poll" n=1 visible=0 total=`},
			{`msg="consent result received" via=paste granted=true`},
			{`msg="consent poll" n=2 visible=`, `redirected=true`},
			{`msg="consent wait ended"`, `redirected=true`},
		}},
		{"refused", func(state, _ string) string {
			return "https://www.avepointonlineservices.com/?error=access_denied&error_description=AADSTS90094%3a+The+grant+requires+admin+permission.&state=" + state
		}, [][]string{
			{`msg="consent wait started" app=ce listener=false`},
			{`msg="consent poll" n=1 visible=0`},
			{`msg="consent result received" via=paste granted=false`},
			{`msg="consent wait ended"`, `redirected=true err="admin consent: `, `AADSTS90094`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf syncBuffer
			f := start(t, "fresh", emulator.Faults{}, newFakeClock(false), logTo(&buf))
			c, state := startPasteConsent(t, f)
			if ev := <-c.Events(); ev.Done {
				t.Fatalf("first event %+v", ev)
			}
			if tc.name == "granted" {
				if err := f.browser.b.Open(context.Background(), c.URL); err != nil {
					t.Logf("demo browser: %v", err)
				}
			}
			if err := c.Paste(tc.paste(state, f.srv.TenantID())); err != nil {
				t.Fatal(err)
			}
			evs := waitAll(t, c)
			if last := evs[len(evs)-1]; !last.Done {
				t.Fatalf("final %+v", last)
			}
			lines := buf.lines()
			for _, w := range tc.want {
				if !hasLine(lines, w...) {
					t.Errorf("no log line with %q in\n%s", w, strings.Join(lines, "\n"))
				}
			}
		})
	}
}

// consentPageFails is the demo browser, except that it cannot open the consent page.
type consentPageFails struct{ *demoBrowser }

func (b consentPageFails) Open(u string) error {
	if strings.Contains(u, "/adminconsent") {
		return errors.New("no browser here")
	}
	return b.demoBrowser.Open(u)
}

// A browser that cannot open the consent page is a warning in the debug log (the
// link is on screen anyway); one that opens it is not.
func TestConsentPageOpenFailureIsLogged(t *testing.T) {
	for _, fails := range []bool{true, false} {
		var buf syncBuffer
		f := start(t, "fresh", emulator.Faults{}, newFakeClock(false), func(c *flows.Config) {
			logTo(&buf)(c)
			if fails {
				c.Browser = consentPageFails{c.Browser.(*demoBrowser)}
			}
		})
		f.browser.away = true
		c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
		if err != nil {
			t.Fatal(err)
		}
		c.Close() // waits for the browser
		lines := buf.lines()
		warned := hasLine(lines, `level=WARN msg="opening the consent page" err="no browser here"`)
		if warned != fails || hasLine(lines, `level=WARN`) != fails {
			t.Errorf("browser fails %v: warning logged %v\n%s", fails, warned, strings.Join(lines, "\n"))
		}
	}
}

// A verification's debug log line counts the Graph requests of that verification
// alone (not the sign-in's) and says whether it worked.
func TestVerifyLogCountsItsOwnRequests(t *testing.T) {
	var buf syncBuffer
	f := start(t, "consented", emulator.Faults{}, nil, logTo(&buf))
	f.srv.ResetGraphRequests()
	if _, err := f.session.Verify(context.Background(), f.app(t, "ce")); err != nil {
		t.Fatal(err)
	}
	n := f.srv.GraphRequests()
	if n == 0 {
		t.Fatal("no Graph request counted by the emulator")
	}
	want := fmt.Sprintf(" graphRequests=%d ok=true", n)
	if lines := buf.lines(); !hasLine(lines, `msg=verification app=ce duration=`, want) {
		t.Fatalf("no verification line with %q in\n%s", want, strings.Join(lines, "\n"))
	}
}

// The debug log says "resumed" when a paused wait is resumed, once: the admin saying
// again that another admin grants it (a second Resume) polls again without a second
// "resumed" line.
func TestConsentWaitLogsResumeOnce(t *testing.T) {
	var buf syncBuffer
	f := start(t, "cloud-app-admin", emulator.Faults{}, newFakeClock(false), logTo(&buf))
	f.browser.away = true
	c, err := f.session.StartConsent(context.Background(), f.app(t, "ce"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ev := nextEvent(t, c); ev.Paused == nil {
		t.Fatalf("first event %+v, want paused", ev)
	}
	for i := range 2 {
		c.Resume()
		if ev := nextEvent(t, c); ev.Paused != nil || ev.Done {
			t.Fatalf("after Resume %d: %+v", i+1, ev)
		}
	}
	var got []string
	for _, l := range buf.lines() {
		if strings.Contains(l, "consent wait paused") || strings.Contains(l, "consent wait resumed") || strings.Contains(l, `msg="consent poll"`) {
			got = append(got, l[strings.Index(l, "msg="):])
		}
	}
	want := []string{
		`msg="consent poll" n=1 visible=0 total=3 elapsed=0s redirected=false`,
		`msg="consent wait paused: the signed-in account cannot grant it" rows=1`,
		`msg="consent wait resumed: another admin grants it"`,
		`msg="consent poll" n=2 visible=0 total=3 elapsed=0s redirected=false`,
		`msg="consent poll" n=3 visible=0 total=3 elapsed=0s redirected=false`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
