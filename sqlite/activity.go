package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ncruces/go-sqlite3"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"

	"github.com/binvault/binvault"
)

// ActivityFile is the activity log's database inside the data directory.
//
// The log is kept apart from DBFile so that its writes never hold the lock
// that bin writes wait for (pruning deletes millions of rows), and so that
// it can commit with synchronous=NORMAL instead of an fsync each: a
// committed batch survives a crash of the process, but the last few before
// a power cut or an OS crash may be lost (the file itself stays
// consistent). That is the right trade for a log written tens of thousands
// of rows a second.
const ActivityFile = "activity.db"

const (
	hourMillis = int64(time.Hour / time.Millisecond)
	// defaultActivityLimit is ListActivity's page size when f.Limit is 0.
	defaultActivityLimit = 100
	// pruneChunk bounds how many entries one transaction of PruneActivity
	// deletes (some 60ms of work), so batches of new entries get in between.
	pruneChunk = 10_000
)

const (
	sqlNextActivityIDs = `UPDATE activity_seq SET last = last + ?1 RETURNING last - ?1 + 1`
	sqlInsertActivity  = `INSERT INTO activity (id, at, status, account_id, auth_method, key_id, key_prefix,
		method, route, resource_id, ip, user_agent, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlNoteActivityHour = `INSERT INTO activity_hours (account_id, hour, first_id, last_id) VALUES (?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id)`

	// A time bound (?2, ?3: hours, NULL for none) becomes an id bound
	// through activity_hours, so that a time range is read as an id range
	// of the account's index, not as the account's whole log.
	sqlListActivity = `SELECT id, at, status, account_id, auth_method, key_id, key_prefix,
			method, route, resource_id, ip, user_agent, request_id
		FROM activity
		WHERE account_id = ?1
			AND id >= CASE WHEN ?2 IS NULL THEN 0 ELSE coalesce((SELECT min(first_id) FROM activity_hours
				WHERE account_id = ?1 AND hour >= ?2), ` + maxInt64 + `) END
			AND id < min(?4, CASE WHEN ?3 IS NULL THEN ` + maxInt64 + ` ELSE coalesce((SELECT max(last_id) FROM activity_hours
				WHERE account_id = ?1 AND hour <= ?3), 0) + 1 END)
			AND at >= ?5 AND at < ?6
			AND (?7 = '' OR auth_method = ?7) AND (?8 = '' OR key_id = ?8)
		ORDER BY id DESC LIMIT ?9`

	sqlActivityHours     = `SELECT hour FROM activity_hours WHERE account_id = ? ORDER BY hour DESC`
	sqlActivityHoursUpTo = `SELECT account_id, hour FROM activity_hours WHERE hour <= ? ORDER BY hour`

	// Up to ?4 entries older than ?3 in one account's hour. CROSS JOIN
	// keeps SQLite from scanning activity instead of its index.
	sqlPruneActivityHour = `DELETE FROM activity WHERE id IN (
		SELECT a.id FROM activity_hours h
		CROSS JOIN activity a ON a.account_id = h.account_id AND a.id BETWEEN h.first_id AND h.last_id
		WHERE h.account_id = ?1 AND h.hour = ?2 AND a.at < ?3 LIMIT ?4)`
	sqlDropEmptyActivityHour = `DELETE FROM activity_hours AS h WHERE account_id = ?1 AND hour = ?2
		AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.account_id = ?1 AND a.id BETWEEN h.first_id AND h.last_id
			AND a.at >= ?2 * ` + hourMillisSQL + ` AND a.at < (?2 + 1) * ` + hourMillisSQL + `)`

	maxInt64      = "9223372036854775807"
	hourMillisSQL = "3600000"
)

// activityLog is the activity database: a writer and a small read pool of
// its own.
type activityLog struct {
	writer *writer
	read   *sql.DB
}

func openActivityLog(ctx context.Context, path string) (*activityLog, error) {
	w, err := openWriter(ctx, dsn(path, "synchronous(normal)"))
	if err != nil {
		return nil, err
	}
	if err := useWAL(ctx, w.conn); err != nil {
		w.close()
		return nil, fmt.Errorf("activity log: %w", err)
	}
	if err := migrate(ctx, w.conn, "migrations/activity"); err != nil {
		w.close()
		return nil, fmt.Errorf("activity log: %w", err)
	}
	if err := w.prepare(ctx, []string{sqlNextActivityIDs, sqlNoteActivityHour}); err != nil {
		w.close()
		return nil, fmt.Errorf("activity log: %w", err)
	}
	read, err := sql.Open("sqlite3", dsn(path, "query_only(1)"))
	if err != nil {
		w.close()
		return nil, fmt.Errorf("open activity read pool: %w", err)
	}
	// Reading the log is a dashboard page, not the hot path.
	read.SetMaxOpenConns(2)
	return &activityLog{writer: w, read: read}, nil
}

func (l *activityLog) close() error {
	return errors.Join(l.writer.close(), l.read.Close())
}

// AddActivity implements binvault.ActivityStore: one transaction for the
// whole batch, on activity.db's own writer. It sets the entries' IDs only
// when it returns nil. If ctx ends first it returns early, but the batch may
// still be written, and entries read until then.
func (s *Store) AddActivity(ctx context.Context, entries []binvault.Activity) error {
	if len(entries) == 0 {
		return nil
	}
	var first int64
	err := s.log.writer.do(ctx, func(ctx context.Context, q querier) error {
		if err := q.QueryRowContext(ctx, sqlNextActivityIDs, len(entries)).Scan(&first); err != nil {
			return fmt.Errorf("number entries: %w", err)
		}
		if err := s.log.insert(first, entries); err != nil {
			return err
		}
		return noteActivityHours(ctx, q, first, entries)
	})
	if err != nil {
		return fmt.Errorf("add activity: %w", err)
	}
	for i := range entries {
		entries[i].ID = first + int64(i)
	}
	return nil
}

// insert writes the entries, numbered from first, through the driver's own
// API: binding each value through database/sql costs a third more per row,
// and the server logs a row for every request it serves. A multi-row
// INSERT is no faster. It runs in the writer's transaction, on the writer's
// goroutine.
func (l *activityLog) insert(first int64, entries []binvault.Activity) error {
	return l.writer.conn.Raw(func(dc any) error {
		c, ok := dc.(sqlite3driver.Conn)
		if !ok {
			return fmt.Errorf("insert activity: driver connection is a %T", dc)
		}
		st, _, err := c.Raw().Prepare(sqlInsertActivity)
		if err != nil {
			return fmt.Errorf("insert activity: %w", err)
		}
		defer st.Close()
		for i := range entries {
			if err := bindActivity(st, first+int64(i), &entries[i]); err != nil {
				return fmt.Errorf("insert activity: %w", err)
			}
			if err := st.Exec(); err != nil {
				return fmt.Errorf("insert activity: %w", err)
			}
		}
		return st.Close()
	})
}

// bindActivity binds e's columns in sqlInsertActivity's order.
func bindActivity(st *sqlite3.Stmt, id int64, e *binvault.Activity) error {
	for i, v := range [...]int64{id, millis(e.At), int64(e.Status)} {
		if err := st.BindInt64(1+i, v); err != nil {
			return err
		}
	}
	texts := [...]string{e.AccountID, string(e.AuthMethod), e.KeyID, e.KeyPrefix,
		e.Method, e.Route, e.ResourceID, e.IP, e.UserAgent, e.RequestID}
	for i, v := range texts {
		if err := st.BindText(4+i, v); err != nil {
			return err
		}
	}
	return nil
}

// noteActivityHours widens, for each account and hour in the batch, the
// hour's id range to cover the batch's entries.
func noteActivityHours(ctx context.Context, q querier, first int64, entries []binvault.Activity) error {
	type idRange struct{ first, last int64 }
	hours := map[accountHour]idRange{}
	var order []accountHour
	for i := range entries {
		id, k := first+int64(i), accountHour{entries[i].AccountID, floorDiv(millis(entries[i].At), hourMillis)}
		if r, ok := hours[k]; ok {
			hours[k] = idRange{r.first, id} // ids grow with i
		} else {
			hours[k] = idRange{id, id}
			order = append(order, k)
		}
	}
	for _, k := range order {
		r := hours[k]
		if _, err := q.ExecContext(ctx, sqlNoteActivityHour, k.account, k.hour, r.first, r.last); err != nil {
			return fmt.Errorf("note activity hour: %w", err)
		}
	}
	return nil
}

// ListActivity implements binvault.ActivityStore. An empty f.AccountID
// selects the entries logged with no account. A Limit of 0 means 100, and
// none is above binvault.MaxActivityPage.
func (s *Store) ListActivity(ctx context.Context, f binvault.ActivityFilter) ([]binvault.Activity, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultActivityLimit
	}
	limit = min(limit, binvault.MaxActivityPage)
	since, until, before := int64(math.MinInt64), int64(math.MaxInt64), int64(math.MaxInt64)
	var sinceHour, untilHour any // NULL: no bound
	if !f.Since.IsZero() {
		since = ceilMillis(f.Since)
		sinceHour = floorDiv(since, hourMillis)
	}
	if !f.Until.IsZero() {
		until = ceilMillis(f.Until)
		untilHour = floorDiv(until-1, hourMillis)
	}
	if f.Before > 0 {
		before = f.Before
	}
	rows, err := s.log.read.QueryContext(ctx, sqlListActivity, f.AccountID, sinceHour, untilHour,
		before, since, until, string(f.AuthMethod), f.KeyID, limit)
	if err != nil {
		return nil, fmt.Errorf("list activity: %w", err)
	}
	defer rows.Close()
	list := make([]binvault.Activity, 0, min(limit, 128))
	for rows.Next() {
		var e binvault.Activity
		var at int64
		var auth string
		if err := rows.Scan(&e.ID, &at, &e.Status, &e.AccountID, &auth, &e.KeyID, &e.KeyPrefix,
			&e.Method, &e.Route, &e.ResourceID, &e.IP, &e.UserAgent, &e.RequestID); err != nil {
			return nil, fmt.Errorf("list activity: %w", err)
		}
		e.At, e.AuthMethod = fromMillis(at), binvault.AuthMethod(auth)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list activity: %w", err)
	}
	return list, nil
}

// ActivityDays implements binvault.ActivityStore. It reads the account's
// hours (24 a day at most), not its entries.
func (s *Store) ActivityDays(ctx context.Context, accountID string) ([]time.Time, error) {
	rows, err := s.log.read.QueryContext(ctx, sqlActivityHours, accountID)
	if err != nil {
		return nil, fmt.Errorf("activity days: %w", err)
	}
	defer rows.Close()
	var days []time.Time
	last := int64(math.MaxInt64)
	for rows.Next() {
		var hour int64
		if err := rows.Scan(&hour); err != nil {
			return nil, fmt.Errorf("activity days: %w", err)
		}
		if day := floorDiv(hour, 24); day != last {
			days, last = append(days, fromMillis(day*24*hourMillis)), day
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("activity days: %w", err)
	}
	return days, nil
}

// PruneActivity implements binvault.ActivityStore. It reads, through
// activity_hours, only the entries it deletes and those of before's own
// hour, and deletes them oldest hour first in transactions of at most
// pruneChunk entries, so that it never holds up new entries for long.
func (s *Store) PruneActivity(ctx context.Context, before time.Time) (int, error) {
	b := ceilMillis(before)
	hours, err := s.log.hoursUpTo(ctx, floorDiv(b-1, hourMillis))
	if err != nil {
		return 0, fmt.Errorf("prune activity: %w", err)
	}
	total := 0
	for len(hours) > 0 {
		var n int
		var rest []accountHour
		err := s.log.writer.do(ctx, func(ctx context.Context, q querier) error {
			var err error // the writer may run this twice: derive, never accumulate
			n, rest, err = pruneHours(ctx, q, hours, b, pruneChunk)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune activity: %w", err)
		}
		total, hours = total+n, rest
	}
	return total, nil
}

// accountHour is a row of activity_hours.
type accountHour struct {
	account string
	hour    int64
}

// hoursUpTo lists the account hours up to last, oldest first.
func (l *activityLog) hoursUpTo(ctx context.Context, last int64) ([]accountHour, error) {
	rows, err := l.read.QueryContext(ctx, sqlActivityHoursUpTo, last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var hours []accountHour
	for rows.Next() {
		var h accountHour
		if err := rows.Scan(&h.account, &h.hour); err != nil {
			return nil, err
		}
		hours = append(hours, h)
	}
	return hours, rows.Err()
}

// pruneHours deletes up to budget entries older than before from the
// hours, first to last, dropping each hour it leaves empty. It returns how
// many it deleted and the hours it has not finished.
func pruneHours(ctx context.Context, q querier, hours []accountHour, before int64, budget int) (int, []accountHour, error) {
	n := 0
	for len(hours) > 0 && n < budget {
		h := hours[0]
		res, err := q.ExecContext(ctx, sqlPruneActivityHour, h.account, h.hour, before, budget-n)
		if err != nil {
			return 0, nil, err
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, nil, err
		}
		if n += int(k); n == budget {
			break // the hour may hold more
		}
		if _, err := q.ExecContext(ctx, sqlDropEmptyActivityHour, h.account, h.hour); err != nil {
			return 0, nil, err
		}
		hours = hours[1:]
	}
	return n, hours, nil
}

// floorDiv divides rounding down, so that times before 1970 fall in the
// right hour.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// ceilMillis returns t in Unix milliseconds, rounded up: entries are kept
// to the millisecond, so an entry's time is at or after t exactly when it
// is at or after ceilMillis(t), and likewise before.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}
