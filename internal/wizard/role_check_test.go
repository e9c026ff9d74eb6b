package wizard

import (
	"errors"
	"testing"

	"github.com/d365consent/d365consent/internal/flows"
)

// The first sign-in's token reads directory roles without their details, so the
// signed-in admin's roles are unknown until the engine reads them again with the
// token that may read the grants; the verification hands that admin over and the
// flow takes it, for the state screen's role check and line mode's second say.
func TestVerifiedTakesTheRolesReadAgain(t *testing.T) {
	unknown := &flows.Admin{UPN: "admin@contoso.example", ObjectID: "0a1b", TenantID: tenantID,
		RolesErr: errors.New("Microsoft Graph returned your role objects without their details")}
	globalAdmin := &flows.Admin{UPN: "admin@contoso.example", ObjectID: "0a1b", TenantID: tenantID, RolesRead: true,
		DirectoryRoles: []flows.DirectoryRole{{DisplayName: "Global Administrator", RoleTemplateID: flows.RoleGlobalAdministrator}},
		Roles:          []string{"Global Administrator"}, CanConsent: true}
	sameAgain := *globalAdmin // read once more: a new copy, nothing new learnt
	someoneElse := &flows.Admin{UPN: "other@contoso.example", ObjectID: "9f8e", TenantID: tenantID, RolesRead: true}
	tests := []struct {
		name      string
		signedIn  *flows.Admin
		engine    *flows.Admin // what the engine knows after the read
		err       error
		want      *flows.Admin
		readAgain bool
	}{
		{"roles read again with the grant-reading token", unknown, globalAdmin, nil, globalAdmin, true},
		{"read again although the grants' read failed after", unknown, globalAdmin, errBoom, globalAdmin, true},
		{"the engine says nothing new", unknown, nil, nil, unknown, false},
		{"roles read at sign-in already", globalAdmin, &sameAgain, nil, &sameAgain, false},
		{"still unknown", unknown, &flows.Admin{UPN: "admin@contoso.example", ObjectID: "0a1b", RolesErr: errors.New("403")}, nil, nil, false},
		{"another account is never taken", unknown, someoneElse, nil, unknown, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := New(Options{Target: Target{Catalog: fixture()}})
			f.ChooseApp(0)
			f.Continue()
			if w := f.SignedIn(tc.signedIn, nil); w != VerifyWork {
				t.Fatalf("signed in: work %v", w)
			}
			f.Verified(missing, tc.engine, tc.err)
			want := tc.want
			if want == nil {
				want = tc.engine
			}
			if f.Admin() != want {
				t.Errorf("admin %+v, want %+v", f.Admin(), want)
			}
			if f.RolesReadAgain() != tc.readAgain {
				t.Errorf("RolesReadAgain %v, want %v", f.RolesReadAgain(), tc.readAgain)
			}
		})
	}
}

// A verification of another step (stale: the admin moved on) changes no admin.
func TestStaleVerificationKeepsTheAdmin(t *testing.T) {
	unknown := &flows.Admin{UPN: "admin@contoso.example", RolesErr: errors.New("limited")}
	f := New(Options{Target: Target{Catalog: fixture()}})
	f.ChooseApp(0)
	f.Continue()
	f.SignedIn(unknown, nil)
	f.Back() // to the review: the verification under way is stale
	f.Verified(missing, &flows.Admin{UPN: "admin@contoso.example", RolesRead: true}, nil)
	if f.Admin() != unknown || f.RolesReadAgain() {
		t.Errorf("a stale verification changed the admin: %+v", f.Admin())
	}
}

// A sign-in asked for after the sign-in step says its true reason: the sign-in
// client's added permission to read the grants is not a session that needs a new
// sign-in, and MFA keeps its own reason.
func TestSignInAgainLineSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    flows.SignInPrompt
		want string
	}{
		{"permission to read the grants", flows.SignInPrompt{Consent: "To read the app's grants, d365consent now asks …"},
			"One more sign-in: your sign-in app needs permission to read the app's grants. This step goes on once you have."},
		{"claims challenge", flows.SignInPrompt{Claims: true},
			"Sign in again: multi-factor authentication or a Conditional Access policy asks for it. This step goes on once you have."},
		{"session revoked", flows.SignInPrompt{},
			"Sign in again: the session needs a new sign-in. This step goes on once you have."},
	} {
		if got := SignInAgainLine(tc.p); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// The same account is the same object id when both carry one (a UPN can be renamed
// between two reads), else the same UPN, whatever its case.
func TestSameAccount(t *testing.T) {
	tests := []struct {
		name string
		a, b flows.Admin
		want bool
	}{
		{"same object id, UPN renamed", flows.Admin{ObjectID: "0A1B", UPN: "old@contoso.example"}, flows.Admin{ObjectID: "0a1b", UPN: "new@contoso.example"}, true},
		{"other object id, same UPN", flows.Admin{ObjectID: "0a1b", UPN: "admin@contoso.example"}, flows.Admin{ObjectID: "9f8e", UPN: "admin@contoso.example"}, false},
		{"only the first has an object id: the UPN decides", flows.Admin{ObjectID: "0a1b", UPN: "Admin@Contoso.example"}, flows.Admin{UPN: "admin@contoso.example"}, true},
		{"only the second has an object id: the UPN decides", flows.Admin{UPN: "admin@contoso.example"}, flows.Admin{ObjectID: "0a1b", UPN: "other@contoso.example"}, false},
		{"neither has an object id: the UPN decides", flows.Admin{UPN: "admin@contoso.example"}, flows.Admin{UPN: "ADMIN@contoso.example"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sameAccount(&tc.a, &tc.b); got != tc.want {
				t.Errorf("sameAccount = %v, want %v", got, tc.want)
			}
		})
	}
}
