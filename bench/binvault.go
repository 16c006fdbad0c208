package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// keyPattern finds the admin key binvault prints on first start. The
// trailing non-alphanumeric byte proves the key was not cut mid-write.
var keyPattern = regexp.MustCompile(`(bv_mk_[0-9A-Za-z]{49})[^0-9A-Za-z]`)

// moduleRoot walks up from the working directory to go.mod, so the tool
// builds ./cmd/binvault regardless of which subdirectory it was run from.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory; run from the binvault repository or pass -binary")
		}
		dir = parent
	}
}

// goTool finds the go command; `go run` normally puts it on PATH.
func goTool() (string, error) {
	return exec.LookPath("go")
}

// buildBinvault compiles ./cmd/binvault into out. Building here (rather than
// assuming a binary) guarantees the benchmark measures the current tree.
func buildBinvault(ctx context.Context, out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	goPath, err := goTool()
	if err != nil {
		return fmt.Errorf("go command not found (pass -binary): %w", err)
	}
	cmd := exec.CommandContext(ctx, goPath, "build", "-o", out, "./cmd/binvault")
	cmd.Dir = root
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/binvault: %v\n%s", err, outBuf.String())
	}
	return nil
}

// keyWatcher is the server's stdout sink: it looks for the admin key and
// hands it over once. exec copies stdout from a single goroutine, so Write
// is never called concurrently.
type keyWatcher struct {
	buf   []byte
	found chan string // capacity 1
	done  bool
}

func newKeyWatcher() *keyWatcher { return &keyWatcher{found: make(chan string, 1)} }

func (k *keyWatcher) Write(p []byte) (int, error) {
	if k.done {
		return len(p), nil
	}
	k.buf = append(k.buf, p...)
	if m := keyPattern.FindSubmatch(k.buf); m != nil {
		k.found <- string(m[1])
		k.done, k.buf = true, nil
		return len(p), nil
	}
	// Keep only a tail: enough to hold a key split across writes.
	if len(k.buf) > 4096 {
		k.buf = append([]byte(nil), k.buf[len(k.buf)-256:]...)
	}
	return len(p), nil
}

// binvaultServer is a running binvault with its admin key.
type binvaultServer struct {
	proc *proc
	base string // http://127.0.0.1:PORT
	key  string // "" for a node that joined a database that had an admin
	// unexpectedKey: a node started with expectKey false printed a key
	// anyway, i.e. it created a second admin account.
	unexpectedKey bool
}

// binvaultStart says how to start one binvault process.
type binvaultStart struct {
	name        string // process name in messages, e.g. "binvault" or "binvault-pg node 2"
	logName     string // file in tmp for its stdout+stderr
	dataDir     string // embedded store: fresh --data dir in tmp (created here)
	databaseURL string // PostgreSQL: passed as BINVAULT_DATABASE_URL
	// expectKey: the store is empty, so binvault creates the admin and
	// prints its key; nodes joining a database that has one print nothing.
	expectKey bool
}

// startBinvault starts `binvault serve` on a free loopback port, with a
// fresh data dir or on a PostgreSQL database, captures the admin key from
// stdout when one is expected and waits for /healthz.
func startBinvault(ctx context.Context, bin, tmp string, o binvaultStart) (*binvaultServer, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--addr", addr}
	if o.databaseURL == "" {
		dataDir := filepath.Join(tmp, o.dataDir)
		if err := os.Mkdir(dataDir, 0o700); err != nil {
			return nil, err
		}
		args = append(args, "--data", dataDir)
	}
	logPath := filepath.Join(tmp, o.logName)
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	kw := newKeyWatcher()
	cmd := exec.Command(bin, args...)
	// The URL goes in the environment rather than argv so a password in it
	// does not show in ps. An inherited BINVAULT_DATABASE_URL is removed:
	// it would silently turn an embedded-store run into a PostgreSQL one.
	cmd.Env = childEnv(os.Environ(), o.databaseURL)
	cmd.Stdout = io.MultiWriter(logFile, kw)
	cmd.Stderr = logFile
	p, err := startProc(o.name, cmd, logPath, logFile)
	if err != nil {
		return nil, err
	}
	s := &binvaultServer{proc: p, base: "http://" + addr}
	if o.expectKey {
		if s.key, err = awaitKey(ctx, p, kw); err != nil {
			p.stop()
			return nil, err
		}
	}
	if err := waitHTTP(ctx, p, s.base+"/healthz", 30*time.Second); err != nil {
		p.stop()
		return nil, err
	}
	if !o.expectKey {
		// binvault bootstraps before it listens, so a key would be out by
		// now (give the stdout copier a moment).
		select {
		case <-kw.found:
			s.unexpectedKey = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	return s, nil
}

// childEnv is env without BINVAULT_DATABASE_URL, plus databaseURL as
// BINVAULT_DATABASE_URL when it is not empty.
func childEnv(env []string, databaseURL string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "BINVAULT_DATABASE_URL=") {
			out = append(out, kv)
		}
	}
	if databaseURL != "" {
		out = append(out, "BINVAULT_DATABASE_URL="+databaseURL)
	}
	return out
}

// awaitKey waits for the admin key line, failing fast if the server dies.
func awaitKey(ctx context.Context, p *proc, kw *keyWatcher) (string, error) {
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case key := <-kw.found:
		return key, nil
	case <-p.exited:
		return "", p.describeExit(fmt.Errorf("binvault exited before printing an admin key: %v", p.waitErr))
	case <-timer.C:
		return "", p.describeExit(errors.New("binvault printed no line matching bv_mk_[0-9A-Za-z]{49} on stdout within 30s"))
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
