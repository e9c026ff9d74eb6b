package emulator

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/AzureAD/microsoft-authentication-library-for-go/apps/public"
	"github.com/chromedp/chromedp"

	"github.com/d365consent/d365consent/internal/testkit"
)

const chromiumPath = "/usr/bin/chromium"

// TestChromiumSignInAndAdminConsent drives a real headless Chromium through the
// pages: MSAL's interactive sign-in (account picker, the sign-in client's consent,
// the self-submitting form_post to MSAL's localhost listener), then admin consent
// with its redirect to a loopback URI. In CI a missing Chromium is a failure.
func TestChromiumSignInAndAdminConsent(t *testing.T) {
	if _, err := exec.LookPath(chromiumPath); err != nil {
		testkit.MissingTool(t, "chromium", err.Error())
	}
	srv := startServer(t, Options{Scenario: "first-use"}) // the sign-in client's consent page too
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	defer func() { _ = chromedp.Cancel(bctx) }()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}

	// 1. MSAL interactive sign-in through the real pages.
	pca := newPublic(t, srv, "organizations")
	urls := make(chan string, 1)
	type result struct {
		res public.AuthResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := pca.AcquireTokenInteractive(ctx, signInScopes, public.WithOpenURL(func(u string) error { urls <- u; return nil }))
		done <- result{res, err}
	}()
	var authURL string
	select {
	case authURL = <-urls:
	case r := <-done:
		t.Fatalf("MSAL ended before opening the browser: %v", r.err)
	}
	err := chromedp.Do(bctx,
		chromedp.Navigate(authURL),
		chromedp.WaitVisible(chromedp.CSS(`#user-1`)),
	)
	if err != nil {
		t.Fatalf("sign-in page: %v", err)
	}
	heading, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`h1`)))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(bctx,
		chromedp.Click(chromedp.CSS(`#user-1`)),
		chromedp.WaitVisible(chromedp.CSS(`#accept`)),
		chromedp.Click(chromedp.CSS(`#org`)),
		chromedp.Click(chromedp.CSS(`#accept`)),
	)
	if err != nil {
		t.Fatalf("consent page: %v", err)
	}
	if heading != "Pick an account" {
		t.Fatalf("sign-in heading %q", heading)
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("MSAL never got the form_post from Chromium")
	}
	if r.err != nil {
		t.Fatalf("interactive sign-in: %v", r.err)
	}
	if code, me := graphGet(t, srv, r.res.AccessToken, "me"); code != 200 || me["userPrincipalName"] != srv.DemoUser() {
		t.Fatalf("/me: %d %v", code, me)
	}
	msalPage, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil || !strings.Contains(msalPage, "Authentication complete") {
		t.Fatalf("Chromium should show MSAL's page, got %q (%v)", msalPage, err)
	}

	// 2. Admin consent on the production path: no redirect_uri, so Entra sends the
	// browser to the app's registered reply URL, the publisher's landing page.
	ce, _ := srv.Catalog().App("ce")
	err = chromedp.Do(bctx,
		chromedp.Navigate(adminConsentURL(srv, ce.ClientID, "")),
		chromedp.WaitVisible(chromedp.CSS(`#user-1`)),
		chromedp.Click(chromedp.CSS(`#user-1`)),
		chromedp.WaitVisible(chromedp.CSS(`#accept`)),
	)
	if err != nil {
		t.Fatalf("admin consent pages: %v", err)
	}
	table, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#accept`))); err != nil {
		t.Fatalf("accept: %v", err)
	}
	for _, want := range []string{"Microsoft Graph", "Dynamics CRM", "user_impersonation", "Application", "Delegated", "Directory.Read.All"} {
		if !strings.Contains(table, want) {
			t.Fatalf("admin consent page lacks %q:\n%s", want, table)
		}
	}
	if err := chromedp.Do(bctx, chromedp.WaitVisible(chromedp.CSS(`#done`))); err != nil {
		t.Fatalf("landing page: %v", err)
	}
	landing, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil || !strings.Contains(landing, "AvePoint Online Services") || !strings.Contains(landing, "True") || !strings.Contains(landing, "st-42") {
		t.Fatalf("landing page %q (%v)", landing, err)
	}
	_, _, status := verifyApp(t, srv, r.res.AccessToken, ce)
	for v, st := range status {
		if st != "granted" {
			t.Fatalf("%s after consent in Chromium: %s", v, st)
		}
	}
}
