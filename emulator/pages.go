package emulator

import (
	"bytes"
	"html/template"
	"net/http"
	"sync"
)

// The browser pages: plain, accessible HTML (landmarks, labels, real buttons), no
// external assets, everything escaped by html/template.

const layout = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}} - Contoso Demo</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b;background:#fff}
header{border-bottom:1px solid #ccc;margin-bottom:1rem;font-size:.9rem}
button{font-size:1rem;padding:.5rem 1rem;margin:.25rem .5rem .25rem 0;cursor:pointer}
button.primary{background:#0f5bb5;color:#fff;border:1px solid #0f5bb5}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}th,td{border:1px solid #bbb;padding:.3rem .5rem;text-align:left;vertical-align:top}
.error{border-left:4px solid #b00020;padding-left:.75rem}
:focus{outline:3px solid #e8a200;outline-offset:2px}
</style>
</head>
<body>
<header><p>Contoso Demo &middot; d365consent demo tenant (an emulator on this computer, not Microsoft)</p></header>
<main>
{{template "body" .}}
</main>
</body>
</html>
`

// pages are parsed on first use, not at init: every d365consent command links the
// emulator, and `permissions` should not pay for the demo's templates (BENCHMARKS.md).
var pages = map[string]*template.Template{}

var parsePagesOnce sync.Once

func page(name, body string) {
	pages[name] = template.Must(template.Must(template.New(name).Parse(layout)).New("body").Parse(body))
}

func parsePages() {
	page("signin", `<h1>{{.Title}}</h1>
{{if .App}}<p>to continue to <strong>{{.App}}</strong></p>{{end}}
<form method="post" action="/login">
<input type="hidden" name="txn" value="{{.Txn}}">
<fieldset><legend>Demo accounts in {{.Tenant}}</legend>
<ul>
{{range .Users}}<li><button type="submit" name="upn" value="{{.UPN}}" id="user-{{.Key}}">{{.DisplayName}} ({{.UPN}})</button> {{if .Roles}}{{.Roles}}{{else}}no admin role{{end}}</li>
{{end}}</ul>
</fieldset>
<p><button type="submit" name="upn" value="" id="cancel">Cancel</button></p>
</form>
<p>This is a demo: no password is asked.</p>`)

	page("consent", `<h1>{{.Title}}</h1>
<p><strong>{{.App}}</strong> ({{.Publisher}}) wants to:</p>
<ul>
{{range .Scopes}}<li><strong>{{.Name}}</strong> ({{.Value}}): {{.Description}}</li>
{{end}}</ul>
<form method="post" action="/consent">
<input type="hidden" name="txn" value="{{.Txn}}">
{{if .CanOrg}}<p><input type="checkbox" name="org" value="1" id="org"><label for="org">Consent on behalf of your organization</label></p>{{end}}
<p>Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>
<p><button type="submit" name="decision" value="accept" class="primary" id="accept">Accept</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></p>
</form>`)

	page("adminconsent", `<h1>{{.Title}}</h1>
<p><strong>{{.App}}</strong> (published by {{.Publisher}}, client id {{.ClientID}}) needs the following permissions in <strong>{{.Tenant}}</strong>. Signed in as {{.User}}.</p>
{{range .APIs}}<h2>{{.Name}}</h2>
<table>
<caption>Permissions requested from {{.Name}} ({{.AppID}}){{if .Missing}}: this service is not available in your organization{{end}}</caption>
<thead><tr><th scope="col">Permission</th><th scope="col">Type</th><th scope="col">Purpose</th></tr></thead>
<tbody>
{{range .Perms}}<tr><td>{{.Value}} ({{.FriendlyName}}){{if .NewlyRequired}} <strong>(newly required)</strong>{{end}}</td><td>{{.Type}}</td><td>{{.Purpose}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{if .Request}}<h2>Approval required</h2>
<p>This app needs permissions that only an admin can grant. Your organization uses the admin consent workflow: request approval, and a reviewer will decide.</p>
<form method="post" action="/consent">
<input type="hidden" name="txn" value="{{.Txn}}">
<p><label for="justification">Justification</label> <textarea name="justification" id="justification">Needed for Cloud Backup for Dynamics 365.</textarea></p>
<p><button type="submit" name="decision" value="accept" class="primary" id="accept">Request approval</button>
<button type="submit" name="decision" value="cancel" id="cancel">Back to app</button></p>
</form>{{else}}
<p>If you accept, this app will get access to the specified resources for all users in your organization. No one else will be prompted to review these permissions.</p>
<form method="post" action="/consent">
<input type="hidden" name="txn" value="{{.Txn}}">
<p><button type="submit" name="decision" value="accept" class="primary" id="accept">Accept</button>
<button type="submit" name="decision" value="cancel" id="cancel">Cancel</button></p>
</form>{{end}}`)

	page("formpost", `<h1>{{.Title}}</h1>
<form method="post" action="{{.Action}}" id="response">
{{range .Fields}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><p>Script is disabled. Select Continue to return to the application.</p><button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit();</script>`)

	page("devicecode", `<h1>{{.Title}}</h1>
{{if .Message}}<p class="error" role="alert" id="error">{{.Message}}</p>{{end}}
<form method="post" action="/devicelogin">
<p><label for="otc">Code</label> <input type="text" name="otc" id="otc" autocomplete="off" autofocus value="{{.Code}}"></p>
<p><button type="submit" class="primary" id="next">Next</button></p>
</form>`)

	page("done", `<h1>{{.Title}}</h1>
<p id="done">{{.Message}}</p>`)

	page("error", `<h1>{{.Title}}</h1>
<div class="error" role="alert">
<p id="error">{{.Message}}</p>
<p>Request Id: {{.RequestID}}<br>Correlation Id: {{.CorrelationID}}<br>Timestamp: {{.Timestamp}}</p>
</div>
{{if .Back}}<p><a href="{{.Back}}" id="back">Return to the application</a></p>{{end}}`)

	page("landing", `<h1>{{.Title}}</h1>
<p>Cloud Backup for Dynamics 365 &middot; app consent (demo publisher page)</p>
{{if .Error}}<p class="error" role="alert" id="error">{{.Error}}</p>{{end}}{{if .Done}}<p id="done">{{.Done}}</p>{{end}}
{{if .Fields}}<table><caption>What Microsoft Entra ID sent back</caption>
<tbody>{{range .Fields}}<tr><th scope="row">{{.Name}}</th><td>{{.Value}}</td></tr>
{{end}}</tbody></table>{{end}}`)

	page("index", `<h1>{{.Title}}</h1>
<p>Tenant {{.Tenant}} ({{.TenantID}}), scenario <strong>{{.Scenario}}</strong>.</p>
<p>Device code sign-in: <a href="/devicelogin">/devicelogin</a>.</p>`)
}

func renderPage(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	parsePagesOnce.Do(parsePages)
	if err := pages[name].Execute(&buf, data); err != nil {
		http.Error(w, "template: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"+formPostScriptHash+"'; form-action *; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
