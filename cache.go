package binvault

import (
	"math"
	"sync"
)

// entryOverhead is what an entry costs beyond its record: the Bin struct,
// its strings and the map slot, so that the limit bounds real memory.
const entryOverhead = 256

// binCache keeps the newest state of recently used bins in memory, so that
// a read costs a map lookup instead of a store round trip. Entries are
// immutable *Bin values; a newer Rev always wins, and a fill from a store
// read is dropped if any write or eviction happened since the read began,
// so a slow reader can never put back a state older than what was written.
type binCache struct {
	mu    sync.Mutex
	limit int // bytes of records; <0 disables the cache
	size  int
	gen   uint64 // bumped by every put, remove and eviction
	m     map[string]*Bin

	hits, misses uint64 // counted under mu, read by Stats
}

func newBinCache(limit int) *binCache {
	return &binCache{limit: limit, m: map[string]*Bin{}}
}

// get returns the cached bin, or nil; deleted reports a bin known to be
// deleted on this node.
func (c *binCache) get(id string) (b *Bin, deleted bool) {
	c.mu.Lock()
	b = c.m[id]
	if b != nil {
		c.hits++
	} else {
		c.misses++
	}
	c.mu.Unlock()
	if b != nil && b.Rev == math.MaxInt64 {
		return nil, true
	}
	return b, false
}

// generation is read before a store read whose result will be filled in.
func (c *binCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores b after a write, unless a newer state is already cached.
func (c *binCache) put(b *Bin) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if old := c.m[b.ID]; old != nil && old.Rev > b.Rev {
		return
	}
	c.store(b)
}

// fill stores b after a store read that began at generation gen.
func (c *binCache) fill(b *Bin, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.m[b.ID] == nil {
		c.store(b)
	}
}

// invalidate forgets id, so the next read goes to the store.
func (c *binCache) invalidate(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.drop(id)
}

// deleted records that a bin is gone. The tombstone outranks any Rev, so a
// write that raced with the delete cannot bring the bin back into the
// cache; ids are never reused, so it stays true until evicted.
func (c *binCache) deleted(id string) {
	c.put(&Bin{ID: id, Rev: math.MaxInt64})
}

// store inserts b and evicts arbitrary entries (Go's map order is random)
// until the records fit in the limit again. Caller holds mu.
func (c *binCache) store(b *Bin) {
	if c.limit < 0 || len(b.Record) > c.limit/4 {
		c.drop(b.ID)
		return
	}
	c.drop(b.ID)
	c.m[b.ID] = b
	c.size += cost(b)
	for id := range c.m {
		if c.size <= c.limit {
			break
		}
		if id != b.ID {
			c.gen++
			c.drop(id)
		}
	}
}

func cost(b *Bin) int { return len(b.Record) + entryOverhead }

func (c *binCache) drop(id string) {
	if old := c.m[id]; old != nil {
		c.size -= cost(old)
		delete(c.m, id)
	}
}
