package flows

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// A consent callback must carry our state (RFC 6749 §10.12): one without it — even a
// plausible ?error=access_denied — is refused and does not end the wait, so a page
// elsewhere cannot make d365consent report "refused".
func TestLoopbackRefusesCallbackWithoutState(t *testing.T) {
	defer goleak.VerifyNone(t)
	l, err := ListenLoopback(context.Background(), "127.0.0.1:0", "/", "the-state")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	base := l.RedirectURI()
	for _, q := range []string{
		"?error=access_denied&error_subcode=cancel",
		"?error=access_denied&state=",
		"?admin_consent=True&tenant=evil",
		"?admin_consent=True&tenant=evil&STATE=the-state",
		"",
	} {
		if code := get(t, "", base+q); code != http.StatusBadRequest {
			t.Errorf("callback %q: HTTP %d, want 400", q, code)
		}
	}
	// The real callback is still the first and only result.
	if code := get(t, "", base+"?admin_consent=True&tenant=tid&state=the-state"); code != http.StatusOK {
		t.Fatalf("real callback: HTTP %d, want 200", code)
	}
	select {
	case r := <-l.Result():
		if !r.AdminConsent || r.Tenant != "tid" || r.Err != nil {
			t.Fatalf("result %+v, want the real admin_consent=True", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no result after the real callback")
	}
}
