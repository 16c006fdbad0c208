package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Load shape of TestKillDuringWritesLosesNoAcknowledgedWrite.
const (
	loadWriters  = 16
	loadDuration = 1500 * time.Millisecond
	loadMaxAcks  = 5000 // stop earlier once this many writes were acknowledged
	createEvery  = 5    // every 5th request of a writer is a POST create
)

// MustBuildBinary builds this package's binary into a temporary directory.
func MustBuildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "binvault")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childServer is `binvault serve` running as a child process.
type childServer struct {
	testServer // URL, Addr, AdminKey, Stdout, Stderr, Client
	cmd        *exec.Cmd
}

// MustStartBinary starts `bin serve --addr 127.0.0.1:0 --data dir` with an
// empty environment and waits until it listens. The process is killed when
// the test ends, whatever happened.
func MustStartBinary(tb testing.TB, bin, dir string) *childServer {
	tb.Helper()
	c := startChild(tb, 2*loadWriters, bin, "serve", "--addr", "127.0.0.1:0", "--data", dir)
	m := MustMatch(tb, c.Stdout, listeningPattern, c.exited)
	c.URL, c.Addr = m[1], m[2]
	c.AdminKey = keyPattern.FindString(c.Stdout.String())
	return c
}

// startChild starts bin with args and an empty environment, capturing its
// output; t.Cleanup kills it and shows the end of its log if t failed.
func startChild(tb testing.TB, conns int, bin string, args ...string) *childServer {
	tb.Helper()
	c := &childServer{cmd: exec.Command(bin, args...)}
	c.Stdout, c.Stderr = newOutput(), newOutput()
	c.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	c.exited = make(chan struct{})
	c.cmd.Env = []string{}
	c.cmd.Stdout, c.cmd.Stderr = c.Stdout, c.Stderr
	if err := c.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		defer close(c.exited)
		c.err = c.cmd.Wait()
	}()
	tb.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
		c.Client.CloseIdleConnections()
		if tb.Failed() {
			tb.Logf("server %s stderr (last lines):\n%s", c.Addr, lastLines(c.Stderr.String(), 40))
		}
	})
	return c
}

// MustKill sends SIGKILL and waits for the process to be gone.
func (c *childServer) MustKill(tb testing.TB) {
	tb.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		tb.Fatalf("kill server: %v", err)
	}
	<-c.exited
}

// seqRecord is what the load writes: which writer, which of its writes.
type seqRecord struct {
	Writer int    `json:"writer"`
	Seq    int    `json:"seq"`
	Create int    `json:"create,omitempty"` // > 0 for a POST create
	Pad    string `json:"pad"`
}

// createdBin is an acknowledged create and the exact bytes it sent.
type createdBin struct {
	id     string
	record []byte
}

// loadWriter is one writer's view: its bin, and what the server
// acknowledged with a 200.
type loadWriter struct {
	n         int
	bin       string
	attempted int // highest seq sent (answered or not)
	acked     int // highest seq answered 200
	ackCount  int
	creates   []createdBin
}

// TestKillDuringWritesLosesNoAcknowledgedWrite kills the real binary with
// SIGKILL under concurrent writes, restarts it on the same data directory,
// and checks that every write it answered 200 is still there.
func TestKillDuringWritesLosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it under load; skipped with -short")
	}
	bin := MustBuildBinary(t)
	dir := t.TempDir()
	srv := MustStartBinary(t, bin, dir)
	if srv.AdminKey == "" {
		t.Fatalf("first start printed no admin key; stdout:\n%s", srv.Stdout)
	}
	key := srv.AdminKey

	pad := strings.Repeat("x", 256)
	writers := make([]*loadWriter, loadWriters)
	for i := range writers {
		b, _ := json.Marshal(seqRecord{Writer: i, Seq: 0, Pad: pad})
		writers[i] = &loadWriter{n: i, bin: srv.MustCreateBin(t, key, string(b))}
	}

	var (
		stop    = make(chan struct{})
		killed  atomic.Bool
		acks    atomic.Int64
		enough  = make(chan struct{})
		enoughO sync.Once
		wg      sync.WaitGroup
	)
	send := func(method, path string, body []byte) (int, []byte, error) {
		req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Master-Key", key)
		resp, err := srv.Client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, b, err
	}
	// failed reports an unexpected answer, unless the server is being
	// killed, when any failure is expected.
	failed := func(w *loadWriter, what string, status int, body []byte, err error) {
		if !killed.Load() {
			t.Errorf("writer %d: %s before the kill: status %d, body %s, error %v", w.n, what, status, body, err)
		}
	}
	acked := func() {
		if acks.Add(1) >= loadMaxAcks {
			enoughO.Do(func() { close(enough) })
		}
	}
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := 1; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if seq%createEvery == 0 {
					n := len(w.creates) + 1
					body, _ := json.Marshal(seqRecord{Writer: w.n, Seq: seq, Create: n, Pad: pad})
					status, resp, err := send("POST", "/v3/b", body)
					var res struct {
						Metadata struct {
							ID string `json:"id"`
						} `json:"metadata"`
					}
					if err != nil || status != http.StatusOK || json.Unmarshal(resp, &res) != nil || !idPattern.MatchString(res.Metadata.ID) {
						failed(w, "create", status, resp, err)
						continue
					}
					w.creates = append(w.creates, createdBin{res.Metadata.ID, body})
					acked()
					continue
				}
				body, _ := json.Marshal(seqRecord{Writer: w.n, Seq: seq, Pad: pad})
				w.attempted = seq
				status, resp, err := send("PUT", "/v3/b/"+w.bin, body)
				if err != nil || status != http.StatusOK {
					failed(w, "update", status, resp, err)
					continue
				}
				w.acked, w.ackCount = seq, w.ackCount+1
				acked()
			}
		}()
	}

	select {
	case <-time.After(loadDuration):
	case <-enough:
	}
	if acks.Load() == 0 {
		t.Fatalf("no write was acknowledged before the kill")
	}
	killed.Store(true)
	srv.MustKill(t)
	close(stop)
	wg.Wait()
	t.Logf("killed the server after %d acknowledged writes", acks.Load())

	again := MustStartBinary(t, bin, dir)
	if again.AdminKey != "" {
		t.Errorf("restart printed a new admin key")
	}
	var updates, creates, landedInFlight int
	read := func(id string) ([]byte, bool) {
		status, body := again.MustDo(t, "GET", "/v3/b/"+id+"/latest", key, "", "X-Bin-Meta", "false")
		if status != http.StatusOK {
			t.Errorf("acknowledged bin %s after the restart: GET = %d %s; want 200", id, status, body)
			return nil, false
		}
		return body, true
	}
	for _, w := range writers {
		updates += w.ackCount
		got, ok := read(w.bin)
		if !ok {
			continue
		}
		var r seqRecord
		if err := json.Unmarshal(got, &r); err != nil {
			t.Errorf("writer %d: bin %s holds %s: %v", w.n, w.bin, got, err)
			continue
		}
		switch {
		case r.Writer != w.n || r.Create != 0 || r.Pad != pad:
			t.Errorf("writer %d: bin %s holds a record it never wrote: %s", w.n, w.bin, got)
		case r.Seq < w.acked:
			t.Errorf("writer %d: bin %s holds seq %d; seq %d was acknowledged", w.n, w.bin, r.Seq, w.acked)
		case r.Seq > w.attempted:
			t.Errorf("writer %d: bin %s holds seq %d; only up to %d was sent", w.n, w.bin, r.Seq, w.attempted)
		case r.Seq > w.acked:
			landedInFlight++
		}
	}
	for _, w := range writers {
		for _, c := range w.creates {
			if got, ok := read(c.id); ok && !bytes.Equal(got, c.record) {
				t.Errorf("writer %d: created bin %s holds %s; want %s", w.n, c.id, got, c.record)
			}
			creates++
		}
	}
	t.Logf("checked %d acknowledged writes after the restart: %d updates over %d bins (%d of which also kept a write in flight at the kill) and %d creates",
		updates+creates, updates, len(writers), landedInFlight, creates)
	if updates == 0 || creates == 0 {
		t.Errorf("the load acknowledged %d updates and %d creates; want some of each", updates, creates)
	}
}
