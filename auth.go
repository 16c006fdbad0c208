package binvault

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// authenticate resolves the request's credentials and admits the request
// against the account's quota. It returns a nil Principal and no error when
// none were sent. A master key, if present, decides; an empty header counts
// as absent. A malformed key is refused before any store lookup. Errors
// carry the op's JSONBin wording.
func (v *Vault) authenticate(ctx context.Context, cred Credentials, op binOp) (*Principal, error) {
	r := op.rule()
	switch {
	case cred.Session != "":
		p, _, err := v.SessionPrincipal(ctx, cred.Session)
		return p, err
	case cred.MasterKey != "":
		return v.lookupKey(ctx, cred.MasterKey, KindAPI, r.badMaster)
	case cred.AccessKey != "":
		return v.lookupKey(ctx, cred.AccessKey, KindAccess, r.badAccess)
	}
	return nil, nil
}

// master authenticates a route that only the account's API keys may use.
// An access key there is answered as if no key had been sent.
func (v *Vault) master(ctx context.Context, cred Credentials, noKey string) (*Principal, error) {
	if cred.Session != "" {
		p, _, err := v.SessionPrincipal(ctx, cred.Session)
		return p, err
	}
	if cred.MasterKey == "" {
		return nil, Errorf(EUNAUTHORIZED, "%s", noKey)
	}
	return v.lookupKey(ctx, cred.MasterKey, KindAPI, MsgBadMasterKey)
}

func (v *Vault) lookupKey(ctx context.Context, secret string, kind KeyKind, msg string) (*Principal, error) {
	e, err := v.findKey(ctx, secret, kind, msg)
	if err != nil {
		return nil, err
	}
	v.used.touch(e, v.now())
	if err := v.admitAccount(ctx, e.principal.AccountID); err != nil {
		return nil, err
	}
	traceOf(ctx).setPrincipal(&e.principal)
	return &e.principal, nil
}

// findKey returns the cached entry of an unrevoked key of kind, loading
// it on a miss, without counting a request; EUNAUTHORIZED with msg for a
// malformed, unknown or revoked key.
func (v *Vault) findKey(ctx context.Context, secret string, kind KeyKind, msg string) (*keyEntry, error) {
	if k, err := v.format.Parse(secret); err != nil || k != kind {
		return nil, Errorf(EUNAUTHORIZED, "%s", msg)
	}
	digest := string(Digest(secret))
	e, err := v.keys.get(v.store, digest, func() (*keyEntry, error) {
		k, err := v.store.FindKeyByDigest(ctx, []byte(digest))
		if err != nil {
			return nil, err
		}
		return newKeyEntry(k), nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EUNAUTHORIZED, "%s", msg)
	}
	return e, err
}

// admitAccount counts a request against an account's quota.
func (v *Vault) admitAccount(ctx context.Context, accountID string) error {
	a, err := v.account(ctx, accountID)
	if err != nil {
		return err
	}
	return v.admit(ctx, a)
}

// account reads an account through the cache.
func (v *Vault) account(ctx context.Context, id string) (*Account, error) {
	return v.accounts.get(v.store, id, func() (*Account, error) {
		return v.store.FindAccount(ctx, id)
	})
}

// keyEntry is a cached, unrevoked key.
type keyEntry struct {
	principal Principal
	lastUsed  atomic.Int64 // unix nanoseconds; 0: never
	dirty     atomic.Bool  // lastUsed not yet written
}

func newKeyEntry(k *Key) *keyEntry {
	e := &keyEntry{principal: principalOf(k)}
	if !k.LastUsedAt.IsZero() {
		e.lastUsed.Store(k.LastUsedAt.UnixNano())
	}
	return e
}

func principalOf(k *Key) Principal {
	p := Principal{AccountID: k.AccountID, KeyID: k.ID, KeyPrefix: k.Prefix, Method: AuthAPIKey}
	if k.Kind == KindAccess {
		p.Method, p.Permissions = AuthAccessKey, k.Permissions
	}
	return p
}

// epochCache caches what another process may change (keys, account
// limits): it empties itself whenever the store's AuthVersion moves, so an
// authenticated request costs a map lookup and one atomic load.
type epochCache[V any] struct {
	mu      sync.Mutex
	version int64
	m       map[string]V

	hits, misses uint64 // counted under mu, read by Stats
}

func newEpochCache[V any]() *epochCache[V] { return &epochCache[V]{m: map[string]V{}} }

// get returns the cached value for k, or loads and caches it. A change
// that lands while load runs is not undone by caching what load read
// before it.
func (c *epochCache[V]) get(s KeyStore, k string, load func() (V, error)) (V, error) {
	version := s.AuthVersion()
	c.mu.Lock()
	if version != c.version {
		clear(c.m)
		c.version = version
	}
	v, ok := c.m[k]
	if ok {
		c.hits++
	} else {
		c.misses++
	}
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.version == version && s.AuthVersion() == version {
		c.m[k] = v
	}
	c.mu.Unlock()
	return v, nil
}

func (c *epochCache[V]) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// usedTracker debounces "last used" times: a request only stores a time in
// its cached key entry; entries used since the last flush are queued once
// and written together every FlushEvery and on Close.
type usedTracker struct {
	mu      sync.Mutex
	pending map[string]*keyEntry // by key id
}

func newUsedTracker() *usedTracker { return &usedTracker{pending: map[string]*keyEntry{}} }

func (t *usedTracker) touch(e *keyEntry, now time.Time) {
	e.lastUsed.Store(now.UnixNano())
	if !e.dirty.Swap(true) {
		t.mu.Lock()
		t.pending[e.principal.KeyID] = e
		t.mu.Unlock()
	}
}

// lastUsed returns the unflushed time for a key, if any.
func (t *usedTracker) lastUsed(keyID string) (time.Time, bool) {
	t.mu.Lock()
	e := t.pending[keyID]
	t.mu.Unlock()
	if e == nil {
		return time.Time{}, false
	}
	return time.Unix(0, e.lastUsed.Load()).UTC(), true
}

// flushUsed writes the pending "last used" times.
func (v *Vault) flushUsed(ctx context.Context) error {
	v.used.mu.Lock()
	pending := v.used.pending
	v.used.pending = map[string]*keyEntry{}
	v.used.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	times := make(map[string]time.Time, len(pending))
	for id, e := range pending {
		e.dirty.Store(false) // before reading, so a later touch queues it again
		times[id] = time.Unix(0, e.lastUsed.Load()).UTC()
	}
	err := v.store.TouchKeys(ctx, times)
	if err != nil {
		for _, e := range pending { // keep them for the next flush
			if !e.dirty.Swap(true) {
				v.used.mu.Lock()
				v.used.pending[e.principal.KeyID] = e
				v.used.mu.Unlock()
			}
		}
	}
	return err
}
