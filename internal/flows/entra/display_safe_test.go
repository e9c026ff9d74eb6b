package entra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/d365consent/d365consent/emulator"
	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/flows/entra"
	"github.com/d365consent/d365consent/internal/testkit"
)

// hostileRefusals puts the hostile scenario's text into every refusal the token
// endpoint sends: into Entra ID's description (JSON-escaped, as Entra ID would send
// it), or raw in a body that is not JSON at all (as a proxy could answer).
type hostileRefusals struct {
	next  http.RoundTripper
	proxy bool
}

func (h hostileRefusals) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 || !strings.HasSuffix(req.URL.Path, "/token") {
		return resp, err
	}
	var body map[string]any
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if h.proxy {
		data = []byte("Proxy says no " + emulator.HostileText)
	} else if json.Unmarshal(data, &body) == nil {
		body["error_description"] = emulator.HostileText + " " + body["error_description"].(string)
		data, _ = json.Marshal(body)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// An MSAL refusal leaves the adapter with display-safe text, and explain still reads
// Entra ID's code and description (display-safe too) from the reply under it.
func TestMSALErrorTextIsDisplaySafe(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	id, err := srv.RegisterApp(emulator.AppRegistration{DisplayName: "monitor", Secret: "s3cret", GraphRoles: []string{"Application.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := entra.SecretCredential("wrong")
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(proxy bool) error {
		hc := srv.HTTPClient()
		hc = &http.Client{Transport: hostileRefusals{next: hc.Transport, proxy: proxy}, Timeout: hc.Timeout}
		a, err := entra.NewApp(entra.AppOptions{ClientID: id, Credential: cred, Authority: srv.AuthorityHost() + "/" + srv.TenantID(),
			HTTPClient: hc, Scope: srv.GraphScopePrefix() + "/.default"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Token(context.Background(), "")
		if err == nil {
			t.Fatal("a wrong secret was accepted")
		}
		testkit.CheckNoControls(t, err.Error(), false)
		return err
	}

	err = refuse(true)
	testkit.CheckInert(t, "MSAL error text", err.Error())
	if !strings.Contains(err.Error(), "Proxy says no clickevil") {
		t.Errorf("the proxy's reply did not reach the error: %q", err.Error())
	}

	err = refuse(false)
	x := explain.Explain(err)
	if x == nil || x.Code != 7000215 || !strings.HasPrefix(x.Description, "clickevil AADSTS7000215: ") {
		t.Fatalf("Explain = %+v, want AADSTS7000215 with the description", x)
	}
	testkit.CheckInert(t, "Entra ID's description", x.Description)
}

// hostileDeviceCode answers the device-code request with the hostile scenario's text
// in every field the admin is shown, and newlines inside the one-line fields.
type hostileDeviceCode struct{ next http.RoundTripper }

func (h hostileDeviceCode) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/devicecode") {
		return h.next.RoundTrip(req)
	}
	body, _ := json.Marshal(map[string]any{
		"device_code":      "dc",
		"user_code":        "AB" + emulator.HostileText + "\u0085CD",
		"verification_uri": "https://login.example/device\n" + emulator.HostileText,
		"message":          "To sign in,\t" + emulator.HostileText + "\r\nenter the code",
		"expires_in":       900,
		"interval":         5,
	})
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// The device code Entra ID sends (user code, address, message) leaves the adapter
// display-safe and on one line each: escape sequences, C1 controls and bidi overrides
// dropped, newlines and tabs made spaces.
func TestDeviceCodePromptIsDisplaySafe(t *testing.T) {
	srv, err := emulator.Start(emulator.Options{Scenario: "consented"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := entra.New(entra.Options{Authority: srv.AuthorityHost() + "/" + srv.TenantID(), ClientID: srv.SignInClientID(),
		HTTPClient: &http.Client{Transport: hostileDeviceCode{srv.HTTPClient().Transport}}, Scopes: []string{srv.GraphScopePrefix() + "/User.Read"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var got []entra.DeviceCode
	_, _ = c.DeviceCodeFlow(ctx, func(dc entra.DeviceCode) { got = append(got, dc); cancel() })
	want := entra.DeviceCode{UserCode: "ABclickevilCD", VerificationURL: "https://login.example/device clickevil",
		Message: "To sign in, clickevil  enter the code"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("shown %#v, want once %#v", got, want)
	}
}
