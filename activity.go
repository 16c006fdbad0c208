package binvault

import (
	"context"
	"slices"
	"time"
)

// Activity is one request as the activity log keeps it: who (account, how
// authenticated, which key), what (method, route pattern, resource) and how
// it went (status), with where it came from. It never holds a secret or a
// bin body.
type Activity struct {
	ID         int64 // assigned by the store in insertion order (At may be older than a lower ID's)
	At         time.Time
	AccountID  string // the caller's account, or the owner of a public bin; "" if unknown
	AuthMethod AuthMethod
	KeyID      string
	KeyPrefix  string
	Method     string
	Route      string // the route pattern, e.g. "GET /v3/b/{id}"
	ResourceID string
	Status     int
	IP         string
	UserAgent  string
	RequestID  string
}

// ActivityFilter selects an account's activity, newest first.
type ActivityFilter struct {
	AccountID  string
	AuthMethod AuthMethod // "" for any
	KeyID      string     // "" for any
	Since      time.Time  // inclusive; zero for no bound
	Until      time.Time  // exclusive; zero for no bound
	Before     int64      // cursor: only entries with ID < Before; 0 for the newest
	Limit      int        // 0: 100; at most MaxActivityPage
}

// ActivityStore persists the activity log. Writes come in batches from a
// background recorder, never from a request's critical path.
type ActivityStore interface {
	// AddActivity appends entries and sets their IDs.
	AddActivity(ctx context.Context, entries []Activity) error
	// ListActivity returns up to f.Limit entries matching f, newest first.
	ListActivity(ctx context.Context, f ActivityFilter) ([]Activity, error)
	// ActivityDays returns the UTC dates (midnight) on which the account has
	// entries, newest first.
	ActivityDays(ctx context.Context, accountID string) ([]time.Time, error)
	// PruneActivity deletes entries older than before and returns how many.
	PruneActivity(ctx context.Context, before time.Time) (int, error)
}

// MaxActivityPage is the most entries one ListActivity call returns.
const MaxActivityPage = 1000

// ListActivity returns the caller's account's activity, newest first (GET
// /v3/activity). Needs an API key; f.AccountID is set from it.
func (v *Vault) ListActivity(ctx context.Context, cred Credentials, f ActivityFilter) ([]Activity, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	f.AccountID = p.AccountID
	if f.Limit <= 0 {
		f.Limit = 100
	}
	f.Limit = min(f.Limit, MaxActivityPage)
	return v.store.ListActivity(ctx, f)
}

// ActivityDays lists the UTC dates with activity for the caller's account,
// newest first (GET /v3/l). ENOTFOUND when there are none.
func (v *Vault) ActivityDays(ctx context.Context, cred Credentials) ([]time.Time, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	days, err := v.store.ActivityDays(ctx, p.AccountID)
	if err == nil && len(days) == 0 {
		return nil, Errorf(ENOTFOUND, "%s", MsgNoLogs)
	}
	return days, err
}

// ActivityOfDay returns all of one UTC day's activity of the caller's
// account, oldest first (GET /v3/l/{DD-MM-YYYY}). ENOTFOUND when there is
// none.
func (v *Vault) ActivityOfDay(ctx context.Context, cred Credentials, day time.Time) ([]Activity, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	f := ActivityFilter{AccountID: p.AccountID, Since: day, Until: day.AddDate(0, 0, 1), Limit: MaxActivityPage}
	var all []Activity
	for {
		page, err := v.store.ListActivity(ctx, f)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < f.Limit {
			break
		}
		f.Before = page[len(page)-1].ID
	}
	if len(all) == 0 {
		return nil, Errorf(ENOTFOUND, MsgNoBackup, day.Format("02-01-2006"))
	}
	slices.Reverse(all)
	return all, nil
}
