package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// batch is POST /v1.0/$batch (graph/json-batching): at most 20 requests, each
// with the required id, method and url (relative to the version); each answered with
// its own status and headers; dependsOn orders them and a request whose dependency
// failed answers 424 Failed Dependency; the responses come back in any order ("the
// order of responses may differ from the order of requests"), so callers must match
// them by id. The envelope itself may be throttled (Faults.Envelope).
// batchRequest is one request of a $batch envelope (graph/json-batching).
type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

func (s *Server) batch(r *http.Request, p *principal) graphResult {
	var req struct {
		Requests []batchRequest `json:"requests"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil || json.NewDecoder(bytes.NewReader(body)).Decode(&req) != nil {
		return s.graphError(http.StatusBadRequest, "BadRequest", "Invalid batch payload format.")
	}
	if res, faulted := s.envelopeFault(); faulted {
		return res
	}
	if msg := batchShapeError(req.Requests); msg != "" {
		return s.graphError(http.StatusBadRequest, "BadRequest", msg)
	}
	status := map[string]int{}
	responses := make([]map[string]any, 0, len(req.Requests))
	for _, rq := range req.Requests {
		res := s.batchAnswer(rq, status, p)
		status[rq.ID] = res.status
		out := map[string]any{"id": rq.ID, "status": res.status}
		h := map[string]string{"Cache-Control": "no-cache"}
		for k, v := range res.headers {
			h[k] = v
		}
		if res.body != nil {
			h["Content-Type"] = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
			out["body"] = res.body
		}
		out["headers"] = h
		responses = append(responses, out)
	}
	s.shuffle(responses)
	return graphResult{status: http.StatusOK, body: map[string]any{"responses": responses}}
}

// batchShapeError is why an envelope's requests are refused whole, or "": 1 to 20
// requests, each with an id, method and url ("For each individual request, the id,
// method, and url properties are required."), ids unique, dependsOn naming earlier ones.
func batchShapeError(reqs []batchRequest) string {
	switch n := len(reqs); {
	case n == 0:
		return "Invalid batch payload format: no requests."
	case n > 20:
		return "The number of batch requests exceeds the limit of 20."
	}
	ids := map[string]int{}
	for i, rq := range reqs {
		switch {
		case rq.ID == "":
			return "Every batch request needs an id."
		case rq.Method == "":
			return "Batch request '" + rq.ID + "' has no method."
		case rq.URL == "":
			return "Batch request '" + rq.ID + "' has no url."
		}
		if _, dup := ids[rq.ID]; dup {
			return "Batch request id '" + rq.ID + "' is used more than once."
		}
		ids[rq.ID] = i
	}
	for _, rq := range reqs {
		for _, dep := range rq.DependsOn {
			if j, ok := ids[dep]; !ok || j >= ids[rq.ID] {
				return "Request '" + rq.ID + "' depends on '" + dep + "', which is not an earlier request of the batch."
			}
		}
	}
	return ""
}

// batchAnswer runs one request of an envelope: 424 when a request it depends on failed,
// else the injected faults, else the request itself.
func (s *Server) batchAnswer(rq batchRequest, status map[string]int, p *principal) graphResult {
	for _, dep := range rq.DependsOn {
		if status[dep] >= 400 {
			return s.graphError(http.StatusFailedDependency, "FailedDependency", "The request could not be run because a request it depends on failed.")
		}
	}
	if f, faulted := s.fault(); faulted {
		return f
	}
	h := http.Header{}
	for k, v := range rq.Headers {
		h.Set(k, v)
	}
	return s.subRequest(rq.Method, rq.URL, h, p)
}

// subRequest runs one $batch request. Its url is relative to the version
// ("/me" or "me"), never absolute (graph/json-batching: "The method and url
// properties are exactly what you would see at the start of any given HTTP
// request"): an absolute URL is 400.
func (s *Server) subRequest(method, raw string, h http.Header, p *principal) graphResult {
	u, err := url.Parse("/" + strings.TrimPrefix(raw, "/"))
	if err != nil || strings.Contains(raw, "://") || strings.HasPrefix(raw, "//") {
		return s.graphError(http.StatusBadRequest, "BadRequest", "Invalid request URL '"+raw+"': a batch request's url is relative to the version, e.g. /me.")
	}
	path := strings.TrimPrefix(u.Path, "/")
	if strings.HasPrefix(path, "v1.0/") || strings.HasPrefix(path, "beta/") {
		return s.graphError(http.StatusBadRequest, "BadRequest", "Invalid request URL '"+raw+"': a batch request's url must not repeat the version.")
	}
	if path == "$batch" {
		return s.graphError(http.StatusBadRequest, "BadRequest", "A $batch request cannot contain another $batch.")
	}
	return s.dispatch(strings.ToUpper(method), path, u.Query(), h, p)
}
