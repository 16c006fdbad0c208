// Package metrics exposes binvault to Prometheus: requests by route
// pattern, method and status with their latency, the time every store
// operation takes, the Vault's cache hits and misses, the activity log's
// queue, and the Go runtime and process.
//
// Everything lives in a private registry, never the global one, so that
// tests and several servers in one process keep their numbers apart.
// cmd/binvault wires it: InstrumentStore around the store, WatchVault on the
// Vault, ObserveRequest as httpapi's observer and Handler at GET /metrics.
package metrics

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics owns a registry and binvault's collectors. It is safe for
// concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	storeOps *prometheus.HistogramVec

	statuses [600]string // "100".."599", so that labelling a status allocates nothing
}

// New returns Metrics with the HTTP and store metrics registered, and the
// standard Go runtime, process and build-info collectors.
//
// Latency buckets are in seconds: a request served from the cache takes
// tens of microseconds in the process, a durable write a millisecond or
// more, a store read from cache-hot pages a hundred microseconds.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "binvault_http_requests_total",
			Help: "HTTP requests answered, by ServeMux route pattern (\"unmatched\" when refused before routing), method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "binvault_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method. Event streams are not included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		storeOps: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "binvault_store_operation_duration_seconds",
			Help:    "Time a store operation took, by operation (the Store method).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op"}),
	}
	for code := 100; code < len(m.statuses); code++ {
		m.statuses[code] = strconv.Itoa(code)
	}
	m.reg.MustRegister(
		m.requests, m.latency, m.storeOps,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return m
}

// Registry is where the collectors live; a caller may register its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text (or protobuf) format.
// A collector that fails is logged to log and left out; the rest is still
// served.
func (m *Metrics) Handler(log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
	})
}
