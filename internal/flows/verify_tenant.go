package flows

import (
	"context"
	"fmt"
	"net/http"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// Verifying an app in a tenant other than the one signed in to: the unattended
// (app identity) verify, and each tenant of a fleet check (internal/fleet). The
// requests and evaluation are a single verify's (VerificationRequests, evaluate),
// plus /organization for the tenant's name, in one $batch.

// TenantTokens gives a Microsoft Graph access token for a tenant (id or domain).
type TenantTokens interface {
	TenantToken(ctx context.Context, tenant string) (string, error)
}

// TenantToken is a Graph token of the signed-in admin in another tenant (a customer
// tenant where they are a guest or hold GDAP roles), obtained silently: MSAL redeems
// the sign-in's refresh token at that tenant's authority.
func (s *Session) TenantToken(ctx context.Context, tenant string) (string, error) {
	// The grants are read there: ask for everything the sign-in needs, so a sign-in
	// client not consented in that tenant says so (AADSTS65001 or 90099).
	t, err := s.auth.SilentTenant(ctx, tenant, s.allScopes)
	if err != nil {
		return "", wrapAuth("getting a token for tenant "+safetext.Sanitize(tenant), err)
	}
	return t.AccessToken, nil
}

// TenantCheck is what verifying an app in a tenant with a tenant token needs.
type TenantCheck struct {
	Cloud      Cloud
	HTTPClient *http.Client
	Clock      Clock
	Tokens     TenantTokens
	// SignedInAs names the caller in the result (the admin's UPN, or the app).
	SignedInAs string
	// AppOnly: the caller is an app identity (no /me, no role check).
	AppOnly bool
	// Gate, when set, is the Graph back-off shared with other tenants' checks (a
	// fleet check): a 429 in one tenant slows them all.
	Gate *graph.Gate
}

// VerifyTenant verifies app in tenant with a token from c.Tokens.
func VerifyTenant(ctx context.Context, c TenantCheck, app *permissions.App, tenant string) (*Result, error) {
	if app == nil || !permissions.IsGUID(app.ClientID) {
		return nil, Usagef("no app client id to verify: pass --client-id (a GUID)")
	}
	if c.HTTPClient == nil {
		c.HTTPClient = DefaultHTTPClient()
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Gate == nil {
		c.Gate = graph.NewGate(c.Clock)
	}
	token := func(ctx context.Context) (string, error) { return c.Tokens.TenantToken(ctx, tenant) }
	g := graph.New(c.Cloud.GraphURL, c.HTTPClient, token, graph.WithClock(c.Clock), graph.WithGate(c.Gate))
	reqs := append(VerificationRequests(app),
		graph.Request{ID: "org", Method: http.MethodGet, URL: "/organization?$select=id,displayName,verifiedDomains"})
	reps, err := g.BatchAll(ctx, reqs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("verifying grants: %w", context.Cause(ctx))
		}
		return nil, fmt.Errorf("verifying grants: %w", err)
	}
	r, err := evaluate(app, reps)
	if err != nil {
		return nil, fmt.Errorf("verifying grants: %w", err)
	}
	r.Cloud = c.Cloud.Name
	r.CheckedAt = c.Clock.Now().UTC()
	r.SignedInAs = c.SignedInAs
	r.Tenant = ResultTenant{ID: tenant}
	if org := reps["org"]; org != nil && org.Err == nil {
		for _, raw := range org.Value {
			var o orgReply
			if jsonUnmarshal(raw, &o) == nil {
				r.Tenant = ResultTenant{ID: o.ID, DisplayName: safetext.Sanitize(o.DisplayName)}
			}
			break
		}
	} else if org != nil && org.Err != nil {
		r.Warnings = append(r.Warnings, "Could not read the tenant's name (/organization): "+safetext.Sanitize(org.Err.Error()))
	}
	if c.AppOnly {
		r.Warnings = append(r.Warnings, "Checked with an app identity (app-only): there is no signed-in user, so no directory role was checked.")
	}
	r.GraphRequests = int(g.Requests())
	return r, nil
}
