package wizard

import (
	"errors"
	"strings"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows"
)

// ExitSummary is what the admin takes away when a run ends, whichever way they leave: the
// full screen clears on exit, and cli prints this on the normal screen. Every text is
// display-safe. ConsentURL and Check are each printed whole on a line of their own.
type ExitSummary struct {
	// Verdict is the one-line outcome.
	Verdict string
	// Fixes are what will fix what admin consent cannot, each with its cause.
	Fixes []Fix
	// Problem is the plain-words error the run ended on (nil for none): its title,
	// meaning and fix.
	Problem *explain.Explanation
	// Support are the ids support asks for, one line each ("Correlation id: …").
	Support []string
	// ConsentURL is the admin consent link to open or send on, when consent is not
	// complete and the consent step showed one.
	ConsentURL string
	// ConsentLabel says who the consent link is for.
	ConsentLabel string
	// Check is the command that checks the app later ("" when there is nothing to check).
	Check string
	// CheckNote is said after Check (Target.CommandNote).
	CheckNote string
	// Next is the next step after a complete consent.
	Next string
}

// Fix is what will fix something admin consent cannot, and why.
type Fix struct {
	// Why is the cause in plain words, with the Entra ID error code consent would meet
	// ("" when the verdict says it): on the summary screen a warning said it, and the
	// warnings do not outlive the full screen.
	Why string
	// What is the fix.
	What string
}

// Cancelled is the verdict of a run left before anything was read.
const Cancelled = "Cancelled: nothing was checked or changed."

// summary decides what the run leaves behind (Outcome.Summary). Its texts are
// display-safe as they come: flows' results and blockers, the catalog, and errors
// whose text was made safe where it entered (graph, entra, the consent parsers, the
// demo browser).
func (f *Flow) summary() ExitSummary {
	o := f.outcome
	var s ExitSummary
	r := o.Result
	if f.app != nil && r != nil && r.App.Key != "" && r.App.Key != f.app.Key {
		r = nil // a verification of the app chosen before
	}
	var blocked *flows.BlockedError
	switch {
	case o.Err == nil && r == nil:
		s.Verdict = Cancelled
		return s
	case o.Err == nil:
		s.Verdict = flows.Summary(r)
	case errors.As(o.Err, &blocked):
		s.Verdict = blocked.Cause
		if blocked.NextStep != "" {
			s.Fixes = append(s.Fixes, Fix{What: blocked.NextStep})
		}
	case errors.Is(o.Err, flows.ErrCancelled):
		s.Verdict = Cancelled
		return s
	default:
		s.Verdict = f.Failed()
		x := explain.Describe(o.Err)
		if x == nil {
			x = &explain.Explanation{Title: "The error", Meaning: o.Err.Error()}
		}
		s.Problem = x
		s.Support = explain.SupportIDs(x)
	}
	complete := o.Err == nil && r != nil && r.Status == flows.StatusComplete
	if r != nil && !complete && blocked == nil {
		for _, b := range flows.Blockers(r) {
			if b.FixShown { // the verdict says it
				continue
			}
			s.Fixes = append(s.Fixes, Fix{Why: b.Cause, What: b.Fix})
		}
	}
	if complete {
		s.Next = r.NextStep
		if s.Next == "" && f.app != nil {
			s.Next = flows.NextStep(f.app)
		}
		return s
	}
	if f.consentURL != "" {
		s.ConsentURL = f.consentURL
		s.ConsentLabel = "Admin consent link (open it as an admin, or send it to one):"
		switch {
		case blocked != nil && blocked.Reason == flows.BlockNoRole:
			s.ConsentLabel = "Send this admin consent link to an admin who can grant it:"
		case blocked != nil && blocked.Reason == flows.BlockApprovalRequested:
			s.ConsentLabel = "Admin consent link (a Global Administrator or Privileged Role Administrator may open it instead of approving the request):"
		}
	}
	if f.app != nil && f.app.ClientID != "" {
		s.Check = f.Command("verify")
		s.CheckNote = f.t.CommandNote()
	}
	return s
}

// Line is one line of a printed summary.
type Line struct {
	Text string
	// Whole marks a URL or a command line: printed alone on its line, never wrapped
	// (a hard-wrapped command pastes as two), a link to itself where the terminal can.
	Whole bool
	// URL is set for a link line (Text is the URL).
	URL bool
}

// Lines is the summary as the lines to print, in order.
func (s ExitSummary) Lines() []Line {
	var out []Line
	add := func(texts ...string) {
		for _, t := range texts {
			out = append(out, Line{Text: t})
		}
	}
	add(s.Verdict)
	if p := s.Problem; p != nil {
		head := strings.TrimSpace(p.Title)
		if m := strings.TrimSpace(p.Meaning); m != "" {
			head = strings.TrimSuffix(head, ".") + ". " + m
		}
		add(head)
		if p.Fix != "" {
			add("What to do: " + p.Fix)
		}
		if len(s.Support) > 0 {
			add("For support:")
			add(s.Support...)
		}
		if p.Link != "" {
			out = append(out, Line{Text: p.Link, Whole: true, URL: true})
		}
	}
	for _, f := range s.Fixes {
		if f.Why != "" {
			add("Why: " + f.Why)
		}
		add("What will fix it: " + f.What)
	}
	if s.ConsentURL != "" {
		add(s.ConsentLabel)
		out = append(out, Line{Text: s.ConsentURL, Whole: true, URL: true})
	}
	if s.Check != "" {
		add("Check again with:")
		out = append(out, Line{Text: s.Check, Whole: true})
		if s.CheckNote != "" {
			add(s.CheckNote)
		}
	}
	if s.Next != "" {
		add("Next step: " + s.Next)
	}
	return out
}
