package main

// Multi-node tests: several real `binvault serve` processes on one
// PostgreSQL database, checking what docs/deploy.md promises about what is
// shared between nodes and how fast. They run only when
// BINVAULT_TEST_POSTGRES_URL names a database the tests may create schemas
// in (each test gets a fresh one, dropped at the end).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/binvault/binvault"
)

// postgresURLEnv names the database the multi-node tests use.
const postgresURLEnv = "BINVAULT_TEST_POSTGRES_URL"

const (
	// revocationBound is docs/deploy.md's and binvault.md's promise: a
	// revoked key is refused on every node within one second.
	revocationBound = time.Second
	// lastUsedBound: "last used" times are written every second.
	lastUsedBound = 3 * time.Second
	// activityBound: the activity log is written every 250 ms.
	activityBound = 5 * time.Second
	// recoveryBound: how long a node may take to serve again once the
	// database is back (the listener backs off up to 5 s).
	recoveryBound = 15 * time.Second
	// pollEvery paces every bounded poll.
	pollEvery = 20 * time.Millisecond
	// outageEvery paces the requests sent while the database is away.
	outageEvery = 100 * time.Millisecond
)

// The binary is built once per test binary, into a directory removed by
// TestMain.
var (
	nodeBinOnce sync.Once
	nodeBinDir  string
	nodeBin     string
	nodeBinErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if nodeBinDir != "" {
		os.RemoveAll(nodeBinDir)
	}
	os.Exit(code)
}

// mustNodeBinary builds this package's binary the first time it is called.
func mustNodeBinary(tb testing.TB) string {
	tb.Helper()
	nodeBinOnce.Do(func() {
		if nodeBinDir, nodeBinErr = os.MkdirTemp("", "binvault-multinode-"); nodeBinErr != nil {
			return
		}
		nodeBin = filepath.Join(nodeBinDir, "binvault")
		if out, err := exec.Command("go", "build", "-o", nodeBin, ".").CombinedOutput(); err != nil {
			nodeBinErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if nodeBinErr != nil {
		tb.Fatal(nodeBinErr)
	}
	return nodeBin
}

// multiNodeDB skips the test unless BINVAULT_TEST_POSTGRES_URL is set, and
// otherwise creates a fresh schema, dropped when the test ends (after its
// nodes, whose cleanups run first). It returns the base URL and the
// schema's name.
func multiNodeDB(t *testing.T) (base *url.URL, schema string) {
	t.Helper()
	raw := os.Getenv(postgresURLEnv)
	if raw == "" {
		t.Skipf("multi-node test: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run it against PostgreSQL", postgresURLEnv)
	}
	if testing.Short() {
		t.Skip("multi-node test: starts several server processes; skipped with -short")
	}
	base, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", postgresURLEnv, err)
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	schema = "bv_multinode_" + hex.EncodeToString(suffix)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, raw)
	if err != nil {
		t.Fatalf("connect to %s: %v", postgresURLEnv, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, raw)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return base, schema
}

// withSearchPath returns base pointing at schema through search_path (pgx
// sends unknown URL parameters as runtime parameters) and, if host is not
// empty, at another host:port.
func withSearchPath(base *url.URL, host, schema string) string {
	u := *base
	if host != "" {
		u.Host = host
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// multiNodeURL is multiNodeDB's fresh schema as a database URL.
func multiNodeURL(t *testing.T) string {
	t.Helper()
	base, schema := multiNodeDB(t)
	return withSearchPath(base, "", schema)
}

// launchNode starts `binvault serve --addr 127.0.0.1:0 --database-url dbURL`
// without waiting for it; the process is killed when the test ends.
func launchNode(t *testing.T, dbURL string) *childServer {
	t.Helper()
	return startChild(t, 16, mustNodeBinary(t), "serve", "--addr", "127.0.0.1:0", "--database-url", dbURL)
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d lines before", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// waitListening waits for the node's listening line and reads the admin
// key, if it printed one.
func (c *childServer) waitListening(t *testing.T) {
	t.Helper()
	m := MustMatch(t, c.Stdout, listeningPattern, c.exited)
	c.URL, c.Addr = m[1], m[2]
	c.AdminKey = keyPattern.FindString(c.Stdout.String())
}

// mustStartNode starts a node and waits until it listens.
func mustStartNode(t *testing.T, dbURL string) *childServer {
	t.Helper()
	c := launchNode(t, dbURL)
	c.waitListening(t)
	return c
}

// mustStartNodes starts the first node (which must print the admin key on
// the empty schema), then n-1 more, and returns them and the key.
func mustStartNodes(t *testing.T, dbURL string, n int) ([]*childServer, string) {
	t.Helper()
	nodes := []*childServer{mustStartNode(t, dbURL)}
	key := nodes[0].AdminKey
	if key == "" {
		t.Fatalf("first node on an empty schema printed no admin key; stdout:\n%s", nodes[0].Stdout)
	}
	for range n - 1 {
		c := mustStartNode(t, dbURL)
		if c.AdminKey != "" {
			t.Errorf("node %d printed an admin key too", len(nodes)+1)
		}
		nodes = append(nodes, c)
	}
	return nodes, key
}

// nodeReply is one HTTP answer.
type nodeReply struct {
	status int
	header http.Header
	body   []byte
}

func (r nodeReply) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// send sends a request with Content-Type: application/json and the header
// pairs in hdr (keys included: nothing is added), and returns the answer.
func (c *childServer) send(method, path, body string, hdr ...string) (nodeReply, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		return nodeReply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return nodeReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return nodeReply{resp.StatusCode, resp.Header, b}, err
}

// mustSend is send that fails the test on a transport error.
func (c *childServer) mustSend(t *testing.T, method, path, body string, hdr ...string) nodeReply {
	t.Helper()
	r, err := c.send(method, path, body, hdr...)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, c.Addr, err)
	}
	return r
}

// mustOK is mustSend that also requires a 200 and decodes the body into
// out, if not nil.
func (c *childServer) mustOK(t *testing.T, out any, method, path, body string, hdr ...string) nodeReply {
	t.Helper()
	r := c.mustSend(t, method, path, body, hdr...)
	if r.status != http.StatusOK {
		t.Fatalf("%s %s on %s = %s; want 200", method, path, c.Addr, r)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			t.Fatalf("%s %s on %s: %v in %s", method, path, c.Addr, err, r.body)
		}
	}
	return r
}

func masterKeyHeader(key string) []string { return []string{"X-Master-Key", key} }

// noMetaHeader asks for a bin's record alone, as stored.
var noMetaHeader = []string{"X-Bin-Meta", "false"}

func joinHeaders(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// mustCreateAPIKey creates an API key through POST /v3/keys.
func (c *childServer) mustCreateAPIKey(t *testing.T, admin, name string) (id, secret string) {
	t.Helper()
	var k struct{ ID, Key string }
	c.mustOK(t, &k, "POST", "/v3/keys", `{"name":"`+name+`"}`, masterKeyHeader(admin)...)
	if k.ID == "" || !keyPattern.MatchString(k.Key) {
		t.Fatalf("POST /v3/keys answered id %q, key %q", k.ID, k.Key)
	}
	return k.ID, k.Key
}

// pollUntil calls try every pollEvery until it returns true or bound passes,
// and returns how long it took and whether try succeeded.
func pollUntil(bound time.Duration, try func() bool) (time.Duration, bool) {
	return pollUntilEvery(bound, pollEvery, try)
}

// pollUntilEvery is pollUntil calling try every interval.
func pollUntilEvery(bound, every time.Duration, try func() bool) (time.Duration, bool) {
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if try() {
			return time.Since(start), true
		}
		if time.Since(start) > bound {
			return time.Since(start), false
		}
		<-tick.C
	}
}

// TestMultiNodeWriteOnOneNodeReadOnOtherAtOnce: bins are read from the
// database on every request, so a write on one node is read on the other
// at once — no polling.
func TestMultiNodeWriteOnOneNodeReadOnOtherAtOnce(t *testing.T) {
	dbURL := multiNodeURL(t)
	nodes, key := mustStartNodes(t, dbURL, 2)
	a, b := nodes[0], nodes[1]
	for i := range 50 {
		created := fmt.Sprintf(`{"iteration":%d,"written":"on A","list":[1,2,%d]}`, i, i)
		var res struct {
			Metadata struct{ ID string } `json:"metadata"`
		}
		a.mustOK(t, &res, "POST", "/v3/b", created, masterKeyHeader(key)...)
		id := res.Metadata.ID
		if got := b.mustOK(t, nil, "GET", "/v3/b/"+id+"/latest", "", joinHeaders(masterKeyHeader(key), noMetaHeader)...); string(got.body) != created {
			t.Fatalf("iteration %d: bin %s created on A reads on B as %s; want %s", i, id, got.body, created)
		}
		updated := fmt.Sprintf(`{"iteration":%d,"written":"on B"}`, i)
		b.mustOK(t, nil, "PUT", "/v3/b/"+id, updated, masterKeyHeader(key)...)
		if got := a.mustOK(t, nil, "GET", "/v3/b/"+id+"/latest", "", joinHeaders(masterKeyHeader(key), noMetaHeader)...); string(got.body) != updated {
			t.Fatalf("iteration %d: bin %s updated on B reads on A as %s; want %s", i, id, got.body, updated)
		}
	}
}

// TestMultiNodeRevocationReachesEveryNodeWithinOneSecond: B has an API key
// and an access key cached; both are revoked on A; B must refuse each
// within a second of A's answer (deploy.md: NOTIFY drops B's cache).
func TestMultiNodeRevocationReachesEveryNodeWithinOneSecond(t *testing.T) {
	dbURL := multiNodeURL(t)
	nodes, admin := mustStartNodes(t, dbURL, 2)
	a, b := nodes[0], nodes[1]
	bin := a.MustCreateBin(t, admin, `{"revocation":true}`)
	read := "/v3/b/" + bin + "/latest"

	apiID, apiKey := a.mustCreateAPIKey(t, admin, "revoked-on-a")
	var ak struct {
		AccessKey   string `json:"accessKey"`
		AccessKeyID string `json:"accessKeyId"`
	}
	a.mustOK(t, &ak, "POST", "/v3/a", `{"bins":{"read":true,"update":false,"delete":false,"create":false}}`,
		joinHeaders(masterKeyHeader(admin), []string{"X-Key-Name", "revoked-on-a"})...)
	if !strings.HasPrefix(ak.AccessKey, "bv_ak_") || ak.AccessKeyID == "" {
		t.Fatalf("POST /v3/a answered accessKey %q, accessKeyId %q", ak.AccessKey, ak.AccessKeyID)
	}

	cases := []struct {
		what, revoke string
		cred         []string
	}{
		{"API key", "/v3/keys/" + apiID, masterKeyHeader(apiKey)},
		{"access key", "/v3/a/" + ak.AccessKeyID, []string{"X-Access-Key", ak.AccessKey}},
	}
	for _, c := range cases {
		// B authenticates the key, and so caches it; twice, to be sure
		// the second is served from the cache.
		for range 2 {
			b.mustOK(t, nil, "GET", read, "", c.cred...)
		}
		sent := time.Now()
		a.mustOK(t, nil, "DELETE", c.revoke, "", masterKeyHeader(admin)...)
		if r := a.mustSend(t, "GET", read, "", c.cred...); r.status != http.StatusUnauthorized {
			t.Errorf("%s revoked on A: the next request on A = %s; want 401", c.what, r)
		}
		var last nodeReply
		took, ok := pollUntil(5*revocationBound, func() bool {
			last = b.mustSend(t, "GET", read, "", c.cred...)
			switch last.status {
			case http.StatusOK:
				return false
			case http.StatusUnauthorized:
				return true
			}
			t.Fatalf("%s revoked on A: B answered %s; want 200 (not yet) or 401", c.what, last)
			return false
		})
		// took is measured from A's answer; the poll itself checks
		// every pollEvery, so the refusal came at most that much earlier.
		t.Logf("%s revoked on A: refused on B %v after A's answer (%v after the revoke was sent)", c.what, took.Round(time.Millisecond), time.Since(sent).Round(time.Millisecond))
		switch {
		case !ok:
			t.Errorf("%s revoked on A: B still accepts it %v later (last answer %s); want 401 within %v", c.what, took.Round(time.Millisecond), last, revocationBound)
		case took >= revocationBound:
			t.Errorf("%s revoked on A: B refused it only after %v; want within %v", c.what, took.Round(time.Millisecond), revocationBound)
		}
	}
}

// TestMultiNodeQuotaSharedAcrossNodes: a monthly quota of 100 requests is
// shared by two nodes; each counts in memory and adds its count to the
// database every second, reading back the total.
func TestMultiNodeQuotaSharedAcrossNodes(t *testing.T) {
	const (
		quota   = 100
		clients = 4
		// every is the pace of the whole load: 100 requests a second,
		// half on each node.
		every = 10 * time.Millisecond
	)
	dbURL := multiNodeURL(t)
	nodes, admin := mustStartNodes(t, dbURL, 2)
	// Before any request, so that every request the account makes counts
	// against this limit.
	MustRunCLI(t, nil, "account", "limits", "--database-url", dbURL, "--requests-per-month", fmt.Sprint(quota))
	bin := nodes[0].MustCreateBin(t, admin, `{"quota":"shared"}`) // request 1 of the month
	read := "/v3/b/" + bin + "/latest"

	var (
		ok, refused, sent atomic.Int64
		refusedBy         [2]atomic.Bool
		stop              = make(chan struct{})
		stopOnce          sync.Once
		wg                sync.WaitGroup
		mu                sync.Mutex
		unexpected        []string
	)
	ok.Add(1) // the create
	tick := time.NewTicker(every)
	defer tick.Stop()
	start := time.Now()
	deadline := time.After(20 * time.Second)
	for w := range clients {
		wg.Go(func() {
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				n := i % 2 // alternate A, B
				r, err := nodes[n].send("GET", read, "", masterKeyHeader(admin)...)
				sent.Add(1)
				switch {
				case err == nil && r.status == http.StatusOK:
					ok.Add(1)
				case err == nil && r.status == http.StatusForbidden && bytes.HasPrefix(r.body, []byte(`{"message":"Requests exhausted.`)):
					refused.Add(1)
					refusedBy[n].Store(true)
					// A node that refused keeps refusing (its count only
					// grows), so once both did, nothing more is served.
					if refusedBy[0].Load() && refusedBy[1].Load() {
						stopOnce.Do(func() { close(stop) })
					}
				default:
					mu.Lock()
					unexpected = append(unexpected, fmt.Sprintf("node %c: %v %v", 'A'+n, r, err))
					mu.Unlock()
				}
			}
		})
	}
	select {
	case <-stop:
	case <-deadline:
		stopOnce.Do(func() { close(stop) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(unexpected) > 0 {
		t.Errorf("%d answers neither 200 nor the quota's 403, e.g. %s", len(unexpected), unexpected[0])
	}
	if !refusedBy[0].Load() || !refusedBy[1].Load() {
		t.Fatalf("after %v, %d requests: node A refused %v, node B refused %v; want both to refuse", elapsed, sent.Load(), refusedBy[0].Load(), refusedBy[1].Load())
	}
	// The bound. A node admits a request while its count — the total it
	// read back from the database at its last flush, plus its own since —
	// is under the quota. What it cannot see is the other node's requests
	// since that node's last flush before that read-back: at most two
	// flush intervals (2 s) of the other node's traffic, which with the
	// load split evenly over two nodes is what both serve in one second:
	// deploy.md's "what all nodes serve it in about one second". We allow
	// 25% for flushes that run late on a loaded machine, plus the clients'
	// requests in flight (checking and counting are not one atomic step).
	rate := float64(sent.Load()) / elapsed.Seconds()
	bound := int64(math.Ceil(1.25*rate)) + clients
	served := ok.Load()
	t.Logf("quota %d: %d answered 200 (overshoot %d), %d refused; load %.0f requests/s over %v; allowed overshoot %d",
		quota, served, served-quota, refused.Load(), rate, elapsed.Round(time.Millisecond), bound)
	if served < quota {
		t.Errorf("%d requests answered 200 before both nodes refused; want at least the quota, %d", served, quota)
	}
	if served > quota+bound {
		t.Errorf("%d requests answered 200; want at most %d + %d (what both nodes serve in about one second at %.0f requests/s)", served, quota, bound, rate)
	}
}

// listedActivity is one entry of GET /v3/activity.
type listedActivity struct {
	AuthMethod string `json:"authMethod"`
	KeyID      string `json:"keyId"`
	Method     string `json:"method"`
	Route      string `json:"route"`
	Status     int    `json:"status"`
	UserAgent  string `json:"userAgent"`
	RequestID  string `json:"requestId"`
}

// TestMultiNodeActivityAndLastUsedFromEveryNodeArrive: each node buffers
// its activity entries and "last used" times and writes them in the
// background; what any node served shows on every node.
func TestMultiNodeActivityAndLastUsedFromEveryNodeArrive(t *testing.T) {
	dbURL := multiNodeURL(t)
	nodes, admin := mustStartNodes(t, dbURL, 2)
	a, b := nodes[0], nodes[1]
	bin := a.MustCreateBin(t, admin, `{"activity":true}`)
	onlyOnB, onlyOnBKey := a.mustCreateAPIKey(t, admin, "used-only-on-b")

	// want maps request id to the user agent it was sent with.
	want := map[string]string{}
	for i, n := range []*childServer{a, b, a, b} {
		ua := fmt.Sprintf("binvault-multinode-test/%c-%d", 'A'+i%2, i)
		key := admin
		if n == b {
			key = onlyOnBKey
		}
		r := n.mustOK(t, nil, "GET", "/v3/b/"+bin+"/latest", "", joinHeaders(masterKeyHeader(key), []string{"User-Agent", ua})...)
		rid := r.header.Get("X-Request-Id")
		if rid == "" {
			t.Fatalf("GET on %s: no X-Request-Id", n.Addr)
		}
		want[rid] = ua
	}

	for i, n := range []*childServer{a, b} {
		var missing []string
		took, ok := pollUntil(activityBound, func() bool {
			var page struct{ Activity []listedActivity }
			n.mustOK(t, &page, "GET", "/v3/activity?limit=100", "", masterKeyHeader(admin)...)
			got := map[string]listedActivity{}
			for _, e := range page.Activity {
				got[e.RequestID] = e
			}
			missing = missing[:0]
			for rid, ua := range want {
				e, seen := got[rid]
				if !seen {
					missing = append(missing, rid)
					continue
				}
				if e.UserAgent != ua || e.Method != "GET" || e.Status != 200 || e.AuthMethod != "api_key" {
					t.Errorf("activity on node %c: entry for request %s = %+v; want GET, 200, api_key, user agent %q", 'A'+i, rid, e, ua)
				}
			}
			return len(missing) == 0
		})
		if !ok {
			t.Errorf("activity on node %c: requests %v still missing after %v", 'A'+i, missing, took.Round(time.Millisecond))
		} else {
			t.Logf("activity on node %c: entries from both nodes listed after %v", 'A'+i, took.Round(time.Millisecond))
		}
	}

	var last []byte
	took, ok := pollUntil(lastUsedBound, func() bool {
		var ks []struct {
			ID         string  `json:"id"`
			LastUsedAt *string `json:"lastUsedAt"`
		}
		last = a.mustOK(t, &ks, "GET", "/v3/keys", "", masterKeyHeader(admin)...).body
		for _, k := range ks {
			if k.ID == onlyOnB {
				return k.LastUsedAt != nil
			}
		}
		t.Fatalf("GET /v3/keys on A does not list key %s: %s", onlyOnB, last)
		return false
	})
	if !ok {
		t.Errorf("key used only on B: GET /v3/keys on A still shows no lastUsedAt after %v: %s", took.Round(time.Millisecond), last)
	} else {
		t.Logf("key used only on B: lastUsedAt on A after %v", took.Round(time.Millisecond))
	}
}

// pgProxy forwards TCP connections to PostgreSQL and can drop them all and
// refuse new ones (down), then accept again on the same address (up).
type pgProxy struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener // nil while down
	gen   int          // bumped by down: connections of older generations are dropped
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{target: target, addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Go(func() { p.accept(ln, 0) })
	t.Cleanup(func() {
		p.down()
		p.wg.Wait()
	})
	return p
}

func (p *pgProxy) accept(ln net.Listener, gen int) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.forward(c, gen) })
	}
}

// track adds c to the open connections, unless the proxy went down since
// generation gen.
func (p *pgProxy) track(c net.Conn, gen int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen != gen {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *pgProxy) forward(c net.Conn, gen int) {
	if !p.track(c, gen) {
		c.Close()
		return
	}
	d, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(d, gen) {
		c.Close()
		d.Close()
		return
	}
	var once sync.Once
	closeBoth := func() { once.Do(func() { c.Close(); d.Close() }) }
	p.wg.Go(func() { _, _ = io.Copy(d, c); closeBoth() })
	_, _ = io.Copy(c, d)
	closeBoth()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, d)
	p.mu.Unlock()
}

// down closes every forwarded connection and stops listening: new
// connections are refused.
func (p *pgProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// up listens again on the same address.
func (p *pgProxy) up(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln = ln
	gen := p.gen
	p.wg.Go(func() { p.accept(ln, gen) })
}

// TestMultiNodeDatabaseLossAnswers503AndRecovers runs a node whose every
// database connection goes through a proxy, takes the "database" away and
// brings it back.
func TestMultiNodeDatabaseLossAnswers503AndRecovers(t *testing.T) {
	base, schema := multiNodeDB(t)
	target := base.Host
	if base.Port() == "" {
		target = net.JoinHostPort(base.Hostname(), "5432")
	}
	proxy := startProxy(t, target)
	c := mustStartNode(t, withSearchPath(base, proxy.addr, schema))
	key := c.AdminKey
	if key == "" {
		t.Fatalf("node on an empty schema printed no admin key; stdout:\n%s", c.Stdout)
	}
	c.Client.Timeout = 20 * time.Second // above the store's 10 s wait for a connection
	before := `{"outage":"before"}`
	bin := c.MustCreateBin(t, key, before)
	c.mustOK(t, nil, "GET", "/healthz", "")
	var usage struct {
		Bins struct{ Used int } `json:"bins"`
	}
	c.mustOK(t, &usage, "GET", "/v3/usage", "", masterKeyHeader(key)...)
	binsBefore := usage.Bins.Used

	proxy.down()
	t.Log("proxy down: connections dropped, new ones refused")

	// Each of these must be 503 with deploy.md's body and Retry-After: 1.
	checks := []struct{ method, path, body string }{
		{"GET", "/healthz", ""},
		{"GET", "/v3/b/" + bin + "/latest", ""},
		{"PUT", "/v3/b/" + bin, `{"outage":"during"}`},
		{"POST", "/v3/b", `{"outage":"created during"}`},
		{"GET", "/v3/keys", ""},
	}
	wantBody := `{"message":"` + binvault.MsgUnavailable + `"}`
	var answeredDuring []string
	updated := false // a PUT during the outage was answered 200
	created := 0     // POSTs during the outage answered 200
	// Keep asking for 1.5 s, a round every 100 ms: longer than every
	// flush and cache interval of a node, so that nothing cached before
	// the outage can still be served. Each distinct wrong answer is
	// reported once, with how often it came.
	type wrong struct{ route, answer string }
	wrongs := map[wrong]int{}
	var order []wrong
	rounds := 0
	_, _ = pollUntilEvery(1500*time.Millisecond, outageEvery, func() bool {
		rounds++
		for _, ch := range checks {
			start := time.Now()
			r := c.mustSend(t, ch.method, ch.path, ch.body, masterKeyHeader(key)...)
			took := time.Since(start)
			if r.status == http.StatusOK {
				updated = updated || ch.method == "PUT"
				if ch.method == "POST" {
					created++
				}
			}
			if rounds == 1 {
				answeredDuring = append(answeredDuring, fmt.Sprintf("%s %s → %s (Retry-After %q, %v)", ch.method, ch.path, r, r.header.Get("Retry-After"), took.Round(time.Millisecond)))
			}
			if r.status != http.StatusServiceUnavailable || string(r.body) != wantBody || r.header.Get("Retry-After") != "1" {
				w := wrong{ch.method + " " + ch.path, fmt.Sprintf("%s, Retry-After %q", r, r.header.Get("Retry-After"))}
				if wrongs[w] == 0 {
					order = append(order, w)
				}
				wrongs[w]++
			}
		}
		return false
	})
	t.Logf("database down, %d rounds; the first:\n  %s", rounds, strings.Join(answeredDuring, "\n  "))
	for _, w := range order {
		if strings.HasPrefix(w.answer, "200 ") {
			t.Errorf("database down: %s answered 200 (%d of %d rounds): %s", w.route, wrongs[w], rounds, w.answer)
			continue
		}
		t.Errorf("database down: %s = %s (%d of %d rounds); want 503 %s, Retry-After \"1\"", w.route, w.answer, wrongs[w], rounds, wantBody)
	}

	proxy.up(t)
	upSince := time.Now()
	var last nodeReply
	took, ok := pollUntil(recoveryBound, func() bool {
		last = c.mustSend(t, "GET", "/healthz", "")
		return last.status == http.StatusOK
	})
	if !ok {
		t.Fatalf("database back: /healthz still answers %s after %v; want 200 within %v", last, took.Round(time.Millisecond), recoveryBound)
	}
	t.Logf("database back: /healthz 200 after %v", took.Round(time.Millisecond))

	// Reads and writes succeed again (without restarting the node), within
	// what is left of the bound. A 503 after /healthz turned 200 is
	// allowed (a connection found broken only when used; the client
	// retries) but logged; any other failure is not.
	var firstAfter []string
	after := `{"outage":"after"}`
	want := before
	if updated {
		want = `{"outage":"during"}`
	}
	steps := []struct {
		method, path, body, want string
	}{
		{"GET", "/v3/b/" + bin + "/latest", "", want},
		{"PUT", "/v3/b/" + bin, after, ""},
		{"GET", "/v3/b/" + bin + "/latest", "", after},
	}
	for _, s := range steps {
		var r nodeReply
		_, ok := pollUntil(max(recoveryBound-time.Since(upSince), pollEvery), func() bool {
			r = c.mustSend(t, s.method, s.path, s.body, joinHeaders(masterKeyHeader(key), noMetaHeader)...)
			switch r.status {
			case http.StatusOK:
				return true
			case http.StatusServiceUnavailable:
				firstAfter = append(firstAfter, fmt.Sprintf("%s %s → %s", s.method, s.path, r))
				return false
			}
			t.Fatalf("database back: %s %s = %s; want 200 (or 503 while it reconnects)", s.method, s.path, r)
			return false
		})
		if !ok {
			t.Fatalf("database back: %s %s still answers %s; want 200 within %v of the database's return", s.method, s.path, r, recoveryBound)
		}
		if s.want != "" && string(r.body) != s.want {
			t.Errorf("database back: %s %s = %s; want %s (a write not answered 200 must not be visible)", s.method, s.path, r.body, s.want)
		}
	}
	if len(firstAfter) > 0 {
		t.Logf("database back and /healthz 200, yet %d requests answered 503 before succeeding, e.g. %s", len(firstAfter), firstAfter[0])
	}
	c.mustOK(t, &usage, "GET", "/v3/usage", "", masterKeyHeader(key)...)
	if usage.Bins.Used != binsBefore+created {
		t.Errorf("after the outage the account has %d bins; before it %d, and %d creates were answered 200 during it: a create not answered 200 must not be visible", usage.Bins.Used, binsBefore, created)
	}
}

// TestMultiNodeSecondNodeBootstrapsNothing: two nodes starting together on
// an empty schema create the admin account once between them.
func TestMultiNodeSecondNodeBootstrapsNothing(t *testing.T) {
	dbURL := multiNodeURL(t)
	nodes := []*childServer{launchNode(t, dbURL), launchNode(t, dbURL)}
	var keys []string
	for _, n := range nodes {
		n.waitListening(t)
		keys = append(keys, keyPattern.FindAllString(n.Stdout.String(), -1)...)
	}
	if len(keys) != 1 {
		t.Fatalf("two nodes started together printed %d admin keys; want exactly 1\nnode A stdout:\n%s\nnode B stdout:\n%s", len(keys), nodes[0].Stdout, nodes[1].Stdout)
	}
	for i, n := range nodes {
		if r := n.mustSend(t, "GET", "/v3/keys", "", masterKeyHeader(keys[0])...); r.status != http.StatusOK {
			t.Errorf("node %c: the printed admin key is refused: %s", 'A'+i, r)
		}
	}
}
