package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/binvault/binvault"
)

// CreateAccount implements binvault.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *binvault.Account) error {
	var email any
	if a.Email != "" {
		email = a.Email
	}
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO accounts (id, email, name, created_at) VALUES (?, ?, ?, ?)`,
			a.ID, email, a.Name, millis(a.CreatedAt))
		return conflict(err, "account")
	})
}

// FindAccount implements binvault.AccountStore.
func (s *Store) FindAccount(ctx context.Context, ref string) (*binvault.Account, error) {
	var a binvault.Account
	var email sql.NullString
	var created int64
	var requests, bins, binSize, accessKeys, versioning, collections sql.NullInt64
	err := s.read.QueryRowContext(ctx, `SELECT id, email, name, created_at,
		requests_per_month, max_bins, max_bin_size, max_access_keys, versioning, max_collections FROM accounts
		WHERE id = ?1 OR email = ?1 OR name = ?1
		ORDER BY id = ?1 DESC, email = ?1 DESC LIMIT 1`, ref).Scan(&a.ID, &email, &a.Name, &created,
		&requests, &bins, &binSize, &accessKeys, &versioning, &collections)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, binvault.Errorf(binvault.ENOTFOUND, "Account %s not found", ref)
	} else if err != nil {
		return nil, err
	}
	a.Email, a.CreatedAt = email.String, fromMillis(created)
	a.Limits = binvault.Limits{
		RequestsPerMonth: nullable(requests, func(n int64) int64 { return n }),
		MaxBins:          nullable(bins, func(n int64) int { return int(n) }),
		MaxBinSize:       nullable(binSize, func(n int64) int { return int(n) }),
		MaxAccessKeys:    nullable(accessKeys, func(n int64) int { return int(n) }),
		Versioning:       nullable(versioning, func(n int64) bool { return n != 0 }),
		MaxCollections:   nullable(collections, func(n int64) int { return int(n) }),
	}
	return &a, nil
}

func nullable[T any](n sql.NullInt64, conv func(int64) T) *T {
	if !n.Valid {
		return nil
	}
	v := conv(n.Int64)
	return &v
}

// SetAccountLimits implements binvault.AccountStore. It moves AuthVersion
// after the commit, so running servers drop their cached accounts.
func (s *Store) SetAccountLimits(ctx context.Context, accountID string, l binvault.Limits) error {
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		res, err := q.ExecContext(ctx, `UPDATE accounts SET requests_per_month = ?, max_bins = ?,
			max_bin_size = ?, max_access_keys = ?, versioning = ?, max_collections = ? WHERE id = ?`,
			orNull(l.RequestsPerMonth), orNull(l.MaxBins), orNull(l.MaxBinSize), orNull(l.MaxAccessKeys), orNull(l.Versioning),
			orNull(l.MaxCollections), accountID)
		if err != nil {
			return err
		} else if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return binvault.Errorf(binvault.ENOTFOUND, "Account %s not found", accountID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.epoch.bump()
}

// AddRequests implements binvault.AccountStore.
func (s *Store) AddRequests(ctx context.Context, period string, counts map[string]int64) error {
	return s.writer.do(ctx, func(ctx context.Context, q querier) error {
		for id, n := range counts {
			if _, err := q.ExecContext(ctx, `INSERT INTO usage (account_id, period, requests) VALUES (?, ?, ?)
				ON CONFLICT (account_id, period) DO UPDATE SET requests = requests + excluded.requests`, id, period, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// Requests implements binvault.AccountStore.
func (s *Store) Requests(ctx context.Context, accountID, period string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT requests FROM usage WHERE account_id = ? AND period = ?`, accountID, period).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// CountAccounts implements binvault.AccountStore.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	return n, err
}

// Heartbeat implements binvault.AccountStore.
func (s *Store) Heartbeat(ctx context.Context, node string, at time.Time, ttl time.Duration) (int, error) {
	var n int
	err := s.writer.do(ctx, func(ctx context.Context, q querier) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO nodes (id, last_seen) VALUES (?1, ?2)
			ON CONFLICT (id) DO UPDATE SET last_seen = ?2`, node, millis(at)); err != nil {
			return err
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM nodes WHERE last_seen < ?`, millis(at.Add(-ttl))); err != nil {
			return err
		}
		return q.QueryRowContext(ctx, `SELECT count(*) FROM nodes`).Scan(&n)
	})
	return max(n, 1), err
}
