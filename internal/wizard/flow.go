package wizard

import (
	"errors"

	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/permissions"
)

// Work is the asynchronous work a transition asks the renderer to start. The renderer
// runs it against its engine and reports how it ended as the matching event.
type Work int

const (
	NoWork          Work = iota // nothing to start: the step waits for the admin
	SignInWork                  // sign in, then SignedIn
	SignInAgainWork             // sign in as someone else (account picker), then SignedIn
	VerifyWork                  // verify App() in the tenant, then Verified
	ConsentWork                 // start the consent wait for App(), then ConsentStarted and ConsentEvent
	FindAppsWork                // list the tenant's apps named like CatalogApp(); the renderer shows them
	// AwaitApprovalWork starts a wait for the approval of the filed request: it reads
	// Graph as the consent wait does but opens no page and files no request
	// (flows.Session.AwaitConsent); then ConsentStarted and ConsentEvent.
	AwaitApprovalWork
)

// Approval is where the consent step stands with the tenant's admin consent workflow
// (https://learn.microsoft.com/entra/identity/enterprise-apps/configure-admin-consent-workflow).
type Approval int

const (
	// NoApproval: no request was filed; the consent wait waits for an admin's consent.
	NoApproval Approval = iota
	// ApprovalRequested: Entra ID filed a request for the workflow's reviewers
	// (AADSTS90095) and the consent wait stopped; AwaitApproval waits for the approval.
	ApprovalRequested
	// ApprovalAwaited: the consent step reads Microsoft Graph until a reviewer's
	// approval grants the permissions.
	ApprovalAwaited
)

// Options configure a Flow.
type Options struct {
	Target
	// App preselects an app key ("ce", "uo"): the run starts on its review.
	App string
}

// Outcome is how the wizard ended, for cli to map to an exit code.
type Outcome struct {
	// Result is the last verification, nil when the wizard never got that far.
	Result *flows.Result
	// Err is the error the wizard ended on, flows.ErrCancelled when the admin quit
	// before the end, or the *flows.BlockedError of a paused consent wait.
	Err error
	// Finished is true when the run ended without an error.
	Finished bool
	// Steps are the steps the run entered, in order.
	Steps []Step
	// Summary is what the admin takes away: what cli prints once the full screen
	// is gone.
	Summary ExitSummary
}

// Flow is one run of the wizard: every decision, no rendering. Events are methods;
// each returns the Work the renderer starts next.
type Flow struct {
	t    Target
	apps []*permissions.App

	step, errFrom Step
	appIdx        int
	app           *permissions.App
	// typedID and typedRedirect are what the admin gave on the client id step.
	typedID, typedRedirect string

	admin *flows.Admin
	// rolesReadAgain: the last verification read the roles the sign-in could not.
	rolesReadAgain bool
	before, result *flows.Result
	err            error
	paused         *flows.BlockedError
	// resumed: the admin chose to wait for another admin's consent; the wait does
	// not pause again.
	resumed    bool
	redirected bool
	// approval and request: the admin consent workflow filed a request (request, its
	// pause) and whether the step waits for its approval.
	approval Approval
	request  *flows.BlockedError
	note     string
	// consentURL is the admin consent link the consent step showed ("" before).
	consentURL string
	// revoked are the tenant-wide grants the last consent took away.
	revoked []flows.ExtraGrant

	signInAgain, findAfterSignIn bool

	done    bool
	outcome Outcome
}

// New starts a run on the choose step, or on the review of opts.App when it names a
// catalog app.
func New(opts Options) *Flow {
	if opts.Catalog == nil {
		opts.Catalog = permissions.Embedded()
	}
	f := &Flow{t: opts.Target}
	for i := range opts.Catalog.Apps {
		f.apps = append(f.apps, &opts.Catalog.Apps[i])
	}
	for i, a := range f.apps {
		if opts.App != "" && a.Key == opts.App {
			f.appIdx = i
			f.selectApp()
			f.enter(Review)
			return f
		}
	}
	f.enter(Choose)
	return f
}

func (f *Flow) enter(s Step) {
	f.step = s
	f.note = ""
	f.outcome.Steps = append(f.outcome.Steps, s)
}

// selectApp resolves the chosen app: the catalog's id for the cloud, --client-id, or
// what the admin typed when neither gives one.
func (f *Flow) selectApp() {
	a, err := ResolveApp(f.apps[f.appIdx], f.t.Cloud, f.t.ClientIDFlag)
	if err != nil {
		// cli rejects a bad --client-id before the wizard starts; taken as given.
		a, _ = ResolveApp(f.apps[f.appIdx], f.t.Cloud, "")
		a.ClientID = f.t.ClientIDFlag
	}
	if a.ClientID == "" && f.typedID != "" {
		a.ClientID = f.typedID
		if f.typedRedirect != "" {
			a.RedirectURI = f.typedRedirect
		}
	}
	if f.app == nil || f.app.Key != a.Key {
		f.before, f.result = nil, nil
		f.consentURL = ""
	}
	f.app = a
}

// Step is where the run is.
func (f *Flow) Step() Step { return f.step }

// Apps are the catalog's apps, in catalog order.
func (f *Flow) Apps() []*permissions.App { return f.apps }

// AppIndex is the index in Apps of the chosen app.
func (f *Flow) AppIndex() int { return f.appIdx }

// App is the chosen app with its client id resolved; nil before a choice.
func (f *Flow) App() *permissions.App { return f.app }

// CatalogApp is the catalog's entry of the chosen app, as published.
func (f *Flow) CatalogApp() *permissions.App { return f.apps[f.appIdx] }

// Admin is the signed-in admin; nil before sign-in.
func (f *Flow) Admin() *flows.Admin { return f.admin }

// RolesReadAgain reports whether the last verification read the admin's directory
// roles, which the first sign-in's permissions could not: the role check shown
// before it ("Could not read your directory roles") changed, and line mode says
// it again.
func (f *Flow) RolesReadAgain() bool { return f.rolesReadAgain }

// Before is the state read before consent; nil while it is read.
func (f *Flow) Before() *flows.Result { return f.before }

// Result is the final verification; nil while it is read.
func (f *Flow) Result() *flows.Result { return f.result }

// Err is the error the error step shows; ErrFrom the step whose work failed.
func (f *Flow) Err() error { return f.err }

// Failed is the headline of the error step: what did not happen. A state consent
// cannot fix is not a failed consent — it may have gone through (registration-behind)
// — so its headline says that instead of the failed step's line.
func (f *Flow) Failed() string {
	var blocked *flows.BlockedError
	if errors.As(f.err, &blocked) {
		if blocked.Reason == flows.BlockRegistrationBehind {
			return "Admin consent went through, but cannot grant everything that is required."
		}
		return "Admin consent cannot fix what is left."
	}
	return f.errFrom.Failed()
}

// ErrFrom is the step whose work failed (the error step's retry runs it again).
func (f *Flow) ErrFrom() Step { return f.errFrom }

// Paused is set while the consent wait stopped polling: the account cannot grant it.
func (f *Flow) Paused() *flows.BlockedError { return f.paused }

// Approval is where the consent step stands with the admin consent workflow.
func (f *Flow) Approval() Approval { return f.approval }

// Request is the request the admin consent workflow filed on this consent step (its
// cause and who approves it), nil when none was filed.
func (f *Flow) Request() *flows.BlockedError { return f.request }

// Resumed: the admin waits for another admin's consent on this consent step.
func (f *Flow) Resumed() bool { return f.resumed }

// Redirected: Entra ID's consent result reached the wait (consent recorded, waiting
// for replication).
func (f *Flow) Redirected() bool { return f.redirected }

// Note is a line the current step says once: why the consent wait stopped.
func (f *Flow) Note() string { return f.note }

// Done reports whether the run ended; Outcome says how.
func (f *Flow) Done() bool { return f.done }

// Outcome is how the run ended (valid once Done).
func (f *Flow) Outcome() Outcome {
	o := f.outcome
	o.Steps = append([]Step(nil), o.Steps...)
	return o
}

// Target is what the printed command lines run against.
func (f *Flow) Target() Target { return f.t }

// Tenant is the tenant id the run works in, "" before it is known.
func (f *Flow) Tenant() string {
	switch {
	case f.admin != nil && f.admin.TenantID != "":
		return f.admin.TenantID
	case f.result != nil && f.result.Tenant.ID != "":
		return f.result.Tenant.ID
	case f.before != nil:
		return f.before.Tenant.ID
	}
	return ""
}

// Command is a d365consent command line for the chosen app and tenant (Target.Command).
func (f *Flow) Command(sub string, extra ...string) string {
	return f.t.Command(sub, f.app, f.Tenant(), extra...)
}

// Blocked: a re-authorize-only app whose service principal is absent; there is
// nothing to consent to.
func (f *Flow) Blocked() bool {
	if f.before == nil || f.app == nil {
		return false
	}
	return f.before.ReauthorizeOnlyBlocked || (f.app.ReauthorizeOnly && f.before.ServicePrincipal == nil)
}

// ConsentOffered: the current state is read, and admin consent can change it.
func (f *Flow) ConsentOffered() bool {
	return f.before != nil && !f.Blocked() && flows.ConsentCanHelp(f.before)
}

// MayRevokeNotice is what the current state says before consent is offered about the
// tenant-wide grants beyond the catalog that consent may revoke; "" when consent is
// not offered or the app holds none.
func (f *Flow) MayRevokeNotice() string {
	if f.step != State || !f.ConsentOffered() {
		return ""
	}
	return flows.RevokeNotice(flows.MayRevoke(f.before), false)
}

// RevokedNotice is what the summary says about the tenant-wide grants the consent
// took away; "" when it took none.
func (f *Flow) RevokedNotice() string {
	if f.step != Summary {
		return ""
	}
	return flows.RevokeNotice(f.revoked, true)
}
