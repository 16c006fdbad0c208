package ratelimit

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// shard is one lock's worth of buckets: a map for lookup and an intrusive
// doubly linked list, most recently used first, for eviction. The list needs
// no allocation to reorder, so using an existing key allocates nothing.
type shard struct {
	mu         sync.Mutex
	entries    map[string]*entry
	head, tail *entry
	max        int
	_          [64]byte // keeps neighbouring shards' locks off one cache line
}

// entry is one key's bucket and its place in the shard's list.
type entry struct {
	key    string
	bucket *rate.Limiter
	// fullAt is when the bucket is full again, so sweep can test it
	// without taking the bucket's own lock.
	fullAt     time.Time
	prev, next *entry
}

func (s *shard) init(maxEntries int) {
	s.entries = make(map[string]*entry)
	s.max = maxEntries
}

func (s *shard) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// lookup returns key's entry, marked as just used, or nil.
func (s *shard) lookup(key string) *entry {
	e := s.entries[key]
	if e != nil && e != s.head {
		s.unlink(e)
		s.pushFront(e)
	}
	return e
}

// use returns key's entry, marked as just used, creating it if needed and
// evicting the least recently used entry when the shard is at its cap.
func (s *shard) use(key string, newBucket func() *rate.Limiter) *entry {
	if e := s.lookup(key); e != nil {
		return e
	}
	if len(s.entries) >= s.max {
		s.remove(s.tail)
	}
	// Clone so the map does not pin the request buffer key was sliced from.
	e := &entry{key: strings.Clone(key), bucket: newBucket()}
	s.entries[e.key] = e
	s.pushFront(e)
	return e
}

// sweep drops up to n buckets from the idle end that are full at now; a full
// bucket is what a new key gets, so dropping it loses nothing.
func (s *shard) sweep(now time.Time, n int) {
	for ; n > 0 && s.tail != nil && !now.Before(s.tail.fullAt); n-- {
		s.remove(s.tail)
	}
}

func (s *shard) remove(e *entry) {
	s.unlink(e)
	delete(s.entries, e.key)
}

func (s *shard) pushFront(e *entry) {
	e.prev, e.next = nil, s.head
	if s.head != nil {
		s.head.prev = e
	} else {
		s.tail = e
	}
	s.head = e
}

func (s *shard) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		s.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		s.tail = e.prev
	}
	e.prev, e.next = nil, nil
}
