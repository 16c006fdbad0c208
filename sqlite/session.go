package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/binvault/binvault"
)

// SetPassword implements binvault.SessionStore: a new password ends every
// session of the account, in the same transaction.
func (s *Store) SetPassword(ctx context.Context, accountID, hash string) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE id = ?`, hash, accountID)
		if err := affected(res, err, "account", accountID); err != nil {
			return err
		}
		_, err = q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL`,
			millis(time.Now()), accountID)
		return err
	})
}

// PasswordHash implements binvault.SessionStore.
func (s *Store) PasswordHash(ctx context.Context, accountID string) (string, error) {
	var hash sql.NullString
	err := s.read.QueryRowContext(ctx, `SELECT password_hash FROM accounts WHERE id = ?`, accountID).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("account", accountID)
	}
	return hash.String, err
}

// CreateSession implements binvault.SessionStore.
func (s *Store) CreateSession(ctx context.Context, se *binvault.Session) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO sessions (id, account_id, digest, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			se.ID, se.AccountID, se.Digest, millis(se.CreatedAt), millis(se.ExpiresAt))
		return conflict(err, "session")
	})
}

// FindSession implements binvault.SessionStore.
func (s *Store) FindSession(ctx context.Context, digest []byte, now time.Time) (*binvault.Session, error) {
	var se binvault.Session
	var created, expires int64
	err := s.read.QueryRowContext(ctx, `SELECT id, account_id, digest, created_at, expires_at FROM sessions
		WHERE digest = ? AND revoked_at IS NULL AND expires_at > ?`, digest, millis(now)).
		Scan(&se.ID, &se.AccountID, &se.Digest, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, binvault.Errorf(binvault.ENOTFOUND, "session not found")
	} else if err != nil {
		return nil, err
	}
	se.CreatedAt, se.ExpiresAt = fromMillis(created), fromMillis(expires)
	return &se, nil
}

// RevokeSession implements binvault.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, millis(time.Now()), id)
		return affected(res, err, "session", id)
	})
}

// RevokeSessions implements binvault.SessionStore.
func (s *Store) RevokeSessions(ctx context.Context, accountID string) (int, error) {
	var n int64
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL`,
			millis(time.Now()), accountID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// CreateInvite implements binvault.SessionStore.
func (s *Store) CreateInvite(ctx context.Context, digest []byte, expires time.Time) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO invites (digest, expires_at) VALUES (?, ?)`, digest, millis(expires))
		return conflict(err, "invite")
	})
}

// UseInvite implements binvault.SessionStore.
func (s *Store) UseInvite(ctx context.Context, digest []byte, now time.Time) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE invites SET used_at = ?1
			WHERE digest = ?2 AND used_at IS NULL AND expires_at > ?1`, millis(now), digest)
		return affected(res, err, "invite", "")
	})
}
