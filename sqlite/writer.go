package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/binvault/binvault"
)

// maxBatch bounds how many writes share one transaction, so one commit's
// latency stays bounded under a flood.
const maxBatch = 256

// writeFunc is one write. It runs inside a transaction shared with other
// writes, so it must leave the database unchanged when it returns a
// *binvault.Error (not found, conflict); any other error aborts the batch.
type writeFunc func(ctx context.Context, q querier) error

// querier is what writes run statements on.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

type writeOp struct {
	ctx  context.Context
	fn   writeFunc
	done chan error
}

// writer owns the process's one writing connection and commits queued
// writes in batches: a write's caller is answered only after the commit
// that contains it.
type writer struct {
	db    *sql.DB
	conn  *sql.Conn
	ops   chan *writeOp
	stop  chan struct{}
	wg    sync.WaitGroup
	stmts map[string]*sql.Stmt

	// mu makes close wait for senders in flight, so that every op queued
	// before closed was set is drained and answered.
	mu     sync.RWMutex
	closed bool
}

func openWriter(ctx context.Context, dsn string) (*writer, error) {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open writer: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open writer: %w", err)
	}
	return &writer{db: db, conn: conn, ops: make(chan *writeOp, maxBatch), stop: make(chan struct{})}, nil
}

// prepare compiles the write statements once and starts the commit loop.
func (w *writer) prepare(ctx context.Context, queries []string) error {
	w.stmts = map[string]*sql.Stmt{}
	for _, q := range queries {
		st, err := w.conn.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		w.stmts[q] = st
	}
	w.wg.Add(1)
	go w.loop()
	return nil
}

// do queues fn and waits until it is committed or has failed. It waits
// even if ctx ends: fn still runs with the batch and may write into the
// caller's values, so returning early would race with it, and a queued
// write is committed within milliseconds anyway.
func (w *writer) do(ctx context.Context, fn writeFunc) error {
	op := &writeOp{ctx: context.WithoutCancel(ctx), fn: fn, done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return errors.New("store is closed")
	}
	w.ops <- op
	w.mu.RUnlock()
	return <-op.done
}

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]*writeOp, 0, maxBatch)
	for {
		select {
		case op := <-w.ops:
			batch = append(batch[:0], op)
		case <-w.stop:
			w.drain(batch[:0])
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// drain commits whatever was queued before close.
func (w *writer) drain(batch []*writeOp) {
	for {
		select {
		case op := <-w.ops:
			batch = append(batch, op)
		default:
			if len(batch) > 0 {
				w.commit(batch)
			}
			return
		}
	}
}

// commit runs a batch in one transaction. If a write fails with an
// unexpected error the whole batch is rolled back and every write retried
// in a transaction of its own, so one bad write cannot fail its neighbours.
func (w *writer) commit(batch []*writeOp) {
	errs := make([]error, len(batch))
	err := w.tx(func(q querier) error {
		for i, op := range batch {
			errs[i] = op.fn(op.ctx, w.bind(q))
			if errs[i] != nil && binvault.ErrorCode(errs[i]) == binvault.EINTERNAL {
				return errs[i]
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, op := range batch {
			op.done <- w.tx(func(q querier) error { return op.fn(op.ctx, w.bind(q)) })
		}
		return
	}
	for i, op := range batch {
		op.done <- errors.Join(err, errs[i])
	}
}

// tx runs fn between BEGIN IMMEDIATE and COMMIT on the writing connection.
func (w *writer) tx(fn func(querier) error) (err error) {
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err = fn(w.conn); err == nil {
		if _, err = w.conn.ExecContext(ctx, "COMMIT"); err == nil {
			return nil
		}
		err = fmt.Errorf("commit: %w", err)
	}
	if _, rerr := w.conn.ExecContext(ctx, "ROLLBACK"); rerr != nil {
		err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
	}
	return err
}

// bind lets writes call the prepared statement for a known query text
// instead of compiling it again.
func (w *writer) bind(q querier) querier { return prepared{q, w.stmts} }

func (w *writer) close() error {
	w.mu.Lock()
	if !w.closed && w.stmts != nil {
		close(w.stop)
	}
	w.closed = true
	w.mu.Unlock()
	w.wg.Wait()
	for _, st := range w.stmts {
		st.Close()
	}
	return errors.Join(w.conn.Close(), w.db.Close())
}

// prepared runs statements through prepared handles when it has one for
// the exact query text.
type prepared struct {
	q     querier
	stmts map[string]*sql.Stmt
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := p.stmts[query]; st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.q.ExecContext(ctx, query, args...)
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := p.stmts[query]; st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.q.QueryRowContext(ctx, query, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := p.stmts[query]; st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.q.QueryContext(ctx, query, args...)
}
