package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/binvault/binvault"
)

const (
	binMetaColumns = `id, account_id, private, name, collection_id, created_at, version, rev`
	binColumns     = binMetaColumns + `, record`
)

const (
	sqlInsertBin = `INSERT INTO bins (id, account_id, private, name, collection_id, created_at, updated_at, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING rev`
	// sqlInsertBinLimited inserts only while the account has fewer than ?9
	// bins; counting inside the write transaction makes the limit exact.
	sqlInsertBinLimited = `INSERT INTO bins (id, account_id, private, name, collection_id, created_at, updated_at, record)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
		WHERE (SELECT count(*) FROM bins WHERE account_id = ?2) < ?9 RETURNING rev`
	sqlKeepVersion = `INSERT INTO bin_versions (bin_id, version, created_at, record)
		SELECT id, version, updated_at, record FROM bins WHERE id = ?`
	// Returns no record: the caller has it, and copying it back out of
	// SQLite is a measurable part of an update's cost.
	sqlUpdateRecord = `UPDATE bins SET record = ?, updated_at = ?, rev = rev + 1, version = version + ?
		WHERE id = ? RETURNING ` + binMetaColumns
	sqlSelectBin = `SELECT ` + binColumns + ` FROM bins WHERE id = ?`
)

// preparedWrites are compiled once on the writing connection.
var preparedWrites = []string{sqlInsertBin, sqlKeepVersion, sqlUpdateRecord}

// CreateBin implements binvault.BinStore.
func (s *Store) CreateBin(ctx context.Context, b *binvault.Bin, maxBins int) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		at := millis(b.CreatedAt)
		args := []any{b.ID, b.AccountID, b.Private, b.Name, b.CollectionID, at, at, b.Record}
		query := sqlInsertBin
		if maxBins > 0 {
			query, args = sqlInsertBinLimited, append(args, maxBins)
		}
		err := q.QueryRowContext(ctx, query, args...).Scan(&b.Rev)
		if errors.Is(err, sql.ErrNoRows) {
			return binvault.Errorf(binvault.EFORBIDDEN, "account %s has %d bins", b.AccountID, maxBins)
		}
		return conflict(err, "bin")
	})
}

// CountBins implements binvault.BinStore.
func (s *Store) CountBins(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM bins WHERE account_id = ?`, accountID).Scan(&n)
	return n, err
}

// FindBin implements binvault.BinStore.
func (s *Store) FindBin(ctx context.Context, id string) (*binvault.Bin, error) {
	b, err := scanBin(s.findBin.QueryRowContext(ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("bin", id)
	}
	return b, err
}

// FindBinVersion implements binvault.BinStore.
func (s *Store) FindBinVersion(ctx context.Context, id string, version int) ([]byte, error) {
	var record []byte
	err := s.read.QueryRowContext(ctx, `SELECT record FROM bin_versions WHERE bin_id = ? AND version = ?`, id, version).Scan(&record)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("bin version", id)
	}
	return record, err
}

// UpdateBin implements binvault.BinStore.
func (s *Store) UpdateBin(ctx context.Context, u binvault.BinUpdate) (*binvault.Bin, error) {
	var b *binvault.Bin
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		if u.IfRev != 0 {
			var rev int64
			if err := q.QueryRowContext(ctx, `SELECT rev FROM bins WHERE id = ?`, u.ID).Scan(&rev); errors.Is(err, sql.ErrNoRows) {
				return notFound("bin", u.ID)
			} else if err != nil {
				return err
			} else if rev != u.IfRev {
				return binvault.Errorf(binvault.EPRECONDITION, "bin %s is at revision %d", u.ID, rev)
			}
		}
		bump := 0
		if u.Versioned {
			if _, err := q.ExecContext(ctx, sqlKeepVersion, u.ID); err != nil {
				return fmt.Errorf("keep version: %w", err)
			}
			bump = 1
		}
		var err error
		b, err = scanBinMeta(q.QueryRowContext(ctx, sqlUpdateRecord, u.Record, millis(u.At), bump, u.ID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("bin", u.ID)
		} else if err != nil {
			return err
		}
		b.Record = u.Record
		return nil
	})
	return b, err
}

// EditBin implements binvault.BinStore. It runs in the writer like every
// write, so edits of one bin in one batch see each other's results.
func (s *Store) EditBin(ctx context.Context, id string, at time.Time, edit binvault.BinEdit) (*binvault.Bin, error) {
	var b *binvault.Bin
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		cur, err := scanBin(q.QueryRowContext(ctx, sqlSelectBin, id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("bin", id)
		} else if err != nil {
			return err
		}
		record, versioned, err := edit(cur)
		if err != nil {
			return err
		}
		bump := 0
		if versioned {
			if _, err := q.ExecContext(ctx, sqlKeepVersion, id); err != nil {
				return fmt.Errorf("keep version: %w", err)
			}
			bump = 1
		}
		if b, err = scanBinMeta(q.QueryRowContext(ctx, sqlUpdateRecord, record, millis(at), bump, id)); err != nil {
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
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		var err error
		b, err = scanBin(q.QueryRowContext(ctx, `UPDATE bins SET
			name = coalesce(?, name), private = coalesce(?, private), rev = rev + 1
			WHERE id = ? RETURNING `+binColumns, orNull(m.Name), orNull(m.Private), id))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("bin", id)
		}
		return err
	})
	return b, err
}

// DeleteBin implements binvault.BinStore.
func (s *Store) DeleteBin(ctx context.Context, id string, ifRev int64) (int, error) {
	var n int
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		err := q.QueryRowContext(ctx, `DELETE FROM bins WHERE id = ? AND (? = 0 OR rev = ?) RETURNING version`,
			id, ifRev, ifRev).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			return s.missedDelete(ctx, q, id)
		}
		return err
	})
	return n, err
}

// missedDelete explains a conditional delete that deleted nothing: the bin
// is gone, or it is at another revision.
func (s *Store) missedDelete(ctx context.Context, q querier, id string) error {
	var rev int64
	err := q.QueryRowContext(ctx, `SELECT rev FROM bins WHERE id = ?`, id).Scan(&rev)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("bin", id)
	} else if err != nil {
		return err
	}
	return binvault.Errorf(binvault.EPRECONDITION, "bin %s is at revision %d", id, rev)
}

// DeleteBinVersions implements binvault.BinStore.
func (s *Store) DeleteBinVersions(ctx context.Context, id string, preserveLatest bool) (int, *binvault.Bin, error) {
	var n int
	var b *binvault.Bin
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		var err error
		if b, err = scanBin(q.QueryRowContext(ctx, sqlSelectBin, id)); errors.Is(err, sql.ErrNoRows) {
			return notFound("bin", id)
		} else if err != nil || b.Version == 0 {
			return err
		}
		n = b.Version
		restore := `(SELECT record FROM bin_versions WHERE bin_id = bins.id AND version = 0)`
		if preserveLatest {
			restore = `record`
		}
		b, err = scanBin(q.QueryRowContext(ctx, `UPDATE bins SET record = `+restore+`,
			version = 0, rev = rev + 1 WHERE id = ? RETURNING `+binColumns, id))
		if err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `DELETE FROM bin_versions WHERE bin_id = ?`, id)
		return err
	})
	return n, b, err
}

type scanner interface{ Scan(dest ...any) error }

func scanBin(row scanner) (*binvault.Bin, error) {
	var b binvault.Bin
	return scanInto(row, &b, &b.Record)
}

func scanBinMeta(row scanner) (*binvault.Bin, error) {
	var b binvault.Bin
	return scanInto(row, &b)
}

func scanInto(row scanner, b *binvault.Bin, extra ...any) (*binvault.Bin, error) {
	var created int64
	dest := append([]any{&b.ID, &b.AccountID, &b.Private, &b.Name, &b.CollectionID, &created, &b.Version, &b.Rev}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	b.CreatedAt = fromMillis(created)
	return b, nil
}

// orNull turns an unset optional field into SQL NULL.
func orNull[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
