package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	"github.com/binvault/binvault"
)

// RequestObserver is told of every request once it has been answered;
// package metrics implements it. route is the ServeMux pattern that served
// the request ("/", the catch-all, for unknown paths and the dashboard's
// pages), or "unmatched" when it was refused before routing (a rate limit).
// stream marks a long-lived response (text/event-stream) whose duration is
// not a latency. CORS preflights, answered before anything else, and
// GET /metrics itself are not reported.
type RequestObserver interface {
	ObserveRequest(route, method string, status int, elapsed time.Duration, stream bool)
}

// metricsRoute is the pattern routes.go registers when metrics are on.
const metricsRoute = "GET /metrics"

// telemetry is what the Server needs of Config's metrics settings.
type telemetry struct {
	metrics  http.Handler
	token    [sha256.Size]byte // digest of the bearer token; compared in constant time
	hasToken bool
	observer RequestObserver
}

func newTelemetry(cfg Config) telemetry {
	t := telemetry{metrics: cfg.Metrics, observer: cfg.Observer}
	if cfg.MetricsToken != "" {
		t.token, t.hasToken = sha256.Sum256([]byte(cfg.MetricsToken)), true
	}
	return t
}

// serveMetrics serves GET /metrics, after checking the bearer token if one
// is configured: 401 (EUNAUTHORIZED) when it is missing or wrong.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.telemetry.hasToken && !s.telemetry.tokenMatches(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
		s.writeError(w, r, errorf(binvault.EUNAUTHORIZED, "%s", binvault.MsgMetricsToken))
		return
	}
	s.telemetry.metrics.ServeHTTP(w, r)
}

// tokenMatches compares digests, so that neither the token's bytes nor its
// length can be learnt from the time a refusal takes.
func (t *telemetry) tokenMatches(r *http.Request) bool {
	got := sha256.Sum256([]byte(bearerToken(r)))
	return subtle.ConstantTimeCompare(got[:], t.token[:]) == 1
}

// observe reports a request that ended with status.
func (s *Server) observe(r *http.Request, status int, start time.Time, stream bool) {
	o := s.telemetry.observer
	if o == nil || r.Pattern == metricsRoute {
		return
	}
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	o.ObserveRequest(route, r.Method, status, s.now().Sub(start), stream)
}

// observeServed reports a routed request; it is deferred, so that a
// handler that panics before answering is reported as the 500 that
// recoverPanics will send.
func (s *Server) observeServed(r *http.Request, rw *request, start time.Time) {
	if s.telemetry.observer == nil {
		return
	}
	status := rw.status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	ct := rw.Header()["Content-Type"]
	s.observe(r, status, start, len(ct) > 0 && strings.HasPrefix(ct[0], "text/event-stream"))
}
