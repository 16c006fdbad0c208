package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsOffByDefault: a server started without --metrics answers
// /metrics as it answers any unknown page.
func TestMetricsOffByDefault(t *testing.T) {
	s := MustServeArgs(t, map[string]string{"BINVAULT_METRICS_TOKEN": "set-but-metrics-off"},
		"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	status, _, body := s.MustSend(t, "GET", "/metrics", "", "Authorization", "Bearer set-but-metrics-off")
	wantStatus, _, wantBody := s.MustSend(t, "GET", "/no-such-page", "")
	if status != wantStatus || !bytes.Equal(body, wantBody) {
		t.Errorf("GET /metrics = %d %s; an unknown page = %d %s", status, body, wantStatus, wantBody)
	}
	if status != http.StatusNotFound {
		t.Errorf("GET /metrics = %d, want 404", status)
	}
}

func TestMetricsOn(t *testing.T) {
	for name, start := range map[string]struct {
		env  map[string]string
		args []string
	}{
		"Flags": {nil, []string{"--metrics", "--metrics-token", "t0ken"}},
		"Env":   {map[string]string{"BINVAULT_METRICS": "true", "BINVAULT_METRICS_TOKEN": "t0ken"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, start.args...)
			s := MustServeArgs(t, start.env, args...)
			id := s.MustCreateBin(t, s.AdminKey, `{"a":1}`)
			s.MustRecord(t, s.AdminKey, id)

			if status, _, body := s.MustSend(t, "GET", "/metrics", ""); status != http.StatusUnauthorized {
				t.Errorf("GET /metrics without the token = %d %s; want 401", status, body)
			}
			status, hdr, body := s.MustSend(t, "GET", "/metrics", "", "Authorization", "Bearer t0ken")
			if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
				t.Fatalf("GET /metrics with the token = %d %s %s", status, hdr.Get("Content-Type"), body)
			}
			for _, line := range []string{
				`binvault_http_requests_total{method="POST",route="POST /v3/b",status="200"} 1`,
				`binvault_http_requests_total{method="GET",route="GET /v3/b/{id}/{version}",status="200"} 1`,
				`binvault_store_operation_duration_seconds_count{op="CreateBin"} 1`,
				`binvault_cache_hits_total{cache="bin"} 1`,
				`binvault_live_nodes 1`,
			} {
				if !strings.Contains(string(body), line+"\n") {
					t.Errorf("scrape lacks %s", line)
				}
			}
		})
	}
}

func TestMetricsEnvMustBeBoolean(t *testing.T) {
	_, _, err := runCLI(context.Background(), map[string]string{"BINVAULT_METRICS": "yes please"},
		"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "BINVAULT_METRICS") {
		t.Fatalf("serve with BINVAULT_METRICS=%q: %v, want an error naming it", "yes please", err)
	}
}
