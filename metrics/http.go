package metrics

import (
	"net/http"
	"time"
)

// ObserveRequest counts one answered request and, unless it was a
// long-lived stream, records its latency. route is the ServeMux pattern
// that served it ("unmatched" if none); any method outside the standard
// ones is counted as OTHER, so that clients cannot invent label values.
// It implements httpapi.RequestObserver.
func (m *Metrics) ObserveRequest(route, method string, status int, elapsed time.Duration, stream bool) {
	method = knownMethod(method)
	m.requests.WithLabelValues(route, method, m.status(status)).Inc()
	if !stream {
		m.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
	}
}

func (m *Metrics) status(code int) string {
	if code < 100 || code >= len(m.statuses) {
		return "other"
	}
	return m.statuses[code]
}

func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
