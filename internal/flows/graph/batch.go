package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Request is one request inside a JSON $batch
// (https://learn.microsoft.com/graph/json-batching). URL is relative to /v1.0, e.g.
// "/servicePrincipals(appId='…')".
type Request struct {
	ID     string `json:"id"`
	Method string `json:"method"`
	URL    string `json:"url"`
}

// Response is the reply to one batched request. For a collection, Value holds every
// item of every page (nextLinks followed); Body is the first page as received.
type Response struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`

	Value []json.RawMessage `json:"-"`
	// Err is set when Status is not 2xx (after retries).
	Err *Error `json:"-"`
}

type batchBody struct {
	Requests []Request `json:"requests"`
}

type batchReply struct {
	Responses []Response `json:"responses"`
}

func (r *Response) header(name string) string {
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// Batch sends reqs in $batch requests of at most MaxBatch and returns each response by
// id. A sub-request answered 429/503/504 is sent again, alone with the others in the
// same state, after the longest Retry-After among them (backoff with jitter when
// absent), at most maxRetries times. Non-2xx sub-responses carry Err; the error return
// is for the $batch call itself.
func (c *Client) Batch(ctx context.Context, reqs []Request) (map[string]*Response, error) {
	out := make(map[string]*Response, len(reqs))
	pending := reqs
	for attempt := 0; len(pending) > 0; attempt++ {
		var retry []Request
		var wait time.Duration
		status := 0
		for start := 0; start < len(pending); start += MaxBatch {
			chunk := pending[start:min(start+MaxBatch, len(pending))]
			replies, err := c.sendBatch(ctx, chunk)
			if err != nil {
				return nil, err
			}
			byID := make(map[string]*Response, len(replies))
			for i := range replies {
				byID[replies[i].ID] = &replies[i]
			}
			for _, rq := range chunk {
				r, ok := byID[rq.ID]
				if !ok {
					return nil, fmt.Errorf("Microsoft Graph $batch: no response for request %q", rq.ID)
				}
				if c.gate != nil && r.Status == http.StatusTooManyRequests {
					c.gate.Throttled(c.retryDelay(r.header("Retry-After"), attempt))
				}
				if retryable(r.Status) && attempt < c.maxRetries {
					retry = append(retry, rq)
					d := c.retryDelay(r.header("Retry-After"), attempt)
					if d >= wait {
						wait, status = d, r.Status
					}
					continue
				}
				if r.Status < 200 || r.Status >= 300 {
					r.Err = newError(rq.Method, rq.URL, r.Status, r.header, r.Body)
				}
				out[rq.ID] = r
			}
		}
		if len(retry) > 0 {
			if err := c.sleep(ctx, wait, status); err != nil {
				return nil, err
			}
		}
		pending = retry
	}
	return out, nil
}

func (c *Client) sendBatch(ctx context.Context, reqs []Request) ([]Response, error) {
	body, err := json.Marshal(batchBody{Requests: reqs})
	if err != nil {
		return nil, err
	}
	safe := true // a $batch of reads only may be sent again
	for _, r := range reqs {
		safe = safe && r.Method == http.MethodGet
	}
	data, err := c.do(ctx, http.MethodPost, c.base+"/$batch", body, safe)
	if err != nil {
		return nil, err
	}
	var rep batchReply
	if err := Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("Microsoft Graph $batch: decoding the reply: %w", err)
	}
	return rep.Responses, nil
}

// BatchAll is Batch, then follows the @odata.nextLink of every collection reply to its
// end, batching the next pages of all collections together, so N paged collections
// cost one round trip per page depth, not per page.
func (c *Client) BatchAll(ctx context.Context, reqs []Request) (map[string]*Response, error) {
	out, err := c.Batch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	next := map[string]string{} // request id -> next link, relative to base
	for id, r := range out {
		if r.Err != nil || len(r.Body) == 0 || r.Body[0] != '{' {
			continue
		}
		var p Page
		if Unmarshal(r.Body, &p) != nil {
			continue
		}
		r.Value = p.Value
		if p.NextLink != "" {
			rel, err := c.relative(p.NextLink)
			if err != nil {
				return nil, err
			}
			next[id] = rel
		}
	}
	for depth := 0; len(next) > 0; depth++ {
		if depth >= maxPages {
			return nil, fmt.Errorf("Microsoft Graph: more than %d pages", maxPages)
		}
		var page []Request
		for id, link := range next {
			page = append(page, Request{ID: id, Method: http.MethodGet, URL: link})
		}
		reps, err := c.Batch(ctx, page)
		if err != nil {
			return nil, err
		}
		next = map[string]string{}
		for id, r := range reps {
			if r.Err != nil {
				out[id].Err = r.Err
				out[id].Status = r.Status
				continue
			}
			var p Page
			if err := Unmarshal(r.Body, &p); err != nil {
				return nil, fmt.Errorf("Microsoft Graph GET %s: decoding the reply: %w", page[0].URL, err)
			}
			out[id].Value = append(out[id].Value, p.Value...)
			if p.NextLink != "" {
				rel, err := c.relative(p.NextLink)
				if err != nil {
					return nil, err
				}
				next[id] = rel
			}
		}
	}
	return out, nil
}

// relative turns an absolute nextLink under the client's base into a $batch URL.
func (c *Client) relative(link string) (string, error) {
	abs, err := c.resolve(link)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(abs, c.base+"/") {
		return "", fmt.Errorf("Microsoft Graph: nextLink %q is outside %s", link, c.base)
	}
	return strings.TrimPrefix(abs, c.base), nil
}
