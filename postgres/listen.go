package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// authChannel is the NOTIFY channel on which writes that invalidate
// caches (a revoked key, new limits, a changed collection or schema doc)
// are announced to every node.
const authChannel = "binvault_auth"

const (
	// listenPing is how long the listener waits for a notification before
	// checking that its connection still answers.
	listenPing  = 30 * time.Second
	pingTimeout = 5 * time.Second
	// The listener reconnects after backoffMin, doubling up to backoffMax.
	backoffMin = 50 * time.Millisecond
	backoffMax = 5 * time.Second
)

// authEpoch is AuthVersion: a counter bumped by this node's own writes and
// by each notification of any node's, read with one atomic load.
//
// Notifications sent while the listener is disconnected are lost, so the
// counter also moves when the connection drops and again once it listens
// anew; in between, every read moves it, so that no cache keeps anything
// it cannot be told to drop.
type authEpoch struct {
	schema    string // whose notifications count
	n         atomic.Int64
	listening atomic.Bool
	stop      context.CancelFunc
	done      chan struct{}
}

// AuthVersion implements binvault.KeyStore.
func (s *Store) AuthVersion() int64 { return s.auth.load() }

func (e *authEpoch) load() int64 {
	if e.listening.Load() {
		return e.n.Load()
	}
	return e.n.Add(1)
}

func (e *authEpoch) bump() { e.n.Add(1) }

// notifyAuth announces, when tx commits, a change that other nodes must
// drop from their caches. The payload is the schema the store lives in:
// NOTIFY reaches the whole database, and stores in other schemas of it
// have no need to drop anything.
func notifyAuth(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, coalesce(current_schema(), ''))`, authChannel)
	return err
}

// listen opens the listener's connection (cfg, with TCP keepalives short
// enough to notice a vanished server), LISTENs, and keeps listening in a
// goroutine until close.
func listen(ctx context.Context, cfg *pgx.ConnConfig) (*authEpoch, error) {
	cfg = cfg.Copy()
	dialer := &net.Dialer{
		Timeout:         cfg.ConnectTimeout,
		KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 3},
	}
	cfg.DialFunc = dialer.DialContext
	conn, schema, err := connectListener(ctx, cfg)
	if err != nil {
		return nil, err
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e := &authEpoch{schema: schema, stop: stop, done: make(chan struct{})}
	e.listening.Store(true)
	go e.loop(lctx, cfg, conn)
	return e, nil
}

// connectListener connects, learns the schema the store lives in, and
// LISTENs.
func connectListener(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, string, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	var schema string
	err = conn.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema)
	if err == nil {
		_, err = conn.Exec(ctx, "LISTEN "+authChannel)
	}
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	return conn, schema, nil
}

// loop bumps the counter on each notification, and reconnects with
// backoff whenever the connection fails, until ctx ends.
func (e *authEpoch) loop(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(e.done)
	for {
		n, err := wait(ctx, conn)
		if ctx.Err() != nil {
			closeConn(conn)
			return
		}
		if err == nil {
			if n.Payload == e.schema {
				e.bump()
			}
			continue
		}
		e.listening.Store(false)
		e.bump()
		closeConn(conn)
		if conn = e.reconnect(ctx, cfg); conn == nil {
			return
		}
		e.bump() // whatever was notified meanwhile is lost
		e.listening.Store(true)
	}
}

// wait returns the next notification. When none comes for listenPing it
// pings, so that a connection that died silently is found out.
func wait(ctx context.Context, conn *pgx.Conn) (*pgconn.Notification, error) {
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return n, err
		}
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return nil, err
		}
	}
}

// reconnect retries until it listens again; nil once ctx ends.
func (e *authEpoch) reconnect(ctx context.Context, cfg *pgx.ConnConfig) *pgx.Conn {
	delay := backoffMin
	for {
		if conn, _, err := connectListener(ctx, cfg); err == nil {
			return conn
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(delay):
		}
		delay = min(2*delay, backoffMax)
	}
}

// closeConn closes conn without waiting on a server that may be gone.
func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	conn.Close(ctx)
}

// close stops the listener and waits for it.
func (e *authEpoch) close() {
	e.stop()
	<-e.done
}
