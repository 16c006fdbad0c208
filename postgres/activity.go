package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/binvault/binvault"
)

const (
	// defaultActivityLimit is ListActivity's page size when f.Limit is 0.
	defaultActivityLimit = 100
	// pruneChunk bounds how many entries one statement of PruneActivity
	// deletes, so that no transaction of it runs long.
	pruneChunk = 10_000
)

// activityColumns are what AddActivity copies in; day is computed from at.
var activityColumns = []string{"id", "at", "status", "account_id", "auth_method", "key_id", "key_prefix",
	"method", "route", "resource_id", "ip", "user_agent", "request_id"}

// sqlActivityDays reads an account's distinct days newest first with one
// index probe per day (a loose index scan), not one row per entry.
const sqlActivityDays = `WITH RECURSIVE days (day) AS (
		SELECT max(day) FROM activity WHERE account_id = $1
		UNION ALL
		SELECT (SELECT max(a.day) FROM activity a WHERE a.account_id = $1 AND a.day < days.day)
		FROM days WHERE days.day IS NOT NULL
	)
	SELECT day FROM days WHERE day IS NOT NULL ORDER BY day DESC`

// sqlPruneActivity deletes up to $2 entries older than $1: their row
// addresses (activity rows are never updated, so ctid is stable) come
// from the BRIN index, and the delete reads just those rows. Matching on
// (account_id, id) instead makes the planner scan the whole table.
const sqlPruneActivity = `DELETE FROM activity
	WHERE ctid = ANY (ARRAY(SELECT ctid FROM activity WHERE at < $1 LIMIT $2)) AND at < $1`

// AddActivity implements binvault.ActivityStore: ids are drawn from the
// sequence in one round trip, in the entries' order, and the entries are
// written with COPY. It sets the entries' IDs only when it returns nil.
//
// Text is made storable first: PostgreSQL's text holds neither NUL nor
// invalid UTF-8 (a header may carry both), and one such entry would
// otherwise fail its whole batch.
func (s *Store) AddActivity(ctx context.Context, entries []binvault.Activity) error {
	if len(entries) == 0 {
		return nil
	}
	var ids []int64
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, `SELECT nextval('activity_id_seq') FROM generate_series(1, $1)`, len(entries))
		if err != nil {
			return err
		}
		if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		slices.Sort(ids)
		_, err = c.CopyFrom(ctx, pgx.Identifier{"activity"}, activityColumns,
			pgx.CopyFromSlice(len(entries), func(i int) ([]any, error) {
				e := &entries[i]
				return []any{ids[i], ms(e.At), int32(e.Status), text(e.AccountID), text(string(e.AuthMethod)),
					text(e.KeyID), text(e.KeyPrefix), text(e.Method), text(e.Route), text(e.ResourceID),
					text(e.IP), text(e.UserAgent), text(e.RequestID)}, nil
			}))
		return err
	})
	if err != nil {
		return fmt.Errorf("add activity: %w", err)
	}
	for i := range entries {
		entries[i].ID = ids[i]
	}
	return nil
}

// text makes s storable as PostgreSQL text: valid UTF-8 without NUL.
func text(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// ListActivity implements binvault.ActivityStore. An empty f.AccountID
// selects the entries logged with no account. A Limit of 0 means 100, and
// none is above binvault.MaxActivityPage. A time range also bounds day, so
// that one day's entries are read from the (account_id, day, id) index in
// id order.
func (s *Store) ListActivity(ctx context.Context, f binvault.ActivityFilter) ([]binvault.Activity, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultActivityLimit
	}
	limit = min(limit, binvault.MaxActivityPage)
	var where []string
	args := []any{f.AccountID}
	cond := func(c string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(c, "?", "$"+strconv.Itoa(len(args))))
	}
	sinceDay, untilDay := time.Time{}, time.Time{}
	if !f.Since.IsZero() {
		since := ceilMS(f.Since)
		cond("at >= ?", since)
		sinceDay = utcDay(since)
	}
	if !f.Until.IsZero() {
		until := ceilMS(f.Until)
		cond("at < ?", until)
		untilDay = utcDay(until.Add(-time.Millisecond))
	}
	switch {
	case !sinceDay.IsZero() && sinceDay.Equal(untilDay):
		cond("day = ?", sinceDay)
	case !sinceDay.IsZero() || !untilDay.IsZero():
		if !sinceDay.IsZero() {
			cond("day >= ?", sinceDay)
		}
		if !untilDay.IsZero() {
			cond("day <= ?", untilDay)
		}
	}
	if f.Before > 0 {
		cond("id < ?", f.Before)
	}
	if f.AuthMethod != "" {
		cond("auth_method = ?", string(f.AuthMethod))
	}
	if f.KeyID != "" {
		cond("key_id = ?", f.KeyID)
	}
	args = append(args, limit)
	query := `SELECT ` + strings.Join(activityColumns, ", ") + ` FROM activity WHERE account_id = $1`
	for _, c := range where {
		query += " AND " + c
	}
	query += ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))

	var list []binvault.Activity
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		list, err = pgx.CollectRows(rows, scanActivity)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list activity: %w", err)
	}
	return list, nil
}

func scanActivity(row pgx.CollectableRow) (binvault.Activity, error) {
	var e binvault.Activity
	var auth string
	var status int32
	err := row.Scan(&e.ID, &e.At, &status, &e.AccountID, &auth, &e.KeyID, &e.KeyPrefix,
		&e.Method, &e.Route, &e.ResourceID, &e.IP, &e.UserAgent, &e.RequestID)
	e.At, e.AuthMethod, e.Status = e.At.UTC(), binvault.AuthMethod(auth), int(status)
	return e, err
}

// utcDay is midnight UTC of t's date.
func utcDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ActivityDays implements binvault.ActivityStore.
func (s *Store) ActivityDays(ctx context.Context, accountID string) ([]time.Time, error) {
	var days []time.Time
	err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, sqlActivityDays, accountID)
		if err != nil {
			return err
		}
		days, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (time.Time, error) {
			var d time.Time
			err := r.Scan(&d)
			return utcDay(d), err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("activity days: %w", err)
	}
	return days, nil
}

// PruneActivity implements binvault.ActivityStore. It deletes in
// statements of at most pruneChunk entries, found through the BRIN index
// on at, so that no one transaction holds many rows for long.
func (s *Store) PruneActivity(ctx context.Context, before time.Time) (int, error) {
	cut := ceilMS(before)
	total := 0
	for {
		var n int64
		err := s.run(ctx, func(ctx context.Context, c *pgxpool.Conn) error {
			tag, err := c.Exec(ctx, sqlPruneActivity, cut, pruneChunk)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune activity: %w", err)
		}
		total += int(n)
		if n < pruneChunk {
			return total, nil
		}
	}
}
