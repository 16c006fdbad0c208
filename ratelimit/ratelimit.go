// Package ratelimit limits request rates with token buckets kept in memory,
// one bucket per string key (an API key id, a client IP).
//
// Each node keeps its own buckets, so with N API nodes behind a balancer the
// effective limit is N times the configured one.
//
// # Headers
//
// Decision.SetHeaders writes the fields of draft-ietf-httpapi-ratelimit-headers
// (RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset) on allowed and
// refused requests alike, so clients can pace themselves, and Retry-After on
// refusals. The limit is the bucket's burst and the remaining count is the
// whole tokens left after this request. The draft's "reset" has no single
// meaning for a token bucket; here it is the seconds until the bucket is full
// again, except when no whole token is left (remaining 0), where it is the
// seconds until the next token: the moment a retry can succeed, which is what
// a client that sees remaining 0 and waits for reset needs to know.
//
// # Failed authentications
//
// A second Limiter keyed by client IP, drained only by failed
// authentications, slows down key guessing without slowing honest clients.
// Before checking a key, the server calls Peek for the IP; while that bucket
// is empty the request is refused with 429 before the key is looked at, so a
// guesser learns nothing about keys. After a failed check the server calls
// Allow for the IP to take a token. See the example.
//
// # Memory
//
// Buckets live in 32 shards, each a map plus a least-recently-used list. A
// bucket that is full again is indistinguishable from a new one, so every call
// to Allow drops up to two full buckets from the idle end of its shard at no
// loss. When a shard still reaches its share of the entry cap, inserting a new
// key evicts the least recently used bucket even if it is not full: that key
// starts again with a full bucket, a bounded leniency towards the client idle
// the longest, while keys that keep hitting the limiter stay tracked.
package ratelimit

import (
	"hash/maphash"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxEntries is the bucket cap of a Limiter made without
// WithMaxEntries: about 20 MB of buckets at most (~190 bytes each, measured
// with IP-sized keys).
const DefaultMaxEntries = 100_000

// shardCount is a power of two so a hash picks a shard with a mask; 32 keeps
// lock contention low on a many-core server at a few KB of fixed cost.
const shardCount = 32

// Limiter is a set of token buckets keyed by string (a key id, an IP), safe
// for concurrent use. Make one with New.
type Limiter struct {
	limit      rate.Limit
	burst      int
	unlimited  bool
	now        func() time.Time
	maxEntries int
	seed       maphash.Seed
	shards     [shardCount]shard
}

// Option configures a Limiter made by New.
type Option func(*Limiter)

// WithClock makes the Limiter read time from now instead of time.Now, so
// tests decide when tokens come back.
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

// WithMaxEntries caps the number of buckets held at once; it is rounded up to
// a multiple of 32, the shard count. n <= 0 keeps DefaultMaxEntries.
func WithMaxEntries(n int) Option {
	return func(l *Limiter) {
		if n > 0 {
			l.maxEntries = n
		}
	}
}

// New returns a Limiter allowing r events per second per key with bursts of
// up to burst events. r <= 0 (or +Inf) means unlimited: Allow and Peek always
// allow and the decisions carry no headers. A burst below 1 is taken as 1,
// since a bucket that holds no token would refuse everything forever.
func New(r float64, burst int, opts ...Option) *Limiter {
	l := &Limiter{
		limit:      rate.Limit(r),
		burst:      max(burst, 1),
		unlimited:  !(r > 0) || math.IsInf(r, 1),
		now:        time.Now,
		maxEntries: DefaultMaxEntries,
		seed:       maphash.MakeSeed(),
	}
	for _, opt := range opts {
		opt(l)
	}
	perShard := (l.maxEntries + shardCount - 1) / shardCount
	for i := range l.shards {
		l.shards[i].init(perShard)
	}
	return l
}

// Unlimited reports whether this limiter never refuses (made with r <= 0),
// so callers can skip work that only feeds it, such as hashing a key.
func (l *Limiter) Unlimited() bool { return l.unlimited }

// Allow takes one token from key's bucket if it has one and reports the
// decision with what the response headers need.
func (l *Limiter) Allow(key string) Decision {
	if l.unlimited {
		return Decision{Allowed: true}
	}
	now := l.now()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.use(key, l.newBucket)
	allowed := e.bucket.AllowN(now, 1)
	tokens := e.bucket.TokensAt(now)
	e.fullAt = now.Add(l.durationFor(float64(l.burst) - tokens))
	s.sweep(now, 2)
	return l.decide(allowed, tokens)
}

// Peek reports whether key's bucket holds a token, without taking one and
// without creating a bucket for an unknown key (which has a full one). It is
// the gate in front of key checks for the failed-authentication limiter.
func (l *Limiter) Peek(key string) Decision {
	if l.unlimited {
		return Decision{Allowed: true}
	}
	now := l.now()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lookup(key)
	if e == nil {
		return l.decide(true, float64(l.burst))
	}
	tokens := e.bucket.TokensAt(now)
	return l.decide(tokens >= 1, tokens)
}

// Len returns the number of buckets held, for metrics and tests.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		n += l.shards[i].len()
	}
	return n
}

// shard picks key's shard with a per-Limiter random seed, so a client cannot
// choose keys that all land on one shard's lock.
func (l *Limiter) shard(key string) *shard {
	return &l.shards[maphash.String(l.seed, key)&(shardCount-1)]
}

func (l *Limiter) newBucket() *rate.Limiter {
	return rate.NewLimiter(l.limit, l.burst)
}

// decide turns a bucket's token count after the request into a Decision,
// applying the reset rule in the package comment.
func (l *Limiter) decide(allowed bool, tokens float64) Decision {
	d := Decision{Allowed: allowed, Limit: l.burst, Remaining: int(max(tokens, 0))}
	if tokens >= 1 {
		d.Reset = l.durationFor(float64(l.burst) - tokens)
		return d
	}
	d.Reset = l.durationFor(1 - tokens)
	if !allowed {
		d.RetryAfter = d.Reset
	}
	return d
}

// durationFor returns how long the bucket takes to gain tokens, rounded up to
// the nanosecond so a caller that waits that long finds them there.
func (l *Limiter) durationFor(tokens float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	ns := math.Ceil(tokens / float64(l.limit) * float64(time.Second))
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}
