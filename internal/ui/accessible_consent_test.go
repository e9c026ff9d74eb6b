package ui

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// appEngine is a fakeEngine whose consent wait is w, and which records the apps it
// was asked to verify and consent to.
type appEngine struct {
	*fakeEngine
	w    ConsentWaiter
	mu   sync.Mutex
	apps []permissions.App
}

func (e *appEngine) StartConsent(ctx context.Context, app *permissions.App) (ConsentWaiter, error) {
	e.mu.Lock()
	e.apps = append(e.apps, *app)
	e.mu.Unlock()
	return e.w, nil
}

func (e *appEngine) Verify(ctx context.Context, app *permissions.App) (*flows.Result, error) {
	e.mu.Lock()
	e.apps = append(e.apps, *app)
	e.mu.Unlock()
	return e.fakeEngine.Verify(ctx, app)
}

// Line mode takes the address the browser ended on as the full screen's p does, and
// says once that the consent was recorded while Graph catches up.
func TestAccessiblePasteBackAndConsentRecorded(t *testing.T) {
	w := &prodWaiter{fakeWaiter: newFakeWaiter("https://login.example/adminconsent")}
	eng := &appEngine{fakeEngine: &fakeEngine{prompt: &flows.SignInPrompt{URL: "https://login.example/authorize"}, admin: testAdmin(true),
		verify: []*flows.Result{result("ce", false, nil)}}, w: w}
	const landed = "https://aos.example/consent?admin_consent=True&tenant=" + testTenant
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"}, {prompt: "open the admin consent page"},
		{prompt: "paste the address your browser ended on (or the AADSTS code it shows) and press Enter.", answer: landed},
		{prompt: "Got it: reading what the browser ended on.", do: func() {
			w.ch <- flows.ConsentEvent{Visible: 1, Total: 3, Redirected: true}
			w.ch <- flows.ConsentEvent{Visible: 2, Total: 3, Redirected: true}
			w.ch <- flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Redirected: true, Result: result("ce", true, nil)}
		}},
		{prompt: "Save a report"},
	})
	o, err := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog(), Now: func() time.Time { return fixedNow }}, in, out)
	if err != nil || o.Err != nil || o.Result == nil || o.Result.Status != flows.StatusComplete || !o.Finished {
		t.Fatalf("outcome = %+v, %v\n%s", o, err, out.String())
	}
	text := out.String()
	if !slices.Equal(w.pasted, []string{landed}) {
		t.Errorf("pasted %q", w.pasted)
	}
	if n := strings.Count(text, "The browser came back: Entra ID recorded the consent. Waiting for Microsoft Graph to show every grant (replication can take a minute)."); n != 1 {
		t.Errorf("consent recorded said %d times:\n%s", n, text)
	}
	if w.rechecks.Load() != 0 {
		t.Errorf("a pasted address was taken for Enter: %d rechecks", w.rechecks.Load())
	}
}

// A paste the wait cannot read is said, and the wait goes on.
func TestAccessiblePasteRefused(t *testing.T) {
	w := &prodWaiter{fakeWaiter: newFakeWaiter("https://login.example/adminconsent"), err: flows.Usagef("not a consent answer")}
	eng := &appEngine{fakeEngine: &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}}, w: w}
	out, in := answerLines([]lineStep{
		{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"}, {prompt: "open the admin consent page"},
		{prompt: "and press Enter.", answer: "AADSTS65004"},
		{prompt: "That could not be read: not a consent answer", answer: ""},
		{prompt: "That could not be read", answer: "q"},
	})
	o, _ := RunAccessible(context.Background(), Options{Engine: eng, Catalog: testCatalog()}, in, out)
	if o.Err != flows.ErrCancelled || !slices.Equal(w.pasted, []string{"AADSTS65004"}) || w.rechecks.Load() != 1 {
		t.Fatalf("outcome %v, pasted %q, rechecks %d:\n%s", o.Err, w.pasted, w.rechecks.Load(), out.String())
	}
}

// --client-id may be the consent link AOS gives, and a catalog's per-cloud client id
// is the one used in that cloud: in line mode as on the full screen.
func TestAccessibleResolvesTheApp(t *testing.T) {
	const govID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	link := "https://login.microsoftonline.com/common/adminconsent?client_id=" + testCEClient + "&redirect_uri=https%3A%2F%2Faos.example%2Fcb"
	for _, tt := range []struct {
		name, clientID, cloud string
		wantID, wantRedirect  string
	}{
		{"AOS link", link, "", testCEClient, "https://aos.example/cb"},
		{"per-cloud id", "", "usgov", govID, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cat := testCatalog()
			cat.Apps[0].ClientID = ""
			cat.Apps[0].ClientIDs = map[string]string{"usgov": govID}
			w := newFakeWaiter("https://login.example/adminconsent")
			w.ch <- flows.ConsentEvent{Visible: 3, Total: 3, Done: true, Result: result("ce", true, nil)}
			eng := &appEngine{fakeEngine: &fakeEngine{admin: testAdmin(true), verify: []*flows.Result{result("ce", false, nil)}}, w: w}
			out, in := answerLines([]lineStep{
				{prompt: "Type a number", answer: "1"}, {prompt: "Press Enter to sign in"}, {prompt: "open the admin consent page"},
				{prompt: "Save a report"},
			})
			o, _ := RunAccessible(context.Background(), Options{Engine: eng, Catalog: cat, ClientID: tt.clientID, Cloud: tt.cloud}, in, out)
			if o.Err != nil || strings.Contains(out.String(), "client id is not published") {
				t.Fatalf("outcome %v:\n%s", o.Err, out.String())
			}
			if len(eng.apps) != 2 {
				t.Fatalf("apps %d", len(eng.apps))
			}
			for _, a := range eng.apps {
				if a.ClientID != tt.wantID || a.RedirectURI != tt.wantRedirect {
					t.Errorf("app %q %q, want %q %q", a.ClientID, a.RedirectURI, tt.wantID, tt.wantRedirect)
				}
			}
		})
	}
}
