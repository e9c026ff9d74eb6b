package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/internal/testkit"
	"github.com/d365consent/d365consent/permissions"
)

// fuzzGraphBase is the Graph endpoint the fuzzed client talks to (no network: a stub
// transport answers).
const fuzzGraphBase = "https://graph.fuzz.test"

// fuzzClientID is the app's client id in every seed.
const fuzzClientID = "11111111-2222-3333-4444-555555555555"

// replayTransport answers the n-th $batch POST with replies[n], then an empty batch.
type replayTransport struct {
	replies [][]byte
	n       atomic.Int32
}

func (rt *replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	i := int(rt.n.Add(1)) - 1
	body := []byte(`{"responses":[]}`)
	if i < len(rt.replies) {
		body = rt.replies[i]
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

type nowClock struct{}

func (nowClock) Now() time.Time { return time.Unix(1_700_000_000, 0) }
func (nowClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Unix(1_700_000_000, 0)
	return ch
}

// fuzzApp is the fixture catalog's ce or uo app with a client id.
func fuzzApp(t testing.TB, uo bool) *permissions.App {
	t.Helper()
	key := "ce"
	if uo {
		key = "uo"
	}
	app := testkit.App(t, key)
	app.ClientID = fuzzClientID
	return app
}

// batchJSON builds a $batch reply: each entry is id, status and body (raw JSON).
func batchJSON(entries ...[3]string) []byte {
	var b strings.Builder
	b.WriteString(`{"responses":[`)
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"` + e[0] + `","status":` + e[1] + `,"headers":{"Content-Type":"application/json"},"body":` + e[2] + `}`)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// seedTenant is a realistic reply for app: its SP, grants and assignments as given,
// and each resource's SP publishing the catalog's permissions.
func seedTenant(app *permissions.App, grants, assignments string, enabled bool) []byte {
	en := "true"
	if !enabled {
		en = "false"
	}
	entries := [][3]string{
		{"app", "200", `{"id":"sp-app","appId":"` + app.ClientID + `","displayName":"App","accountEnabled":` + en + `}`},
		{"grants", "200", `{"value":[` + grants + `]}`},
		{"assignments", "200", `{"value":[` + assignments + `]}`},
	}
	for i, res := range app.Resources() {
		var roles, scopes []string
		for j, p := range app.Permissions {
			if !strings.EqualFold(p.ResourceAppID, res) {
				continue
			}
			d := `{"id":"def-` + string(rune('a'+j)) + `","value":"` + p.Value + `","isEnabled":true}`
			if p.Type == permissions.Application {
				roles = append(roles, d)
			} else {
				scopes = append(scopes, d)
			}
		}
		entries = append(entries, [3]string{"r" + string(rune('0'+i)), "200",
			`{"id":"sp-res` + string(rune('0'+i)) + `","appId":"` + res + `","displayName":"Res","appRoles":[` + strings.Join(roles, ",") +
				`],"oauth2PermissionScopes":[` + strings.Join(scopes, ",") + `]}`})
	}
	return batchJSON(entries...)
}

// fullGrants is every grant and assignment app needs, as the seeds' SP ids name them.
func fullGrants(app *permissions.App) (grants, assignments string) {
	var g, a []string
	for i, res := range app.Resources() {
		var scopes []string
		for j, p := range app.Permissions {
			if !strings.EqualFold(p.ResourceAppID, res) {
				continue
			}
			if p.Type == permissions.Application {
				a = append(a, `{"id":"asg-`+string(rune('a'+j))+`","appRoleId":"def-`+string(rune('a'+j))+`","resourceId":"sp-res`+string(rune('0'+i))+`","resourceDisplayName":"Res"}`)
			} else {
				scopes = append(scopes, p.Value)
			}
		}
		if len(scopes) > 0 {
			g = append(g, `{"id":"grant-`+string(rune('0'+i))+`","clientId":"sp-app","consentType":"AllPrincipals","principalId":null,"resourceId":"sp-res`+string(rune('0'+i))+`","scope":" `+strings.Join(scopes, " ")+` "}`)
		}
	}
	return strings.Join(g, ","), strings.Join(a, ",")
}

// FuzzVerify feeds arbitrary $batch replies (the first reply and one more, for a
// retry or the next pages) through the real Graph client and the verification engine.
// It must never panic, and a permission it reports granted must be granted by an
// independent reading of the same bytes (oracleGranted).
func FuzzVerify(f *testing.F) {
	for _, uo := range []bool{false, true} {
		app := fuzzApp(f, uo)
		g, a := fullGrants(app)
		f.Add(seedTenant(app, g, a, true), []byte(nil), uo)
		f.Add(seedTenant(app, g, a, false), []byte(nil), uo)
		f.Add(seedTenant(app, strings.ReplaceAll(g, "AllPrincipals", "Principal"), "", true), []byte(nil), uo)
		f.Add(seedTenant(app, "", "", true), []byte(nil), uo)
		// Paged grants: the first page is empty, the second holds them.
		first := bytes.Replace(seedTenant(app, "", a, true), []byte(`{"value":[]}`),
			[]byte(`{"value":[],"@odata.nextLink":"`+fuzzGraphBase+`/v1.0/servicePrincipals(appId='x')/oauth2PermissionGrants?$skiptoken=1"}`), 1)
		f.Add(first, batchJSON([3]string{"grants", "200", `{"value":[` + g + `]}`}), uo)
		// Throttled resource, answered on retry.
		f.Add(bytes.Replace(seedTenant(app, g, a, true), []byte(`"id":"r0","status":200`), []byte(`"id":"r0","status":429`), 1),
			seedTenant(app, g, a, true), uo)
	}
	f.Add(batchJSON([3]string{"app", "404", `{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`},
		[3]string{"grants", "404", `{}`}, [3]string{"assignments", "404", `{}`},
		[3]string{"r0", "404", `{}`}, [3]string{"r1", "200", `null`}), []byte(nil), false)
	f.Add([]byte(`{"responses":[{"id":"app","status":200,"body":{"ID":"x","appId":"`+fuzzClientID+`"}}]}`), []byte(nil), false)

	f.Fuzz(func(t *testing.T, first, second []byte, uo bool) {
		app := fuzzApp(t, uo)
		rt := &replayTransport{replies: [][]byte{first, second}}
		c := graph.New(fuzzGraphBase, &http.Client{Transport: rt}, func(context.Context) (string, error) { return "tok", nil },
			graph.WithClock(nowClock{}), graph.WithMaxRetries(1))
		reps, err := c.BatchAll(context.Background(), VerificationRequests(app))
		if err != nil {
			return
		}
		r, err := evaluate(app, reps)
		if err != nil {
			return
		}
		if len(r.Permissions) != len(app.Permissions) {
			t.Fatalf("%d permission checks for %d permissions", len(r.Permissions), len(app.Permissions))
		}
		o := newOracle(app, first, second)
		for i, pc := range r.Permissions {
			if pc.Status != PermGranted {
				continue
			}
			if !o.granted(app.Permissions[i], pc.Evidence) {
				t.Fatalf("%s %s reported granted (evidence %q), but the replies do not grant it", pc.API, pc.Permission, pc.Evidence)
			}
		}
		if r.Status == StatusComplete {
			if r.Granted() != len(r.Permissions) {
				t.Fatalf("complete with %d/%d granted", r.Granted(), len(r.Permissions))
			}
			if !o.appEnabled() {
				t.Fatalf("complete, but the app's service principal is not an enabled one")
			}
		}
		if r.Status != StatusNotConsented && r.ServicePrincipal == nil {
			t.Fatalf("status %s without a service principal", r.Status)
		}
		for _, e := range r.Extra {
			for _, s := range []string{e.API, e.Permission, e.Type} {
				if safetext.Sanitize(s) != s {
					t.Fatalf("extra grant text not sanitized: %q", s)
				}
			}
		}
		if sp := r.ServicePrincipal; sp != nil && safetext.Sanitize(sp.DisplayName) != sp.DisplayName {
			t.Fatalf("display name not sanitized: %q", sp.DisplayName)
		}
		if _, err := JSONReport(r); err != nil {
			t.Fatalf("JSON report: %v", err)
		}
		_ = MarkdownReport(r)
	})
}

// oracle reads the $batch replies with generic JSON decoding (exact member names, as
// OData defines them) and knows nothing of the engine: it accepts a sub-response from
// either reply, so it is a superset of what the engine may rely on.
type oracle struct {
	app        *permissions.App
	byID       map[string][]map[string]any // 2xx bodies by request id
	collection map[string][]map[string]any // "value" items of 2xx bodies by request id
}

func newOracle(app *permissions.App, replies ...[]byte) *oracle {
	o := &oracle{app: app, byID: map[string][]map[string]any{}, collection: map[string][]map[string]any{}}
	for _, data := range replies {
		var top map[string]any
		if json.Unmarshal(data, &top) != nil {
			continue
		}
		list, _ := top["responses"].([]any)
		for _, it := range list {
			resp, _ := it.(map[string]any)
			id, _ := resp["id"].(string)
			status, _ := resp["status"].(float64)
			body, _ := resp["body"].(map[string]any)
			if status < 200 || status >= 300 || body == nil {
				continue
			}
			o.byID[id] = append(o.byID[id], body)
			vals, _ := body["value"].([]any)
			for _, v := range vals {
				if m, ok := v.(map[string]any); ok {
					o.collection[id] = append(o.collection[id], m)
				}
			}
		}
	}
	return o
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

// appSPs are the bodies that are the app's own service principal.
func (o *oracle) appSPs() []map[string]any {
	var out []map[string]any
	for _, b := range o.byID["app"] {
		if str(b, "id") != "" && strings.EqualFold(str(b, "appId"), o.app.ClientID) {
			out = append(out, b)
		}
	}
	return out
}

func (o *oracle) appEnabled() bool {
	for _, b := range o.appSPs() {
		if v, ok := b["accountEnabled"].(bool); !ok || v {
			return true
		}
	}
	return false
}

// granted reports whether the replies hold, for p, an AllPrincipals grant with its
// scope on its resource's SP, or an assignment of the resource's app role with its
// value — with id evidence.
func (o *oracle) granted(p permissions.Permission, evidence string) bool {
	if len(o.appSPs()) == 0 {
		return false
	}
	idx := -1
	for i, res := range o.app.Resources() {
		if strings.EqualFold(res, p.ResourceAppID) {
			idx = i
		}
	}
	if idx < 0 {
		return false
	}
	defsKey, itemsKey := "oauth2PermissionScopes", "grants"
	if p.Type == permissions.Application {
		defsKey, itemsKey = "appRoles", "assignments"
	}
	for _, sp := range o.byID["r"+string(rune('0'+idx))] {
		spID := str(sp, "id")
		if spID == "" || !strings.EqualFold(str(sp, "appId"), p.ResourceAppID) {
			continue
		}
		defs, _ := sp[defsKey].([]any)
		for _, d := range defs {
			def, _ := d.(map[string]any)
			if def == nil || !strings.EqualFold(str(def, "value"), p.Value) || def["isEnabled"] == false {
				continue
			}
			for _, it := range o.collection[itemsKey] {
				if str(it, "id") != evidence || !strings.EqualFold(str(it, "resourceId"), spID) {
					continue
				}
				if p.Type == permissions.Application {
					if str(def, "id") != "" && strings.EqualFold(str(it, "appRoleId"), str(def, "id")) {
						return true
					}
					continue
				}
				if !strings.EqualFold(str(it, "consentType"), "AllPrincipals") {
					continue
				}
				for _, s := range strings.Fields(str(it, "scope")) {
					if strings.EqualFold(s, p.Value) {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestFuzzVerifySeeds pins what the seeds mean, so the fuzz target starts from
// replies the engine reads as granted, disabled, user-consent-only and empty.
func TestFuzzVerifySeeds(t *testing.T) {
	for _, uo := range []bool{false, true} {
		app := fuzzApp(t, uo)
		g, a := fullGrants(app)
		for _, tc := range []struct {
			reply  []byte
			status Status
			first  PermStatus
		}{
			{seedTenant(app, g, a, true), StatusComplete, PermGranted},
			{seedTenant(app, g, a, false), StatusIncomplete, PermGranted},
			{seedTenant(app, strings.ReplaceAll(g, "AllPrincipals", "Principal"), "", true), StatusIncomplete, PermUserConsentOnly},
			{seedTenant(app, "", "", true), StatusIncomplete, PermMissing},
			{seedTenant(app, strings.ReplaceAll(g, `"consentType"`, `"ConsentType"`), a, true), "", ""}, // case-variant member: refused
		} {
			c := graph.New(fuzzGraphBase, &http.Client{Transport: &replayTransport{replies: [][]byte{tc.reply}}},
				func(context.Context) (string, error) { return "tok", nil }, graph.WithClock(nowClock{}))
			reps, err := c.BatchAll(context.Background(), VerificationRequests(app))
			if err != nil {
				t.Fatal(err)
			}
			r, err := evaluate(app, reps)
			if tc.status == "" {
				if err == nil {
					t.Fatalf("%s: case-variant member accepted: %s", app.Key, r.Status)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Permissions[0].Status != tc.first {
				t.Errorf("%s: %s/%s, want %s/%s", app.Key, r.Status, r.Permissions[0].Status, tc.status, tc.first)
			}
		}
	}
}
