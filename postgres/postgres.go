// Package postgres is binvault's store on PostgreSQL, for several stateless
// nodes sharing one database. It speaks pgx natively (pgxpool): COPY for
// the activity log, pipelined batches for multi-statement writes, and
// LISTEN/NOTIFY so that every node's AuthVersion moves when any node
// revokes a key or changes limits, collections or schema docs.
//
// Its SQL is its own; what it shares with package sqlite is the contract
// (binvault.Store) and the conformance suite (storetest).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

const (
	// acquireTimeout bounds the wait for a pooled connection: past it the
	// database is down or overwhelmed, and the caller is told it is
	// unavailable instead of waiting for ever.
	acquireTimeout = 10 * time.Second
	// opTimeout bounds one use of a connection when the caller's context
	// has no deadline, so that a database that stops answering (a host
	// gone without a reset) fails the call instead of hanging it.
	opTimeout = 30 * time.Second
	// connectTimeout applies when the URL sets no connect_timeout.
	connectTimeout = 5 * time.Second
)

// Store implements binvault.Store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	auth *authEpoch

	closeOnce sync.Once
}

var _ binvault.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN; pgx's pool_max_conns and friends apply), migrates it, and starts
// listening for other nodes' changes. Without pool_max_conns the pool holds
// max(8, 4×CPUs) connections, plus one for the listener. A failure to
// reach the database wraps binvault.ErrUnavailable.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = int32(max(8, 4*runtime.NumCPU()))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", unavailable(err))
	}
	auth, err := listen(ctx, cfg.ConnConfig)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", unavailable(err))
	}
	return &Store{pool: pool, auth: auth}, nil
}

// Close stops the listener and closes every connection. Calls in flight
// finish first; later calls fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.auth.close()
		s.pool.Close()
	})
	return nil
}

// run lends fn a pooled connection, bounding the wait for it by
// acquireTimeout and fn itself by opTimeout unless ctx sets a deadline.
// Failures to reach the database wrap binvault.ErrUnavailable.
func (s *Store) run(ctx context.Context, fn func(ctx context.Context, c *pgxpool.Conn) error) error {
	parent := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opTimeout)
		defer cancel()
	}
	actx, cancel := context.WithTimeout(ctx, acquireTimeout)
	c, err := s.pool.Acquire(actx)
	timedOut := actx.Err() == context.DeadlineExceeded
	cancel()
	if err != nil {
		if parent.Err() == nil && timedOut {
			return fmt.Errorf("%w: no database connection within %v: %w", binvault.ErrUnavailable, acquireTimeout, err)
		}
		return unavailable(err)
	}
	defer c.Release()
	err = fn(ctx, c)
	if err != nil && parent.Err() == nil && ctx.Err() != nil {
		return fmt.Errorf("%w: no answer from the database within %v: %w", binvault.ErrUnavailable, opTimeout, err)
	}
	return unavailable(err)
}

// tx runs fn in a transaction on a pooled connection: committed when fn
// returns nil, rolled back otherwise.
func (s *Store) tx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return fn(ctx, tx) })
	})
}

// batch sends b in one round trip as one implicit transaction: a failing
// statement undoes the ones before it. read takes the results in order;
// the batch's first error wins over read's.
func (s *Store) batch(ctx context.Context, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		br := c.SendBatch(ctx, b)
		err := read(br)
		if cerr := br.Close(); cerr != nil {
			return cerr
		}
		return err
	})
}

// sqlLockAccount takes the account's row lock until the transaction ends, so
// that counting its bins, keys or collections and inserting one is atomic
// across nodes. NO KEY UPDATE: it does not block the foreign-key checks of
// unlimited inserts.
const sqlLockAccount = `SELECT id FROM accounts WHERE id = $1 FOR NO KEY UPDATE`

// insertUnderLimit runs plain when max <= 0; otherwise, in one transaction,
// it locks the account row and runs limited (whose last parameter is max
// and which inserts nothing at the limit), turning an empty insert into
// EFORBIDDEN. Counting under the lock keeps the limit exact across nodes.
func (s *Store) insertUnderLimit(ctx context.Context, accountID, plain, limited string, args []any, max int, what string) error {
	if max <= 0 {
		return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
			_, err := c.Exec(ctx, plain, args...)
			return conflict(err, what)
		})
	}
	b := &pgx.Batch{}
	b.Queue(sqlLockAccount, accountID)
	b.Queue(limited, append(args, max)...)
	err := s.batch(ctx, b, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		tag, err := br.Exec()
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return binvault.Errorf(binvault.EFORBIDDEN, "account %s has %d %s", accountID, max, what)
		}
		return nil
	})
	return conflict(err, what)
}

// notFound is the store's ENOTFOUND; the Vault gives it JSONBin's wording.
func notFound(what, id string) error {
	return binvault.Errorf(binvault.ENOTFOUND, "%s %s not found", what, id)
}

// conflict turns a uniqueness violation into ECONFLICT.
func conflict(err error, what string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return binvault.Errorf(binvault.ECONFLICT, "%s already exists", what)
	}
	return err
}

// noRows turns "no row" into err and passes any other error on.
func noRows(err error, notFound error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	return err
}

// IsUnavailable reports whether err means the database cannot be used
// right now, so that a caller can answer 503 and retry later rather than
// 500: the server refused, reset or dropped the connection, shut down
// (57P01–57P03), ran out of connections or other resources (class 53), is a
// read-only standby (25006, as after a failover), or no pooled connection
// or answer came within the store's time limits. The store's methods
// already wrap such errors around binvault.ErrUnavailable.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case errors.Is(err, binvault.ErrUnavailable), errors.As(err, &ce):
		return true
	case errors.As(err, &pe):
		switch {
		case strings.HasPrefix(pe.Code, "08"), strings.HasPrefix(pe.Code, "53"):
			return true
		}
		switch pe.Code {
		case "57P01", "57P02", "57P03", "25006":
			return true
		}
		return false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // the caller's own deadline or cancellation
	}
	// The connection broke: refused, reset, closed by the server mid-answer.
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, pgconn.ErrConnClosed)
}

// unavailable wraps binvault.ErrUnavailable around err if IsUnavailable.
func unavailable(err error) error {
	if IsUnavailable(err) && !errors.Is(err, binvault.ErrUnavailable) {
		return fmt.Errorf("%w: %w", binvault.ErrUnavailable, err)
	}
	return err
}

// ms keeps a time to the millisecond, as every store does.
func ms(t time.Time) time.Time { return t.Truncate(time.Millisecond) }

// ceilMS rounds t up to the millisecond: stored times are whole
// milliseconds, so one is at or after t exactly when it is at or after
// ceilMS(t), and likewise before.
func ceilMS(t time.Time) time.Time {
	if r := t.Truncate(time.Millisecond); !r.Equal(t) {
		return r.Add(time.Millisecond)
	}
	return t
}

// optTime turns a nullable timestamp into a time, zero for NULL.
func optTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// scanner is a row.
type scanner interface{ Scan(dest ...any) error }
