package main

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// eventLines opens GET /v3/b/{id}/events with key and returns its lines as
// they arrive; the channel closes when the server ends the stream.
func eventLines(t *testing.T, srv *testServer, id, key string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/v3/b/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Master-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	} else if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", resp.StatusCode)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

// mustLine waits for a line with prefix, skipping others, within bound.
func mustLine(t *testing.T, lines <-chan string, prefix string, bound time.Duration) string {
	t.Helper()
	timeout := time.After(bound)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("stream ended before a line starting %q", prefix)
			} else if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("no line starting %q within %v", prefix, bound)
		}
	}
}

// TestEventStreamEndsWhenCLIRevokesKey: `binvault keys revoke`, another
// process on the data dir, ends the server's open streams of that key.
func TestEventStreamEndsWhenCLIRevokesKey(t *testing.T) {
	dir := t.TempDir()
	srv := MustServe(t, dir)
	id := srv.MustCreateBin(t, srv.AdminKey, `{"n":0}`)
	key := MustKeyLine(t, MustRunCLI(t, nil, "keys", "create", "--data", dir, "--name", "feed"))
	lines := eventLines(t, srv, id, key)
	mustLine(t, lines, "event: update", startTimeout)
	k, _ := findKey(MustListKeys(t, dir), key)
	MustRunCLI(t, nil, "keys", "revoke", "--data", dir, k.ID)
	// docs/deploy.md: a revoked key is refused within a second.
	mustLine(t, lines, "event: end", revocationBound+time.Second)
	if l := mustLine(t, lines, "data: ", time.Second); !strings.Contains(l, `"status":401`) {
		t.Fatalf("last event %q; want the 401 that ends the stream", l)
	}
}

// TestEventStreamEndsOnShutdown: an open stream does not hold up a
// graceful shutdown; it is told to reconnect and closed.
func TestEventStreamEndsOnShutdown(t *testing.T) {
	srv := MustServe(t, t.TempDir())
	lines := eventLines(t, srv, srv.MustCreateBin(t, srv.AdminKey, `{"n":0}`), srv.AdminKey)
	mustLine(t, lines, "event: update", startTimeout)
	srv.cancel()
	mustLine(t, lines, "event: end", stopTimeout)
	if l := mustLine(t, lines, "data: ", time.Second); !strings.Contains(l, `"status":503`) {
		t.Fatalf("last event %q; want the 503 of a shutdown", l)
	}
	if err := srv.Stop(t); err != nil {
		t.Fatalf("run returned %v with a stream open; want nil", err)
	}
}
