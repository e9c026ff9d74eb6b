package emulator

import "testing"

// TestParseHTML: the demo browser reads a page as a browser would: entities
// decoded, comments ignored, disabled and unchecked controls left out of the form
// data, submit inputs and buttons (but not type=button) as submitters, and the
// script that submits the first form recognised.
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
