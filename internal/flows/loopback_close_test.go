package flows

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// heldCtx is a context that never ends and counts the callbacks registered on it
// that are still held (context.AfterFunc registers through a Context's own
// AfterFunc method when it has one, and calls the returned stop when the
// registration is stopped).
type heldCtx struct {
	done chan struct{}
	mu   sync.Mutex
	held int
}

func (c *heldCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *heldCtx) Done() <-chan struct{}       { return c.done }
func (c *heldCtx) Err() error                  { return nil }
func (c *heldCtx) Value(any) any               { return nil }

func (c *heldCtx) AfterFunc(func()) func() bool {
	c.mu.Lock()
	c.held++
	c.mu.Unlock()
	var once sync.Once
	return func() bool {
		stopped := false
		once.Do(func() {
			c.mu.Lock()
			c.held--
			c.mu.Unlock()
			stopped = true
		})
		return stopped
	}
}

func (c *heldCtx) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}

// Closing the listener releases what it registered on its context (to close itself
// when the context ends): a long-lived context, such as the program's, does not keep
// one callback per consent wait for ever.
func TestLoopbackCloseReleasesItsContext(t *testing.T) {
	ctx := &heldCtx{done: make(chan struct{})}
	var _ context.Context = ctx
	l, err := ListenLoopback(ctx, "127.0.0.1:0", "/cb", "the-state")
	if err != nil {
		t.Fatal(err)
	}
	if n := ctx.count(); n != 1 {
		t.Fatalf("while listening the context holds %d callbacks, want 1", n)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := ctx.count(); n != 0 {
		t.Fatalf("after Close the context holds %d callbacks, want 0", n)
	}
}

// acceptedConn connects to the listener and returns once the listener has accepted
// the connection: a request on a second connection is answered after it (the
// listener accepts in arrival order).
func acceptedConn(t *testing.T, l *LoopbackListener) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", l.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if code := get(t, "", "http://"+l.Addr()+"/elsewhere"); code != http.StatusNotFound {
		t.Fatalf("status %d", code)
	}
	return conn
}

// A connection that has sent nothing when the listener closes is cut once the
// shutdown's grace period ends: when Close returns, the listener has nothing left
// running (no goroutine waiting on that connection) and the connection is closed.
func TestLoopbackCloseCutsASilentConnection(t *testing.T) {
	others := goleak.IgnoreCurrent()
	l, err := ListenLoopback(context.Background(), "127.0.0.1:0", "/cb", "the-state")
	if err != nil {
		t.Fatal(err)
	}
	conn := acceptedConn(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := goleak.Find(others); err != nil {
		t.Fatalf("after Close: %v", err)
	}
	if got, _ := io.ReadAll(conn); len(got) != 0 { // EOF or a reset: nothing answered
		t.Fatalf("the silent connection got %q", got)
	}
}

// A redirect being answered as the listener closes (here a form post whose body is
// still arriving when the shutdown begins) is given the shutdown's grace period to
// finish: it gets its page and its result is delivered.
func TestLoopbackCloseLetsARedirectBeingAnsweredFinish(t *testing.T) {
	const form = "state=the-state&admin_consent=True&tenant=contoso"
	// Five rounds: a shutdown that does not wait (a zero grace period) lost the race
	// in the first round every time it was tried; more rounds would only add chances
	// for a stalled machine to use up the real 2 s.
	for i := range 5 {
		l, err := ListenLoopback(context.Background(), "127.0.0.1:0", "/cb", "the-state")
		if err != nil {
			t.Fatal(err)
		}
		conn := acceptedConn(t, l)
		// The headers, asking to be told when the body is wanted (Expect: 100-continue,
		// RFC 9110 section 10.1.1): the interim answer says the listener is reading the form.
		if _, err := fmt.Fprintf(conn, "POST /cb HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
			l.Addr(), len(form)); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(conn)
		if cont, err := http.ReadResponse(r, nil); err != nil || cont.StatusCode != http.StatusContinue {
			t.Fatalf("round %d: interim answer %v %v", i, cont, err)
		}
		l.srv.RegisterOnShutdown(func() { _, _ = fmt.Fprint(conn, form) })
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("round %d: the redirect got no answer: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<h1>Consent received</h1>") {
			t.Fatalf("round %d: %d %q %v", i, resp.StatusCode, body, err)
		}
		if res := <-l.Result(); !res.AdminConsent || res.Tenant != "contoso" || res.Err != nil {
			t.Fatalf("round %d: result %+v", i, res)
		}
	}
}
