package emulator

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/internal/testkit"
)

func TestParseHTML(t *testing.T) {
	doc := parseHTML(`<!DOCTYPE html><html><head><title>A &amp; B</title>
<!-- <form action="/ignored"> -->
<script>
  document.forms[0]
    .submit();
</script></head><body>
<p id=msg>Hello &lt;world&gt; <b>bold</b></p>
<form method=POST action='/x?a=1&amp;b=2'>
<input type=hidden name=txn value="t&quot;1">
<input type="checkbox" name="org" value="1" checked>
<input type="checkbox" name="off" value="1">
<input type="text" name="dis" value="z" disabled>
<button name="decision" value="accept">OK</button>
<button type="button" name="noop" value="x">No</button>
<input type="submit" name="go" value="Go">
</form></body></html>`)
	if doc.title != "A & B" || !doc.autoSubmit || doc.byID["msg"] != "Hello <world> bold" {
		t.Fatalf("doc %+v", doc)
	}
	if len(doc.forms) != 1 {
		t.Fatalf("forms: %d (the commented form must not count)", len(doc.forms))
	}
	f := doc.forms[0]
	if f.method != "POST" || f.action != "/x?a=1&b=2" || len(f.buttons) != 2 {
		t.Fatalf("form %+v", f)
	}
	v := f.values([2]string{"decision", "accept"})
	if v.Encode() != "decision=accept&org=1&txn=t%221" {
		t.Fatalf("form data %q", v.Encode())
	}
}

func TestPagesEscapeNetworkStrings(t *testing.T) {
	cat := testkit.Catalog(t)
	cat.Apps[0].DisplayName = `Evil <script>alert(1)</script> & "Co"`
	cat.Apps[0].Permissions[0].Purpose = `<img src=x onerror=alert(2)>`
	srv := startServer(t, Options{Catalog: cat})
	ce, _ := srv.Catalog().App("ce")
	// Walk to the admin consent page by hand and read it raw.
	b := srv.Browser("")
	resp, err := srv.pagesClient.Get(adminConsentURL(srv, ce.ClientID, ""))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc := parseHTML(string(body))
	f, submit, ok := b.choose(doc)
	if !ok {
		t.Fatalf("no account picker:\n%s", body)
	}
	resp, err = srv.pagesClient.PostForm(srv.PagesURL()+f.action, f.values(submit))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, raw := range [][]byte{body, page} {
		s := string(raw)
		if strings.Contains(s, "<script>alert") || strings.Contains(s, "<img") || !strings.Contains(s, "Evil &lt;script&gt;") {
			t.Fatalf("unescaped network string in page:\n%s", s)
		}
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "&lt;img src=x onerror=alert(2)&gt;") {
		t.Fatalf("admin consent page: %d\n%s", resp.StatusCode, page)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q", csp)
	}
}
