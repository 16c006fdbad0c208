package httpapi

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/ratelimit"
)

// requestIDs numbers requests within this process; the prefix, random per
// process, keeps ids from different nodes and restarts apart.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

func (g *requestIDs) next() string {
	b := make([]byte, 0, 24)
	b = append(b, g.prefix...)
	b = append(b, '-')
	return string(strconv.AppendUint(b, g.n.Add(1), 36))
}

// request is the response writer the middleware hands down: it remembers
// the status for the activity log and the failed-authentication gate.
type request struct {
	http.ResponseWriter
	status int
}

func (w *request) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *request) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *request) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequest is the per-request middleware: it gives the request an id
// (X-Request-Id), applies the rate limits, lets the Vault trace it, and
// after it is served hands an activity entry to the Vault's background
// recorder and reports it to the metrics observer, if any. Requests that
// matched no route (404s, health checks, metrics scrapes, CORS preflights
// and rate-limit refusals, answered before routing) are not recorded.
func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		rid := s.ids.next()
		w.Header()["X-Request-Id"] = []string{rid}
		lim := s.currentLimiters()
		ip := ratelimit.ClientIP(r, lim.trusted)
		cred := credentials(r)
		if !s.withinLimits(w, r, lim, ip, cred) {
			s.observe(r, http.StatusTooManyRequests, start, false)
			return
		}
		ctx, trace := binvault.WithTrace(r.Context())
		r = r.WithContext(ctx)
		rw := &request{ResponseWriter: w}
		defer s.observeServed(r, rw, start)
		next.ServeHTTP(rw, r)
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		if rw.status == http.StatusUnauthorized && cred != (binvault.Credentials{}) {
			lim.authFail.Allow(ip)
		}
		if r.Pattern == "" || r.Pattern == "/" || r.Pattern == "GET /healthz" || r.Pattern == metricsRoute {
			return
		}
		a := binvault.Activity{
			At: s.now(), Method: r.Method, Route: r.Pattern, Status: rw.status,
			IP: ip, UserAgent: truncate(r.UserAgent(), 256), RequestID: rid,
		}
		trace.Fill(&a)
		s.vault.Record(a)
	})
}

// withinLimits applies the per-IP limit, the failed-authentication gate and
// the per-key limit, in that order, and answers 429 when one refuses. Keys
// are bucketed by their digest: the limiter never holds a secret.
func (s *Server) withinLimits(w http.ResponseWriter, r *http.Request, lim *limiters, ip string, cred binvault.Credentials) bool {
	if !s.admit(w, r, lim.ip.Allow(ip)) {
		return false
	}
	secret := cred.MasterKey + cred.AccessKey
	if secret == "" {
		return true
	}
	if !s.admit(w, r, lim.authFail.Peek(ip)) {
		return false
	}
	if lim.key.Unlimited() {
		return true
	}
	digest := sha256.Sum256([]byte(secret))
	return s.admit(w, r, lim.key.Allow(string(digest[:])))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
