package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/sqlite"
)

// TestMeasureSSE runs the sse scenario, small, against an in-process
// binvault: every subscriber gets every write, and the report says so.
func TestMeasureSSE(t *testing.T) {
	store, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	v := binvault.NewVault(store, keys.Format{}, binvault.Config{})
	t.Cleanup(func() { v.Close() })
	key, err := v.Bootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(v, slog.New(slog.DiscardHandler), httpapi.Config{}))
	t.Cleanup(srv.Close)

	cfg := config{duration: time.Second, sseSubscribers: 20, sseRate: 0}
	r := measureSSE(context.Background(), cfg, "binvault", srv.URL, key, os.Getpid())
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.connected != 20 || r.writes == 0 || r.delivered != int64(20*r.writes) || r.dropped != 0 {
		t.Fatalf("%d connected, %d writes, %d delivered, %d dropped; want every write to every subscriber",
			r.connected, r.writes, r.delivered, r.dropped)
	}
	if r.afterSend.p50 <= 0 || r.afterSend.max < r.afterSend.p99 || r.afterSend.p99 < r.afterSend.p50 {
		t.Fatalf("latency from send %+v", r.afterSend)
	}
	var b strings.Builder
	writeSSE(&b, outcome{cfg: cfg, sse: []sseResult{r}})
	if !strings.Contains(b.String(), "| binvault | 20 / 20 |") {
		t.Fatalf("report:\n%s", b.String())
	}
}

func TestSummarise(t *testing.T) {
	us := make([]int64, 1000)
	for i := range us {
		us[i] = int64(1000 - i) // 1..1000 µs, unsorted
	}
	got := summarise(us)
	if got.p50 != 501*time.Microsecond || got.p99 != 991*time.Microsecond || got.max != 1000*time.Microsecond {
		t.Fatalf("summarise = %+v", got)
	}
}
