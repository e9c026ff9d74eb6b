package cli

import (
	"errors"
	"net/http"
	"time"

	"github.com/d365consent/d365consent/internal/explain"
	"github.com/d365consent/d365consent/internal/fleet"
	"github.com/d365consent/d365consent/internal/flows"
	"github.com/d365consent/d365consent/internal/flows/graph"
	"github.com/d365consent/d365consent/internal/safetext"
	"github.com/d365consent/d365consent/permissions"
)

// verifyFailure is the d365consent.verify/v1 document of a check that could not be
// made (`verify --format json`): the contract's fields known without a result, the
// status a fleet row would have (refused, no-access, forbidden, error) and the
// explanation, so a script can act on it. permissions is empty: nothing was read.
type verifyFailure struct {
	Schema      string                  `json:"schema"`
	App         flows.ResultApp         `json:"app"`
	Tenant      flows.ResultTenant      `json:"tenant"`
	Cloud       string                  `json:"cloud"`
	CheckedAt   time.Time               `json:"checkedAt"`
	Status      fleet.Status            `json:"status"`
	Permissions []flows.PermissionCheck `json:"permissions"`
	Error       verifyError             `json:"error"`
}

// verifyError is why the check could not be made, in plain words and with the ids
// support asks for.
type verifyError struct {
	// Message is the error as it happened (sanitized).
	Message       string `json:"message"`
	Title         string `json:"title,omitempty"`
	Meaning       string `json:"meaning,omitempty"`
	Fix           string `json:"fix,omitempty"`
	AADSTS        int    `json:"aadsts,omitempty"`
	OAuthError    string `json:"oauthError,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	TraceID       string `json:"traceId,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
	Link          string `json:"link,omitempty"`
	// RequestID and ClientRequestID are Microsoft Graph's ids of a refused request.
	RequestID       string `json:"requestId,omitempty"`
	ClientRequestID string `json:"clientRequestId,omitempty"`
	// HTTPStatus is Microsoft Graph's status code when Graph refused (403).
	HTTPStatus int `json:"httpStatus,omitempty"`
}

// failureStatus is the fleet row status of err: the same words verify --tenants uses.
func failureStatus(err error) fleet.Status {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == http.StatusForbidden {
		return fleet.StatusForbidden
	}
	if x := explain.Explain(err); x != nil {
		if explain.MeansNoAccess(x.Code) {
			return fleet.StatusNoAccess
		}
		return fleet.StatusRefused
	}
	return fleet.StatusError
}

// newVerifyFailure is the failure document of app checked in tenant.
func newVerifyFailure(app *permissions.App, tenant, cloud string, now time.Time, err error) verifyFailure {
	doc := verifyFailure{Schema: flows.ResultSchema, Cloud: cloud, CheckedAt: now.UTC(), Status: failureStatus(err),
		Permissions: []flows.PermissionCheck{}, Tenant: flows.ResultTenant{ID: safetext.Sanitize(tenant)}}
	if app != nil {
		doc.App = flows.ResultApp{Key: app.Key, DisplayName: app.DisplayName, ClientID: app.ClientID}
	}
	doc.Error.Message = safetext.Sanitize(err.Error())
	if x := explain.Describe(err); x != nil {
		doc.Error.Title, doc.Error.Meaning, doc.Error.Fix = x.Title, x.Meaning, x.Fix
		doc.Error.AADSTS, doc.Error.OAuthError = x.Code, x.OAuthError
		doc.Error.CorrelationID, doc.Error.TraceID, doc.Error.Timestamp, doc.Error.Link = x.CorrelationID, x.TraceID, x.Timestamp, x.Link
		doc.Error.RequestID, doc.Error.ClientRequestID = x.RequestID, x.ClientRequestID
	}
	var ge *graph.Error
	if errors.As(err, &ge) {
		doc.Error.HTTPStatus = ge.Status
	}
	return doc
}

// writeVerifyFailure prints the failure document on stdout for --format json (the
// explanation for people still goes to stderr); a cancelled check prints none.
func (a *Factory) writeVerifyFailure(o verifyOptions, t *commandTarget, app *permissions.App, err error) {
	if o.Format != "json" || err == nil || errors.Is(err, flows.ErrCancelled) {
		return
	}
	cloud := t.cfg.Cloud.Name
	if cloud == "" {
		cloud = "global"
	}
	data, jerr := jsonIndent(newVerifyFailure(app, t.cfg.Tenant, cloud, time.Now(), err))
	if jerr == nil {
		_, _ = a.stdout.Write(data)
	}
}
