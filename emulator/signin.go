package emulator

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/d365consent/d365consent/permissions"
)

// servePages routes the plain-HTTP browser pages.
func (s *Server) servePages(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case p == "/":
		renderPage(w, http.StatusOK, "index", map[string]any{"Title": "Demo tenant", "Tenant": s.TenantName(), "TenantID": s.TenantID(), "Scenario": s.scenario.Name})
		return
	case p == "/login" && r.Method == http.MethodPost:
		s.login(w, r)
		return
	case p == "/consent" && r.Method == http.MethodPost:
		s.consent(w, r)
		return
	case p == "/devicelogin":
		s.deviceLogin(w, r)
		return
	case p == PublisherLandingPath:
		s.landing(w, r)
		return
	}
	seg, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	switch rest {
	case "oauth2/v2.0/authorize", "oauth2/authorize":
		s.noteScope("authorize", seg, "", r.URL.Query())
		s.authorize(w, r, seg)
	case "adminconsent", "v2.0/adminconsent":
		s.adminConsent(w, r, seg, rest == "v2.0/adminconsent")
	default:
		s.errorPage(w, http.StatusNotFound, &oauthError{AADSTS: 90002, Message: "The page " + p + " does not exist in the demo tenant."}, "")
	}
}

func (s *Server) errorPage(w http.ResponseWriter, status int, e *oauthError, back string) {
	renderPage(w, status, "error", map[string]any{
		"Title": "Sorry, but we're having trouble signing you in.", "Message": e.Error(),
		"RequestID": randomID(), "CorrelationID": randomID(), "Timestamp": s.now().UTC().Format(time.RFC3339), "Back": back,
	})
}

// authorize is the OAuth 2.0 authorization endpoint (auth code + PKCE).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, seg string) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dir.matchesTenant(seg) {
		s.errorPage(w, http.StatusBadRequest, s.unknownTenant(seg), "")
		return
	}
	clientID := q.Get("client_id")
	app := s.dir.apps[strings.ToLower(clientID)]
	if app == nil {
		s.errorPage(w, http.StatusBadRequest, s.checkPublicClient(clientID), "")
		return
	}
	redirect := q.Get("redirect_uri")
	if !app.replyURLAllowed(redirect) {
		s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 50011, Message: fmt.Sprintf(
			"The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirect, clientID)}, "")
		return
	}
	t := &txn{ID: randomToken(24), Kind: "authorize", Tenant: seg, ClientID: clientID, RedirectURI: redirect, State: q.Get("state"),
		ResponseMode: q.Get("response_mode"), Challenge: q.Get("code_challenge"), ChallengeMethod: q.Get("code_challenge_method"), Created: s.now()}
	if t.ResponseMode == "" {
		t.ResponseMode = "query"
	}
	fail := func(e *oauthError, code string) { s.finishError(w, t, code, "", e) }
	switch {
	case q.Get("response_type") != "code":
		fail(&oauthError{AADSTS: 700054, Message: "response_type '" + q.Get("response_type") + "' is not enabled for the application."}, "unsupported_response_type")
		return
	case t.ResponseMode != "form_post" && t.ResponseMode != "query":
		fail(&oauthError{AADSTS: 900352, Message: "Invalid response_mode: " + t.ResponseMode}, "invalid_request")
		return
	case t.ChallengeMethod != "" && t.ChallengeMethod != "S256" && t.ChallengeMethod != "plain":
		fail(&oauthError{AADSTS: 50148, Message: "Invalid code_challenge_method: " + t.ChallengeMethod}, "invalid_request")
		return
	}
	if e := s.disabledClient(clientID); e != nil {
		fail(e, e.Code)
		return
	}
	scopes, oerr := s.parseScopes(q.Get("scope"))
	if oerr != nil {
		fail(oerr, oerr.Code)
		return
	}
	t.Scopes, t.Resource = scopes.values, scopes.resource.AppID
	s.txns[t.ID] = t
	s.pickerPage(w, t, "Pick an account", app.DisplayName)
}

func (s *Server) pickerPage(w http.ResponseWriter, t *txn, title, appName string) {
	type row struct{ Key, UPN, DisplayName, Roles string }
	var users []row
	for i, u := range s.dir.users {
		users = append(users, row{Key: fmt.Sprint(i + 1), UPN: u.UPN, DisplayName: u.DisplayName, Roles: strings.Join(s.dir.roleNames(u), ", ")})
	}
	renderPage(w, http.StatusOK, "signin", map[string]any{"Title": title, "App": appName, "Txn": t.ID, "Tenant": s.dir.tenant.DisplayName, "Users": users})
}

// takeTxn finds a live transaction; s.mu held.
func (s *Server) takeTxn(w http.ResponseWriter, r *http.Request) *txn {
	t := s.txns[r.PostFormValue("txn")]
	if t == nil || t.done || s.now().Sub(t.Created) > 15*time.Minute {
		s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 90014, Message: "The sign-in session has expired or was already completed. Start again from the application."}, "")
		return nil
	}
	return t
}

// login is the account picker's answer.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.takeTxn(w, r)
	if t == nil {
		return
	}
	upn := r.PostFormValue("upn")
	if upn == "" { // Cancel
		e := &oauthError{AADSTS: 50058, Message: "The user cancelled the sign-in."}
		if t.Kind == "admin" {
			s.finishAdminError(w, t, "access_denied", "cancel", e)
		} else {
			s.finishError(w, t, "access_denied", "cancel", e)
		}
		return
	}
	u := s.dir.userByUPN(upn)
	if u == nil {
		s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 50034, Message: "The user account " + upn + " does not exist in the " + s.dir.tenant.DisplayName + " directory."}, "")
		return
	}
	t.UserID = u.ID
	switch t.Kind {
	case "admin":
		s.adminConsentPage(w, t, u)
	default:
		if code, e := s.signInPolicy(t, u); e != nil {
			s.finishError(w, t, code, "", e)
			return
		}
		missing := s.missingConsent(t.ClientID, t.Resource, u, t.Scopes)
		if len(missing) == 0 {
			s.finishSuccess(w, t, u)
			return
		}
		for _, m := range missing {
			if ps := s.dir.apps[strings.ToLower(t.Resource)].scope(m); ps != nil && ps.AdminOnly && !s.dir.canGrantDelegated(u) {
				s.finishError(w, t, "access_denied", "", &oauthError{AADSTS: 90094, Message: "The grant requires admin permission. " +
					s.dir.apps[strings.ToLower(t.ClientID)].DisplayName + " needs permission to access resources in your organization that only an admin can grant (" + m + "). Ask an admin to grant permission to this app before you can use it."})
				return
			}
		}
		app := s.dir.apps[strings.ToLower(t.ClientID)]
		renderPage(w, http.StatusOK, "consent", map[string]any{
			"Title": "Permissions requested", "App": app.DisplayName, "Publisher": app.Publisher, "Txn": t.ID,
			"Scopes": s.scopeDetails(t.Resource, missing), "CanOrg": s.dir.canGrantDelegated(u),
		})
	}
}

// consent is the answer of a consent page (the sign-in client's, or admin consent).
func (s *Server) consent(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.takeTxn(w, r)
	if t == nil {
		return
	}
	u := s.dir.userByID(t.UserID)
	if u == nil {
		s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 50058, Message: "No account was chosen."}, "")
		return
	}
	accept := r.PostFormValue("decision") == "accept"
	if t.Kind == "admin" {
		s.finishAdminConsent(w, t, u, accept)
		return
	}
	if !accept {
		s.finishError(w, t, "access_denied", "cancel", &oauthError{AADSTS: 65004, Message: "User declined to consent to access the app."})
		return
	}
	client := s.dir.addSP(s.dir.apps[strings.ToLower(t.ClientID)], true, time.Time{})
	// The OpenID Connect scopes are Microsoft Graph's permissions; the rest the resource's.
	grants := map[string][]string{}
	for _, m := range s.missingConsent(t.ClientID, t.Resource, u, t.Scopes) {
		res := t.Resource
		if containsFold(oidcScopes, m) {
			res = permissions.GraphAppID
		}
		grants[res] = append(grants[res], m)
	}
	for _, res := range sortedMapKeys(grants) {
		resource := s.dir.spByAppID(res, time.Time{})
		if r.PostFormValue("org") != "" && s.dir.canGrantDelegated(u) {
			s.dir.grantDelegated(client, resource, "AllPrincipals", "", grants[res], time.Time{})
		} else {
			s.dir.grantDelegated(client, resource, "Principal", u.ID, grants[res], time.Time{})
		}
	}
	s.finishSuccess(w, t, u)
}

// finishSuccess ends a sign-in: a code back to the app, or a device approval.
func (s *Server) finishSuccess(w http.ResponseWriter, t *txn, u *user) {
	t.done = true
	delete(s.txns, t.ID)
	if t.Kind == "device" {
		t.Device.UserID = u.ID
		t.Device.Status = "approved"
		renderPage(w, http.StatusOK, "done", map[string]any{"Title": "You're signed in", "Message": "You have signed in to the " +
			s.dir.apps[strings.ToLower(t.ClientID)].DisplayName + " application on your device. You may now close this window."})
		return
	}
	code := "1.demo." + randomToken(48)
	s.codes[code] = &authCode{ClientID: t.ClientID, RedirectURI: t.RedirectURI, Challenge: t.Challenge, Method: t.ChallengeMethod,
		UserID: u.ID, Scopes: t.Scopes, Expires: s.now().Add(10 * time.Minute)}
	s.respond(w, t, [][2]string{{"code", code}, {"client_info", s.clientInfo(u)}, {"state", t.State}, {"session_state", randomID()}})
}

func sortedMapKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) clientInfo(u *user) string {
	return b64.EncodeToString([]byte(`{"uid":"` + u.ID + `","utid":"` + s.dir.tenant.ID + `"}`))
}

// finishError sends an OAuth error back to the app (or ends a device login).
func (s *Server) finishError(w http.ResponseWriter, t *txn, code, subcode string, e *oauthError) {
	t.done = true
	delete(s.txns, t.ID)
	if t.Kind == "device" {
		t.Device.Status = "declined"
		if subcode != "cancel" {
			t.Device.Refusal = e
		}
		s.errorPage(w, http.StatusOK, e, "")
		return
	}
	f := [][2]string{{"error", code}, {"error_description", s.redirectDescription(e)}}
	if subcode != "" {
		f = append(f, [2]string{"error_subcode", subcode})
	}
	f = append(f, [2]string{"state", t.State})
	s.respond(w, t, f)
}

// respond delivers fields to the redirect URI: a self-submitting form for
// response_mode=form_post (what MSAL asks for), else a 302 with a query.
func (s *Server) respond(w http.ResponseWriter, t *txn, fields [][2]string) {
	if t.ResponseMode == "form_post" {
		type field struct{ Name, Value string }
		var fs []field
		for _, f := range fields {
			if f[1] != "" {
				fs = append(fs, field{f[0], f[1]})
			}
		}
		renderPage(w, http.StatusOK, "formpost", map[string]any{"Title": "Working...", "Action": t.RedirectURI, "Fields": fs})
		return
	}
	redirectWith(w, t.RedirectURI, fields)
}

func redirectWith(w http.ResponseWriter, target string, fields [][2]string) {
	u, _ := url.Parse(target)
	q := u.Query()
	for _, f := range fields {
		if f[1] != "" {
			q.Set(f[0], f[1])
		}
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusFound)
}

// deviceLogin is https://microsoft.com/devicelogin: enter the code, then sign in.
func (s *Server) deviceLogin(w http.ResponseWriter, r *http.Request) {
	code := strings.ToUpper(strings.TrimSpace(r.FormValue("otc")))
	if r.Method != http.MethodPost {
		renderPage(w, http.StatusOK, "devicecode", map[string]any{"Title": "Enter code", "Code": code})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var d *deviceGrant
	for _, x := range s.devices {
		if x.UserCode == code {
			d = x
		}
	}
	switch {
	case d == nil:
		renderPage(w, http.StatusOK, "devicecode", map[string]any{"Title": "Enter code", "Code": code,
			"Message": "AADSTS70000: That code didn't work. Check the code and try again."})
		return
	case s.now().After(d.Expires) || d.Status != "pending":
		renderPage(w, http.StatusOK, "devicecode", map[string]any{"Title": "Enter code", "Code": code,
			"Message": "AADSTS70019: The code you entered has expired or was already used. Get a new code from the device you're trying to sign in to and try again."})
		return
	}
	t := &txn{ID: randomToken(24), Kind: "device", Tenant: d.Tenant, ClientID: d.ClientID, Scopes: d.Scopes.values,
		Resource: d.Scopes.resource.AppID, Device: d, Created: s.now()}
	s.txns[t.ID] = t
	s.pickerPage(w, t, "Pick an account", s.dir.apps[strings.ToLower(d.ClientID)].DisplayName)
}

// adminConsent is GET /{tenant}/adminconsent?client_id=…&state=…[&redirect_uri=…]
// (v1, entra/identity/enterprise-apps/grant-admin-consent) or
// /{tenant}/v2.0/adminconsent?client_id=…&scope=…&redirect_uri=…&state=… (v2,
// entra/identity-platform/v2-admin-consent: scope and redirect_uri "Required").
func (s *Server) adminConsent(w http.ResponseWriter, r *http.Request, seg string, v2 bool) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dir.matchesTenant(seg) {
		s.errorPage(w, http.StatusBadRequest, s.unknownTenant(seg), "")
		return
	}
	clientID := q.Get("client_id")
	app := s.dir.apps[strings.ToLower(clientID)]
	notFound := &oauthError{AADSTS: 700016, Message: fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.", clientID, s.dir.tenant.DisplayName)}
	if app == nil || len(app.Required) == 0 {
		s.errorPage(w, http.StatusBadRequest, notFound, "")
		return
	}
	if app.ReauthorizeOnly && s.dir.spByAppID(app.AppID, time.Time{}) == nil {
		notFound.Message += " The publisher no longer allows new tenants to add this app; only existing installations can be re-authorized."
		s.errorPage(w, http.StatusBadRequest, notFound, "")
		return
	}
	redirect := q.Get("redirect_uri")
	if v2 {
		for _, p := range []string{"scope", "redirect_uri"} {
			if strings.TrimSpace(q.Get(p)) == "" {
				s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 900144, Message: "The request body must contain the following parameter: '" + p + "'."}, "")
				return
			}
		}
	}
	switch {
	case redirect != "" && !app.replyURLAllowed(redirect):
		s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 50011, Message: fmt.Sprintf(
			"The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'.", redirect, clientID)}, "")
		return
	case redirect == "" && len(app.ReplyURLs) == 0:
		// entra/identity-platform/reference-error-codes: AADSTS900971 "No reply address provided."
		s.errorPage(w, http.StatusBadRequest, &oauthError{AADSTS: 900971, Message: "No reply address provided."}, "")
		return
	case redirect == "":
		// The documented link carries client_id alone
		// (entra/identity/enterprise-apps/grant-admin-consent, "Construct the URL for
		// granting tenant-wide admin consent"): without redirect_uri, Entra ID sends the
		// answer to the app's registered reply URL, the first one registered.
		redirect = app.ReplyURLs[0]
	}
	t := &txn{ID: randomToken(24), Kind: "admin", Tenant: seg, ClientID: app.AppID, RedirectURI: redirect, State: q.Get("state"), Created: s.now()}
	s.txns[t.ID] = t
	s.pickerPage(w, t, "Sign in to grant admin consent", app.DisplayName)
}

func (s *Server) adminConsentPage(w http.ResponseWriter, t *txn, u *user) {
	app := s.dir.apps[strings.ToLower(t.ClientID)]
	if code, e, page := s.adminConsentPolicy(t, u); !page {
		s.finishAdminError(w, t, code, "", e)
		return
	}
	request := !s.dir.canGrantAll(u) // the admin consent workflow's "Approval required" page
	type api struct {
		Name, AppID string
		Missing     bool
		Perms       []permissions.Permission
	}
	var apis []*api
	for _, p := range app.Required {
		var a *api
		for _, x := range apis {
			if strings.EqualFold(x.AppID, p.ResourceAppID) {
				a = x
			}
		}
		if a == nil {
			a = &api{Name: p.API, AppID: p.ResourceAppID, Missing: s.dir.spByAppID(p.ResourceAppID, time.Time{}) == nil}
			apis = append(apis, a)
		}
		a.Perms = append(a.Perms, p)
	}
	renderPage(w, http.StatusOK, "adminconsent", map[string]any{
		"Title": "Permissions requested: accept for your organization", "App": app.DisplayName, "Publisher": app.Publisher,
		"ClientID": app.AppID, "Tenant": s.dir.tenant.DisplayName, "User": u.UPN, "APIs": apis, "Txn": t.ID, "Request": request,
	})
}

func (s *Server) finishAdminConsent(w http.ResponseWriter, t *txn, u *user, accept bool) {
	if !s.dir.canGrantAll(u) {
		if s.dir.st.consentWorkflow && accept { // "Request approval"
			s.finishAdminError(w, t, "access_denied", "", s.fileConsentRequest(t, u))
			return
		}
		s.adminConsentPage(w, t, u) // the page is not offered, but a crafted POST must not work
		return
	}
	if !accept {
		s.finishAdminError(w, t, "access_denied", "cancel", &oauthError{AADSTS: 65004, Message: "User declined to consent to access the app."})
		return
	}
	app := s.dir.apps[strings.ToLower(t.ClientID)]
	if err := s.grantAdminConsent(app, s.now()); err != nil {
		s.finishAdminError(w, t, "invalid_client", "", &oauthError{AADSTS: 650052, Message: strings.TrimPrefix(err.Error(), "AADSTS650052: ")})
		return
	}
	t.done = true
	delete(s.txns, t.ID)
	if t.RedirectURI == "" {
		renderPage(w, http.StatusOK, "done", map[string]any{"Title": "Permissions granted", "Message": "Admin consent for " + app.DisplayName +
			" was granted for " + s.dir.tenant.DisplayName + ". It can take a few minutes for the permissions to show everywhere. You may now close this window."})
		return
	}
	redirectWith(w, t.RedirectURI, [][2]string{{"admin_consent", "True"}, {"tenant", s.dir.tenant.ID}, {"state", t.State}})
}

func (s *Server) finishAdminError(w http.ResponseWriter, t *txn, code, subcode string, e *oauthError) {
	t.done = true
	delete(s.txns, t.ID)
	if t.RedirectURI == "" {
		s.errorPage(w, http.StatusOK, e, "")
		return
	}
	redirectWith(w, t.RedirectURI, [][2]string{{"error", code}, {"error_subcode", subcode}, {"error_description", s.redirectDescription(e)}, {"state", t.State}})
}
