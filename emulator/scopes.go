package emulator

// What a token request's scope parameter names: the resource, its scopes, and the
// consent the user or an admin gave for them
// (https://learn.microsoft.com/entra/identity-platform/permissions-consent-overview).

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// scopeSet is a parsed scope parameter: one resource's permissions, plus the OpenID
// Connect scopes.
type scopeSet struct {
	raw []string // as requested
	// values are the resource's permission values requested, and the OpenID Connect
	// scopes (openid, profile, offline_access, email) in lower case.
	values []string
	// resource is the app named ("{resource}/value"), Microsoft Graph when the values
	// are bare ("If the resource identifier is omitted in the scope parameter, the
	// resource is assumed to be Microsoft Graph", entra/identity-platform/scopes-oidc).
	resource *application
	prefix   string // the resource part of the first qualified scope as written ("" = bare values)
	dflt     bool   // a /.default scope was requested
}

var oidcScopes = []string{"openid", "profile", "offline_access", "email"}

// parseScopes resolves a scope parameter against the tenant. A qualified scope names
// its resource by an identifier URI, its appId or api://{appId}: for Microsoft
// Graph the cloud's Graph resource URI (https://graph.microsoft.com in the global
// cloud, https://graph.microsoft.us in usgov… — graph/deployments; "any permission
// scope value (including the .default scope) that contains the Microsoft Graph domain
// MUST use the domain of the Microsoft Graph service root endpoint for the national
// cloud deployment", graph/sdks/national-clouds); for Azure Resource Manager
// https://management.core.windows.net/ or https://management.azure.com/. Any other
// prefix — another cloud's Graph URI, this emulator's own address, an API whose
// service principal is not in the tenant — is AADSTS500011
// InvalidResourceServicePrincipalNotFound; two resources in one request are
// AADSTS28000 ("Provided value for the input parameter scope isn't valid because it
// contains more than one resource"); a value the resource does not publish is
// AADSTS70011 InvalidScope (entra/identity-platform/reference-error-codes).
func (s *Server) parseScopes(scope string) (scopeSet, *oauthError) {
	var out scopeSet
	for _, sc := range strings.Fields(scope) {
		out.raw = append(out.raw, sc)
		if containsFold(oidcScopes, sc) {
			out.values = append(out.values, strings.ToLower(sc))
			continue
		}
		res, value := s.dir.apps[permissions.GraphAppID], sc
		if i := strings.LastIndex(sc, "/"); i >= 0 {
			value = sc[i+1:]
			if res = s.resourceNamed(sc[:i]); res == nil {
				return out, &oauthError{Code: "invalid_resource", AADSTS: 500011, Message: fmt.Sprintf(
					"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
					sc[:i], s.dir.tenant.DisplayName)}
			}
			if out.prefix == "" {
				out.prefix = sc[:i]
			}
		}
		if out.resource != nil && out.resource != res {
			return out, &oauthError{Code: "invalid_scope", AADSTS: 28000, Message: fmt.Sprintf(
				"Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)}
		}
		out.resource = res
		if value == ".default" {
			out.dflt = true
			continue // resolved against existing consent
		}
		ps := res.scope(value)
		if ps == nil {
			return out, &oauthError{Code: "invalid_scope", AADSTS: 70011, Message: fmt.Sprintf("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", sc)}
		}
		out.values = append(out.values, ps.Value)
	}
	if out.resource == nil {
		out.resource = s.dir.apps[permissions.GraphAppID]
	}
	return out, nil
}

// resourceNamed is the application a scope's resource part names, when its service
// principal is in the tenant; nil otherwise. Case and a trailing slash do not matter
// ("https://management.core.windows.net//.default" names
// https://management.core.windows.net/).
func (s *Server) resourceNamed(prefix string) *application {
	name := strings.TrimSuffix(strings.ToLower(prefix), "/")
	for id, a := range s.dir.apps {
		names := []string{id, "api://" + id}
		if id == permissions.GraphAppID {
			names = append(names, s.cloud.GraphURL)
		}
		for _, u := range a.IdentifierURIs {
			names = append(names, strings.TrimSuffix(strings.ToLower(u), "/"))
		}
		if slices.Contains(names, name) && s.dir.spByAppID(id, time.Time{}) != nil {
			return a
		}
	}
	return nil
}

// consentFor is what user may use client for on resource without being asked: the
// tenant's consent (the AllPrincipals grant plus the user's own) and what the
// resource pre-authorized the client for. The OpenID Connect scopes are Microsoft
// Graph's, whatever the resource. s.mu held.
func (s *Server) consentFor(clientID string, resource *application, u *user) (resourceScopes, oidc []string) {
	client := s.dir.spByAppID(clientID, time.Time{})
	graph := s.dir.spByAppID(permissions.GraphAppID, time.Time{})
	res := s.dir.spByAppID(resource.AppID, time.Time{})
	app := s.dir.apps[strings.ToLower(clientID)]
	if client == nil || res == nil || graph == nil {
		return nil, nil
	}
	resourceScopes = append(s.dir.consentedScopes(client, res, u.ID), app.PreAuthorized[resource.AppID]...)
	for _, sc := range append(s.dir.consentedScopes(client, graph, u.ID), app.PreAuthorized[permissions.GraphAppID]...) {
		if containsFold(oidcScopes, sc) && !containsFold(oidc, sc) {
			oidc = append(oidc, sc)
		}
	}
	var kept []string
	for _, sc := range resourceScopes {
		if !containsFold(oidcScopes, sc) && !containsFold(kept, sc) {
			kept = append(kept, sc)
		}
	}
	sort.Strings(kept)
	return kept, oidc
}

// missingConsent lists the scopes (of resource, and OpenID Connect ones) client
// lacks for user; s.mu held.
func (s *Server) missingConsent(clientID, resourceAppID string, u *user, scopes []string) []string {
	resource := s.dir.apps[strings.ToLower(resourceAppID)]
	if resource == nil {
		return scopes
	}
	have, oidc := s.consentFor(clientID, resource, u)
	var missing []string
	for _, sc := range scopes {
		if !containsFold(have, sc) && !containsFold(oidc, sc) && !containsFold(missing, sc) {
			missing = append(missing, sc)
		}
	}
	return missing
}

// grantedScope is the token response's "scope": the Graph permissions the tenant
// has consented for this client and user (every one of them, not only those
// requested: Entra issues a token for all consented scopes of the resource), written
// with the resource prefix the request used, and never the OIDC scopes such as
// offline_access — entra/identity-platform/v2-oauth2-auth-code-flow, "Successful
// response": scope "https://graph.microsoft.com/mail.read" for a request of
// "openid offline_access https://graph.microsoft.com/mail.read". A request for
// /.default is echoed as asked (MSAL treats a missing requested scope as declined).
func grantedScope(consented []string, sc scopeSet) string {
	if sc.dflt {
		return strings.Join(sc.raw, " ")
	}
	var out []string
	for _, v := range consented {
		if containsFold(oidcScopes, v) {
			continue
		}
		if sc.prefix != "" {
			v = sc.prefix + "/" + v
		}
		out = append(out, v)
	}
	return strings.Join(out, " ")
}
