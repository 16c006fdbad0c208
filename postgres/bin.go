package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

const (
	binMetaColumns = `id, account_id, private, name, collection_id, created_at, version, rev`
	binColumns     = binMetaColumns + `, record`
)

const (
	sqlInsertBin = `INSERT INTO bins (id, account_id, private, name, collection_id, created_at, updated_at, record)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING rev`
	// sqlInsertBinLimited inserts only while the account has fewer than $8
	// bins; run after sqlLockAccount, its count sees every bin committed
	// before the lock was granted.
	sqlInsertBinLimited = `INSERT INTO bins (id, account_id, private, name, collection_id, created_at, updated_at, record)
		SELECT $1, $2, $3, $4, $5, $6, $6, $7
		WHERE (SELECT count(*) FROM bins WHERE account_id = $2) < $8 RETURNING rev`
	// sqlKeepVersion copies the newest record into bin_versions, locking
	// the bin first: a concurrent update waits, then copies the record this
	// one writes, so each version number is kept once.
	sqlKeepVersion = `INSERT INTO bin_versions (bin_id, version, created_at, record)
		SELECT id, version, updated_at, record FROM bins WHERE id = $1 FOR NO KEY UPDATE`
	// sqlUpdateRecord bumps version ($4: 0 or 1) and rev in the statement
	// that writes the record. It returns no record: the caller has it.
	sqlUpdateRecord = `UPDATE bins SET record = $1, updated_at = $2, rev = rev + 1, version = version + $4
		WHERE id = $3 RETURNING ` + binMetaColumns
	sqlSelectBin = `SELECT ` + binColumns + ` FROM bins WHERE id = $1`
)

// CreateBin implements binvault.BinStore. With a limit, the account's row
// lock and the counting insert go in one round trip as one transaction,
// so that nodes creating bins at once cannot pass the limit together.
func (s *Store) CreateBin(ctx context.Context, b *binvault.Bin, maxBins int) error {
	args := []any{b.ID, b.AccountID, b.Private, b.Name, b.CollectionID, ms(b.CreatedAt), b.Record}
	if maxBins <= 0 {
		return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
			return conflict(c.QueryRow(ctx, sqlInsertBin, args...).Scan(&b.Rev), "bin")
		})
	}
	batch := &pgx.Batch{}
	batch.Queue(sqlLockAccount, b.AccountID)
	batch.Queue(sqlInsertBinLimited, append(args, maxBins)...)
	var rev int64
	err := s.batch(ctx, batch, func(br pgx.BatchResults) error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		err := br.QueryRow().Scan(&rev)
		return noRows(err, binvault.Errorf(binvault.EFORBIDDEN, "account %s has %d bins", b.AccountID, maxBins))
	})
	if err != nil {
		return conflict(err, "bin")
	}
	b.Rev = rev
	return nil
}

// CountBins implements binvault.BinStore.
func (s *Store) CountBins(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT count(*) FROM bins WHERE account_id = $1`, accountID).Scan(&n)
	})
	return n, err
}

// FindBin implements binvault.BinStore.
func (s *Store) FindBin(ctx context.Context, id string) (*binvault.Bin, error) {
	var b *binvault.Bin
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		b, err = scanBin(c.QueryRow(ctx, sqlSelectBin, id))
		return noRows(err, notFound("bin", id))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// FindBinVersion implements binvault.BinStore.
func (s *Store) FindBinVersion(ctx context.Context, id string, version int) ([]byte, error) {
	var record []byte
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, `SELECT record FROM bin_versions WHERE bin_id = $1 AND version = $2`, id, version).Scan(&record)
		return noRows(err, notFound("bin version", id))
	})
	if err != nil {
		return nil, err
	}
	return record, nil
}

// UpdateBin implements binvault.BinStore. A versioned update keeps the
// newest record and writes the new one in one round trip, as one
// transaction.
func (s *Store) UpdateBin(ctx context.Context, u binvault.BinUpdate) (*binvault.Bin, error) {
	var b *binvault.Bin
	args := []any{u.Record, ms(u.At), u.ID, 0}
	read := func(row pgx.Row) error {
		var err error
		b, err = scanBinMeta(row)
		return noRows(err, notFound("bin", u.ID))
	}
	var err error
	switch {
	case u.IfRev != 0:
		// Conditional: lock the row, compare, then write, in one transaction.
		if u.Versioned {
			args[3] = 1
		}
		err = s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
			var rev int64
			err := tx.QueryRow(ctx, `SELECT rev FROM bins WHERE id = $1 FOR NO KEY UPDATE`, u.ID).Scan(&rev)
			if err = noRows(err, notFound("bin", u.ID)); err != nil {
				return err
			} else if rev != u.IfRev {
				return binvault.Errorf(binvault.EPRECONDITION, "bin %s is at revision %d", u.ID, rev)
			}
			if u.Versioned {
				if _, err := tx.Exec(ctx, sqlKeepVersion, u.ID); err != nil {
					return err
				}
			}
			return read(tx.QueryRow(ctx, sqlUpdateRecord, args...))
		})
	case !u.Versioned:
		err = s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
			return read(c.QueryRow(ctx, sqlUpdateRecord, args...))
		})
	default:
		args[3] = 1
		batch := &pgx.Batch{}
		batch.Queue(sqlKeepVersion, u.ID)
		batch.Queue(sqlUpdateRecord, args...)
		err = s.batch(ctx, batch, func(br pgx.BatchResults) error {
			if _, err := br.Exec(); err != nil {
				return err
			}
			return read(br.QueryRow())
		})
	}
	if err != nil {
		return nil, err
	}
	b.Record = u.Record
	return b, nil
}

// EditBin implements binvault.BinStore: the row is locked from the read to
// the write, so edits of one bin from any node queue there.
func (s *Store) EditBin(ctx context.Context, id string, at time.Time, edit binvault.BinEdit) (*binvault.Bin, error) {
	var b *binvault.Bin
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		cur, err := scanBin(tx.QueryRow(ctx, sqlSelectBin+` FOR NO KEY UPDATE`, id))
		if err = noRows(err, notFound("bin", id)); err != nil {
			return err
		}
		record, versioned, err := edit(cur)
		if err != nil {
			return err
		}
		bump := 0
		if versioned {
			if _, err := tx.Exec(ctx, sqlKeepVersion, id); err != nil {
				return err
			}
			bump = 1
		}
		if b, err = scanBinMeta(tx.QueryRow(ctx, sqlUpdateRecord, record, ms(at), id, bump)); err != nil {
			return err
		}
		b.Record = record
		return nil
	})
	return b, err
}

// UpdateBinMeta implements binvault.BinStore.
func (s *Store) UpdateBinMeta(ctx context.Context, id string, m binvault.BinMeta) (*binvault.Bin, error) {
	var b *binvault.Bin
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		b, err = scanBin(c.QueryRow(ctx, `UPDATE bins SET name = coalesce($1, name),
			private = coalesce($2, private), rev = rev + 1 WHERE id = $3 RETURNING `+binColumns, m.Name, m.Private, id))
		return noRows(err, notFound("bin", id))
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// DeleteBin implements binvault.BinStore; its versions go with it (ON
// DELETE CASCADE).
func (s *Store) DeleteBin(ctx context.Context, id string, ifRev int64) (int, error) {
	var n int
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, `DELETE FROM bins WHERE id = $1 AND ($2 = 0 OR rev = $2) RETURNING version`, id, ifRev).Scan(&n)
		if !errors.Is(err, pgx.ErrNoRows) || ifRev == 0 {
			return noRows(err, notFound("bin", id))
		}
		// Nothing deleted under a condition: gone, or at another revision.
		var rev int64
		if err := c.QueryRow(ctx, `SELECT rev FROM bins WHERE id = $1`, id).Scan(&rev); err != nil {
			return noRows(err, notFound("bin", id))
		}
		return binvault.Errorf(binvault.EPRECONDITION, "bin %s is at revision %d", id, rev)
	})
	return n, err
}

// DeleteBinVersions implements binvault.BinStore. A bin without versions
// is left as it is, Rev included.
func (s *Store) DeleteBinVersions(ctx context.Context, id string, preserveLatest bool) (int, *binvault.Bin, error) {
	var n int
	var b *binvault.Bin
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT version FROM bins WHERE id = $1 FOR NO KEY UPDATE`, id).Scan(&n)
		if err != nil {
			return noRows(err, notFound("bin", id))
		}
		if n == 0 {
			b, err = scanBin(tx.QueryRow(ctx, sqlSelectBin, id))
			return err
		}
		restore := `(SELECT record FROM bin_versions WHERE bin_id = bins.id AND version = 0)`
		if preserveLatest {
			restore = `record`
		}
		b, err = scanBin(tx.QueryRow(ctx, `UPDATE bins SET record = `+restore+`, version = 0, rev = rev + 1
			WHERE id = $1 RETURNING `+binColumns, id))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM bin_versions WHERE bin_id = $1`, id)
		return err
	})
	if err != nil {
		return 0, nil, err
	}
	return n, b, nil
}

func scanBin(row scanner) (*binvault.Bin, error) {
	var b binvault.Bin
	return scanInto(row, &b, &b.Record)
}

func scanBinMeta(row scanner) (*binvault.Bin, error) {
	var b binvault.Bin
	return scanInto(row, &b)
}

func scanInto(row scanner, b *binvault.Bin, extra ...any) (*binvault.Bin, error) {
	dest := append([]any{&b.ID, &b.AccountID, &b.Private, &b.Name, &b.CollectionID, &b.CreatedAt, &b.Version, &b.Rev}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	b.CreatedAt = b.CreatedAt.UTC()
	return b, nil
}
