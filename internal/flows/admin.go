package flows

// The signed-in admin: who they are, in which tenant, and the directory roles that
// decide what they may grant (read from Graph in the same $batch as verification).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/permissions"
)

// Admin is the signed-in user and what the tenant says about them.
// Its text is display-safe: the names come from Graph through graph.Unmarshal.
type Admin struct {
	UPN         string
	DisplayName string
	ObjectID    string
	TenantID    string
	TenantName  string
	Domains     []string
	// Roles are the display names of the user's active directory roles.
	Roles []string
	// DirectoryRoles are the active directory roles (from /me/transitiveMemberOf).
	DirectoryRoles []DirectoryRole
	// RolesErr is why the roles could not be read (nil when they were): "could not
	// read" is never "no role" (RoleCheck says RoleUnknown).
	RolesErr error
	// RolesRead is true once the roles were read from Graph (RolesErr nil): only then
	// is "no role" a verdict rather than "not looked at".
	RolesRead bool
	// CanConsent is true when an active role can grant admin consent to Graph
	// application permissions (Global Administrator, Privileged Role Administrator).
	CanConsent bool
	// RoleWarning explains the verdict when !CanConsent: a missing role and PIM
	// activation, a delegated-only role, or roles that could not be read.
	RoleWarning string
	// CustomRoles are the custom directory roles the user holds (roles_custom.go);
	// CustomRolesErr is why they could not be read.
	CustomRoles    []CustomRole
	CustomRolesErr error
	// customAsked: the custom roles were asked for (the user's object id was known).
	customAsked bool
}

type meReply struct {
	ID                string `json:"id"`
	DisplayName       string `json:"displayName"`
	UserPrincipalName string `json:"userPrincipalName"`
}

type orgReply struct {
	ID              string `json:"id"`
	DisplayName     string `json:"displayName"`
	VerifiedDomains []struct {
		Name      string `json:"name"`
		IsDefault bool   `json:"isDefault"`
	} `json:"verifiedDomains"`
}

// adminRequests read the signed-in admin: /me, /organization and the roles (built-in
// from the memberships; custom from the role assignments, when the sign-in named
// the user's object id).
func (s *Session) adminRequests() []graph.Request {
	reqs := []graph.Request{
		{ID: "me", Method: http.MethodGet, URL: "/me?$select=id,displayName,userPrincipalName"},
		{ID: "org", Method: http.MethodGet, URL: "/organization?$select=id,displayName,verifiedDomains"},
		{ID: "roles", Method: http.MethodGet, URL: RolesRequestURL},
	}
	if oid := s.signedInOID(); permissions.IsGUID(oid) {
		reqs = append(reqs, graph.Request{ID: "custom", Method: http.MethodGet, URL: customRolesURL(oid)})
	}
	return reqs
}

func (s *Session) signedInOID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signedIn.oid
}

func (s *Session) loadAdmin(ctx context.Context) (*Admin, error) {
	reps, err := s.graph.BatchAll(ctx, s.adminRequests())
	if err != nil {
		return nil, fmt.Errorf("reading the signed-in admin: %w", graphCtxErr(ctx, err))
	}
	s.addGroupRoles(ctx, reps)
	return s.buildAdmin(reps)
}

// buildAdmin reads the replies of adminRequests.
func (s *Session) buildAdmin(reps map[string]*graph.Response) (*Admin, error) {
	for _, id := range []string{"me", "org"} {
		if reps[id] == nil {
			return nil, fmt.Errorf("reading the signed-in admin: no reply for %s", id)
		}
	}
	var me meReply
	if r := reps["me"]; r.Err != nil {
		// A partner's GDAP technician has no user object in the customer tenant, so
		// /me may be refused or not found there
		// (partner-center/customers/gdap-introduction): who signed in is what the
		// sign-in's ID token says.
		s.mu.Lock()
		id := s.signedIn
		s.mu.Unlock()
		if (r.Status != http.StatusForbidden && r.Status != http.StatusNotFound) || id.upn == "" {
			return nil, fmt.Errorf("reading the signed-in admin: %w", r.Err)
		}
		s.logger.Info("/me unavailable: the signed-in identity comes from the sign-in's claims", "status", r.Status)
		me = meReply{ID: id.oid, DisplayName: id.name, UserPrincipalName: id.upn}
	} else if err := jsonUnmarshal(r.Body, &me); err != nil {
		return nil, fmt.Errorf("reading /me: %w", err)
	}
	if reps["org"].Err != nil {
		return nil, fmt.Errorf("reading the signed-in admin: %w", reps["org"].Err)
	}
	a := &Admin{UPN: me.UserPrincipalName, DisplayName: me.DisplayName, ObjectID: me.ID}
	for _, raw := range reps["org"].Value {
		var o orgReply
		if err := jsonUnmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("reading /organization: %w", err)
		}
		a.TenantID, a.TenantName = o.ID, o.DisplayName
		for _, d := range o.VerifiedDomains {
			if d.IsDefault {
				a.Domains = append([]string{d.Name}, a.Domains...)
			} else {
				a.Domains = append(a.Domains, d.Name)
			}
		}
		break
	}
	a.setCustom(reps)
	a.setRoles(reps["roles"])
	switch {
	case errors.Is(a.RolesErr, errLimitedRoles) && !s.hasGrantRead():
		// Expected before the grants are read: EnsureGrantRead reads them again.
		s.logger.Info("directory roles not readable with the first sign-in's permissions", "err", a.RolesErr)
	case a.RolesErr != nil:
		s.logger.Warn("reading directory roles", "err", a.RolesErr)
	}
	return a, nil
}

// setRoles reads the role request's reply into a.
func (a *Admin) setRoles(r *graph.Response) {
	var readErr error
	var items []json.RawMessage
	switch {
	case r == nil:
		readErr = errors.New("no reply")
	case r.Err != nil:
		readErr = r.Err
	default:
		items = r.Value
	}
	roles, err := parseDirectoryRoles(items, readErr)
	a.DirectoryRoles, a.RolesErr, a.RolesRead = roles, err, err == nil
	a.Roles = nil
	for _, role := range roles {
		a.Roles = append(a.Roles, role.DisplayName)
	}
	c := a.RoleCheck(nil)
	a.CanConsent = c.CanGrantAll()
	a.RoleWarning = ""
	if !a.CanConsent {
		a.RoleWarning = c.Message
	}
}

// RoleCheck is the verdict on the admin's roles for app (nil = any app).
func (a *Admin) RoleCheck(app *permissions.App) RoleCheck {
	return a.withCustomRoles(JudgeRoles(a.UPN, a.DirectoryRoles, a.RolesErr, app))
}

// setCustom reads the custom role request's reply, when it was asked.
func (a *Admin) setCustom(reps map[string]*graph.Response) {
	r, asked := reps["custom"]
	a.customAsked = asked
	a.CustomRoles, a.CustomRolesErr = nil, nil
	if !asked {
		return
	}
	a.CustomRoles, a.CustomRolesErr = parseCustomRoles(r)
	for _, id := range slices.Sorted(maps.Keys(reps)) {
		if !strings.HasPrefix(id, groupRolePrefix) || a.CustomRolesErr != nil {
			continue
		}
		roles, err := parseCustomRoles(reps[id])
		a.CustomRoles, a.CustomRolesErr = append(a.CustomRoles, roles...), err
	}
}
