package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

// SetPassword implements binvault.SessionStore: the new hash and the end
// of the account's sessions commit together.
func (s *Store) SetPassword(ctx context.Context, accountID, hash string) error {
	return s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE accounts SET password_hash = $1 WHERE id = $2`, hash, accountID)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return notFound("Account", accountID)
		}
		_, err = tx.Exec(ctx, `UPDATE sessions SET revoked_at = now()
			WHERE account_id = $1 AND revoked_at IS NULL`, accountID)
		return err
	})
}

// PasswordHash implements binvault.SessionStore.
func (s *Store) PasswordHash(ctx context.Context, accountID string) (string, error) {
	var hash *string
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, `SELECT password_hash FROM accounts WHERE id = $1`, accountID).Scan(&hash)
		return noRows(err, notFound("Account", accountID))
	})
	if err != nil || hash == nil {
		return "", err
	}
	return *hash, nil
}

// CreateSession implements binvault.SessionStore.
func (s *Store) CreateSession(ctx context.Context, ses *binvault.Session) error {
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO sessions (id, account_id, digest, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, ses.ID, ses.AccountID, ses.Digest, ms(ses.CreatedAt), ms(ses.ExpiresAt))
		return conflict(err, "session")
	})
}

// FindSession implements binvault.SessionStore.
func (s *Store) FindSession(ctx context.Context, digest []byte, now time.Time) (*binvault.Session, error) {
	var ses binvault.Session
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, `SELECT id, account_id, digest, created_at, expires_at FROM sessions
			WHERE digest = $1 AND revoked_at IS NULL AND expires_at > $2`, digest, now).
			Scan(&ses.ID, &ses.AccountID, &ses.Digest, &ses.CreatedAt, &ses.ExpiresAt)
		return noRows(err, binvault.Errorf(binvault.ENOTFOUND, "session not found"))
	})
	if err != nil {
		return nil, err
	}
	ses.CreatedAt, ses.ExpiresAt = ses.CreatedAt.UTC(), ses.ExpiresAt.UTC()
	return &ses, nil
}

// RevokeSession implements binvault.SessionStore.
func (s *Store) RevokeSession(ctx context.Context, id string) error {
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, id)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return notFound("session", id)
		}
		return nil
	})
}

// RevokeSessions implements binvault.SessionStore.
func (s *Store) RevokeSessions(ctx context.Context, accountID string) (int, error) {
	var n int
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE sessions SET revoked_at = now()
			WHERE account_id = $1 AND revoked_at IS NULL`, accountID)
		n = int(tag.RowsAffected())
		return err
	})
	return n, err
}

// CreateInvite implements binvault.SessionStore.
func (s *Store) CreateInvite(ctx context.Context, digest []byte, expires time.Time) error {
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO invites (digest, expires_at) VALUES ($1, $2)`, digest, ms(expires))
		return conflict(err, "invite")
	})
}

// UseInvite implements binvault.SessionStore.
func (s *Store) UseInvite(ctx context.Context, digest []byte, now time.Time) error {
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		tag, err := c.Exec(ctx, `UPDATE invites SET used_at = $1 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1`, ms(now), digest)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return binvault.Errorf(binvault.ENOTFOUND, "invite not found")
		}
		return nil
	})
}
