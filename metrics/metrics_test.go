package metrics_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/metrics"
	"github.com/binvault/binvault/sqlite"
)

func TestObserveRequest(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest("GET /v3/b/{id}", "GET", 200, 3*time.Millisecond, false)
	m.ObserveRequest("GET /v3/b/{id}", "GET", 200, 5*time.Millisecond, false)
	m.ObserveRequest("GET /v3/b/{id}", "GET", 404, time.Millisecond, false)
	m.ObserveRequest("/", "BREW", 404, time.Millisecond, false)
	m.ObserveRequest("GET /v3/b/{id}/events", "GET", 200, time.Hour, true)
	reg := m.Registry()

	t.Run("CountedByRouteMethodStatus", func(t *testing.T) {
		want := `
# HELP binvault_http_requests_total HTTP requests answered, by ServeMux route pattern ("unmatched" when refused before routing), method and status.
# TYPE binvault_http_requests_total counter
binvault_http_requests_total{method="GET",route="GET /v3/b/{id}",status="200"} 2
binvault_http_requests_total{method="GET",route="GET /v3/b/{id}",status="404"} 1
binvault_http_requests_total{method="GET",route="GET /v3/b/{id}/events",status="200"} 1
binvault_http_requests_total{method="OTHER",route="/",status="404"} 1
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "binvault_http_requests_total"); err != nil {
			t.Error(err)
		}
	})
	t.Run("LatencyByRouteAndMethod", func(t *testing.T) {
		h := MustHistogram(t, reg, "binvault_http_request_duration_seconds", "route", "GET /v3/b/{id}")
		if h.GetSampleCount() != 3 {
			t.Errorf("sample count %d, want 3", h.GetSampleCount())
		}
		if got, want := h.GetSampleSum(), 0.009; got < want-1e-9 || got > want+1e-9 {
			t.Errorf("sample sum %g, want %g", got, want)
		}
	})
	t.Run("StreamsLeftOutOfLatency", func(t *testing.T) {
		if h := FindMetric(t, reg, "binvault_http_request_duration_seconds", "route", "GET /v3/b/{id}/events"); h != nil {
			t.Errorf("an event stream's duration was recorded as a latency: %v", h)
		}
	})
}

func TestHandlerServesRegistry(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest("GET /healthz", "GET", 200, time.Millisecond, false)
	w := httptest.NewRecorder()
	m.Handler(slog.New(slog.DiscardHandler)).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	body := w.Body.String()
	want := []string{
		`binvault_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		"go_goroutines ",
		"go_build_info{",
	}
	if runtime.GOOS == "linux" {
		want = append(want, "process_resident_memory_bytes ")
	}
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("scrape lacks %q", s)
		}
	}
}

// TestWatchVault: the collector reports what Vault.Stats counts, under
// one label value per cache.
func TestWatchVault(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v := binvault.NewVault(s, keys.Format{}, binvault.Config{})
	t.Cleanup(func() { v.Close() })
	m := metrics.New()
	m.WatchVault(v)
	secret, err := v.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cred := binvault.Credentials{MasterKey: secret}
	b, err := v.CreateBin(ctx, cred, binvault.BinCreate{Record: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := v.ReadBin(ctx, cred, b.ID, binvault.Latest); err != nil {
			t.Fatal(err)
		}
	}
	st := v.Stats()
	if st.Bins.Hits != 3 {
		t.Fatalf("Stats().Bins.Hits = %d, want 3", st.Bins.Hits)
	}
	reg := m.Registry()
	for cache, cs := range map[string]binvault.CacheStats{
		"bin": st.Bins, "key": st.Keys, "account": st.Accounts, "collection": st.Collections, "schema": st.Schemas,
	} {
		if got := MustValue(t, reg, "binvault_cache_hits_total", "cache", cache); got != float64(cs.Hits) {
			t.Errorf("binvault_cache_hits_total{cache=%q} = %g, want %d", cache, got, cs.Hits)
		}
		if got := MustValue(t, reg, "binvault_cache_misses_total", "cache", cache); got != float64(cs.Misses) {
			t.Errorf("binvault_cache_misses_total{cache=%q} = %g, want %d", cache, got, cs.Misses)
		}
	}
	for name, want := range map[string]int{
		"binvault_bin_cache_bytes":         st.BinCacheBytes,
		"binvault_activity_queue_depth":    st.ActivityQueueDepth,
		"binvault_activity_queue_capacity": st.ActivityQueueCapacity,
		"binvault_live_nodes":              1,
	} {
		if got := MustValue(t, reg, name, "", ""); got != float64(want) {
			t.Errorf("%s = %g, want %d", name, got, want)
		}
	}
}

// FindMetric returns the metric of family name whose label has value, or
// nil; an empty label matches the family's only metric.
func FindMetric(tb testing.TB, g prometheus.Gatherer, name, label, value string) *dto.Metric {
	tb.Helper()
	families, err := g.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if label == "" {
				return m
			}
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m
				}
			}
		}
	}
	return nil
}

// MustHistogram is FindMetric for a histogram that must exist.
func MustHistogram(tb testing.TB, g prometheus.Gatherer, name, label, value string) *dto.Histogram {
	tb.Helper()
	m := FindMetric(tb, g, name, label, value)
	if m.GetHistogram() == nil {
		tb.Fatalf("no histogram %s{%s=%q}", name, label, value)
	}
	return m.GetHistogram()
}

// MustValue is FindMetric for a counter or gauge that must exist.
func MustValue(tb testing.TB, g prometheus.Gatherer, name, label, value string) float64 {
	tb.Helper()
	m := FindMetric(tb, g, name, label, value)
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	tb.Fatalf("no counter or gauge %s{%s=%q}", name, label, value)
	return 0
}

// TestLint: binvault's metric names, types and help follow Prometheus'
// conventions (promlint).
func TestLint(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	m := metrics.New()
	v := binvault.NewVault(m.InstrumentStore(s), keys.Format{}, binvault.Config{})
	t.Cleanup(func() { v.Close() })
	m.WatchVault(v)
	if _, err := v.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	m.ObserveRequest("GET /healthz", "GET", 200, time.Millisecond, false)
	problems, err := testutil.GatherAndLint(m.Registry(),
		"binvault_http_requests_total", "binvault_http_request_duration_seconds",
		"binvault_store_operation_duration_seconds", "binvault_cache_hits_total", "binvault_cache_misses_total",
		"binvault_bin_cache_bytes", "binvault_activity_queue_depth", "binvault_activity_queue_capacity", "binvault_live_nodes")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// BenchmarkObserveRequest is what metrics add to every request: one
// counter and one histogram update. It reports; it asserts no time.
func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveRequest("GET /v3/b/{id}/{version}", "GET", 200, 40*time.Microsecond, false)
		}
	})
}
