package cli

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestDemoBrowserErrorIsDisplaySafe: the demo browser's errors enter the program in
// cli (the renderers print them as they are). A page that answers with a status line
// carrying an OSC title sequence and a bidi override reaches the wizard as plain words.
func TestDemoBrowserErrorIsDisplaySafe(t *testing.T) {
	a := newFactory(strings.NewReader(""), io.Discard, io.Discard, []string{"NO_COLOR=1"})
	env, err := startDemo(context.Background(), a, "fresh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Close() })
	// The app's landing page (not the demo tenant's): it answers with a hostile reason
	// phrase, which net/http keeps as it came in Response.Status.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
				_, _ = io.WriteString(c, "HTTP/1.1 502 \x1b]0;pwned\x07Bad\u202e Gateway\x1b[2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}
			_ = c.Close()
		}
	}()
	_, err = demoApprover{env}.ApproveConsent(context.Background(), "http://"+ln.Addr().String()+"/landing")
	want := "approving in the demo browser: demo browser: the app at " + ln.Addr().String() + " answered 502 Bad Gateway"
	if err == nil || err.Error() != want {
		t.Errorf("error %q\nwant  %q", err, want)
	}
}
