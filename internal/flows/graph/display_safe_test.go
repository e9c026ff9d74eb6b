package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/testkit"
)

// Text from Graph enters the program through Unmarshal, and comes out display-safe
// wherever it lands: a field, a nested struct, a pointer, a slice, a map, a value
// held in an interface. JSON left raw for later is kept as it was sent.
func TestUnmarshalCleansEveryString(t *testing.T) {
	hostile := "Contoso " + emulator.HostileText + " Demo"
	quoted, _ := json.Marshal(hostile)
	h := string(quoted)
	data := []byte(`{"displayName":` + h + `,"owner":{"name":` + h + `},"scopes":[` + h + `,"User.Read"],` +
		`"tags":{"k":` + h + `},"extra":` + h + `,"raw":{"displayName":` + h + `},"ptr":` + h + `}`)
	var v struct {
		DisplayName string `json:"displayName"`
		Owner       struct {
			Name string `json:"name"`
		} `json:"owner"`
		Scopes []string          `json:"scopes"`
		Tags   map[string]string `json:"tags"`
		Extra  any               `json:"extra"`
		Raw    json.RawMessage   `json:"raw"`
		Ptr    *string           `json:"ptr"`
	}
	if err := Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	extra, _ := v.Extra.(string)
	for what, s := range map[string]string{"field": v.DisplayName, "nested": v.Owner.Name, "slice": v.Scopes[0],
		"map": v.Tags["k"], "interface": extra, "pointer": *v.Ptr} {
		testkit.CheckInert(t, what, s)
		testkit.CheckNoControls(t, s, false)
		if s == "" || s[:8] != "Contoso " || s[len(s)-5:] != " Demo" {
			t.Errorf("%s: %q lost the plain text around the hostile part", what, s)
		}
	}
	if v.Scopes[1] != "User.Read" {
		t.Errorf("a plain value changed: %q", v.Scopes[1])
	}
	if string(v.Raw) != `{"displayName":`+h+`}` {
		t.Errorf("raw JSON changed: %s", v.Raw)
	}
}

// A Graph error's code, message and ids are display-safe as the client returns them.
func TestGraphErrorIsDisplaySafe(t *testing.T) {
	hostile := emulator.HostileText
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": "Denied" + hostile, "message": "No " + hostile + " way",
			"innerError": map[string]string{"request-id": "r" + hostile, "date": "d" + hostile}}})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write(body)
	}))
	defer srv.Close()
	c := New(srv.URL, srv.Client(), func(context.Context) (string, error) { return "t", nil }, WithMaxRetries(0))
	var out struct{}
	err := c.Get(context.Background(), "/organization", &out)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != http.StatusForbidden {
		t.Fatalf("err %v", err)
	}
	for what, s := range map[string]string{"code": ge.Code, "message": ge.Message, "request id": ge.RequestID, "date": ge.Date, "text": err.Error()} {
		testkit.CheckInert(t, what, s)
		testkit.CheckNoControls(t, s, false)
	}
	if ge.Code != "Deniedclickevil" || ge.Message != "No clickevil way" {
		t.Errorf("code %q message %q", ge.Code, ge.Message)
	}
}

// failingTransport fails every request with text another program chose.
type failingTransport struct{ text string }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New(f.text)
}

// A transport error (what a proxy answered, say) comes out of the client
// display-safe, and still unwraps to the transport's error.
func TestTransportErrorIsDisplaySafe(t *testing.T) {
	c := New("https://graph.example", &http.Client{Transport: failingTransport{"407 " + emulator.HostileText}},
		func(context.Context) (string, error) { return "t", nil }, WithMaxRetries(0))
	var out struct{}
	err := c.Get(context.Background(), "/organization", &out)
	if err == nil {
		t.Fatal("no error")
	}
	testkit.CheckInert(t, "transport error", err.Error())
	testkit.CheckNoControls(t, err.Error(), false)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("%v does not unwrap to the transport's *url.Error", err)
	}
}

// A field tagged graph:"verbatim" keeps what Graph sent, for comparison; its
// neighbours are still cleaned.
func TestUnmarshalLeavesVerbatimFields(t *testing.T) {
	var v struct {
		Scope string `json:"scope" graph:"verbatim"`
		Name  string `json:"name"`
	}
	if err := Unmarshal([]byte(`{"scope":"User.Read\u200b","name":"a\u001b[2Jb"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Scope != "User.Read\u200b" || v.Name != "ab" {
		t.Fatalf("scope %q, name %q", v.Scope, v.Name)
	}
}
