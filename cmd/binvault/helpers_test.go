package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	// keyPattern matches a whole API key secret; a display prefix (12
	// characters) never matches it.
	keyPattern = regexp.MustCompile(`bv_mk_[0-9A-Za-z]{49}`)
	// listeningPattern matches the line serve prints once it accepts
	// connections.
	listeningPattern = regexp.MustCompile(`binvault: listening on (http://(\S+))\n`)
)

const (
	// startTimeout bounds how long a server may take to print that it
	// listens (generous: -race and a shared 2-core machine).
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long run may take to return after its context
	// ends: serve's drain timeout plus slack.
	stopTimeout = drainTimeout + 15*time.Second
)

// output is an io.Writer that a test reads while another goroutine or a
// child process writes to it.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced by every Write
}

func newOutput() *output { return &output{changed: make(chan struct{})} }

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return n, err
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// match returns re's submatches in the output so far, and a channel that
// is closed by the next write.
func (o *output) match(re *regexp.Regexp) ([]string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return re.FindStringSubmatch(o.buf.String()), o.changed
}

// MustMatch waits until re matches what was written to o and returns its
// submatches. It fails the test if exited is closed (the writer is gone)
// or startTimeout passes first.
func MustMatch(tb testing.TB, o *output, re *regexp.Regexp, exited <-chan struct{}) []string {
	tb.Helper()
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		m, changed := o.match(re)
		if m != nil {
			return m
		}
		select {
		case <-changed:
		case <-exited:
			if m, _ := o.match(re); m != nil {
				return m
			}
			tb.Fatalf("exited before printing %s; output:\n%s", re, o)
		case <-deadline.C:
			tb.Fatalf("nothing matched %s within %s; output:\n%s", re, startTimeout, o)
		}
	}
}

// envFunc is a getenv over m only: tests never see the real environment,
// so a stray BINVAULT_DATA cannot point them at a real store.
func envFunc(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// testServer is run("serve", …) running in-process.
type testServer struct {
	URL      string // http://host:port
	Addr     string // host:port
	AdminKey string // "" when this start printed no key
	Stdout   *output
	Stderr   *output
	Client   *http.Client

	cancel context.CancelFunc
	exited chan struct{}
	err    error // run's result, set before exited is closed
}

// MustServe starts `serve --addr 127.0.0.1:0 --data dir` in-process and
// waits until it listens. The server is stopped, and must exit cleanly, when
// the test ends.
func MustServe(tb testing.TB, dir string) *testServer {
	tb.Helper()
	return MustServeArgs(tb, nil, "serve", "--addr", "127.0.0.1:0", "--data", dir)
}

// MustServeArgs starts run(args) with the environment env in-process and
// waits until it prints its listening line.
func MustServeArgs(tb testing.TB, env map[string]string, args ...string) *testServer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{
		Stdout: newOutput(),
		Stderr: newOutput(),
		Client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		cancel: cancel,
		exited: make(chan struct{}),
	}
	go func() {
		defer close(s.exited)
		s.err = run(ctx, args, envFunc(env), s.Stdout, s.Stderr)
	}()
	tb.Cleanup(func() {
		if err := s.Stop(tb); err != nil {
			tb.Errorf("serve returned %v after its context ended; want nil", err)
		}
		s.Client.CloseIdleConnections()
		if tb.Failed() {
			tb.Logf("serve stderr:\n%s", s.Stderr)
		}
	})
	m := MustMatch(tb, s.Stdout, listeningPattern, s.exited)
	s.URL, s.Addr = m[1], m[2]
	s.AdminKey = keyPattern.FindString(s.Stdout.String())
	return s
}

// Stop cancels the server's context and returns what run returned.
func (s *testServer) Stop(tb testing.TB) error {
	tb.Helper()
	s.cancel()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(stopTimeout):
		tb.Fatalf("serve did not return within %s of its context ending", stopTimeout)
		return nil
	}
}

// MustDo sends a request with the JSONBin headers seed 003 uses
// (Content-Type: application/json, X-Master-Key when key is set) plus the
// header pairs in hdr, and returns the status and the whole body.
func (s *testServer) MustDo(tb testing.TB, method, path, key, body string, hdr ...string) (int, []byte) {
	tb.Helper()
	defaults := []string{"Content-Type", "application/json"}
	if key != "" {
		defaults = append(defaults, "X-Master-Key", key)
	}
	status, _, b := s.MustSend(tb, method, path, body, append(defaults, hdr...)...)
	return status, b
}

// MustSend sends one request with exactly the given header pairs (no
// defaults, unlike MustDo) and returns the status, headers and body.
func (s *testServer) MustSend(tb testing.TB, method, path, body string, hdr ...string) (int, http.Header, []byte) {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// MustCreateBin creates a bin holding record with key and returns its id.
func (s *testServer) MustCreateBin(tb testing.TB, key, record string) string {
	tb.Helper()
	status, body := s.MustDo(tb, "POST", "/v3/b", key, record)
	if status != http.StatusOK {
		tb.Fatalf("POST /v3/b = %d %s; want 200", status, body)
	}
	var created struct {
		Record   json.RawMessage `json:"record"`
		Metadata struct {
			ID      string `json:"id"`
			Private bool   `json:"private"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		tb.Fatalf("POST /v3/b: %v in %s", err, body)
	}
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(created.Metadata.ID) {
		tb.Fatalf("POST /v3/b: metadata.id %q is not a bin id; body %s", created.Metadata.ID, body)
	}
	return created.Metadata.ID
}

// MustRecord reads a bin's latest record without metadata, as stored.
func (s *testServer) MustRecord(tb testing.TB, key, id string) []byte {
	tb.Helper()
	status, body := s.MustDo(tb, "GET", "/v3/b/"+id+"/latest", key, "", "X-Bin-Meta", "false")
	if status != http.StatusOK {
		tb.Fatalf("GET /v3/b/%s/latest = %d %s; want 200", id, status, body)
	}
	return body
}

// MustStopAccepting waits until nothing accepts connections on addr any
// more, which is how a test sees that a shutdown has begun.
func MustStopAccepting(tb testing.TB, addr string) {
	tb.Helper()
	deadline := time.Now().Add(startTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			tb.Fatalf("%s still accepts connections %s after shutdown began", addr, startTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runCLI runs one command in-process and returns what it printed.
func runCLI(ctx context.Context, env map[string]string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	err = run(ctx, args, envFunc(env), &out, &errOut)
	return out.String(), errOut.String(), err
}

// MustRunCLI runs one command in-process, fails the test if it returns an
// error, and returns its stdout.
func MustRunCLI(tb testing.TB, env map[string]string, args ...string) string {
	tb.Helper()
	stdout, stderr, err := runCLI(context.Background(), env, args...)
	if err != nil {
		tb.Fatalf("binvault %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	return stdout
}

// MustKeyLine checks that out is exactly one line holding one API key and
// returns the key.
func MustKeyLine(tb testing.TB, out string) string {
	tb.Helper()
	if !regexp.MustCompile(`^bv_mk_[0-9A-Za-z]{49}\n$`).MatchString(out) {
		tb.Fatalf("stdout = %q; want exactly one line holding an API key", out)
	}
	return strings.TrimSuffix(out, "\n")
}

// listedKey is one entry of `keys list --json`.
type listedKey struct {
	ID         string  `json:"id"`
	Prefix     string  `json:"prefix"`
	Name       string  `json:"name"`
	CreatedAt  string  `json:"createdAt"`
	LastUsedAt *string `json:"lastUsedAt"`
}

// MustListKeys runs `keys list --json --data dir` and decodes it. Every
// listing is also checked to hold no full secret.
func MustListKeys(tb testing.TB, dir string) []listedKey {
	tb.Helper()
	out := MustRunCLI(tb, nil, "keys", "list", "--data", dir, "--json")
	if s := keyPattern.FindString(out); s != "" {
		tb.Fatalf("keys list shows a full secret %q:\n%s", s, out)
	}
	var ks []listedKey
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ks); err != nil {
		tb.Fatalf("keys list --json: %v in %s", err, out)
	}
	return ks
}

// findKey returns the listed key whose prefix begins secret, if any.
func findKey(ks []listedKey, secret string) (listedKey, bool) {
	if len(secret) < 12 {
		return listedKey{}, false
	}
	for _, k := range ks {
		if k.Prefix == secret[:12] {
			return k, true
		}
	}
	return listedKey{}, false
}
