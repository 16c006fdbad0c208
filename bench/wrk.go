package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// socketErrors mirrors wrk's "Socket errors:" line.
type socketErrors struct {
	Connect, Read, Write, Timeout int64
}

// Total is the number of failed socket operations of any kind.
func (s socketErrors) Total() int64 { return s.Connect + s.Read + s.Write + s.Timeout }

// wrkResult is what the report needs from one wrk run.
type wrkResult struct {
	Requests       int64 // completed requests
	RequestsPerSec float64
	P50, P99       time.Duration
	// Non2xx is wrk's "Non-2xx or 3xx responses" count, i.e. responses
	// with status >= 400.
	Non2xx int64
	Socket socketErrors
}

// HasErrors reports whether the run must be flagged: any error status or
// socket error means the throughput number is not trustworthy.
func (r wrkResult) HasErrors() bool { return r.Non2xx > 0 || r.Socket.Total() > 0 }

// parseWrk extracts the summary from wrk's text output (run with --latency).
// wrk omits the socket-error and non-2xx lines when they are zero, so
// missing lines mean zero, but Requests/sec and the percentiles are required.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var haveRPS, haveP50, haveP99 bool
	inDist := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		var err error
		switch {
		case line == "Latency Distribution":
			inDist = true
			continue
		case strings.HasPrefix(line, "Requests/sec:"):
			r.RequestsPerSec, err = strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			haveRPS = err == nil
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			r.Non2xx, err = strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
		case strings.HasPrefix(line, "Socket errors:"):
			s := &r.Socket
			_, err = fmt.Sscanf(line, "Socket errors: connect %d, read %d, write %d, timeout %d",
				&s.Connect, &s.Read, &s.Write, &s.Timeout)
		case strings.Contains(line, " requests in "):
			r.Requests, err = strconv.ParseInt(strings.Fields(line)[0], 10, 64)
		case inDist && strings.HasPrefix(line, "50%"):
			r.P50, err = parseWrkDuration(strings.TrimPrefix(line, "50%"))
			haveP50 = err == nil
		case inDist && strings.HasPrefix(line, "99%"):
			r.P99, err = parseWrkDuration(strings.TrimPrefix(line, "99%"))
			haveP99 = err == nil
		}
		if err != nil {
			return r, fmt.Errorf("parsing wrk line %q: %w", line, err)
		}
	}
	if !haveRPS || !haveP50 || !haveP99 {
		return r, errors.New("wrk output lacks Requests/sec or the 50%/99% latency lines (was --latency passed?)")
	}
	return r, nil
}

// parseWrkDuration parses wrk's latency values such as "107.00us", "0.90ms",
// "1.47s" or "1.02m"; wrk's units happen to be exactly Go's duration units.
func parseWrkDuration(s string) (time.Duration, error) {
	return time.ParseDuration(strings.TrimSpace(s))
}

// wrkOptions is one wrk invocation.
type wrkOptions struct {
	path        string // wrk executable
	threads     int
	connections int
	duration    time.Duration
	script      string // Lua script file
	url         string // full URL; must point at 127.0.0.1
	// nodes are the host:port addresses the script sends threads to
	// (luaScript's nodes); each must be on 127.0.0.1 too.
	nodes []string
}

// runWrk runs wrk once and returns the parsed result and raw output. The
// loopback check is here, at the only place traffic is generated, so no
// code path can aim wrk anywhere else.
func runWrk(ctx context.Context, o wrkOptions) (wrkResult, string, error) {
	u, err := url.Parse(o.url)
	if err != nil || u.Hostname() != "127.0.0.1" {
		return wrkResult{}, "", fmt.Errorf("refusing to run wrk against %q: only 127.0.0.1 is allowed", o.url)
	}
	for _, n := range o.nodes {
		if host, _, err := net.SplitHostPort(n); err != nil || host != "127.0.0.1" {
			return wrkResult{}, "", fmt.Errorf("refusing to run wrk against node %q: only 127.0.0.1 is allowed", n)
		}
	}
	// wrk stops by itself after -d; the extra margin only guards against a
	// wedged wrk so a run is always bounded in time.
	ctx, cancel := context.WithTimeout(ctx, o.duration+30*time.Second)
	defer cancel()
	args := []string{
		"-t", strconv.Itoa(o.threads),
		"-c", strconv.Itoa(o.connections),
		"-d", fmt.Sprintf("%ds", int(o.duration/time.Second)),
		"--latency",
		"-s", o.script,
		o.url,
	}
	cmd := exec.CommandContext(ctx, o.path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return wrkResult{}, stdout.String(), fmt.Errorf("wrk %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	res, err := parseWrk(stdout.String())
	return res, stdout.String(), err
}

// luaScript renders the wrk script for one scenario. With a single path the
// request is static (wrk pre-formats it once, cheapest for the client); with
// several paths every request picks one at random from requests formatted
// once in init(), which is the fast pattern recommended by wrk's docs. The
// URL given to wrk must already carry paths[0].
//
// With two or more nodes (host:port), setup() gives wrk's threads the
// nodes' addresses in turn: thread i connects all its connections to node
// (i-1) mod #nodes + 1, so with threads a multiple of #nodes every node gets
// the same number of threads and connections. This is wrk's own way of
// aiming threads at other servers (thread.addr, see its scripts/addr.lua);
// requests are unchanged, including the Host header of the URL.
func luaScript(scenario, method string, paths []string, headers map[string]string, body []byte, nodes []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "-- wrk script generated by `go run ./bench` for scenario %q.\n", scenario)
	b.WriteString("local headers = {\n")
	for _, k := range sortedKeys(headers) {
		fmt.Fprintf(&b, "  [%s] = %s,\n", luaQuote(k), luaQuote(headers[k]))
	}
	b.WriteString("}\n")
	bodyExpr := "nil"
	if body != nil {
		bodyExpr = luaQuote(string(body))
	}
	fmt.Fprintf(&b, "local body = %s\n", bodyExpr)
	spread := len(nodes) >= 2
	if spread {
		b.WriteString("local nodes = {\n")
		for _, n := range nodes {
			host, port, _ := net.SplitHostPort(n)
			fmt.Fprintf(&b, "  {%s, %s},\n", luaQuote(host), luaQuote(port))
		}
		b.WriteString("}\n")
	}
	const nodeSetup = `  local node = nodes[(nthreads - 1) % #nodes + 1]
  thread.addr = wrk.lookup(node[1], node[2])[1]
`
	if len(paths) == 1 {
		fmt.Fprintf(&b, "wrk.method = %s\nwrk.body = body\nfor k, v in pairs(headers) do wrk.headers[k] = v end\n", luaQuote(method))
		if spread {
			b.WriteString(`local nthreads = 0

-- setup runs in wrk's main Lua state once per thread, before it connects.
function setup(thread)
  nthreads = nthreads + 1
` + nodeSetup + `end
`)
		}
		return b.String()
	}
	b.WriteString("local paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %s,\n", luaQuote(p))
	}
	b.WriteString("}\n")
	fmt.Fprintf(&b, "local method = %s\n", luaQuote(method))
	b.WriteString(`local reqs = {}
local nthreads = 0

-- setup runs in wrk's main Lua state; numbering threads lets each one
-- seed its own random sequence instead of all picking the same bins.
function setup(thread)
  nthreads = nthreads + 1
  thread:set("thread_id", nthreads)
`)
	if spread {
		b.WriteString(nodeSetup)
	}
	b.WriteString(`end

function init(args)
  math.randomseed(os.time() + (thread_id or 0) * 7919)
  for i, p in ipairs(paths) do
    local h = {}
    for k, v in pairs(headers) do h[k] = v end
    reqs[i] = wrk.format(method, p, h, body)
  end
end

function request()
  return reqs[math.random(#reqs)]
end
`)
	return b.String()
}

// combineWrk merges the results of wrk processes that ran concurrently
// against the nodes of one target: counts and rates add up; a percentile
// of the union cannot be rebuilt from per-process percentiles, so p50 and
// p99 are the worst (highest) of the processes.
func combineWrk(rs []wrkResult) wrkResult {
	var c wrkResult
	for _, r := range rs {
		c.Requests += r.Requests
		c.RequestsPerSec += r.RequestsPerSec
		c.Non2xx += r.Non2xx
		c.Socket.Connect += r.Socket.Connect
		c.Socket.Read += r.Socket.Read
		c.Socket.Write += r.Socket.Write
		c.Socket.Timeout += r.Socket.Timeout
		c.P50 = max(c.P50, r.P50)
		c.P99 = max(c.P99, r.P99)
	}
	return c
}

// splitConnections divides total connections over n wrk processes as
// evenly as possible, the first ones taking the remainder.
func splitConnections(total, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = total / n
		if i < total%n {
			out[i]++
		}
	}
	return out
}

// luaQuote returns s as a Lua 5.1 string literal. Anything outside
// printable ASCII becomes a \ddd escape so bodies reach the wire byte-exact.
func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03d", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// sortedKeys makes generated scripts deterministic.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
