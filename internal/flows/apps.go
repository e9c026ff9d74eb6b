package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/d365consent/d365consent/internal/browser"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// ParseClientIDInput reads what the admin gave where a client id is asked (the
// wizard's field, --client-id): a GUID (braces and case tolerated), or a pasted AOS
// consent link, from which client_id and redirect_uri are taken. A redirect_uri must be
// https, or http on a loopback host.
func ParseClientIDInput(s string) (clientID, redirectURI string, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", "", Usagef("no client id: paste the app's Application (client) ID or the consent link AOS gives you")
	}
	if g := strings.Trim(s, "{}"); permissions.IsGUID(g) {
		return strings.ToLower(g), "", nil
	}
	if !strings.HasPrefix(strings.ToLower(s), "https://") && !strings.HasPrefix(strings.ToLower(s), "http://") {
		return "", "", Usagef("%q is neither a client id (a GUID) nor a consent link", safetext.Sanitize(trimTo(s, 80)))
	}
	u, perr := url.Parse(s)
	if perr != nil || u.Host == "" {
		return "", "", Usagef("that link cannot be read: paste the whole consent link from AOS")
	}
	q := u.Query()
	id := strings.Trim(q.Get("client_id"), "{}")
	if !permissions.IsGUID(id) {
		return "", "", Usagef("the link carries no client_id GUID: paste the consent link AOS gives you, or the client id itself")
	}
	redirect := q.Get("redirect_uri")
	if redirect != "" {
		ru, rerr := url.Parse(redirect)
		if rerr != nil || ru.Host == "" || !(ru.Scheme == "https" || ru.Scheme == "http" && isLoopbackHost(ru.Hostname())) ||
			browser.CheckURL(redirect) != nil {
			return "", "", Usagef("the link's redirect_uri %q is not an https address", safetext.Sanitize(trimTo(redirect, 120)))
		}
	}
	return strings.ToLower(id), redirect, nil
}

func trimTo(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// AppCandidate is a service principal in the tenant that may be the app.
// Its text is display-safe: it is decoded from Graph by graph.Unmarshal.
type AppCandidate struct {
	ID    string
	AppID string
	// DisplayName is the tenant's name for the enterprise application, which its
	// admins may change (application-properties): a label only, never matched.
	DisplayName string
	// AppDisplayName is the publisher's name of the app registration, which the
	// tenant cannot change (graph resources/serviceprincipal, appDisplayName).
	AppDisplayName         string
	AppOwnerOrganizationID string
	// CreatedDateTime is zero when Graph does not say (servicePrincipal in v1.0 does
	// not document it; shown as "unknown").
	CreatedDateTime time.Time
	// FirstGranted is the earliest createdDateTime of the service principal's app
	// role assignments — a documented date
	// (https://learn.microsoft.com/graph/api/resources/approleassignment): when its
	// application permissions were first granted in this tenant, usually the day
	// consent created it. Zero when it has none or they could not be read.
	FirstGranted   time.Time
	AccountEnabled bool
}

type candidateReply struct {
	ID                     string `json:"id"`
	AppID                  string `json:"appId"`
	DisplayName            string `json:"displayName"`
	AppDisplayName         string `json:"appDisplayName"`
	AppOwnerOrganizationID string `json:"appOwnerOrganizationId"`
	CreatedDateTime        string `json:"createdDateTime"`
	AccountEnabled         *bool  `json:"accountEnabled"`
}

func (r candidateReply) candidate() AppCandidate {
	c := AppCandidate{ID: r.ID, AppID: strings.ToLower(r.AppID), DisplayName: r.DisplayName, AppDisplayName: r.AppDisplayName,
		AppOwnerOrganizationID: r.AppOwnerOrganizationID, AccountEnabled: r.AccountEnabled == nil || *r.AccountEnabled}
	if t, err := time.Parse(time.RFC3339, r.CreatedDateTime); err == nil {
		c.CreatedDateTime = t.UTC()
	}
	return c
}

// odataString quotes s as an OData string literal (” for ').
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// FindApps lists the tenant's service principals of the catalog's app
// (re-authorization: the app is already there), newest first; the admin picks one.
// They are found by the publisher's registration name (appDisplayName), which a
// tenant admin cannot change, not by the enterprise application's displayName, which
// they can (entra/identity-platform/application-properties): a renamed app is found.
func (s *Session) FindApps(ctx context.Context, app *permissions.App) ([]AppCandidate, error) {
	if app == nil || app.DisplayName == "" {
		return nil, Usagef("no app to look for")
	}
	if err := s.EnsureGrantRead(ctx); err != nil {
		return nil, err
	}
	path := "/servicePrincipals?$filter=" + url.QueryEscape("appDisplayName eq "+odataString(app.DisplayName))
	items, err := s.graph.GetAll(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("looking for %s in the tenant: %w", app.DisplayName, graphCtxErr(ctx, err))
	}
	var out []AppCandidate
	for _, raw := range items {
		var r candidateReply
		if err := jsonUnmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("looking for %s in the tenant: %w", app.DisplayName, err)
		}
		if permissions.IsGUID(r.AppID) {
			out = append(out, r.candidate())
		}
	}
	s.firstGranted(ctx, out)
	slices.SortFunc(out, func(a, b AppCandidate) int {
		if c := b.CreatedDateTime.Compare(a.CreatedDateTime); c != 0 {
			return c
		}
		if c := b.FirstGranted.Compare(a.FirstGranted); c != 0 {
			return c
		}
		return strings.Compare(a.AppID, b.AppID)
	})
	s.logger.Info("app candidates", "app", app.Key, "found", len(out))
	return out, nil
}

// firstGranted fills each candidate's FirstGranted from its app role assignments, in
// one $batch for all of them. Best effort: a candidate whose assignments cannot be
// read (403 without a directory role, a throttled batch) keeps a zero date.
func (s *Session) firstGranted(ctx context.Context, cands []AppCandidate) {
	if len(cands) == 0 {
		return
	}
	reqs := make([]graph.Request, 0, len(cands))
	for i, c := range cands {
		if !permissions.IsGUID(c.ID) {
			continue
		}
		reqs = append(reqs, graph.Request{ID: strconv.Itoa(i), Method: "GET",
			URL: "/servicePrincipals/" + c.ID + "/appRoleAssignments?$select=id,createdDateTime"})
	}
	replies, err := s.graph.BatchAll(ctx, reqs)
	if err != nil {
		s.logger.Info("app candidates: assignments not read", "err", err.Error())
		return
	}
	for id, r := range replies {
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= len(cands) || r.Err != nil {
			continue
		}
		for _, raw := range r.Value {
			var a struct {
				Created string `json:"createdDateTime"`
			}
			if jsonUnmarshal(raw, &a) != nil {
				continue
			}
			if t, err := time.Parse(time.RFC3339, a.Created); err == nil && (cands[i].FirstGranted.IsZero() || t.Before(cands[i].FirstGranted)) {
				cands[i].FirstGranted = t.UTC()
			}
		}
	}
}

// WrongAppError stops consent: the client id's service principal in the tenant is
// another app than the catalog's. errors.Is(err, ErrUsage) holds.
type WrongAppError struct {
	ClientID, Found, Owner, Expected string
	Grants                           []string
}

func (e *WrongAppError) Error() string {
	owner := ""
	if e.Owner != "" {
		owner = " (published by tenant " + e.Owner + ")"
	}
	return fmt.Sprintf("STOP — wrong app. Client id %s is %q%s in this tenant, not %q. "+
		"Consenting would grant %q, for the whole tenant: %s. "+
		"Nothing was opened. Check the client id (or paste the consent link from AOS), or pick the app from the list found in the tenant.",
		e.ClientID, e.Found, owner, e.Expected, e.Found, strings.Join(e.Grants, ", "))
}

// Is makes WrongAppError match ErrUsage.
func (e *WrongAppError) Is(target error) bool { return target == ErrUsage }

// Explain warns that consenting would grant another app, and names what it would grant.
func (e *WrongAppError) Explain() *explain.Explanation {
	return &explain.Explanation{Title: "STOP — this client id is another app",
		Meaning: fmt.Sprintf("Client id %s is %q in this tenant, not %q. Consenting would grant %q, for the whole tenant: %s.",
			e.ClientID, e.Found, e.Expected, e.Found, strings.Join(e.Grants, ", ")),
		Fix: "Nothing was opened. Check the client id, paste the consent link AOS gives you, or pick the app found in the tenant."}
}

// guardTarget compares the client id's service principal (nil = not in the tenant:
// nothing to compare) with the catalog's app, by what the tenant cannot change: the
// publisher's registration name (appDisplayName), never the displayName a tenant
// admin may have renamed.
func guardTarget(app *permissions.App, sp *AppCandidate) error {
	// The catalog's name, possibly decorated (the demo's hostile tenant appends escape
	// sequences): a mistyped GUID that points at some other app never carries it.
	if sp == nil || sp.AppDisplayName != "" && strings.Contains(normName(sp.AppDisplayName), normName(app.DisplayName)) {
		return nil
	}
	var grants []string
	for _, p := range app.Permissions {
		grants = append(grants, p.API+" "+p.Value+" ("+string(p.Type)+")")
	}
	found := sp.AppDisplayName // the publisher's name; the tenant's label when Graph gave none
	if found == "" {
		found = sp.DisplayName
	}
	return &WrongAppError{ClientID: app.ClientID, Found: found, Owner: sp.AppOwnerOrganizationID,
		Expected: app.DisplayName, Grants: grants}
}

func normName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// CheckConsentTarget reads the service principal of app.ClientID (when the tenant has
// one) and refuses with a *WrongAppError when it is not the catalog's app: a mistyped
// GUID must never grant another app tenant-wide Directory.Read.All. StartConsent calls
// it before anything is opened.
func (s *Session) CheckConsentTarget(ctx context.Context, app *permissions.App) error {
	if err := s.EnsureGrantRead(ctx); err != nil {
		return err
	}
	var r candidateReply
	path := "/servicePrincipals(appId='" + url.PathEscape(app.ClientID) + "')?$select=id,appId,displayName,appDisplayName,appOwnerOrganizationId,accountEnabled"
	err := s.graph.Get(ctx, path, &r)
	var ge *graph.Error
	switch {
	case errors.As(err, &ge) && ge.Status == http.StatusNotFound:
		return nil
	case err != nil:
		return fmt.Errorf("checking which app client id %s is: %w", app.ClientID, graphCtxErr(ctx, err))
	}
	c := r.candidate()
	if err := guardTarget(app, &c); err != nil {
		s.logger.Warn("consent target is another app", "clientId", app.ClientID, "found", c.DisplayName)
		return err
	}
	return nil
}
