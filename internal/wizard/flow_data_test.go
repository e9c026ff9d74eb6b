package wizard

import (
	"errors"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

func run(opts Options, events ...ev) *Flow {
	opts.Catalog = fixture()
	f := New(opts)
	for _, e := range events {
		e.do(f)
	}
	return f
}

func TestFlowKeepsWhatItLearnt(t *testing.T) {
	t.Run("state and summary results", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed})...)
		if f.Before() != missing || f.Result() != nil || f.Outcome().Result != missing || f.Admin() != admin {
			t.Fatalf("before %v result %v outcome %v", f.Before(), f.Result(), f.Outcome().Result)
		}
		f.ConsentEvent(flows.ConsentEvent{Done: true, Result: complete})
		if f.Result() != complete || f.Outcome().Result != complete || f.Before() != missing {
			t.Fatalf("result %v outcome %v", f.Result(), f.Outcome().Result)
		}
		f.Back()
		if f.Before() != nil || f.Result() != complete || f.Outcome().Result != complete {
			t.Fatalf("back to the state keeps the last result, reads the state anew: %v %v", f.Before(), f.Result())
		}
		f.Verified(missing, nil, nil)
		f.Proceed()
		f.ConsentClosed()
		if f.Result() != nil || f.Outcome().Result != missing {
			t.Fatalf("the summary reads anew: %v %v", f.Result(), f.Outcome().Result)
		}
	})
	t.Run("complete state is the summary", func(t *testing.T) {
		f := run(Options{}, seq(toState(complete), []ev{proceed})...)
		if f.Result() != complete || f.Outcome().Result != complete {
			t.Fatalf("%v %v", f.Result(), f.Outcome().Result)
		}
	})
	t.Run("timed out note names the blocker", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed})...)
		f.ConsentEvent(flows.ConsentEvent{Done: true, Err: flows.ErrIncomplete, Result: noResource})
		want := "Stopped waiting: " + flows.Blockers(noResource)[0].Cause
		if f.Note() != want || f.Result() != noResource || f.Outcome().Result != noResource {
			t.Fatalf("note %q result %v", f.Note(), f.Result())
		}
		f.Back()
		if f.Note() != "" {
			t.Fatalf("the note stays after leaving: %q", f.Note())
		}
	})
	t.Run("timed out note without blockers", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed})...)
		f.ConsentEvent(flows.ConsentEvent{Done: true, Err: flows.ErrIncomplete, Result: missing})
		if f.Note() != "Stopped waiting: not every grant is visible in Microsoft Graph yet." {
			t.Fatalf("note %q", f.Note())
		}
	})
	t.Run("cannot fix keeps the result", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed})...)
		f.ConsentEvent(flows.ConsentEvent{Done: true, Err: errCFail, Result: noResource})
		if f.Outcome().Result != noResource || !errors.Is(f.Err(), errCFail) || f.ErrFrom() != Consent {
			t.Fatalf("%v %v %v", f.Outcome().Result, f.Err(), f.ErrFrom())
		}
		g := run(Options{}, seq(toState(missing), []ev{proceed})...)
		g.ConsentEvent(flows.ConsentEvent{Done: true, Err: errCFail})
		if g.Outcome().Result != missing {
			t.Fatalf("no result in the event keeps the last: %v", g.Outcome().Result)
		}
	})
	t.Run("paused and redirected", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed})...)
		if f.Paused() != nil || f.Redirected() {
			t.Fatal("a new wait is neither paused nor redirected")
		}
		f.ConsentEvent(flows.ConsentEvent{Paused: paused, Redirected: true})
		if f.Paused() != paused || !f.Redirected() {
			t.Fatalf("%v %v", f.Paused(), f.Redirected())
		}
		f.ConsentEvent(flows.ConsentEvent{Visible: 1})
		if f.Paused() != nil || !f.Redirected() {
			t.Fatalf("a later event: paused %v redirected %v", f.Paused(), f.Redirected())
		}
		f.ConsentEvent(flows.ConsentEvent{Paused: paused})
		f.ConsentEvent(flows.ConsentEvent{Done: true, Err: errBoom})
		if f.Paused() != nil || f.Err() != errBoom {
			t.Fatalf("a failed wait is not paused: %v", f.Paused())
		}
		f.Retry()
		if f.Redirected() || f.Paused() != nil {
			t.Fatal("a retried wait starts anew")
		}
		f.ConsentEvent(flows.ConsentEvent{Paused: paused})
		f.ConsentClosed()
		if f.Paused() != nil {
			t.Fatal("closed wait still paused")
		}
	})
	t.Run("resume and back clear the pause", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Paused: paused})})...)
		f.Back()
		if f.Paused() != nil {
			t.Fatal("back keeps the pause")
		}
		g := run(Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Paused: paused, Redirected: true})})...)
		g.Resume()
		if g.Paused() != nil {
			t.Fatal("resume keeps the pause")
		}
		h := run(Options{}, seq(toState(missing), []ev{proceed})...)
		h.Proceed()
		h.ConsentEvent(flows.ConsentEvent{Paused: paused})
		h.SwitchAccount()
		if h.Paused() != nil || h.Admin() != nil {
			t.Fatal("switching keeps the pause or the admin")
		}
		s := run(Options{}, toState(missing)...)
		s.Resume()
		if s.Step() != State {
			t.Fatal("resume moved")
		}
	})
	t.Run("resume outside consent", func(t *testing.T) {
		f := run(Options{}, seq(toState(missing), []ev{proceed, consentEv(flows.ConsentEvent{Paused: paused})})...)
		f.Quit()
		f.Resume()
		if f.Paused() != paused {
			t.Fatal("resume acted after the end")
		}
	})
}

func TestFlowApp(t *testing.T) {
	tests := []struct {
		name         string
		opts         Options
		events       []ev
		wantID       string
		wantRedirect string
	}{
		{"catalog", Options{}, []ev{chooseE(0)}, ceGlobal, ""},
		{"per cloud", Options{Target: Target{Cloud: "usgov"}}, []ev{chooseE(0)}, ceGov, ""},
		{"cloud without one", Options{Target: Target{Cloud: "china"}}, []ev{chooseE(0)}, "", ""},
		{"flag link", Options{Target: Target{ClientIDFlag: aosLink}}, []ev{chooseE(1)}, typed, "https://avepointonlineservices.com/consent"},
		{"flag unreadable, taken as given", Options{Target: Target{ClientIDFlag: "raw"}}, []ev{chooseE(0)}, "raw", ""},
		{"typed link", Options{}, []ev{chooseE(1), cont, typeID(aosLink)}, typed, "https://avepointonlineservices.com/consent"},
		{"typed GUID", Options{}, []ev{chooseE(1), cont, typeID(typed)}, typed, ""},
		{"typed id applies to an app without one only", Options{}, []ev{chooseE(1), cont, typeID(typed), back, back, chooseE(0)}, ceGlobal, ""},
		{"typed id kept for the app without one", Options{}, []ev{chooseE(1), cont, typeID(typed), back, back, chooseE(0), back, chooseE(1)}, typed, ""},
	}
	for _, tt := range tests {
		f := run(tt.opts, tt.events...)
		a := f.App()
		if a == nil || a.ClientID != tt.wantID || a.RedirectURI != tt.wantRedirect {
			t.Errorf("%s: %+v, want %q %q", tt.name, a, tt.wantID, tt.wantRedirect)
		}
	}
	f := run(Options{})
	if f.App() != nil || len(f.Apps()) != 2 || f.Apps()[1].Key != "uo" || f.CatalogApp().Key != "ce" || f.AppIndex() != 0 {
		t.Errorf("before a choice: %v %d", f.App(), len(f.Apps()))
	}
	f.ChooseApp(1)
	if f.AppIndex() != 1 || f.CatalogApp().ClientID != "" || f.App().Key != "uo" {
		t.Errorf("after choosing UO: %d %v", f.AppIndex(), f.CatalogApp())
	}
	if g := New(Options{}); len(g.Apps()) != len(permissions.Embedded().Apps) {
		t.Errorf("no catalog: %d apps", len(g.Apps()))
	}
	// A new app forgets the other's results.
	g := run(Options{}, toState(missing)...)
	g.Back()
	g.Back()
	g.ChooseApp(1)
	if g.Before() != nil {
		t.Error("another app kept the state")
	}
	h := run(Options{}, toState(missing)...)
	h.Back()
	h.Continue()
	if h.Admin() != admin {
		t.Error("the same app forgot the admin")
	}
}

func TestFlowTenantAndCommand(t *testing.T) {
	target := Target{Flags: []string{"--cloud", "usgov"}}
	f := run(Options{Target: target})
	if f.Tenant() != "" || f.Command("verify") != "d365consent verify --cloud usgov" {
		t.Errorf("no app: %q %q", f.Tenant(), f.Command("verify"))
	}
	f.ChooseApp(0)
	if got := f.Command("verify", "--qr"); got != "d365consent verify --app ce --cloud usgov --qr" {
		t.Errorf("the embedded catalog: %q", got)
	}
	if !reflectTarget(f.Target(), target) {
		t.Errorf("target %+v", f.Target())
	}
	a := &flows.Admin{TenantID: "from-admin"}
	tests := []struct {
		name   string
		events []ev
		want   string
	}{
		{"admin", []ev{chooseE(0), cont, signed(a, nil)}, "from-admin"},
		{"admin without tenant, state", []ev{chooseE(0), cont, signed(&flows.Admin{}, nil), verified(notConsented, nil)}, "from-result"},
		{"summary result", []ev{chooseE(0), cont, signed(&flows.Admin{}, nil), verified(notConsented, nil), proceed,
			consentEv(flows.ConsentEvent{Done: true, Result: complete})}, tenantID},
		{"summary result without tenant", []ev{chooseE(0), cont, signed(&flows.Admin{}, nil), verified(notConsented, nil), proceed,
			consentEv(flows.ConsentEvent{Done: true, Result: &flows.Result{Status: flows.StatusComplete}})}, "from-result"},
	}
	for _, tt := range tests {
		f := run(Options{}, tt.events...)
		if f.Tenant() != tt.want {
			t.Errorf("%s: tenant %q, want %q", tt.name, f.Tenant(), tt.want)
		}
	}
	g := run(Options{Target: Target{Catalog: fixture()}}, chooseE(0), cont, signed(a, nil))
	if got := g.Command("verify"); got != "d365consent verify --app ce --tenant from-admin" {
		t.Errorf("command %q", got)
	}
}

func reflectTarget(a, b Target) bool {
	return a.Cloud == b.Cloud && a.Demo == b.Demo && len(a.Flags) == len(b.Flags)
}

func TestBlockedAndConsentOffered(t *testing.T) {
	uoPath := func(r *flows.Result) []ev {
		return []ev{chooseE(1), cont, typeID(typed), signed(admin, nil), verified(r, nil)}
	}
	tests := []struct {
		name             string
		events           []ev
		blocked, offered bool
	}{
		{"nothing read", []ev{chooseE(0)}, false, false},
		{"reading", []ev{chooseE(0), cont, signed(admin, nil)}, false, false},
		{"missing", toState(missing), false, true},
		{"complete", toState(complete), false, false},
		{"no resource", toState(noResource), false, false},
		{"not consented CE", toState(notConsented), false, true},
		{"not consented UO", uoPath(notConsented), true, false},
		{"UO flagged absent", uoPath(absent), true, false},
		{"CE flagged absent", toState(absent), true, false},
		{"UO present", uoPath(missing), false, true},
	}
	for _, tt := range tests {
		f := run(Options{}, tt.events...)
		if f.Blocked() != tt.blocked || f.ConsentOffered() != tt.offered {
			t.Errorf("%s: blocked %v offered %v, want %v %v", tt.name, f.Blocked(), f.ConsentOffered(), tt.blocked, tt.offered)
		}
	}
}

func TestOutcomeStepsAreACopy(t *testing.T) {
	f := run(Options{}, chooseE(0))
	o := f.Outcome()
	o.Steps[0] = Error
	if f.Outcome().Steps[0] != Choose {
		t.Fatal("the outcome shares the flow's steps")
	}
}
