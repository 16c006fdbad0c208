package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The samples below are verbatim wrk 4.1.0 output captured by running wrk
// --latency against a local net/http handler: a fast handler (us/ms
// latencies), one answering 500 to about a third of requests (non-2xx) and
// a slow one with --timeout 2s (seconds and socket timeouts). Trailing
// spaces after the "s" latencies are wrk's own.

const sampleFast = `Running 2s test @ http://127.0.0.1:18089/fast
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   365.48us  815.01us   8.45ms   91.39%
    Req/Sec    57.30k    12.72k   81.02k    75.00%
  Latency Distribution
     50%  107.00us
     75%  196.00us
     90%    0.90ms
     99%    4.01ms
  113680 requests in 2.00s, 12.79MB read
Requests/sec:  56830.94
Transfer/sec:      6.40MB
`

const sampleNon2xx = `Running 2s test @ http://127.0.0.1:18089/err
  1 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.57ms  167.64us   6.09ms   84.38%
    Req/Sec     3.11k    92.44     3.28k    65.00%
  Latency Distribution
     50%    2.56ms
     75%    2.63ms
     90%    2.71ms
     99%    3.00ms
  6183 requests in 2.00s, 745.62KB read
  Non-2xx or 3xx responses: 2111
Requests/sec:   3090.34
Transfer/sec:    372.67KB
`

const sampleTimeouts = `Running 5s test @ http://127.0.0.1:18089/slow
  1 threads and 20 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.42s   335.74ms   1.98s    65.96%
    Req/Sec    14.62      9.95    40.00     75.00%
  Latency Distribution
     50%    1.47s 
     75%    1.68s 
     90%    1.85s 
     99%    1.98s 
  54 requests in 5.01s, 6.33KB read
  Socket errors: connect 0, read 0, write 0, timeout 7
Requests/sec:     10.78
Transfer/sec:      1.26KB
`

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want wrkResult
	}{
		{"microseconds and milliseconds", sampleFast, wrkResult{
			Requests: 113680, RequestsPerSec: 56830.94,
			P50: 107 * time.Microsecond, P99: 4010 * time.Microsecond,
		}},
		{"non-2xx responses", sampleNon2xx, wrkResult{
			Requests: 6183, RequestsPerSec: 3090.34,
			P50: 2560 * time.Microsecond, P99: 3 * time.Millisecond,
			Non2xx: 2111,
		}},
		{"seconds and socket timeouts", sampleTimeouts, wrkResult{
			Requests: 54, RequestsPerSec: 10.78,
			P50: 1470 * time.Millisecond, P99: 1980 * time.Millisecond,
			Socket: socketErrors{Timeout: 7},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseWrk:\n got %+v\nwant %+v", got, tt.want)
			}
			if got.HasErrors() != (tt.want.Non2xx > 0 || tt.want.Socket.Total() > 0) {
				t.Errorf("HasErrors() = %v", got.HasErrors())
			}
		})
	}
}

func TestParseWrkAllSocketErrorKinds(t *testing.T) {
	out := strings.Replace(sampleFast, "Requests/sec:",
		"  Socket errors: connect 1, read 22, write 333, timeout 4444\nRequests/sec:", 1)
	got, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	want := socketErrors{Connect: 1, Read: 22, Write: 333, Timeout: 4444}
	if got.Socket != want || got.Socket.Total() != 4800 {
		t.Errorf("socket errors = %+v, want %+v", got.Socket, want)
	}
}

func TestParseWrkRejectsIncompleteOutput(t *testing.T) {
	// Without --latency there is no distribution; without a summary there
	// is no rate. Both must be errors, not zeros that look like results.
	noDist := strings.Replace(sampleFast, "Latency Distribution", "", 1)
	noRate := strings.Replace(sampleFast, "Requests/sec:", "", 1)
	for name, out := range map[string]string{"no distribution": noDist, "no rate": noRate, "empty": ""} {
		if _, err := parseWrk(out); err == nil {
			t.Errorf("%s: parseWrk succeeded, want error", name)
		}
	}
}

func TestLuaQuote(t *testing.T) {
	got := luaQuote("a\"b\\c\n\x00é")
	want := `"a\"b\\c\010\000\195\169"`
	if got != want {
		t.Errorf("luaQuote = %s, want %s", got, want)
	}
}

// TestLuaScriptAgainstWrk runs the generated multi-path script through real
// wrk, checking that the Lua is valid, that every request carries the exact
// method, headers and body, and that requests spread over all paths.
func TestLuaScriptAgainstWrk(t *testing.T) {
	wrkPath, err := exec.LookPath("wrk")
	if err != nil || testing.Short() {
		t.Skip("needs wrk and a non-short run")
	}
	var paths []string
	for i := range 16 {
		paths = append(paths, fmt.Sprintf("/v3/b/%024x", i))
	}
	body := jsonPayload(recordSize, 1)
	headers := requestHeaders("bv_mk_test", true, map[string]string{"X-Bin-Versioning": "false"})

	var mu sync.Mutex
	hits := map[string]int{}
	bad := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		ok := r.Method == http.MethodPut && string(got) == string(body) &&
			r.Header.Get("X-Master-Key") == "bv_mk_test" && r.Header.Get("X-Bin-Versioning") == "false" &&
			r.Header.Get("Content-Type") == "application/json"
		mu.Lock()
		hits[r.URL.Path]++
		if !ok {
			bad++
		}
		mu.Unlock()
	}))
	defer srv.Close()

	script := filepath.Join(t.TempDir(), "update.lua")
	if err := os.WriteFile(script, []byte(luaScript("update", http.MethodPut, paths, headers, body, nil)), 0o600); err != nil {
		t.Fatal(err)
	}
	res, out, err := runWrk(context.Background(), wrkOptions{
		path: wrkPath, threads: 2, connections: 4, duration: time.Second, script: script, url: srv.URL + paths[0],
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if bad > 0 || res.HasErrors() {
		t.Errorf("%d malformed requests, wrk result %+v", bad, res)
	}
	for _, p := range paths {
		if hits[p] == 0 {
			t.Errorf("path %s never requested; hits: %v", p, hits)
		}
	}
	if len(hits) != len(paths) {
		t.Errorf("requests went to %d distinct paths, want %d", len(hits), len(paths))
	}
}

func TestRunWrkRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://localhost:80/", "http://10.0.0.1/", "http://[::1]:80/"} {
		_, _, err := runWrk(context.Background(), wrkOptions{path: "/nonexistent", duration: time.Second, url: u})
		if err == nil || !strings.Contains(err.Error(), "only 127.0.0.1") {
			t.Errorf("%s: err = %v, want refusal", u, err)
		}
	}
}

func TestRunWrkRefusesNonLoopbackNode(t *testing.T) {
	_, _, err := runWrk(context.Background(), wrkOptions{path: "/nonexistent", duration: time.Second,
		url: "http://127.0.0.1:1/", nodes: []string{"127.0.0.1:1", "10.0.0.2:80"}})
	if err == nil || !strings.Contains(err.Error(), "only 127.0.0.1") {
		t.Errorf("err = %v, want refusal of the second node", err)
	}
}

// TestLuaScriptWithoutNodesIsUnchanged pins the single-target scripts: a
// node list of fewer than two must not add a setup() that moves threads.
func TestLuaScriptWithoutNodesIsUnchanged(t *testing.T) {
	h := requestHeaders("k", false, nil)
	for _, paths := range [][]string{{"/a"}, {"/a", "/b"}} {
		plain := luaScript("s", "GET", paths, h, nil, nil)
		if one := luaScript("s", "GET", paths, h, nil, []string{"127.0.0.1:1"}); one != plain {
			t.Errorf("%d path(s): one node changed the script:\n%s", len(paths), one)
		}
		if strings.Contains(plain, "thread.addr") || strings.Contains(plain, "local nodes") {
			t.Errorf("%d path(s): script without nodes sets thread.addr:\n%s", len(paths), plain)
		}
	}
	if s := luaScript("s", "GET", []string{"/a"}, h, nil, nil); strings.Contains(s, "function setup") {
		t.Errorf("single-path script without nodes has a setup():\n%s", s)
	}
}

// TestLuaScriptSpreadsThreadsOverNodes runs node-spreading scripts through
// real wrk against two servers: with 4 threads every node must get two
// threads' worth of requests, all well-formed, for the static single-path
// script and for the multi-path one.
func TestLuaScriptSpreadsThreadsOverNodes(t *testing.T) {
	wrkPath, err := exec.LookPath("wrk")
	if err != nil || testing.Short() {
		t.Skip("needs wrk and a non-short run")
	}
	body := jsonPayload(recordSize, 1)
	headers := requestHeaders("bv_mk_test", true, nil)
	for _, paths := range [][]string{{"/v3/b"}, {"/v3/b/1", "/v3/b/2", "/v3/b/3"}} {
		t.Run(fmt.Sprintf("%dPaths", len(paths)), func(t *testing.T) {
			var mu sync.Mutex
			hits := map[int]int{}
			conns := map[int]map[string]bool{}
			bad := 0
			var nodes []string
			for i := range 2 {
				conns[i] = map[string]bool{}
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					got, _ := io.ReadAll(r.Body)
					mu.Lock()
					defer mu.Unlock()
					hits[i]++
					conns[i][r.RemoteAddr] = true
					if r.Method != http.MethodPost || string(got) != string(body) || r.Header.Get("X-Master-Key") != "bv_mk_test" {
						bad++
					}
				}))
				defer srv.Close()
				nodes = append(nodes, strings.TrimPrefix(srv.URL, "http://"))
			}
			script := filepath.Join(t.TempDir(), "spread.lua")
			if err := os.WriteFile(script, []byte(luaScript("create", http.MethodPost, paths, headers, body, nodes)), 0o600); err != nil {
				t.Fatal(err)
			}
			res, out, err := runWrk(context.Background(), wrkOptions{
				path: wrkPath, threads: 4, connections: 8, duration: time.Second, script: script,
				url: "http://" + nodes[0] + paths[0], nodes: nodes,
			})
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			mu.Lock()
			defer mu.Unlock()
			if bad > 0 || res.HasErrors() {
				t.Errorf("%d malformed requests, wrk result %+v", bad, res)
			}
			// 8 connections over 4 threads, threads alternating nodes: 4
			// connections per node.
			for i := range 2 {
				if hits[i] == 0 || len(conns[i]) != 4 {
					t.Errorf("node %d: %d requests over %d connections; want some over 4 (hits %v)", i+1, hits[i], len(conns[i]), hits)
				}
			}
		})
	}
}

func TestWrkPlan(t *testing.T) {
	nodes := target{bases: []string{"http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3"}}
	single := target{bases: []string{"http://127.0.0.1:9"}}
	cfg := config{threads: 1, connections: 32, nodes: 1, spread: spreadProcs}
	one := wrkPlan(cfg, "wrk", "s.lua", "/p", single, time.Second)
	if want := (wrkOptions{path: "wrk", threads: 1, connections: 32, duration: time.Second, script: "s.lua", url: "http://127.0.0.1:9/p"}); len(one) != 1 || !reflect.DeepEqual(one[0], want) {
		t.Errorf("one node: %+v, want exactly the pre-multi-node invocation %+v", one, want)
	}

	cfg.nodes, cfg.threads = 3, 2
	procs := wrkPlan(cfg, "wrk", "s.lua", "/p", nodes, time.Second)
	var got []string
	for _, o := range procs {
		got = append(got, fmt.Sprintf("%s t%d c%d %d", o.url, o.threads, o.connections, len(o.nodes)))
	}
	want := []string{"http://127.0.0.1:1/p t2 c11 0", "http://127.0.0.1:2/p t2 c11 0", "http://127.0.0.1:3/p t2 c10 0"}
	if !slices.Equal(got, want) {
		t.Errorf("procs over nodes: %q, want %q", got, want)
	}
	got = nil
	for _, o := range wrkPlan(cfg, "wrk", "s.lua", "/p", single, time.Second) {
		got = append(got, fmt.Sprintf("%s t%d c%d", o.url, o.threads, o.connections))
	}
	want = []string{"http://127.0.0.1:9/p t2 c11", "http://127.0.0.1:9/p t2 c11", "http://127.0.0.1:9/p t2 c10"}
	if !slices.Equal(got, want) {
		t.Errorf("procs, single-process target gets the same client: %q, want %q", got, want)
	}

	cfg.spread = spreadLua
	lua := wrkPlan(cfg, "wrk", "s.lua", "/p", nodes, time.Second)
	if len(lua) != 1 || lua[0].threads != 6 || lua[0].connections != 30 || lua[0].url != "http://127.0.0.1:1/p" ||
		!slices.Equal(lua[0].nodes, []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}) {
		t.Errorf("lua over nodes: %+v; want one wrk, 6 threads, 30 connections (5 per thread), all three nodes", lua)
	}
	if l := wrkPlan(cfg, "wrk", "s.lua", "/p", single, time.Second); len(l) != 1 || l[0].threads != 6 || l[0].nodes != nil {
		t.Errorf("lua, single-process target: %+v; want 6 threads and no node list", l)
	}
}

func TestSplitConnections(t *testing.T) {
	for _, tt := range []struct {
		total, n int
		want     []int
	}{{32, 1, []int{32}}, {32, 2, []int{16, 16}}, {32, 3, []int{11, 11, 10}}, {5, 4, []int{2, 1, 1, 1}}} {
		if got := splitConnections(tt.total, tt.n); !slices.Equal(got, tt.want) {
			t.Errorf("splitConnections(%d, %d) = %v, want %v", tt.total, tt.n, got, tt.want)
		}
	}
}

func TestCombineWrk(t *testing.T) {
	got := combineWrk([]wrkResult{
		{Requests: 100, RequestsPerSec: 50.5, P50: 2 * time.Millisecond, P99: 9 * time.Millisecond, Non2xx: 1, Socket: socketErrors{Read: 1}},
		{Requests: 300, RequestsPerSec: 150, P50: 3 * time.Millisecond, P99: 7 * time.Millisecond, Socket: socketErrors{Connect: 2, Timeout: 4}},
	})
	want := wrkResult{Requests: 400, RequestsPerSec: 200.5, P50: 3 * time.Millisecond, P99: 9 * time.Millisecond, Non2xx: 1,
		Socket: socketErrors{Connect: 2, Read: 1, Timeout: 4}}
	if got != want {
		t.Errorf("combineWrk = %+v, want %+v", got, want)
	}
	if one := combineWrk([]wrkResult{want}); one != want {
		t.Errorf("combineWrk of one result = %+v, want it unchanged", one)
	}
}
