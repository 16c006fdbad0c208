package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that serialises migrations: the
// bytes of "binvault". Nodes starting together take turns; the first
// applies what is missing, the others find it applied.
const migrationLock = 0x62696e7661756c74

// migration is one embedded file, numbered by its name: 0002_name.sql.
type migration struct {
	version int
	name    string
}

// migrate applies, in order, each embedded migration not yet recorded in
// schema_migrations, each in a transaction of its own, all under the
// advisory lock held by one session.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	list, err := embeddedMigrations()
	if err != nil {
		return err
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// Unlocking on a broken session is moot: the server drops its locks.
		if _, err := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock)); err != nil {
			c.Conn().Close(context.Background())
		}
	}()
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range list {
		if err := migrateOne(ctx, c.Conn(), m); err != nil {
			return fmt.Errorf("migrate %s: %w", m.name, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, c *pgx.Conn, m migration) error {
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
		var applied bool
		err := tx.QueryRow(ctx, `SELECT true FROM schema_migrations WHERE version = $1`, m.version).Scan(&applied)
		if err == nil {
			return nil
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		body, err := migrations.ReadFile(m.name)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil { // no arguments: simple protocol, many statements
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, path.Base(m.name))
		return err
	})
}

// embeddedMigrations lists the migration files in version order.
func embeddedMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var list []migration
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its number", name)
		}
		list = append(list, migration{version: v, name: name})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].version < list[j].version })
	return list, nil
}
