package cli

import (
	"encoding/json"
	"testing"

	"github.com/d365consent/d365consent/permissions"
)

// verify --format json prints a verify/v1 document for a check that could not be
// made, with the status a fleet row would have and the explanation.
func TestVerifyJSONOnFailure(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		status     string
		title      string
		aadsts     int
		httpStatus int
	}{
		{"graph 403", []string{"--scenario", "restricted-reader"}, exitRefused, "forbidden", "Microsoft Graph refused to show this to your account", 0, 403},
		{"sign-in refused", []string{"--scenario", "ca-blocked"}, exitRefused, "refused", "Blocked by Conditional Access", 53003, 0},
		{"graph unreachable", []string{"--scenario", "consented", "--demo-faults", "unavailable-rate=1", "--timeout", "2s"}, exitError, "error", "Microsoft Graph is throttling", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"verify", "--demo", "--app", "ce", "--format", "json"}, tt.args...)
			code, out, errOut := runFlowsCmdWith(t, nil, []string{"NO_COLOR=1", "TERM=dumb"}, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			var doc struct {
				Schema string `json:"schema"`
				Status string `json:"status"`
				App    struct {
					Key string `json:"key"`
				} `json:"app"`
				Permissions []json.RawMessage `json:"permissions"`
				Error       struct {
					Message, Title, Fix string
					AADSTS              int    `json:"aadsts"`
					HTTPStatus          int    `json:"httpStatus"`
					RequestID           string `json:"requestId"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
			}
			if doc.Schema != "d365consent.verify/v1" || doc.Status != tt.status || doc.App.Key != "ce" || doc.Permissions == nil ||
				doc.Error.Title != tt.title || doc.Error.Fix == "" || doc.Error.Message == "" || doc.Error.AADSTS != tt.aadsts || doc.Error.HTTPStatus != tt.httpStatus {
				t.Errorf("document %+v", doc)
			}
			// Graph's refusal carries its request id, whole, for Graph support.
			if (tt.httpStatus == 403) != permissions.IsGUID(doc.Error.RequestID) {
				t.Errorf("request id %q for HTTP %d", doc.Error.RequestID, tt.httpStatus)
			}
		})
	}
}
