package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

const keyColumns = `id, account_id, kind, name, prefix, digest,
	can_create, can_read, can_update, can_delete, created_at, last_used_at`

const (
	sqlInsertKey = `INSERT INTO keys (` + keyColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)`
	// sqlInsertKeyLimited inserts only while the account has fewer than
	// $12 unrevoked keys of the kind; run after sqlLockAccount, its count
	// sees every key committed before the lock was granted.
	sqlInsertKeyLimited = `INSERT INTO keys (` + keyColumns + `)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL
		WHERE (SELECT count(*) FROM keys WHERE account_id = $2 AND kind = $3 AND revoked_at IS NULL) < $12`
)

// CreateKey implements binvault.KeyStore. With a limit, the account's row
// lock and the counting insert go in one round trip as one transaction,
// so that nodes creating keys at once cannot pass the limit together.
func (s *Store) CreateKey(ctx context.Context, k *binvault.Key, max int) error {
	p := k.Permissions
	args := []any{k.ID, k.AccountID, string(k.Kind), k.Name, k.Prefix, k.Digest,
		p.Create, p.Read, p.Update, p.Delete, ms(k.CreatedAt)}
	return s.insertUnderLimit(ctx, k.AccountID, sqlInsertKey, sqlInsertKeyLimited, args, max, string(k.Kind)+" keys")
}

// FindKeyByDigest implements binvault.KeyStore.
func (s *Store) FindKeyByDigest(ctx context.Context, digest []byte) (*binvault.Key, error) {
	var k *binvault.Key
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		var err error
		k, err = scanKey(c.QueryRow(ctx, `SELECT `+keyColumns+` FROM keys WHERE digest = $1 AND revoked_at IS NULL`, digest))
		return noRows(err, binvault.Errorf(binvault.ENOTFOUND, "key not found"))
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ListKeys implements binvault.KeyStore.
func (s *Store) ListKeys(ctx context.Context, accountID string, kind binvault.KeyKind) ([]*binvault.Key, error) {
	var ks []*binvault.Key
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT `+keyColumns+` FROM keys
			WHERE account_id = $1 AND kind = $2 AND revoked_at IS NULL ORDER BY created_at, id`, accountID, string(kind))
		if err != nil {
			return err
		}
		ks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*binvault.Key, error) { return scanKey(r) })
		return err
	})
	return ks, err
}

// RevokeKey implements binvault.KeyStore. Every node's AuthVersion moves
// when it commits: this one's at once, the others' on the notification.
func (s *Store) RevokeKey(ctx context.Context, accountID, keyID string, at time.Time) error {
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE keys SET revoked_at = $1
			WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL`, ms(at), keyID, accountID)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return binvault.Errorf(binvault.ENOTFOUND, "key %s not found", keyID)
		}
		return notifyAuth(ctx, tx)
	})
	if err == nil {
		s.auth.bump()
	}
	return err
}

// TouchKeys implements binvault.KeyStore: one round trip for the whole
// map, the rows locked in id order so that nodes flushing at once cannot
// deadlock.
func (s *Store) TouchKeys(ctx context.Context, lastUsed map[string]time.Time) error {
	if len(lastUsed) == 0 {
		return nil
	}
	ids := make([]string, 0, len(lastUsed))
	for id := range lastUsed {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	b := &pgx.Batch{}
	for _, id := range ids {
		b.Queue(`UPDATE keys SET last_used_at = greatest(last_used_at, $1) WHERE id = $2`, ms(lastUsed[id]), id)
	}
	return s.batch(ctx, b, func(pgx.BatchResults) error { return nil })
}

func scanKey(row scanner) (*binvault.Key, error) {
	var k binvault.Key
	var kind string
	var used *time.Time
	p := &k.Permissions
	if err := row.Scan(&k.ID, &k.AccountID, &kind, &k.Name, &k.Prefix, &k.Digest,
		&p.Create, &p.Read, &p.Update, &p.Delete, &k.CreatedAt, &used); err != nil {
		return nil, err
	}
	k.Kind, k.CreatedAt, k.LastUsedAt = binvault.KeyKind(kind), k.CreatedAt.UTC(), optTime(used)
	return &k, nil
}
