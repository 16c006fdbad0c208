package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// corsAllowHeaders are the request headers browsers may send: every X-*
// header of JSONBin's API plus the standard ones its clients use.
const corsAllowHeaders = "Content-Type, Authorization, X-Master-Key, X-Access-Key, X-Bin-Meta, " +
	"X-Bin-Private, X-Bin-Name, X-Bin-Versioning, X-Collection-Id, X-Collection-Name, " +
	"X-Schema-Doc-Id, X-Schema-Doc-Name, X-Sort-Order, X-JSON-Path, X-Dot-Path, " +
	"X-Preserve-Latest, X-Key-Name, If-Match, If-None-Match"

const corsAllowMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// corsPolicy answers CORS for key-authenticated routes. Keys travel in
// headers, never cookies, so allowing any origin exposes nothing a page
// could not already do with the key.
type corsPolicy struct {
	any     bool
	origins []string
}

func newCORSPolicy(origins []string) corsPolicy {
	if len(origins) == 0 || slices.Contains(origins, "*") {
		return corsPolicy{any: true}
	}
	return corsPolicy{origins: origins}
}

var (
	corsStar   = []string{"*"}
	corsExpose = []string{"X-Required-Permission, Allow, ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id"}
)

// withCORS adds CORS headers to every response and answers every OPTIONS
// request (preflight or not) with 204.
func (s *Server) withCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.dashboard != nil && !isAPIPath(r.URL.Path) {
			next.ServeHTTP(w, r) // cookie-authenticated pages: same origin only
			return
		}
		h := w.Header()
		if s.cors.any {
			h["Access-Control-Allow-Origin"] = corsStar
		} else if o := r.Header.Get("Origin"); slices.Contains(s.cors.origins, o) {
			h.Set("Access-Control-Allow-Origin", o)
			h.Add("Vary", "Origin")
		}
		h["Access-Control-Expose-Headers"] = corsExpose
		if r.Method != http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", allowHeaders(r))
		h.Set("Access-Control-Max-Age", "86400")
		h.Set("Allow", corsAllowMethods)
		w.WriteHeader(http.StatusNoContent)
	})
}

// allowHeaders allows our list plus whatever else the preflight asks for,
// so a client's extra harmless header (X-Requested-With) does not break it.
func allowHeaders(r *http.Request) string {
	asked := r.Header.Get("Access-Control-Request-Headers")
	if asked == "" {
		return corsAllowHeaders
	}
	return corsAllowHeaders + ", " + strings.TrimSpace(asked)
}
