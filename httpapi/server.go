// Package httpapi serves binvault over HTTP: the JSONBin v3 routes,
// byte-for-byte compatible, and binvault's own routes beside them. Handlers
// translate between HTTP and the Vault; they decide no rules themselves.
package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/binvault/binvault"
)

// Config is what an operator sets for the HTTP layer.
type Config struct {
	// AllowedOrigins for CORS on key-authenticated API routes; empty or
	// "*" allows any origin, as JSONBin does.
	AllowedOrigins []string
	// Limits are the rate limits.
	Limits Limits
	// Dashboard, when set, serves every path outside /v3 (the web pages).
	// It gets the same request ids, rate limits and activity log, but no
	// CORS headers: its cookies must not be usable from other origins.
	Dashboard http.Handler
	// EventHeartbeat is how often an idle event stream (GET
	// /v3/b/{id}/events) sends a comment to stay open (default 15s).
	EventHeartbeat time.Duration
	// Metrics, when set, is served at GET /metrics (package metrics); when
	// nil, /metrics is an unknown path like any other.
	Metrics http.Handler
	// MetricsToken, when set, is the token GET /metrics requires as
	// "Authorization: Bearer <token>".
	MetricsToken string
	// Observer, when set, is told of every request once answered.
	Observer RequestObserver
}

// Server is the HTTP face of a Vault.
type Server struct {
	vault     *binvault.Vault
	log       *slog.Logger
	cors      corsPolicy
	mux       *http.ServeMux
	handler   http.Handler
	ids       *requestIDs
	now       func() time.Time
	limitCfg  Limits
	limits    atomic.Pointer[limiters]
	dashboard http.Handler
	streams   streams // the change feeds' event streams
	telemetry telemetry
}

// New returns a Server for vault.
func New(vault *binvault.Vault, log *slog.Logger, cfg Config) *Server {
	s := &Server{vault: vault, log: log, cors: newCORSPolicy(cfg.AllowedOrigins), now: time.Now,
		ids: &requestIDs{prefix: binvault.NewID(time.Now())[16:]}, limitCfg: cfg.Limits, dashboard: cfg.Dashboard}
	s.limits.Store(newLimiters(cfg.Limits, vault.LiveNodes()))
	s.streams = newStreams(cfg.EventHeartbeat)
	s.telemetry = newTelemetry(cfg)
	s.mux = s.routes()
	s.handler = s.recoverPanics(s.withCORS(s.withRequest(http.HandlerFunc(s.dispatch))))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// dispatch cleans the path (clients add trailing slashes; ServeMux would
// answer those with redirects, which break POST and PUT) and routes it.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; len(p) > 1 && (strings.HasSuffix(p, "/") || strings.Contains(p, "//") || strings.Contains(p, "/.")) {
		r.URL.Path = path.Clean(p)
		r.URL.RawPath = ""
	}
	s.mux.ServeHTTP(w, r)
}

// notFound is the catch-all route. Because it matches every method,
// ServeMux never answers 405 itself; a path that exists under other
// methods gets a JSON 405 with an Allow header here instead.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if s.dashboard != nil && !isAPIPath(r.URL.Path) {
		s.dashboard.ServeHTTP(w, r)
		return
	}
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "/" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		s.writeError(w, r, errorf(binvault.ENOTFOUND, "%s", binvault.MsgRouteNotFound))
		return
	}
	w.Header().Set("Allow", strings.Join(append(allowed, "OPTIONS"), ", "))
	s.writeError(w, r, errorf(binvault.ENOTALLOWED, "%s", binvault.MsgMethodNotAllowed))
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if err := s.vault.Ping(r.Context()); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// recoverPanics turns a panicking handler into a logged 500 with a JSON
// body, instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.writeError(w, r, errorf(binvault.EINTERNAL, "panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// jsonContentType is shared by every response; it is never modified.
var jsonContentType = []string{"application/json; charset=utf-8"}

// writeJSON writes v as compact JSON without HTML escaping, so messages
// keep JSONBin's exact bytes.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshal(v)
	if err != nil {
		s.log.Error("encode response", slog.Any("error", err))
		status, body = http.StatusInternalServerError, []byte(`{"message":"`+binvault.MsgInternal+`"}`)
	}
	writeRaw(w, status, body)
}

// marshal is json.Marshal without HTML escaping: "<" stays "<", as JSONBin
// (Node's JSON.stringify) sends it.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// isAPIPath tells the key-authenticated API from the dashboard's pages.
func isAPIPath(p string) bool {
	return p == "/v3" || strings.HasPrefix(p, "/v3/") || p == "/healthz"
}
