package e2e

// The admin consent workflow in the built binary at 80×24: in consent-workflow the
// demo user cannot consent, so the consent page files a request (AADSTS90095); w waits
// on the consent screen for the approval, which the scenario's reviewer gives 5 s
// after the request is filed, and the wizard goes on to the summary by itself.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/testkit"
)

// toApprovalWait walks consent-workflow to the wait for the approval: Enter through
// the first steps, a on each browser page, a on the paused consent page (which files
// the request), then w. It returns once the wait's status line is on screen.
func toApprovalWait(t *testing.T, tt *tmuxTerm) string {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	pressed := map[string]bool{}
	once := func(step, key string) {
		if !pressed[step] {
			pressed[step] = true
			tt.send(key)
		}
	}
	last := ""
	for {
		if time.Now().After(deadline) {
			t.Fatalf("never reached the wait for the approval; screen:\n%s", last)
		}
		s := tt.screen()
		if s == last {
			time.Sleep(40 * time.Millisecond)
			continue
		}
		last = s
		switch {
		case strings.Contains(s, "EXIT="):
			t.Fatalf("the wizard exited:\n%s", s)
		case strings.Contains(s, "1/6 Choose the app"):
			once("choose", "Enter")
		case strings.Contains(s, "2/6 Review permissions"):
			once("review", "Enter")
		case strings.Contains(s, "3/6 Sign in") && strings.Contains(s, "approve in the demo browser"):
			once("sign-in", "a")
		case strings.Contains(s, "4/6 Current state") && strings.Contains(s, "approve in the demo browser"):
			once("grant-read", "a")
		case strings.Contains(s, "4/6 Current state") && strings.Contains(s, "Enter opens the admin"):
			once("state", "Enter")
		case strings.Contains(s, "4/6 Current state") && strings.Contains(s, "more below (pgdn)"):
			tt.send("PgDn")
		case strings.Contains(s, "5/6 Admin consent") && strings.Contains(s, "Waiting for a reviewer of the admin consent workflow"):
			return s
		case strings.Contains(s, "5/6 Admin consent") && strings.Contains(s, "w wait for the approval"):
			once("await", "w")
		case strings.Contains(s, "5/6 Admin consent") && strings.Contains(s, "approve in the demo browser") && strings.Contains(s, "wait for another admin"):
			once("file", "a") // paused: this account cannot grant it; the page files a request
		}
	}
}

func TestApprovalWaitReachesAllGranted(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	for _, leave := range []string{"Enter", "q"} {
		t.Run(leave, func(t *testing.T) {
			t.Parallel()
			tt := tmuxSize(t, 80, 24, fmt.Sprintf("cd %s && %s demo --scenario consent-workflow --no-browser", t.TempDir(), bin))
			s := toApprovalWait(t, tt)
			if !strings.Contains(s, "waited") || !strings.Contains(s, "q leaves and prints the command") {
				t.Errorf("the wait's status line does not say how long or how to leave:\n%s", s)
			}
			tt.waitFor("6/6 Summary", allGranted("ce"))
			tt.send(leave)
			tt.exited(0)
		})
	}
}

// q while waiting for the approval exits 3 and leaves on the normal screen the consent
// link and the command that checks later, each whole on a line.
func TestApprovalWaitQuitKeepsLinkAndCheck(t *testing.T) {
	testkit.NeedTool(t, "tmux")
	tt := tmuxSize(t, 80, 24, fmt.Sprintf("cd %s && %s demo --scenario consent-workflow --no-browser", t.TempDir(), bin))
	toApprovalWait(t, tt)
	tt.send("q") // within the reviewer's 5 s
	tt.exited(3)
	after := tt.joinedScreen()
	var link, check bool
	for _, l := range strings.Split(after, "\n") {
		l = strings.TrimSpace(l)
		link = link || strings.HasPrefix(l, "http://127.0.0.1:") && strings.Contains(l, "/adminconsent?client_id=") && !strings.Contains(l, " ")
		check = check || l == "d365consent verify --app ce --demo --scenario consent-workflow"
	}
	if !link || !check || !strings.Contains(after, "An approval request was filed") {
		t.Errorf("after q: link %v, check %v:\n%s", link, check, after)
	}
}
