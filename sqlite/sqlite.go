// Package sqlite is binvault's embedded store: one SQLite file in WAL mode,
// opened through the pure-Go ncruces driver, so the binary needs no cgo.
//
// All writes of a process go through one connection and one goroutine that
// commits concurrent writes together (group commit): each commit is fsynced
// (synchronous=FULL), so an acknowledged write survives a process kill and a
// power cut, and the fsync is shared by every write in the batch.
//
// The activity log lives in a second file, with a writer of its own and a
// weaker durability: see ActivityFile.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver" // registers "sqlite3"

	"github.com/binvault/binvault"
)

//go:embed migrations/*.sql migrations/activity/*.sql
var migrations embed.FS

// DBFile is the database's name inside the data directory.
const DBFile = "binvault.db"

// epochFile holds AuthVersion, shared by every process that opens the store.
const epochFile = "keys.epoch"

// Store implements binvault.Store on SQLite.
type Store struct {
	dir     string
	read    *sql.DB
	findBin *sql.Stmt // the hot read, compiled once per connection
	writer  *writer
	epoch   *keysEpoch
	log     *activityLog // in a file of its own: see ActivityFile
}

var _ binvault.Store = (*Store)(nil)

// Open opens (creating if needed) the store in directory dir and migrates it.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	w, err := openWriter(ctx, dsn(path, "synchronous(full)"))
	if err != nil {
		return nil, err
	}
	if err := useWAL(ctx, w.conn); err != nil {
		w.close()
		return nil, err
	}
	if err := migrate(ctx, w.conn, "migrations"); err != nil {
		w.close()
		return nil, err
	}
	if err := w.prepare(ctx, preparedWrites); err != nil {
		w.close()
		return nil, err
	}
	read, err := sql.Open("sqlite3", dsn(path, "query_only(1)"))
	if err != nil {
		w.close()
		return nil, fmt.Errorf("open read pool: %w", err)
	}
	read.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
	read.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
	s := &Store{dir: dir, read: read, writer: w}
	if s.epoch, err = openKeysEpoch(filepath.Join(dir, epochFile)); err != nil {
		s.Close()
		return nil, err
	}
	if s.findBin, err = read.PrepareContext(ctx, sqlSelectBin); err != nil {
		s.Close()
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if s.log, err = openActivityLog(ctx, filepath.Join(dir, ActivityFile)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dsn builds a connection string. WAL mode is not set here: it is a
// property of the file, set once by useWAL.
func dsn(path string, extra string) string {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "foreign_keys(on)", extra} {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close stops the writer after its queued writes and closes the database.
func (s *Store) Close() error {
	errs := []error{s.writer.close()}
	if s.findBin != nil {
		errs = append(errs, s.findBin.Close())
	}
	if s.epoch != nil {
		errs = append(errs, s.epoch.close())
	}
	if s.log != nil {
		errs = append(errs, s.log.close())
	}
	return errors.Join(append(errs, s.read.Close())...)
}

// useWAL switches the file to WAL mode. On a new file that is a write, and
// SQLite answers "busy" at once, without waiting for busy_timeout, when
// another process (a CLI started beside the server) opens it at the same
// moment; so retry for as long as busy_timeout would have waited.
func useWAL(ctx context.Context, conn *sql.Conn) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var mode string
		err := conn.QueryRowContext(ctx, "PRAGMA journal_mode=wal").Scan(&mode)
		if err == nil && mode == "wal" {
			return nil
		} else if err == nil {
			err = fmt.Errorf("journal mode is %q", mode)
		}
		if !errors.Is(err, sqlite3.BUSY) && !errors.Is(err, sqlite3.LOCKED) || time.Now().After(deadline) {
			return fmt.Errorf("set WAL mode: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// migrate applies the embedded migrations in dir numbered above PRAGMA
// user_version (each file starts with its number: 0002_name.sql), each in
// its own immediate transaction, so two processes opening the same new store
// apply each migration once.
func migrate(ctx context.Context, conn *sql.Conn, dir string) error {
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", name)
		}
		if err := migrateOne(ctx, conn, version, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, conn *sql.Conn, version int, name string) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	var have int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	if have >= version {
		_, err = conn.ExecContext(ctx, "COMMIT")
		return err
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(version)); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}

// AuthVersion implements binvault.KeyStore.
func (s *Store) AuthVersion() int64 { return s.epoch.load() }

// notFound is the store's ENOTFOUND; the Vault gives it JSONBin's wording.
func notFound(what, id string) error {
	return binvault.Errorf(binvault.ENOTFOUND, "%s %s not found", what, id)
}

// conflict turns a uniqueness violation into ECONFLICT.
func conflict(err error, what string) error {
	if errors.Is(err, sqlite3.CONSTRAINT) && strings.Contains(err.Error(), "UNIQUE") {
		return binvault.Errorf(binvault.ECONFLICT, "%s already exists", what)
	}
	return err
}

func millis(t time.Time) int64 { return t.UnixMilli() }

func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return fromMillis(ms.Int64)
}
