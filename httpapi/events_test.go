package httpapi_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/postgres"
)

// streamWait bounds every wait for an event: it only keeps a broken
// stream from hanging the test, and is never reached when all is well.
const streamWait = 10 * time.Second

// sseEvent is one parsed event; comment holds a ":" line's text.
type sseEvent struct{ id, event, data, comment string }

// stream is an open GET /v3/b/{id}/events, parsed as it arrives.
type stream struct {
	resp   *http.Response
	events chan sseEvent // closed when the server ends the stream
	cancel context.CancelFunc
}

// openStream requests an event stream; on a status other than 200 the
// response is returned with its body unread and no events.
func openStream(t *testing.T, base, id string, h map[string]string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/v3/b/"+id+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &stream{resp: resp, events: make(chan sseEvent, 1024), cancel: cancel}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode == http.StatusOK {
		go s.read()
	}
	return s
}

func (s *stream) read() {
	defer close(s.events)
	sc := bufio.NewScanner(s.resp.Body)
	sc.Buffer(nil, 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			if line == "" {
				s.events <- ev
				ev = sseEvent{}
			} else {
				ev.comment = value
			}
		case "id":
			ev.id = value
		case "event":
			ev.event = value
		case "data":
			ev.data = value
		}
	}
}

// next returns the next event; it fails the test at the end of the stream.
func (s *stream) next(t *testing.T) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-s.events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(streamWait):
		t.Fatalf("no event within %v", streamWait)
	}
	return sseEvent{}
}

// nextEvent skips heartbeats.
func (s *stream) nextEvent(t *testing.T) sseEvent {
	t.Helper()
	for {
		if ev := s.next(t); ev.comment == "" {
			return ev
		}
	}
}

// mustEnd expects the server to close the stream, after any heartbeats.
func (s *stream) mustEnd(t *testing.T) {
	t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			} else if ev.comment == "" {
				t.Fatalf("event %+v where the stream should end", ev)
			}
		case <-time.After(streamWait):
			t.Fatalf("stream still open after %v", streamWait)
		}
	}
}

// serve starts a real HTTP server on the fixture's handler.
func (f *fixture) serve(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(f.h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// put replaces a bin's record with key and returns the new revision.
func (f *fixture) put(t *testing.T, id, record string) string {
	t.Helper()
	w := f.do("PUT", "/v3/b/"+id, jsonHdr(f.key), record)
	if w.Code != 200 {
		t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	return strings.Trim(w.Header().Get("ETag"), `"`)
}

// updateData is what an update event carries: a read's body with the
// version added to its metadata.
func (f *fixture) updateData(t *testing.T, id string, version int) string {
	t.Helper()
	body := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "").Body.String()
	return strings.TrimSuffix(body, "}}") + `,"version":` + strconv.Itoa(version) + "}}"
}

// TestEventStream: one event per write, id = the revision of the ETag,
// data = the record and a read's metadata plus the version; the current
// state comes first.
func TestEventStream(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		base := f.serve(t)
		id := f.MustBin(`{"n":0}`, hdr("X-Bin-Name", `say "hi"`))
		s := openStream(t, base, id, hdr("X-Master-Key", f.key))
		if s.resp.StatusCode != 200 {
			t.Fatalf("status %d", s.resp.StatusCode)
		}
		for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
			if got := s.resp.Header.Get(k); got != want {
				t.Errorf("%s: %q, want %q", k, got, want)
			}
		}
		etag := strings.Trim(f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "").Header().Get("ETag"), `"`)
		if ev := s.nextEvent(t); ev.id != etag || ev.event != "update" || ev.data != f.updateData(t, id, 0) {
			t.Fatalf("first event %+v, want the current state at %s: %s", ev, etag, f.updateData(t, id, 0))
		}
		for i := 1; i <= 3; i++ {
			rev := f.put(t, id, `{"n":`+strconv.Itoa(i)+`}`)
			if ev := s.nextEvent(t); ev.id != rev || ev.event != "update" || ev.data != f.updateData(t, id, 0) {
				t.Fatalf("after PUT %d (rev %s): %+v", i, rev, ev)
			}
		}
		f.MustUpdate(id, `{"n":4}`, true)
		if ev := s.nextEvent(t); !strings.HasSuffix(ev.data, `"version":1}}`) {
			t.Fatalf("versioned update: %s", ev.data)
		}
		patch := f.do("PATCH", "/v3/b/"+id, hdr("X-Master-Key", f.key, "Content-Type", "application/merge-patch+json"), `{"n":5}`)
		if patch.Code != 200 {
			t.Fatalf("PATCH: %d %s", patch.Code, patch.Body)
		}
		if ev := s.nextEvent(t); `"`+ev.id+`"` != patch.Header().Get("ETag") || !strings.HasPrefix(ev.data, `{"record":{"n":5},`) {
			t.Fatalf("after PATCH (ETag %s): %+v", patch.Header().Get("ETag"), ev)
		}
		if w := f.do("DELETE", "/v3/b/"+id, hdr("X-Master-Key", f.key), ""); w.Code != 200 {
			t.Fatalf("DELETE: %d", w.Code)
		}
		if ev := s.nextEvent(t); ev.event != "delete" || ev.id != "" || ev.data != `{"metadata":{"id":"`+id+`"}}` {
			t.Fatalf("after DELETE: %+v", ev)
		}
		s.mustEnd(t)
	})
}

// TestEventStreamResume: with Last-Event-ID the stream starts with what
// the client missed; past the window, with the current state alone.
func TestEventStreamResume(t *testing.T) {
	f := MustFixtureConfig(t, func(c *binvault.Config) { c.Feed.Window = 3 })
	base := f.serve(t)
	id := f.MustBin(`{"n":0}`, nil)
	s := openStream(t, base, id, hdr("X-Master-Key", f.key))
	first := s.nextEvent(t).id
	s.cancel()
	var revs []string
	for i := 1; i <= 4; i++ {
		revs = append(revs, f.put(t, id, `{"n":`+strconv.Itoa(i)+`}`))
	}
	t.Run("InsideTheWindow", func(t *testing.T) {
		s := openStream(t, base, id, hdr("X-Master-Key", f.key, "Last-Event-ID", revs[0]))
		for _, want := range revs[1:] {
			if ev := s.nextEvent(t); ev.id != want {
				t.Fatalf("resumed with %s, want %s", ev.id, want)
			}
		}
	})
	t.Run("PastTheWindow", func(t *testing.T) {
		s := openStream(t, base, id, hdr("X-Master-Key", f.key, "Last-Event-ID", first))
		if ev := s.nextEvent(t); ev.id != revs[3] || ev.data != f.updateData(t, id, 0) {
			t.Fatalf("after a gap: %+v, want the current state %s", ev, revs[3])
		}
		rev := f.put(t, id, `{"n":5}`)
		if ev := s.nextEvent(t); ev.id != rev {
			t.Fatalf("then %s, want %s", ev.id, rev)
		}
	})
	t.Run("UpToDate", func(t *testing.T) {
		s := openStream(t, base, id, hdr("X-Master-Key", f.key, "Last-Event-ID", f.put(t, id, `{"n":6}`)))
		rev := f.put(t, id, `{"n":7}`)
		if ev := s.nextEvent(t); ev.id != rev {
			t.Fatalf("first event %s, want the next write %s", ev.id, rev)
		}
	})
}

// TestEventStreamHeartbeat: an idle stream sends ": ping" comments.
func TestEventStreamHeartbeat(t *testing.T) {
	f := MustFixtureHTTP(t, nil, httpapi.Config{EventHeartbeat: 10 * time.Millisecond})
	id := f.MustBin(`{"n":0}`, nil)
	s := openStream(t, f.serve(t), id, hdr("X-Master-Key", f.key))
	s.next(t) // the current state
	for range 2 {
		if ev := s.next(t); ev.comment != "ping" || ev.event != "" {
			t.Fatalf("idle stream sent %+v, want a ping", ev)
		}
	}
}

// TestEventStreamRefusals: before the stream starts, a feed answers
// exactly as a read of the bin would, as JSON.
func TestEventStreamRefusals(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		base := f.serve(t)
		private := f.MustBin(`{"n":0}`, nil)
		for _, c := range []struct {
			name string
			id   string
			hdr  map[string]string
			want int
		}{
			{"PrivateBinNeedsKey", private, nil, 401},
			{"AccessKeyNeedsRead", private, hdr("X-Access-Key", f.access["none"]), 403},
			{"AnotherAccountsKey", private, hdr("X-Master-Key", f.other), 401},
			{"RevokedKey", private, hdr("X-Master-Key", f.revoked), 401},
			{"MissingBin", "111111111111111111111111", hdr("X-Master-Key", f.key), 404},
			{"MalformedID", "123", hdr("X-Master-Key", f.key), 400},
		} {
			t.Run(c.name, func(t *testing.T) {
				read := f.do("GET", "/v3/b/"+c.id, c.hdr, "")
				s := openStream(t, base, c.id, c.hdr)
				body, _ := io.ReadAll(s.resp.Body)
				if s.resp.StatusCode != c.want || read.Code != c.want || string(body) != read.Body.String() ||
					s.resp.Header.Get("Content-Type") != "application/json; charset=utf-8" ||
					s.resp.Header.Get("X-Required-Permission") != read.Header().Get("X-Required-Permission") {
					t.Fatalf("feed %d %s, read %d %s", s.resp.StatusCode, body, read.Code, read.Body)
				}
			})
		}
		t.Run("AccessKeyWithRead", func(t *testing.T) {
			if s := openStream(t, base, private, hdr("X-Access-Key", f.access["read"])); s.resp.StatusCode != 200 {
				t.Fatalf("status %d", s.resp.StatusCode)
			}
		})
		t.Run("PublicBinWithoutKey", func(t *testing.T) {
			public := f.MustBin(`{"n":0}`, hdr("X-Bin-Private", "false"))
			if s := openStream(t, base, public, nil); s.resp.StatusCode != 200 {
				t.Fatalf("status %d", s.resp.StatusCode)
			}
		})
	})
}

// TestEventStreamEnds: a stream ends, with a last "end" event saying why,
// as soon as its caller may no longer read the bin.
func TestEventStreamEnds(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		base := f.serve(t)
		id := f.MustBin(`{"n":0}`, nil)
		mustEndWith := func(t *testing.T, s *stream, status int, message string) {
			t.Helper()
			want := `{"message":` + strconv.Quote(message) + `,"status":` + strconv.Itoa(status) + `}`
			if ev := s.nextEvent(t); ev.event != "end" || ev.data != want {
				t.Fatalf("got %+v, want an end event %s", ev, want)
			}
			s.mustEnd(t)
		}
		t.Run("APIKeyRevoked", func(t *testing.T) {
			k, secret, err := f.vault.CreateKey(t.Context(), binvault.AdminName, binvault.KindAPI, "feed", binvault.Permissions{})
			if err != nil {
				t.Fatal(err)
			}
			s := openStream(t, base, id, hdr("X-Master-Key", secret))
			s.nextEvent(t)
			if w := f.do("DELETE", "/v3/keys/"+k.ID, hdr("X-Master-Key", f.key), ""); w.Code != 200 {
				t.Fatalf("revoke: %d %s", w.Code, w.Body)
			}
			mustEndWith(t, s, 401, binvault.MsgBadMasterKeyForBin)
		})
		t.Run("AccessKeyDeleted", func(t *testing.T) {
			k, secret, err := f.vault.CreateKey(t.Context(), binvault.AdminName, binvault.KindAccess, "feed", binvault.Permissions{Read: true})
			if err != nil {
				t.Fatal(err)
			}
			s := openStream(t, base, id, hdr("X-Access-Key", secret))
			s.nextEvent(t)
			if w := f.do("DELETE", "/v3/a/"+k.ID, hdr("X-Master-Key", f.key), ""); w.Code != 200 {
				t.Fatalf("delete access key: %d %s", w.Code, w.Body)
			}
			mustEndWith(t, s, 401, binvault.MsgBadAccessKeyForBin)
		})
		t.Run("BinMadePrivate", func(t *testing.T) {
			public := f.MustBin(`{"n":0}`, hdr("X-Bin-Private", "false"))
			s := openStream(t, base, public, nil)
			s.nextEvent(t)
			if w := f.do("PUT", "/v3/b/"+public+"/meta/privacy", hdr("X-Master-Key", f.key, "X-Bin-Private", "true"), ""); w.Code != 200 {
				t.Fatalf("privacy: %d %s", w.Code, w.Body)
			}
			mustEndWith(t, s, 401, binvault.MsgNoKeyRead)
		})
		t.Run("ServerShutsDown", func(t *testing.T) {
			f := MustFixture(t)
			s := openStream(t, f.serve(t), f.MustBin(`{"n":0}`, nil), hdr("X-Master-Key", f.key))
			s.nextEvent(t)
			f.h.(*httpapi.Server).EndStreams()
			mustEndWith(t, s, 503, binvault.MsgFeedEnded)
		})
	})
}

// TestEventStreamClientGone: when the client goes away, the handler
// returns (and with it the subscription and its goroutine).
func TestEventStreamClientGone(t *testing.T) {
	f := MustFixture(t)
	returned := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.h.ServeHTTP(w, r)
		close(returned)
	}))
	t.Cleanup(srv.Close)
	s := openStream(t, srv.URL, f.MustBin(`{"n":0}`, nil), hdr("X-Master-Key", f.key))
	s.nextEvent(t)
	s.cancel()
	select {
	case <-returned:
	case <-time.After(streamWait):
		t.Fatal("handler still running after the client went away")
	}
}

// TestEventStreamAcrossNodes: two servers on one PostgreSQL database; a
// subscriber of node B hears of writes, deletions and revocations made
// through node A.
func TestEventStreamAcrossNodes(t *testing.T) {
	url := os.Getenv("BINVAULT_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("BINVAULT_TEST_POSTGRES_URL not set: cross-node change feed not tested")
	}
	schemaURL := freshSchema(t, url)
	node := func() (*binvault.Vault, *httptest.Server) {
		store, err := postgres.Open(context.Background(), schemaURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		v := binvault.NewVault(store, keys.Format{}, binvault.Config{CacheBytes: -1, MaxAccessKeys: -1})
		t.Cleanup(func() { v.Close() })
		srv := httptest.NewServer(httpapi.New(v, slog.New(slog.DiscardHandler), httpapi.Config{}))
		t.Cleanup(srv.Close)
		return v, srv
	}
	a, srvA := node()
	_, srvB := node()
	key, err := a.Bootstrap(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fa := &fixture{t: t, h: srvA.Config.Handler, vault: a, key: key}
	id := fa.MustBin(`{"n":0}`, nil)
	k, secret, err := a.CreateKey(t.Context(), binvault.AdminName, binvault.KindAPI, "feed", binvault.Permissions{})
	if err != nil {
		t.Fatal(err)
	}

	s := openStream(t, srvB.URL, id, hdr("X-Master-Key", key))
	s.nextEvent(t)
	for i := 1; i <= 3; i++ {
		rev := fa.put(t, id, `{"n":`+strconv.Itoa(i)+`}`)
		if ev := s.nextEvent(t); ev.id != rev || ev.data != fa.updateData(t, id, 0) {
			t.Fatalf("node B after PUT %d on node A (rev %s): %+v", i, rev, ev)
		}
	}
	revoked := openStream(t, srvB.URL, id, hdr("X-Master-Key", secret))
	revoked.nextEvent(t)
	if _, err := a.RevokeKey(t.Context(), binvault.AdminName, k.ID); err != nil {
		t.Fatal(err)
	}
	if ev := revoked.nextEvent(t); ev.event != "end" || !strings.Contains(ev.data, `"status":401`) {
		t.Fatalf("node B's stream of a key revoked on node A: %+v", ev)
	}
	if w := fa.do("DELETE", "/v3/b/"+id, hdr("X-Master-Key", key), ""); w.Code != 200 {
		t.Fatalf("DELETE: %d", w.Code)
	}
	if ev := s.nextEvent(t); ev.event != "delete" {
		t.Fatalf("node B after DELETE on node A: %+v", ev)
	}
	s.mustEnd(t)
}

// TestEventStreamOutlivesServerTimeouts: a stream lasts longer than the
// http.Server's ReadTimeout and WriteTimeout (binvault serve sets both to
// a minute); the write deadline is moved on as events go out.
func TestEventStreamOutlivesServerTimeouts(t *testing.T) {
	f := MustFixtureHTTP(t, nil, httpapi.Config{EventHeartbeat: 20 * time.Millisecond})
	srv := httptest.NewUnstartedServer(f.h)
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	id := f.MustBin(`{"n":0}`, nil)
	s := openStream(t, srv.URL, id, hdr("X-Master-Key", f.key))
	s.nextEvent(t)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
		s.next(t) // pings, for five times the timeouts
	}
	rev := f.put(t, id, `{"n":1}`)
	if ev := s.nextEvent(t); ev.id != rev {
		t.Fatalf("after the timeouts: %+v, want rev %s", ev, rev)
	}
}
