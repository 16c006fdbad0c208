package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/binvault/binvault"
)

const keyColumns = `id, account_id, kind, name, prefix, digest, perms, created_at, last_used_at`

// CreateKey implements binvault.KeyStore. The limit is counted inside the
// write transaction, so concurrent creates cannot pass it together.
func (s *Store) CreateKey(ctx context.Context, k *binvault.Key, max int) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO keys (`+keyColumns+`)
			SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL
			WHERE ?9 <= 0 OR (SELECT count(*) FROM keys
				WHERE account_id = ?2 AND kind = ?3 AND revoked_at IS NULL) < ?9`,
			k.ID, k.AccountID, string(k.Kind), k.Name, k.Prefix, k.Digest, permBits(k.Permissions), millis(k.CreatedAt), max)
		if err != nil {
			return conflict(err, "key")
		} else if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return binvault.Errorf(binvault.EFORBIDDEN, "account %s has %d %s keys", k.AccountID, max, k.Kind)
		}
		return nil
	})
}

// FindKeyByDigest implements binvault.KeyStore.
func (s *Store) FindKeyByDigest(ctx context.Context, digest []byte) (*binvault.Key, error) {
	k, err := scanKey(s.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys
		WHERE digest = ? AND revoked_at IS NULL`, digest))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, binvault.Errorf(binvault.ENOTFOUND, "key not found")
	}
	return k, err
}

// ListKeys implements binvault.KeyStore.
func (s *Store) ListKeys(ctx context.Context, accountID string, kind binvault.KeyKind) ([]*binvault.Key, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys
		WHERE account_id = ? AND kind = ? AND revoked_at IS NULL ORDER BY created_at, id`, accountID, string(kind))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ks []*binvault.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		ks = append(ks, k)
	}
	return ks, rows.Err()
}

// RevokeKey implements binvault.KeyStore. After the commit it bumps
// AuthVersion, so servers sharing this store drop their cached keys.
func (s *Store) RevokeKey(ctx context.Context, accountID, keyID string, at time.Time) error {
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE keys SET revoked_at = ?
			WHERE id = ? AND account_id = ? AND revoked_at IS NULL`, millis(at), keyID, accountID)
		if err != nil {
			return err
		} else if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return binvault.Errorf(binvault.ENOTFOUND, "key %s not found", keyID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.epoch.bump()
}

// TouchKeys implements binvault.KeyStore.
func (s *Store) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		for id, at := range lastUsed {
			if _, err := q.ExecContext(ctx, `UPDATE keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`, millis(at), id); err != nil {
				return err
			}
		}
		return nil
	})
}

func scanKey(row scanner) (*binvault.Key, error) {
	var k binvault.Key
	var kind string
	var perms, created int64
	var used sql.NullInt64
	if err := row.Scan(&k.ID, &k.AccountID, &kind, &k.Name, &k.Prefix, &k.Digest, &perms, &created, &used); err != nil {
		return nil, err
	}
	k.Kind, k.Permissions = binvault.KeyKind(kind), permsOf(perms)
	k.CreatedAt, k.LastUsedAt = fromMillis(created), nullMillis(used)
	return &k, nil
}

func permBits(p binvault.Permissions) int64 {
	var n int64
	for i, on := range []bool{p.Create, p.Read, p.Update, p.Delete} {
		if on {
			n |= 1 << i
		}
	}
	return n
}

func permsOf(n int64) binvault.Permissions {
	return binvault.Permissions{Create: n&1 != 0, Read: n&2 != 0, Update: n&4 != 0, Delete: n&8 != 0}
}
