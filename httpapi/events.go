package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/binvault/binvault"
)

const (
	// defaultHeartbeat is how often an idle stream says ": ping", so that
	// proxies and load balancers with idle timeouts keep it open and the
	// server learns of clients gone without a FIN.
	defaultHeartbeat = 15 * time.Second
	// eventWriteTimeout bounds one write of a stream: a client that stops
	// reading is dropped instead of holding its connection for ever.
	eventWriteTimeout = 30 * time.Second
)

// eventStreamType is the Content-Type of an event stream; it is never
// modified.
var eventStreamType = []string{"text/event-stream"}

// streams is what the server's event streams share.
type streams struct {
	heartbeat time.Duration
	ctx       context.Context // done once EndStreams is called
	end       context.CancelFunc
}

func newStreams(heartbeat time.Duration) streams {
	if heartbeat <= 0 {
		heartbeat = defaultHeartbeat
	}
	ctx, end := context.WithCancel(context.Background())
	return streams{heartbeat: heartbeat, ctx: ctx, end: end}
}

// EndStreams ends every open event stream. http.Server.Shutdown waits for
// active connections, which a stream never stops being, so register it
// with http.Server.RegisterOnShutdown; clients then reconnect elsewhere
// with Last-Event-ID.
func (s *Server) EndStreams() { s.streams.end() }

// binEvents is the change feed of one bin (GET /v3/b/{id}/events), as
// Server-Sent Events. It answers to the keys and privacy of a read of the
// bin, with the same errors, as JSON, before the stream starts. Then each
// change of the bin is one event:
//
//	id: <rev>
//	event: update
//	data: {"record":<record>,"metadata":{"id","private","createdAt"[,"name"][,"collectionId"],"version"}}
//
// the id being the bin's revision, as in its ETag; a deletion is an
// "event: delete" with data {"metadata":{"id"}}, after which the stream
// ends. The first event is the bin as it is now or, with Last-Event-ID,
// what the client missed since that revision (see Vault.Subscribe).
// Comments (": ping") keep an idle stream alive. When the caller may no
// longer read the bin (its key revoked, the bin made private) or the
// server drops the stream (the client fell behind, shutdown), a last
// "event: end" says why, with data {"message","status"}: a client should
// reconnect only after a 503.
func (s *Server) binEvents(w http.ResponseWriter, r *http.Request) {
	sub, err := s.vault.Subscribe(r.Context(), credentials(r), r.PathValue("id"), lastEventID(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer sub.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams.ctx, cancel)()

	rc := http.NewResponseController(w)
	h := w.Header()
	h["Content-Type"] = eventStreamType
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	out := eventWriter{w: w, rc: rc}
	if out.flush() != nil {
		return
	}
	tick := time.NewTicker(s.streams.heartbeat)
	defer tick.Stop()
	for {
		ev, err := sub.Next(ctx, tick.C)
		if err != nil {
			s.endStream(ctx, r, out, err)
			return
		}
		if out.send(appendEvent(out.buf[:0], ev)) != nil || ev.Kind == binvault.EventDelete {
			return
		}
	}
}

// endStream tells the client why its stream ends, unless it went away.
func (s *Server) endStream(ctx context.Context, r *http.Request, out eventWriter, err error) {
	if r.Context().Err() != nil {
		return
	}
	if ctx.Err() != nil { // EndStreams: the server is shutting down
		err = binvault.Errorf(binvault.EUNAVAILABLE, "%s", binvault.MsgFeedEnded)
	}
	if binvault.ErrorCode(err) == binvault.EINTERNAL {
		s.log.Error("event stream", "error", err, "path", r.URL.Path)
	}
	buf := append(out.buf[:0], "event: end\ndata: {\"message\":"...)
	buf = appendString(buf, binvault.ErrorMessage(err))
	buf = append(buf, `,"status":`...)
	buf = strconv.AppendInt(buf, int64(binvault.HTTPStatus(err)), 10)
	out.send(append(buf, "}\n\n"...))
}

// lastEventID reads Last-Event-ID, which EventSource sends when it
// reconnects: the revision the client has. Anything else counts as none.
func lastEventID(r *http.Request) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(r.Header.Get("Last-Event-ID")), 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// appendEvent renders one event in the text/event-stream format.
func appendEvent(buf []byte, ev binvault.Event) []byte {
	switch ev.Kind {
	case binvault.EventHeartbeat:
		return append(buf, ": ping\n\n"...)
	case binvault.EventDelete:
		buf = append(buf, "event: delete\ndata: {\"metadata\":{\"id\":\""...)
		buf = append(buf, ev.Bin.ID...)
		return append(buf, "\"}}\n\n"...)
	}
	b := ev.Bin
	buf = append(buf, "id: "...)
	buf = strconv.AppendInt(buf, b.Rev, 10)
	buf = append(buf, "\nevent: update\ndata: {\"record\":"...)
	buf = appendOneLine(buf, b.Record)
	buf = append(buf, `,"metadata":`...)
	buf = appendReadMeta(buf, b)
	buf = append(buf[:len(buf)-1], `,"version":`...) // into the read's metadata
	buf = strconv.AppendInt(buf, int64(b.Version), 10)
	return append(buf, "}}\n\n"...)
}

// appendOneLine appends a record, which must fit on one data line. Stored
// records are compact already; this only guards against one that is not.
func appendOneLine(buf, record []byte) []byte {
	if bytes.IndexByte(record, '\n') < 0 && bytes.IndexByte(record, '\r') < 0 {
		return append(buf, record...)
	}
	var c bytes.Buffer
	if json.Compact(&c, record) != nil {
		return append(buf, "null"...)
	}
	return append(buf, c.Bytes()...)
}

// eventWriter writes and flushes each event, never later than
// eventWriteTimeout after it was handed over.
type eventWriter struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	buf      []byte
	deadline time.Time // of the connection's writes
}

func (o *eventWriter) send(b []byte) error {
	o.buf = b[:0] // reuse the grown buffer
	// Moving the deadline is a tenth of the cost of an event: do it only
	// when less than half of eventWriteTimeout is left.
	if now := time.Now(); o.deadline.Sub(now) < eventWriteTimeout/2 {
		o.deadline = now.Add(eventWriteTimeout)
		_ = o.rc.SetWriteDeadline(o.deadline)
	}
	if _, err := o.w.Write(b); err != nil {
		return err
	}
	return o.flush()
}

func (o *eventWriter) flush() error { return o.rc.Flush() }
