package binvault

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Config holds the limits an operator controls.
type Config struct {
	// MaxBinSize is the largest record accepted, in bytes (default 1 MiB).
	MaxBinSize int
	// MaxDepth is the deepest nesting accepted in a record (default 100, as
	// MongoDB, which backs JSONBin, allows).
	MaxDepth int
	// MaxVersions is how many versions a bin keeps before versioned updates
	// overwrite the newest one instead (default 1000, as JSONBin).
	MaxVersions int
	// RequestsPerMonth, MaxBins and MaxAccessKeys are the instance-wide
	// defaults of account limits; 0 means none, except that MaxAccessKeys
	// defaults to 3 (seed 000) and is negative for none.
	RequestsPerMonth int64
	MaxBins          int
	MaxAccessKeys    int
	MaxCollections   int
	// NoVersioning forbids X-Bin-Versioning: true unless an account allows it.
	NoVersioning bool
	// FlushEvery is how often request counts and "last used" times are
	// written (default 1s); they are also written on Close.
	FlushEvery time.Duration
	// ActivityRetention is how long the activity log keeps entries
	// (default 90 days).
	ActivityRetention time.Duration
	// MaxCollections is the default collections per account; 0 means none.
	// Schemas validates bins against schema docs; nil accepts any schema
	// and validates nothing.
	Schemas SchemaValidator
	// Passwords hashes dashboard passwords (package password).
	Passwords PasswordHasher
	// SignUp is SignUpOpen or SignUpClosed (the default).
	SignUp string
	// SessionTTL is how long a dashboard session lasts (default 7 days).
	SessionTTL time.Duration
	// Serving marks a server (not a command-line run): it announces itself
	// with heartbeats so that servers sharing a store can divide rate
	// limits among themselves.
	Serving bool
	// Logger receives background failures (flushes); default discards.
	Logger *slog.Logger
	// CacheBytes bounds the in-memory cache of newest bin records (default
	// 32 MiB; 0 keeps the default, negative disables it). The Go heap can
	// hold up to about twice this before a collection reclaims evictions.
	CacheBytes int
	// Feed bounds the change feeds of bins (GET /v3/b/{id}/events).
	Feed FeedConfig
	// Now is the clock; tests replace it.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.MaxBinSize <= 0 {
		c.MaxBinSize = 1 << 20
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = 100
	}
	if c.MaxVersions <= 0 {
		c.MaxVersions = 1000
	}
	if c.MaxAccessKeys == 0 {
		c.MaxAccessKeys = 3
	} else if c.MaxAccessKeys < 0 {
		c.MaxAccessKeys = 0
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = sessionTTL
	}
	if c.FlushEvery <= 0 {
		c.FlushEvery = time.Second
	}
	if c.ActivityRetention <= 0 {
		c.ActivityRetention = 90 * 24 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.CacheBytes == 0 {
		c.CacheBytes = 32 << 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Vault applies binvault's rules on top of a Store: authentication,
// privacy, permissions, quotas, versioning and body validation; and it
// keeps the activity log. It is safe for concurrent use.
type Vault struct {
	store  Store
	format KeyFormat
	cfg    Config
	now    func() time.Time
	log    *slog.Logger

	keys     *epochCache[*keyEntry] // by key digest
	accounts *epochCache[*Account]  // by id
	colls    *epochCache[*Collection]
	schemas  *epochCache[*SchemaDoc]
	bins     *binCache
	meter    *requestMeter
	used     *usedTracker
	activity *recorder
	feed     *feed // change feeds of bins on this server

	node  string       // this server's id in heartbeats
	nodes atomic.Int64 // live servers sharing the store, this one included

	stop      chan struct{}
	done      sync.WaitGroup
	closeOnce sync.Once
}

// NewVault returns a Vault over store, using format to check keys. It
// starts background flushing; Close stops it.
func NewVault(store Store, format KeyFormat, cfg Config) *Vault {
	cfg = cfg.withDefaults()
	v := &Vault{
		store:    store,
		format:   format,
		cfg:      cfg,
		now:      func() time.Time { return cfg.Now().UTC() },
		log:      cfg.Logger,
		keys:     newEpochCache[*keyEntry](),
		accounts: newEpochCache[*Account](),
		colls:    newEpochCache[*Collection](),
		schemas:  newEpochCache[*SchemaDoc](),
		bins:     newBinCache(cfg.CacheBytes),
		meter:    newRequestMeter(),
		used:     newUsedTracker(),
		stop:     make(chan struct{}),
	}
	v.activity = newRecorder(store, cfg.Logger)
	v.node = NewID(v.now())
	v.nodes.Store(1)
	v.startFeed()
	if cfg.Serving {
		v.heartbeat(context.Background())
	}
	v.done.Go(v.flushLoop)
	return v
}

// nodeTTL is how long a silent server still counts as alive.
const nodeTTL = 10 * time.Second

// heartbeat announces this server and learns how many share the store.
func (v *Vault) heartbeat(ctx context.Context) {
	n, err := v.store.Heartbeat(ctx, v.node, v.now(), nodeTTL)
	if err != nil {
		v.log.Error("heartbeat", "error", err)
		return
	}
	v.nodes.Store(int64(n))
}

// LiveNodes is how many servers share the store, by their heartbeats in
// the last ten seconds; 1 for a server alone.
func (v *Vault) LiveNodes() int { return int(v.nodes.Load()) }

// MaxBinSize is the largest record accepted on this instance, in bytes;
// transports read at most one byte more than this. An account may have a
// smaller limit.
func (v *Vault) MaxBinSize() int { return v.cfg.MaxBinSize }

// Close stops background work after writing what it held: request counts,
// "last used" times and the activity log. It does not close the store,
// which the caller owns; call it after the last request has finished.
// Calling it again does nothing.
func (v *Vault) Close() error {
	v.closeOnce.Do(func() {
		close(v.stop)
		v.done.Wait()
		v.activity.close()
	})
	return nil
}

// flushLoop writes request counts and "last used" times every FlushEvery,
// prunes the activity log hourly, and flushes once more on Close.
func (v *Vault) flushLoop() {
	tick := time.NewTicker(v.cfg.FlushEvery)
	defer tick.Stop()
	var lastPrune time.Time
	for {
		select {
		case <-tick.C:
		case <-v.stop:
			v.flush(context.Background())
			return
		}
		v.flush(context.Background())
		if v.cfg.Serving {
			v.heartbeat(context.Background())
		}
		if now := v.now(); now.Sub(lastPrune) > time.Hour {
			lastPrune = now
			if _, err := v.store.PruneActivity(context.Background(), now.Add(-v.cfg.ActivityRetention)); err != nil {
				v.log.Error("prune activity log", "error", err)
			}
		}
	}
}

func (v *Vault) flush(ctx context.Context) {
	if err := v.flushRequests(ctx); err != nil {
		v.log.Error("flush request counts", "error", err)
	}
	if err := v.flushUsed(ctx); err != nil {
		v.log.Error("flush key last-used times", "error", err)
	}
}

// Ping checks that the store answers.
func (v *Vault) Ping(ctx context.Context) error {
	_, err := v.store.CountAccounts(ctx)
	return err
}
