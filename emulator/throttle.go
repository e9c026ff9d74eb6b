package emulator

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Retry-After formats (Faults.RetryAfterFormat).
const (
	// RetryWholeSeconds sends delay-seconds rounded up ("2"), the default.
	RetryWholeSeconds = ""
	// RetryFractional sends seconds with milliseconds ("2.128"), as the sample
	// response of graph/throttling does ("Retry-After: 2.128").
	RetryFractional = "fractional"
	// RetryHTTPDate sends an HTTP-date (RFC 9110 §10.2.3 allows either form).
	RetryHTTPDate = "http-date"
)

// retryAfter is the Retry-After value for a wait of d at now; "" = no header.
func retryAfter(d time.Duration, format string, now time.Time) string {
	if d <= 0 {
		return ""
	}
	switch format {
	case RetryFractional:
		return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	case RetryHTTPDate:
		// An HTTP-date has whole seconds: round up so the wait is never shorter.
		return now.Add(d + time.Second - 1).UTC().Truncate(time.Second).Format(http.TimeFormat)
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}

// throttledError is graph/throttling's sample 429 body: code TooManyRequests, an
// innerError with code "429", and "Please retry again later.".
func (s *Server) throttledError() graphResult {
	res := s.graphError(http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
	inner := res.body.(map[string]any)["error"].(map[string]any)["innerError"].(map[string]any)
	inner["code"], inner["status"], inner["message"] = "429", "429", "Please retry after"
	return res
}

// faultResult is the answer to an injected fault status (429, 503 or 504) with
// Retry-After as configured; s.mu held.
func (s *Server) faultResult(status int) graphResult {
	var res graphResult
	switch status {
	case http.StatusTooManyRequests:
		res = s.throttledError()
	case http.StatusGatewayTimeout:
		res = s.graphError(status, "GatewayTimeout", "The gateway did not receive a timely response from the upstream service.")
	case http.StatusServiceUnavailable:
		res = s.graphError(status, "ServiceUnavailable", "The service is temporarily unavailable. Please retry later.")
	default:
		res = s.graphError(status, "UnknownError", fmt.Sprintf("Injected fault %d.", status))
	}
	if v := retryAfter(s.faults.RetryAfter, s.faults.RetryAfterFormat, s.now()); v != "" {
		res.headers = map[string]string{"Retry-After": v}
	}
	return res
}

// envelopeFault answers a whole $batch with the next status of Faults.Envelope:
// the envelope is a request like any other and can itself be throttled or fail
// (graph/throttling; graph/json-batching), so no sub-request runs.
func (s *Server) envelopeFault() (graphResult, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults.Envelope) == 0 {
		return graphResult{}, false
	}
	st := s.faults.Envelope[0]
	s.faults.Envelope = s.faults.Envelope[1:]
	return s.faultResult(st), true
}

// shuffle puts $batch responses in an order other than the requests' (seeded, so a
// run repeats): graph/json-batching, "responses … may appear in a different order".
func (s *Server) shuffle(rs []map[string]any) {
	if len(rs) < 2 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orderRng == nil {
		s.orderRng = rand.New(rand.NewPCG(s.faults.Seed, 0x6f72646572))
	}
	first := rs[0]["id"]
	s.orderRng.Shuffle(len(rs), func(i, j int) { rs[i], rs[j] = rs[j], rs[i] })
	if rs[0]["id"] == first { // never lead with the first request
		rs[0], rs[len(rs)-1] = rs[len(rs)-1], rs[0]
	}
}
