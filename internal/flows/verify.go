package flows

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

type spReply struct {
	ID                     string    `json:"id"`
	AppID                  string    `json:"appId"`
	DisplayName            string    `json:"displayName"`
	AccountEnabled         *bool     `json:"accountEnabled"`
	AppRoles               []permDef `json:"appRoles"`
	OAuth2PermissionScopes []permDef `json:"oauth2PermissionScopes"`
}

type permDef struct {
	ID        string `json:"id"`
	Value     string `json:"value" graph:"verbatim"`
	IsEnabled *bool  `json:"isEnabled"`
}

// grantReply and permDef keep the values verify compares as Graph sent them
// (graph:"verbatim"): a scope that differs from a required value only by a control
// or invisible character does not grant it. They are sanitized where they become an
// ExtraGrant.
type grantReply struct {
	ID          string `json:"id"`
	ClientID    string `json:"clientId"`
	ConsentType string `json:"consentType" graph:"verbatim"`
	PrincipalID string `json:"principalId"`
	ResourceID  string `json:"resourceId"`
	Scope       string `json:"scope" graph:"verbatim"`
}

type assignmentReply struct {
	ID                  string `json:"id"`
	AppRoleID           string `json:"appRoleId"`
	ResourceID          string `json:"resourceId"`
	ResourceDisplayName string `json:"resourceDisplayName"`
}

// VerificationRequests are the Graph requests of one verification: the app's service principal, its delegated
// grants, its app role assignments, and each resource's service principal with the
// permissions it publishes. They go in one $batch.
func VerificationRequests(app *permissions.App) []graph.Request {
	key := "/servicePrincipals(appId='" + url.PathEscape(app.ClientID) + "')"
	reqs := []graph.Request{
		{ID: "app", Method: http.MethodGet, URL: key + "?$select=id,appId,displayName,accountEnabled"},
		{ID: "grants", Method: http.MethodGet, URL: key + "/oauth2PermissionGrants"},
		{ID: "assignments", Method: http.MethodGet, URL: key + "/appRoleAssignments"},
	}
	for i, res := range app.Resources() {
		reqs = append(reqs, graph.Request{
			ID:     "r" + strconv.Itoa(i),
			Method: http.MethodGet,
			URL:    "/servicePrincipals(appId='" + url.PathEscape(res) + "')?$select=id,appId,displayName,appRoles,oauth2PermissionScopes",
		})
	}
	return reqs
}

// Verify checks, from Microsoft Graph, which of app's permissions are granted in the
// signed-in admin's tenant. It costs one $batch round trip when nothing pages or
// throttles. app.ClientID must be set.
func (s *Session) Verify(ctx context.Context, app *permissions.App) (*Result, error) {
	if app == nil {
		return nil, Usagef("no app to verify")
	}
	if !permissions.IsGUID(app.ClientID) {
		return nil, Usagef("app %s has no client id: pass --client-id (a GUID)", app.Key)
	}
	if err := s.EnsureGrantRead(ctx); err != nil {
		return nil, err
	}
	before, start := s.graph.Requests(), s.clock.Now()
	Progress(ctx, "Checking Microsoft Graph…")
	reps, err := s.graph.BatchAll(ctx, VerificationRequests(app))
	s.logger.Info("verification", "app", app.Key, "duration", s.clock.Now().Sub(start),
		"graphRequests", s.graph.Requests()-before, "ok", err == nil)
	if err != nil {
		return nil, fmt.Errorf("verifying grants: %w", graphCtxErr(ctx, err))
	}
	r, err := evaluate(app, reps)
	if err != nil {
		return nil, fmt.Errorf("verifying grants: %w", err)
	}
	r.Cloud = s.cfg.Cloud.Name
	r.CheckedAt = s.clock.Now().UTC()
	if a := s.Admin(); a != nil {
		r.Tenant = ResultTenant{ID: a.TenantID, DisplayName: a.TenantName}
		r.SignedInAs = a.UPN
	}
	r.GraphRequests = int(s.graph.Requests() - before)
	return r, nil
}

// evaluate turns the batch replies into a Result: resolve each required permission by
// value against its resource's service principal, then look for the grant or
// assignment that gives it.
func evaluate(app *permissions.App, reps map[string]*graph.Response) (*Result, error) {
	e := &evaluation{app: app, reps: reps, r: &Result{
		Schema:      ResultSchema,
		App:         ResultApp{Key: app.Key, DisplayName: app.DisplayName, ClientID: app.ClientID},
		NextStep:    NextStep(app),
		Permissions: []PermissionCheck{},
		Extra:       []ExtraGrant{},
		Warnings:    []string{},
	}}
	for _, step := range []func() error{e.readApp, e.readResources, e.readGrantLists} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	e.checkPermissions()
	e.addExtras()
	e.setStatus()
	return e.r, nil
}

// evaluation is one evaluate in progress: the replies read so far and the Result.
type evaluation struct {
	app  *permissions.App
	reps map[string]*graph.Response
	r    *Result

	appSP       *spReply             // nil: the app has no service principal (not consented)
	resources   map[string]*resource // by lower-case appId
	byObjectID  map[string]*spReply  // the resources' service principals by object id
	grants      []grantReply
	assignments []assignmentReply
	usedScope   map[string]bool // resourceId|scope value (lower case) of required scopes
	usedRole    map[string]bool // ids of assignments that give a required role
}

// resource is a required resource's service principal, or missing from the tenant.
type resource struct {
	sp      *spReply
	missing bool
}

// readApp reads the app's service principal: 404 is "not consented".
func (e *evaluation) readApp() error {
	app, reps, r := e.app, e.reps, e.r
	appRep := reps["app"]
	if appRep == nil {
		return fmt.Errorf("no reply for the app's service principal")
	}
	switch {
	case appRep.Err == nil:
		appSP := &spReply{}
		if err := jsonUnmarshal(appRep.Body, appSP); err != nil {
			return fmt.Errorf("decoding the app's service principal: %w", err)
		}
		// A reply that is not the app's service principal proves nothing about it.
		if appSP.ID == "" || !strings.EqualFold(appSP.AppID, app.ClientID) {
			return fmt.Errorf("Microsoft Graph answered with another object (appId %q, id %q) for the service principal of %s",
				appSP.AppID, appSP.ID, app.ClientID)
		}
		e.appSP = appSP
		enabled := appSP.AccountEnabled == nil || *appSP.AccountEnabled
		r.ServicePrincipal = &ResultSP{ID: appSP.ID, AccountEnabled: enabled, DisplayName: appSP.DisplayName}
		if !enabled {
			r.Warnings = append(r.Warnings, fmt.Sprintf("The service principal of %s is disabled (accountEnabled = false): "+
				"nobody can sign in to it and it gets no tokens even with every permission granted. "+
				"Enable it in Entra admin center > Enterprise applications > the app > Properties > 'Enabled for users to sign-in?'.",
				appSP.DisplayName))
		}
	case appRep.Status == http.StatusNotFound:
		// Not consented: no service principal.
	default:
		return appRep.Err
	}
	return nil
}

// readResources reads each required resource's service principal: 404 is a resource
// missing from the tenant (AADSTS650052 territory).
func (e *evaluation) readResources() error {
	app, r := e.app, e.r
	e.resources, e.byObjectID = map[string]*resource{}, map[string]*spReply{}
	for i, res := range app.Resources() {
		rep := e.reps["r"+strconv.Itoa(i)]
		rs := &resource{}
		switch {
		case rep == nil:
			return fmt.Errorf("no reply for resource %s", res)
		case rep.Err == nil:
			rs.sp = &spReply{}
			if err := jsonUnmarshal(rep.Body, rs.sp); err != nil {
				return fmt.Errorf("decoding resource %s: %w", res, err)
			}
			if rs.sp.ID == "" || !strings.EqualFold(rs.sp.AppID, res) {
				return fmt.Errorf("Microsoft Graph answered with another object (appId %q, id %q) for resource %s",
					rs.sp.AppID, rs.sp.ID, res)
			}
			e.byObjectID[rs.sp.ID] = rs.sp
		case rep.Status == http.StatusNotFound:
			rs.missing = true
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s (%s) has no service principal in this tenant: "+
				"its permissions cannot be granted until the tenant has the service (AADSTS650052).", app.APIName(res), res))
		default:
			return rep.Err
		}
		e.resources[strings.ToLower(res)] = rs
	}
	return nil
}

// readGrantLists reads the app's delegated grants and app role assignments. A 404 on
// a list while the service principal is visible is replication, never "not consented".
func (e *evaluation) readGrantLists() error {
	if e.appSP == nil {
		return nil
	}
	r, reps := e.r, e.reps
	for _, name := range []string{"grants", "assignments"} {
		switch rep := reps[name]; {
		case rep == nil:
			return fmt.Errorf("no reply for the app's %s", name)
		case rep.Status == http.StatusNotFound:
			// Entra ID replicates the lists separately from the service principal.
			r.Replicating = true
			rep.Value = nil
		case rep.Err != nil:
			return rep.Err
		}
	}
	if r.Replicating {
		r.Warnings = append(r.Warnings, "Microsoft Graph shows the app's service principal but not yet all of its grants (404 on the lists right after consent: replication). Run verify again in a minute.")
	}
	for _, raw := range reps["grants"].Value {
		var g grantReply
		if err := jsonUnmarshal(raw, &g); err != nil {
			return fmt.Errorf("decoding a permission grant: %w", err)
		}
		e.grants = append(e.grants, g)
	}
	for _, raw := range reps["assignments"].Value {
		var a assignmentReply
		if err := jsonUnmarshal(raw, &a); err != nil {
			return fmt.Errorf("decoding an app role assignment: %w", err)
		}
		e.assignments = append(e.assignments, a)
	}
	return nil
}

// checkPermissions gives each required permission its status and evidence.
func (e *evaluation) checkPermissions() {
	e.usedScope, e.usedRole = map[string]bool{}, map[string]bool{}
	for _, p := range e.app.Permissions {
		pc := PermissionCheck{
			API: p.API, ResourceAppID: p.ResourceAppID, Permission: p.Value, FriendlyName: p.FriendlyName,
			Type: string(p.Type), Status: PermMissing, NewlyRequired: p.NewlyRequired,
		}
		rs := e.resources[strings.ToLower(p.ResourceAppID)]
		if rs.missing {
			pc.Status = PermResourceMissing
			e.r.Permissions = append(e.r.Permissions, pc)
			continue
		}
		defs := rs.sp.OAuth2PermissionScopes
		if p.Type == permissions.Application {
			defs = rs.sp.AppRoles
		}
		def := findDef(defs, p.Value)
		if def == nil {
			e.r.Warnings = append(e.r.Warnings, fmt.Sprintf("%s does not publish the %s permission %s in this tenant.", p.API, strings.ToLower(string(p.Type)), p.Value))
			e.r.Permissions = append(e.r.Permissions, pc)
			continue
		}
		pc.ID = def.ID
		if p.Type == permissions.Delegated {
			e.checkScope(&pc, rs.sp.ID, p.Value)
		} else {
			e.checkRole(&pc, rs.sp.ID, def.ID)
		}
		e.r.Permissions = append(e.r.Permissions, pc)
	}
}

// checkScope: a delegated permission is granted only by an AllPrincipals grant on its
// resource whose scope holds the value; a Principal grant alone is user consent only.
func (e *evaluation) checkScope(pc *PermissionCheck, resourceID, value string) {
	userOnly := false
	for _, g := range e.grants {
		if !strings.EqualFold(g.ResourceID, resourceID) || !hasScope(g.Scope, value) {
			continue
		}
		if strings.EqualFold(g.ConsentType, "AllPrincipals") {
			pc.Status, pc.Evidence = PermGranted, g.ID
			break
		}
		userOnly = true
	}
	if pc.Status != PermGranted && userOnly {
		pc.Status = PermUserConsentOnly
	}
	e.usedScope[strings.ToLower(resourceID+"|"+value)] = true
}

// checkRole: an application permission is granted by an assignment of its app role on
// its resource.
func (e *evaluation) checkRole(pc *PermissionCheck, resourceID, roleID string) {
	for _, a := range e.assignments {
		if strings.EqualFold(a.ResourceID, resourceID) && strings.EqualFold(a.AppRoleID, roleID) {
			pc.Status, pc.Evidence = PermGranted, a.ID
			e.usedRole[a.ID] = true
			return
		}
	}
}

// addExtras lists what the app holds tenant-wide beyond the required set, sorted.
func (e *evaluation) addExtras() {
	app, r := e.app, e.r
	seenExtra := map[ExtraGrant]bool{}
	addExtra := func(x ExtraGrant) {
		if !seenExtra[x] {
			seenExtra[x] = true
			r.Extra = append(r.Extra, x)
		}
	}
	for _, g := range e.grants {
		if !strings.EqualFold(g.ConsentType, "AllPrincipals") {
			continue
		}
		api := "resource " + g.ResourceID
		if sp := e.byObjectID[g.ResourceID]; sp != nil {
			api = app.APIName(sp.AppID)
		}
		for _, v := range strings.Fields(g.Scope) {
			if !e.usedScope[strings.ToLower(g.ResourceID+"|"+v)] {
				addExtra(ExtraGrant{API: api, Permission: safetext.Sanitize(v), Type: string(permissions.Delegated)})
			}
		}
	}
	for _, a := range e.assignments {
		if e.usedRole[a.ID] {
			continue
		}
		required := false
		api, value := a.ResourceDisplayName, a.AppRoleID
		if sp := e.byObjectID[a.ResourceID]; sp != nil {
			api = app.APIName(sp.AppID)
			if d := findDefByID(sp.AppRoles, a.AppRoleID); d != nil {
				value = d.Value
				// A second assignment of a required role is not extra.
				for _, p := range app.Permissions {
					if p.Type == permissions.Application && strings.EqualFold(p.ResourceAppID, sp.AppID) && strings.EqualFold(p.Value, d.Value) {
						required = true
					}
				}
			}
		}
		if api == "" {
			api = "resource " + a.ResourceID
		}
		if !required {
			addExtra(ExtraGrant{API: api, Permission: safetext.Sanitize(value), Type: string(permissions.Application)})
		}
	}
	slices.SortFunc(r.Extra, func(a, b ExtraGrant) int {
		return strings.Compare(a.API+"\x00"+a.Type+"\x00"+a.Permission, b.API+"\x00"+b.Type+"\x00"+b.Permission)
	})
}

// setStatus decides the overall status.
func (e *evaluation) setStatus() {
	app, r := e.app, e.r
	switch {
	case e.appSP == nil:
		r.Status = StatusNotConsented
		if app.ReauthorizeOnly {
			r.ReauthorizeOnlyBlocked = true
			r.Warnings = append(r.Warnings, reauthorizeOnlyMessage(app))
		}
	case r.Granted() == len(r.Permissions) && r.ServicePrincipal.AccountEnabled:
		r.Status = StatusComplete
	default:
		// A disabled app gets no token even with every grant in place: it will not
		// work, so the check is not complete (the warning above says why).
		r.Status = StatusIncomplete
		for _, p := range r.Permissions {
			if p.Status == PermUserConsentOnly {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s %s is consented by some users only, not for the whole tenant: admin consent is still needed.", p.API, p.Permission))
			}
		}
	}
}

func reauthorizeOnlyMessage(app *permissions.App) string {
	since := ""
	if app.CreationClosedOn != "" {
		since = " since " + app.CreationClosedOn
	}
	return fmt.Sprintf("%s can only be re-authorized: it can no longer be created%s, and this tenant has no service principal for it. "+
		"Consent cannot create it; tenants with an active subscription re-authorize the existing app. Contact AvePoint support.",
		app.DisplayName, since)
}

// findDef finds the enabled permission with value (exact case first). A disabled one
// (isEnabled false) is not published: a grant of it gives the app nothing; one
// without an id cannot be assigned.
func findDef(defs []permDef, value string) *permDef {
	enabled := func(d *permDef) bool { return d.ID != "" && (d.IsEnabled == nil || *d.IsEnabled) }
	for i := range defs {
		if defs[i].Value == value && enabled(&defs[i]) {
			return &defs[i]
		}
	}
	for i := range defs { // case-insensitive fallback
		if strings.EqualFold(defs[i].Value, value) && enabled(&defs[i]) {
			return &defs[i]
		}
	}
	return nil
}

func findDefByID(defs []permDef, id string) *permDef {
	for i := range defs {
		if strings.EqualFold(defs[i].ID, id) {
			return &defs[i]
		}
	}
	return nil
}

// hasScope reports whether the space-separated scope string holds value.
func hasScope(scope, value string) bool {
	for _, s := range strings.Fields(scope) {
		if strings.EqualFold(s, value) {
			return true
		}
	}
	return false
}
