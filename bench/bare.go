package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// bareModeFlag, as the first argument, turns the bench binary into the bare
// baseline server. It is checked before normal flag parsing so it does not
// show up in -help: it is an internal protocol between parent and child.
const bareModeFlag = "-bare-addr"

// cannedResponse is one response recorded from binvault, replayed verbatim.
// Header holds binvault's response headers (Content-Type, CORS, ...) minus
// the ones net/http computes per response, so the bytes on the wire match.
type cannedResponse struct {
	ContentType string      `json:"contentType"`
	Header      http.Header `json:"header"`
	Body        []byte      `json:"body"`
}

// bareRoute is one request shape the bare server answers and the response
// it answers with. The creates of different scenarios differ only in
// X-Collection-Id, so that header is part of the route.
type bareRoute struct {
	Method       string         `json:"method"`
	Path         string         `json:"path"`
	CollectionID string         `json:"collectionId,omitempty"`
	Response     cannedResponse `json:"response"`
}

// routeKey is what the bare handler looks a response up by; a struct of
// strings, so a lookup allocates nothing.
type routeKey struct{ method, path, collectionID string }

// bareHealthPath answers 200 so startBare can tell the server is up.
const bareHealthPath = "/healthz"

// bareMain runs the bare server: `bench -bare-addr ADDR -bare-bodies FILE`.
// It exits 0 after a clean SIGTERM drain, like binvault is required to.
func bareMain(args []string) int {
	fs := flag.NewFlagSet("bench-bare", flag.ContinueOnError)
	addr := fs.String("bare-addr", "", "loopback address to serve on")
	bodiesPath := fs.String("bare-bodies", "", "JSON file of canned responses by route")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := serveBare(*addr, *bodiesPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench bare:", err)
		return 1
	}
	return 0
}

// serveBare serves canned responses on addr until SIGTERM or SIGINT.
func serveBare(addr, bodiesPath string) error {
	data, err := os.ReadFile(bodiesPath)
	if err != nil {
		return err
	}
	var routes []bareRoute
	if err := json.Unmarshal(data, &routes); err != nil {
		return fmt.Errorf("%s: %w", bodiesPath, err)
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		return fmt.Errorf("bare server must listen on 127.0.0.1, got %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: bareHandler(routes), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareHandler is the baseline: it does the minimum any HTTP JSON server must
// do (read the whole request body, pick and write a response) and nothing
// else, so the binvault/bare ratio isolates binvault's own cost.
func bareHandler(routes []bareRoute) http.HandlerFunc {
	responses := make(map[routeKey]cannedResponse, len(routes)+1)
	for _, rt := range routes {
		responses[routeKey{rt.Method, rt.Path, rt.CollectionID}] = rt.Response
	}
	responses[routeKey{http.MethodGet, bareHealthPath, ""}] = cannedResponse{ContentType: "text/plain; charset=utf-8", Body: []byte("ok\n")}
	return func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		resp, ok := responses[routeKey{r.Method, r.URL.Path, r.Header.Get("X-Collection-Id")}]
		if !ok {
			http.Error(w, "bare: no canned response for "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		h := w.Header()
		for k, v := range resp.Header {
			h[k] = v
		}
		h.Set("Content-Type", resp.ContentType)
		h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
		w.Write(resp.Body)
	}
}

// startBare re-executes the bench binary in bare mode on a free loopback
// port. A separate process keeps its RSS and CPU comparable to binvault's.
func startBare(ctx context.Context, tmp string, routes []bareRoute) (*proc, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	bodiesPath := filepath.Join(tmp, "bare-bodies.json")
	data, err := json.Marshal(routes)
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(bodiesPath, data, 0o600); err != nil {
		return nil, "", err
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, "", err
	}
	logPath := filepath.Join(tmp, "bare.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(exe, bareModeFlag, addr, "-bare-bodies", bodiesPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := startProc("bare", cmd, logPath, logFile)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := waitHTTP(ctx, p, base+bareHealthPath, 10*time.Second); err != nil {
		p.stop()
		return nil, "", err
	}
	return p, base, nil
}
