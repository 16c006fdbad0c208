package binvault

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Quota is an account's effective limits: its own where set, the
// instance's otherwise. A limit of 0 means none.
type Quota struct {
	RequestsPerMonth int64 `json:"requestsPerMonth"`
	MaxBins          int   `json:"maxBins"`
	MaxBinSize       int   `json:"maxBinSize"`
	MaxAccessKeys    int   `json:"maxAccessKeys"`
	Versioning       bool  `json:"versioning"`
	MaxCollections   int   `json:"maxCollections"`
}

// quotaOf resolves an account's limits against the instance defaults.
func (v *Vault) quotaOf(a *Account) Quota {
	q := Quota{
		RequestsPerMonth: v.cfg.RequestsPerMonth, MaxBins: v.cfg.MaxBins, MaxCollections: v.cfg.MaxCollections,
		MaxBinSize: v.cfg.MaxBinSize, MaxAccessKeys: v.cfg.MaxAccessKeys, Versioning: !v.cfg.NoVersioning,
	}
	l := a.Limits
	if l.RequestsPerMonth != nil {
		q.RequestsPerMonth = *l.RequestsPerMonth
	}
	if l.MaxBins != nil {
		q.MaxBins = *l.MaxBins
	}
	// An account may have less than the instance's bin size, not more:
	// the transport reads no more than the instance allows.
	if l.MaxBinSize != nil && *l.MaxBinSize > 0 && *l.MaxBinSize < q.MaxBinSize {
		q.MaxBinSize = *l.MaxBinSize
	}
	if l.MaxAccessKeys != nil {
		q.MaxAccessKeys = *l.MaxAccessKeys
	}
	if l.Versioning != nil {
		q.Versioning = *l.Versioning
	}
	if l.MaxCollections != nil {
		q.MaxCollections = *l.MaxCollections
	}
	return q
}

// period is the calendar month (UTC) requests are counted in.
func period(t time.Time) string { return t.UTC().Format("2006-01") }

// dayPeriod is the layout of the daily counts kept beside the monthly ones.
const dayPeriod = "2006-01-02"

// DayCount is one day's requests of an account.
type DayCount struct {
	Day      time.Time
	Requests int64
}

// DailyRequests returns the caller's requests per UTC day for the last
// days days, oldest first, today's including what is not yet flushed.
func (v *Vault) DailyRequests(ctx context.Context, cred Credentials, days int) ([]DayCount, error) {
	p, err := v.master(ctx, cred, MsgNoKey)
	if err != nil {
		return nil, err
	}
	today := v.now().Truncate(24 * time.Hour)
	out := make([]DayCount, 0, days)
	for i := days - 1; i >= 0; i-- {
		d := today.AddDate(0, 0, -i)
		n, err := v.store.Requests(ctx, p.AccountID, d.Format(dayPeriod))
		if err != nil {
			return nil, err
		}
		out = append(out, DayCount{Day: d, Requests: n})
	}
	out[len(out)-1].Requests += v.meter.entry(p.AccountID, period(today)).pending.Load()
	return out, nil
}

// requestMeter counts requests per account in memory and flushes the
// counts to the store in batches, so that counting a request is not a
// write. Between flushes, other nodes' requests are not seen: the quota
// may be overshot by what the nodes serve in one flush interval.
type requestMeter struct {
	mu     sync.Mutex
	period string
	counts map[string]*meterEntry
}

type meterEntry struct {
	base    atomic.Int64 // count in the store when last read
	pending atomic.Int64 // counted here, not yet flushed
	loaded  sync.Once
}

func newRequestMeter() *requestMeter { return &requestMeter{counts: map[string]*meterEntry{}} }

// entry returns the account's counter for the current period.
func (m *requestMeter) entry(accountID, p string) *meterEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p != m.period {
		// A new month: unflushed counts of the old one are written by the
		// next flush from the snapshot it takes; start afresh.
		m.period, m.counts = p, map[string]*meterEntry{}
	}
	e := m.counts[accountID]
	if e == nil {
		e = &meterEntry{}
		m.counts[accountID] = e
	}
	return e
}

// admit counts one request for the account and refuses it with EFORBIDDEN
// when the month's quota is used up.
func (v *Vault) admit(ctx context.Context, a *Account) error {
	q := v.quotaOf(a)
	now := v.now()
	p := period(now)
	e := v.meter.entry(a.ID, p)
	e.loaded.Do(func() {
		if n, err := v.store.Requests(ctx, a.ID, p); err == nil {
			e.base.Store(n)
		}
	})
	if q.RequestsPerMonth > 0 && e.base.Load()+e.pending.Load() >= q.RequestsPerMonth {
		return Errorf(EFORBIDDEN, MsgRequestsExhausted, q.RequestsPerMonth, p)
	}
	e.pending.Add(1)
	return nil
}

// flushRequests writes the pending counts and refreshes each counter's
// base from the store, which also picks up other nodes' requests.
func (v *Vault) flushRequests(ctx context.Context) error {
	v.meter.mu.Lock()
	p, entries := v.meter.period, make(map[string]*meterEntry, len(v.meter.counts))
	for id, e := range v.meter.counts {
		entries[id] = e
	}
	v.meter.mu.Unlock()
	counts := map[string]int64{}
	for id, e := range entries {
		if n := e.pending.Swap(0); n > 0 {
			counts[id] = n
			e.base.Add(n)
		}
	}
	if len(counts) == 0 {
		return nil
	}
	// The same counts by day, for the dashboard's chart; a count lands on the
	// day it is flushed, at most a flush interval late.
	if err := v.store.AddRequests(ctx, v.now().Format(dayPeriod), counts); err != nil {
		v.log.Error("flush daily request counts", "error", err) // the chart only; the quota goes on
	}
	if err := v.store.AddRequests(ctx, p, counts); err != nil {
		for id, n := range counts { // keep them for the next flush
			entries[id].pending.Add(n)
			entries[id].base.Add(-n)
		}
		return fmt.Errorf("flush request counts: %w", err)
	}
	for id := range counts {
		if n, err := v.store.Requests(ctx, id, p); err == nil {
			entries[id].base.Store(n)
		}
	}
	return nil
}
