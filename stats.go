package binvault

// CacheStats counts the lookups of one in-memory cache since the Vault
// started: a hit is answered from memory, a miss goes to the store.
type CacheStats struct {
	Hits, Misses uint64
}

// Stats is a snapshot of a Vault's caches and background work, for
// monitoring (package metrics exports it to Prometheus).
type Stats struct {
	// Bins caches the newest record of recently read bins; Keys, Accounts,
	// Collections and Schemas cache what every request looks up (API and
	// access keys by digest, account limits, a bin's collection and its
	// schema doc) until the store's AuthVersion moves.
	Bins, Keys, Accounts, Collections, Schemas CacheStats
	// BinCacheBytes is what the bin cache holds, records and overhead.
	BinCacheBytes int
	// ActivityQueueDepth is how many activity entries wait to be written;
	// ActivityQueueCapacity is how many may wait before requests do.
	ActivityQueueDepth, ActivityQueueCapacity int
	// LiveNodes is how many servers share the store, this one included.
	LiveNodes int
}

// Stats returns the Vault's counters as they are now. It never fails and
// costs a few uncontended lock acquisitions, so a scraper may call it often.
func (v *Vault) Stats() Stats {
	bins, size := v.bins.stats()
	return Stats{
		Bins:                  bins,
		Keys:                  v.keys.stats(),
		Accounts:              v.accounts.stats(),
		Collections:           v.colls.stats(),
		Schemas:               v.schemas.stats(),
		BinCacheBytes:         size,
		ActivityQueueDepth:    len(v.activity.ch),
		ActivityQueueCapacity: cap(v.activity.ch),
		LiveNodes:             v.LiveNodes(),
	}
}

func (c *binCache) stats() (CacheStats, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses}, c.size
}

func (c *epochCache[V]) stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses}
}
