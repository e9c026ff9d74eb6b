package emulator

import (
	"context"
	"testing"
)

// BenchmarkSignInAndVerify is a full interactive sign-in (real MSAL Go, the demo
// browser walking the pages and MSAL's form_post) plus one $batch verification
// round trip of the CE app.
func BenchmarkSignInAndVerify(b *testing.B) {
	srv := startServer(b, Options{Scenario: "consented"})
	ce, _ := srv.Catalog().App("ce")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		pca := newPublic(b, srv, srv.TenantID()) // a fresh cache: every sign-in is interactive
		res, err, berr := interactive(ctx, pca, srv.Browser(""), signInScopes, nil)
		if err != nil || berr != nil {
			b.Fatalf("sign-in: %v / %v", err, berr)
		}
		_, _, status := verifyApp(b, srv, res.AccessToken, ce)
		if status["user_impersonation"] != "granted" {
			b.Fatalf("verify: %v", status)
		}
	}
}
