package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/metrics"
)

// MustMetricsFixture is a fixture whose server has metrics on (hc's
// Metrics and Observer are set; the rest of hc is kept).
func MustMetricsFixture(t testing.TB, hc httpapi.Config) *fixture {
	t.Helper()
	m := metrics.New()
	hc.Metrics, hc.Observer = m.Handler(slog.New(slog.DiscardHandler)), m
	f := MustFixtureHTTP(t, nil, hc)
	m.WatchVault(f.vault)
	return f
}

// serve sends one request straight to the handler. Unlike fixture.do it
// does not hold the answer to openapi.yaml, which documents the JSONBin
// API, not the operator's /metrics or the dashboard's pages.
func serve(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = "192.0.2.7:4242" // a scraper apart from the clients' 192.0.2.1
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// MustScrape returns the body of GET /metrics, sending hdr.
func MustScrape(t *testing.T, f *fixture, hdr ...string) string {
	t.Helper()
	w := serve(f.h, "GET", "/metrics", hdr...)
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

func TestMetricsCountRequestsByRoutePattern(t *testing.T) {
	f := MustMetricsFixture(t, httpapi.Config{})
	id := f.MustBin(`{"a":1}`, nil)
	for range 2 {
		f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "")
	}
	f.do("GET", "/v3/b/"+id+"/latest", hdr("X-Master-Key", f.key), "")
	f.do("GET", "/v3/b/"+binvault.NewID(time.Now()), hdr("X-Master-Key", f.key), "")
	serve(f.h, "GET", "/no/such/route/"+id)
	MustScrape(t, f)
	body := MustScrape(t, f)

	for _, line := range []string{
		`binvault_http_requests_total{method="POST",route="POST /v3/b",status="200"} 1`,
		`binvault_http_requests_total{method="GET",route="GET /v3/b/{id}",status="200"} 2`,
		`binvault_http_requests_total{method="GET",route="GET /v3/b/{id}",status="404"} 1`,
		`binvault_http_requests_total{method="GET",route="GET /v3/b/{id}/{version}",status="200"} 1`,
		`binvault_http_requests_total{method="GET",route="/",status="404"} 1`,
		`binvault_http_request_duration_seconds_count{method="GET",route="GET /v3/b/{id}"} 3`,
		`binvault_cache_hits_total{cache="bin"} 3`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
	if strings.Contains(body, "/metrics") || strings.Contains(body, "/v3/b/"+id) || strings.Contains(body, "/no/such") {
		t.Errorf("scrape labels a raw path or counts /metrics itself:\n%s", grep(body, "binvault_http_requests_total{"))
	}
}

func TestMetricsRateLimitedRequestIsUnmatched(t *testing.T) {
	f := MustMetricsFixture(t, httpapi.Config{Limits: httpapi.Limits{IPRate: 0.001, IPBurst: 1}})
	f.do("GET", "/healthz", nil, "")
	if w := f.do("GET", "/healthz", nil, ""); w.Code != http.StatusTooManyRequests {
		t.Fatalf("second request: %d, want 429", w.Code)
	}
	body := MustScrape(t, f)
	for _, line := range []string{
		`binvault_http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
		`binvault_http_requests_total{method="GET",route="unmatched",status="429"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %s", line)
		}
	}
}

// TestMetricsStreamsAndPanics uses the dashboard slot, which serves any
// path outside /v3 behind the same middleware, for handlers the API does
// not have: an event stream, whose duration is not a latency, and one that
// panics, which the client sees as a 500.
func TestMetricsStreamsAndPanics(t *testing.T) {
	f := MustMetricsFixture(t, httpapi.Config{Dashboard: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			panic("handler bug")
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "data: {}\n\n")
	})})
	serve(f.h, "GET", "/stream")
	if w := serve(f.h, "GET", "/panic"); w.Code != http.StatusInternalServerError {
		t.Fatalf("panicking handler: %d, want 500", w.Code)
	}
	body := MustScrape(t, f)
	for _, line := range []string{
		`binvault_http_requests_total{method="GET",route="/",status="200"} 1`,
		`binvault_http_requests_total{method="GET",route="/",status="500"} 1`,
		// the panic's latency only: the stream is left out
		`binvault_http_request_duration_seconds_count{method="GET",route="/"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %s; has\n%s", line, grep(body, `route="/"`))
		}
	}
}

func TestMetricsToken(t *testing.T) {
	f := MustMetricsFixture(t, httpapi.Config{MetricsToken: "s3cret-token"})
	for name, auth := range map[string]string{
		"NoToken":       "",
		"WrongToken":    "Bearer s3cret-tokem",
		"TokenPrefix":   "Bearer s3cret",
		"NotBearer":     "Basic s3cret-token",
		"APIKeyInstead": "Bearer " + f.key,
	} {
		t.Run(name, func(t *testing.T) {
			w := serve(f.h, "GET", "/metrics", "Authorization", auth)
			if w.Code != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", w.Code)
			}
			if got, want := w.Body.String(), `{"message":"`+binvault.MsgMetricsToken+`"}`; got != want {
				t.Errorf("body %s, want %s", got, want)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want JSON", ct)
			}
			if w.Header().Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate header")
			}
		})
	}
	t.Run("RightToken", func(t *testing.T) {
		body := MustScrape(t, f, "Authorization", "bearer s3cret-token")
		if !strings.Contains(body, "binvault_activity_queue_depth ") {
			t.Errorf("scrape lacks binvault_activity_queue_depth:\n%s", body)
		}
	})
}

// TestMetricsOffByDefault: without Config.Metrics, /metrics is answered
// as any unknown path is, with and without a dashboard.
func TestMetricsOffByDefault(t *testing.T) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "dashboard page not found", http.StatusNotFound)
	})
	for name, hc := range map[string]httpapi.Config{"API": {}, "WithDashboard": {Dashboard: page}} {
		t.Run(name, func(t *testing.T) {
			f := MustFixtureHTTP(t, nil, hc)
			got, want := serve(f.h, "GET", "/metrics"), serve(f.h, "GET", "/no-such-page")
			if got.Code != want.Code || got.Body.String() != want.Body.String() {
				t.Errorf("GET /metrics: %d %s; an unknown path: %d %s", got.Code, got.Body, want.Code, want.Body)
			}
			if got.Code != http.StatusNotFound {
				t.Errorf("GET /metrics: %d, want 404", got.Code)
			}
		})
	}
}

// TestMetricsScrapesNotInActivityLog: scrapes, like health checks, stay
// out of the activity log, while a routed request beside them is logged.
func TestMetricsScrapesNotInActivityLog(t *testing.T) {
	store := &activityCapture{Store: openStore(t)}
	v := binvault.NewVault(store, keys.Format{}, binvault.Config{})
	m := metrics.New()
	h := httpapi.New(v, slog.New(slog.DiscardHandler), httpapi.Config{Metrics: m.Handler(slog.New(slog.DiscardHandler)), Observer: m})
	for range 3 {
		if w := serve(h, "GET", "/metrics"); w.Code != http.StatusOK {
			t.Fatalf("GET /metrics: %d", w.Code)
		}
	}
	serve(h, "GET", "/v3/b/"+binvault.NewID(time.Now()))
	v.Close() // writes the log
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.routes) != 1 || store.routes[0] != "GET /v3/b/{id}" {
		t.Errorf("activity log has routes %q, want only GET /v3/b/{id}", store.routes)
	}
}

// activityCapture keeps the routes of the activity entries written to it.
type activityCapture struct {
	binvault.Store
	mu     sync.Mutex
	routes []string
}

func (s *activityCapture) AddActivity(ctx context.Context, entries []binvault.Activity) error {
	s.mu.Lock()
	for _, a := range entries {
		s.routes = append(s.routes, a.Route)
	}
	s.mu.Unlock()
	return s.Store.AddActivity(ctx, entries)
}

// BenchmarkReadLatestMetrics is BenchmarkReadLatest with metrics on: the
// request is counted and timed, and the store wrapped by InstrumentStore
// is not reached (the read is served from the cache).
func BenchmarkReadLatestMetrics(b *testing.B) {
	benchReadLatest(b, MustMetricsFixture(b, httpapi.Config{}))
}

// grep returns the lines of s that contain sub.
func grep(s, sub string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}
