package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

const accountColumns = `id, email, name, created_at,
	requests_per_month, max_bins, max_bin_size, max_access_keys, versioning, max_collections`

// sqlFindAccount looks ref up as an id, then an email, then a name, each
// through an index.
const sqlFindAccount = `SELECT ` + accountColumns + ` FROM (
		SELECT 1 AS rank, ` + accountColumns + ` FROM accounts WHERE id = $1
		UNION ALL SELECT 2, ` + accountColumns + ` FROM accounts WHERE email = $1
		UNION ALL SELECT 3, ` + accountColumns + ` FROM accounts WHERE name = $1
	) AS found ORDER BY rank, id LIMIT 1`

// CreateAccount implements binvault.AccountStore.
func (s *Store) CreateAccount(ctx context.Context, a *binvault.Account) error {
	var email *string
	if a.Email != "" {
		email = &a.Email
	}
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO accounts (id, email, name, created_at) VALUES ($1, $2, $3, $4)`,
			a.ID, email, a.Name, ms(a.CreatedAt))
		return conflict(err, "account")
	})
}

// FindAccount implements binvault.AccountStore.
func (s *Store) FindAccount(ctx context.Context, ref string) (*binvault.Account, error) {
	var a binvault.Account
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		var email *string
		l := &a.Limits
		err := c.QueryRow(ctx, sqlFindAccount, ref).Scan(&a.ID, &email, &a.Name, &a.CreatedAt,
			&l.RequestsPerMonth, &l.MaxBins, &l.MaxBinSize, &l.MaxAccessKeys, &l.Versioning, &l.MaxCollections)
		if email != nil {
			a.Email = *email
		}
		return noRows(err, binvault.Errorf(binvault.ENOTFOUND, "Account %s not found", ref))
	})
	if err != nil {
		return nil, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return &a, nil
}

// CountAccounts implements binvault.AccountStore.
func (s *Store) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		return c.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
	})
	return n, err
}

// SetAccountLimits implements binvault.AccountStore. Every node's
// AuthVersion moves when it commits: this one's at once, the others' on
// the notification.
func (s *Store) SetAccountLimits(ctx context.Context, accountID string, l binvault.Limits) error {
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE accounts SET requests_per_month = $1, max_bins = $2, max_bin_size = $3,
			max_access_keys = $4, versioning = $5, max_collections = $6 WHERE id = $7`,
			l.RequestsPerMonth, l.MaxBins, l.MaxBinSize, l.MaxAccessKeys, l.Versioning, l.MaxCollections, accountID)
		if err != nil {
			return err
		} else if tag.RowsAffected() == 0 {
			return binvault.Errorf(binvault.ENOTFOUND, "Account %s not found", accountID)
		}
		return notifyAuth(ctx, tx)
	})
	if err == nil {
		s.auth.bump()
	}
	return err
}

// AddRequests implements binvault.AccountStore: one upsert for the whole
// map, adding to what other nodes have counted. Rows are locked in
// account order, so two nodes flushing at once cannot deadlock.
func (s *Store) AddRequests(ctx context.Context, period string, counts map[string]int64) error {
	if len(counts) == 0 {
		return nil
	}
	ids := make([]string, 0, len(counts))
	for id := range counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ns := make([]int64, len(ids))
	for i, id := range ids {
		ns[i] = counts[id]
	}
	return s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		_, err := c.Exec(ctx, `INSERT INTO usage (account_id, period, requests)
			SELECT account_id, $1, requests FROM unnest($2::text[], $3::bigint[]) AS u (account_id, requests)
			ON CONFLICT (account_id, period) DO UPDATE SET requests = usage.requests + excluded.requests`,
			period, ids, ns)
		return err
	})
}

// Requests implements binvault.AccountStore.
func (s *Store) Requests(ctx context.Context, accountID, period string) (int64, error) {
	var n int64
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		err := c.QueryRow(ctx, `SELECT requests FROM usage WHERE account_id = $1 AND period = $2`, accountID, period).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return n, err
}

// Heartbeat implements binvault.AccountStore.
func (s *Store) Heartbeat(ctx context.Context, node string, at time.Time, ttl time.Duration) (int, error) {
	var n int
	err := s.tx(ctx, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO nodes (id, last_seen) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen`, node, at.UTC()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM nodes WHERE last_seen < $1`, at.Add(-ttl).UTC()); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM nodes`).Scan(&n)
	})
	return max(n, 1), err
}
