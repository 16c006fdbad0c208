package binvault

import (
	"context"
	"time"
)

// FeedConfig bounds the change feeds of bins (GET /v3/b/{id}/events). Each
// server keeps what it needs in memory; nothing of a feed is stored.
type FeedConfig struct {
	// Window is how many recent states of each subscribed bin a server
	// keeps for subscribers that reconnect with the last event id they saw
	// (default 100).
	Window int
	// Bytes bounds the records of all those windows together (default 16
	// MiB); past it, the oldest kept states of any bin are forgotten first.
	Bytes int
	// Buffer is how many events a subscriber may fall behind before it is
	// dropped (default 64): a slow reader must not hold back the writer.
	Buffer int
	// Poll is how often a server on a shared store (SharedBinStore) looks
	// for other servers' changes of the bins subscribed to on it (default
	// 100ms): the most their events lag behind this server's own.
	Poll time.Duration
}

func (c FeedConfig) withDefaults() FeedConfig {
	if c.Window <= 0 {
		c.Window = 100
	}
	if c.Bytes <= 0 {
		c.Bytes = 16 << 20
	}
	if c.Buffer <= 0 {
		c.Buffer = 64
	}
	if c.Poll <= 0 {
		c.Poll = 100 * time.Millisecond
	}
	return c
}

// authPoll is how often the feed looks at the store's AuthVersion, so that
// a revoked key ends its streams within the second that docs/deploy.md
// promises for requests, without any per-subscriber timer.
const authPoll = 250 * time.Millisecond

// EventKind tells what an Event says.
type EventKind uint8

// The kinds of Event.
const (
	// EventHeartbeat: nothing changed; time to tell the client so.
	EventHeartbeat EventKind = iota
	// EventUpdate: Bin is the bin's new state, record included. Any change
	// is one: a new record, dropped versions, a new name or privacy.
	EventUpdate
	// EventDelete: the bin was deleted (Bin has only its ID); the feed
	// ends.
	EventDelete
)

// Event is one thing a change feed tells its subscriber.
type Event struct {
	Kind EventKind
	Bin  *Bin // immutable; shared by every subscriber
}

// SharedBinStore is implemented by stores that several servers share
// (PostgreSQL). Other servers' writes do not pass through this Vault, so
// its change feeds poll for them.
type SharedBinStore interface {
	// BinRevs returns the current Rev of each of ids that exists; deleted
	// and unknown bins are absent, not an error. Failing to reach the
	// database wraps ErrUnavailable (EUNAVAILABLE).
	BinRevs(ctx context.Context, ids []string) (map[string]int64, error)
}

// Subscription is one subscriber of a bin's change feed. Next returns its
// events in Rev order; Close ends it. It is used by one goroutine.
type Subscription struct {
	v     *Vault
	f     *feed
	t     *topic
	cred  Credentials
	c     chan Event // closed by the feed when it drops the subscriber
	ended error      // why c was closed; under f.mu
	last  int64      // newest Rev sent into c; under f.mu

	// What the last authorization decided on, so that an unchanged
	// AuthVersion and an unchanged privacy cost no lookup.
	bin     *Bin
	authVer int64
	key     *keyEntry // the key's cache entry, touched by heartbeats
}

// Subscribe opens the change feed of bin id for the caller, with ReadBin's
// rules and errors (EINVALID, ENOTFOUND, EUNAUTHORIZED, EFORBIDDEN); it
// counts one request. lastRev is the Rev of the last event the caller saw
// (0: none). The feed first sends what the caller missed:
//
//   - lastRev 0: the bin's current state, so a client needs no separate
//     read to start;
//   - lastRev inside this server's window: every kept state after it;
//   - lastRev older than the window (a gap): the current state only, which
//     is all a client needs to resynchronise, since every event carries the
//     whole bin;
//   - lastRev at or past the current state: nothing.
//
// Then it sends each change as it is committed: this server's writes at
// once, other servers' (SharedBinStore) within FeedConfig.Poll. A state
// superseded before this server saw it (several writes on another server
// within one poll, or two racing writers here) may be skipped; the newest
// state never is, and Rev never goes back.
func (v *Vault) Subscribe(ctx context.Context, cred Credentials, id string, lastRev int64) (*Subscription, error) {
	if !ValidID(id) {
		return nil, Errorf(EINVALID, "%s", MsgInvalidBinID)
	}
	// Pinned before the bin is read: a change committed after the read is
	// then published to the topic, or was already in what the read saw.
	t, err := v.feed.pin(id)
	if err != nil {
		return nil, err
	}
	defer v.feed.unpin(t)
	authVer := v.store.AuthVersion()
	b, _, err := v.binFor(ctx, cred, id, opRead)
	if err != nil {
		return nil, err
	}
	s := &Subscription{v: v, f: v.feed, t: t, cred: cred, bin: b, authVer: authVer}
	if _, s.key, err = v.recheck(ctx, cred); err != nil {
		return nil, err
	}
	if err := v.feed.subscribe(s, b, lastRev); err != nil {
		return nil, err
	}
	return s, nil
}

// Next waits for the subscription's next event, or for tick, on which it
// returns an EventHeartbeat. Every event and every tick is authorized
// anew, as a read would be now; so is every change of the store's
// AuthVersion (a revoked key, from any process or server), within
// authPoll. It returns an error when the stream must end: the read route's
// EUNAUTHORIZED or EFORBIDDEN once the caller may no longer read the bin,
// EUNAVAILABLE when the subscriber fell behind or the Vault closed (the
// client should reconnect with the last event id it saw), or ctx's error.
// After an EventDelete the feed has ended.
func (s *Subscription) Next(ctx context.Context, tick <-chan time.Time) (Event, error) {
	for {
		// Taken before the check: a move of AuthVersion after the check
		// closes wake.
		wake := s.f.authWake()
		if err := s.check(ctx, s.bin); err != nil {
			return Event{}, err
		}
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case ev, ok := <-s.c:
			if !ok {
				return Event{}, s.endedErr()
			}
			if ev.Kind == EventUpdate {
				if err := s.check(ctx, ev.Bin); err != nil {
					return Event{}, err
				}
			}
			return ev, nil
		case <-wake:
		case <-tick:
			if s.key != nil {
				s.v.used.touch(s.key, s.v.now()) // a stream is a use of its key
			}
			return Event{Kind: EventHeartbeat}, nil
		}
	}
}

// Close ends the subscription. Calling it again does nothing.
func (s *Subscription) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.end(s, errFeedEnded())
}

func (s *Subscription) endedErr() error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	return s.ended
}

// check decides whether the caller may still read b: at once when neither
// AuthVersion nor b's owner and privacy changed since the last decision,
// otherwise by resolving the credentials again, without counting a
// request. Dashboard sessions are not covered by AuthVersion and are
// looked up every time.
func (s *Subscription) check(ctx context.Context, b *Bin) error {
	ver := s.v.store.AuthVersion()
	if ver == s.authVer && s.cred.Session == "" && b.Private == s.bin.Private && b.AccountID == s.bin.AccountID {
		s.bin = b
		return nil
	}
	p, key, err := s.v.recheck(ctx, s.cred)
	if err == nil {
		err = authorize(p, opRead, b)
	}
	if err != nil {
		return err
	}
	s.bin, s.authVer, s.key = b, ver, key
	return nil
}

// recheck resolves credentials as authenticate does, with the read route's
// messages, but counts no request: a long stream is one request however
// often its key is looked at again.
func (v *Vault) recheck(ctx context.Context, cred Credentials) (*Principal, *keyEntry, error) {
	r := opRead.rule()
	var e *keyEntry
	var err error
	switch {
	case cred.Session != "":
		s, err := v.CheckSession(ctx, cred.Session)
		if err != nil {
			return nil, nil, err
		}
		return &Principal{AccountID: s.AccountID, Method: AuthSession, KeyID: s.ID}, nil, nil
	case cred.MasterKey != "":
		e, err = v.findKey(ctx, cred.MasterKey, KindAPI, r.badMaster)
	case cred.AccessKey != "":
		e, err = v.findKey(ctx, cred.AccessKey, KindAccess, r.badAccess)
	default:
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return &e.principal, e, nil
}

// errFeedEnded is why a subscriber's feed ended when it is not the
// caller's fault: it fell behind, or the server is closing.
func errFeedEnded() error { return Errorf(EUNAVAILABLE, "%s", MsgFeedEnded) }

// publish hands a bin's new state, just committed, to its subscribers on
// this server. Every write path calls it after its store write succeeded
// (next to v.bins.put); a state older than one already published is
// ignored, so racing writers never make a feed go back.
func (v *Vault) publish(b *Bin) { v.feed.publish(b) }

// publishDeleted tells a deleted bin's subscribers on this server, and
// ends their feeds.
func (v *Vault) publishDeleted(id string) { v.feed.deleted(id) }

// startFeed starts the feed's background work: the AuthVersion poll, and
// on a shared store the poll for other servers' changes. Both stop, and
// every feed ends, when the Vault closes.
func (v *Vault) startFeed() {
	v.feed = newFeed(v.cfg.Feed)
	v.done.Go(v.pollAuth)
	if s, ok := v.store.(SharedBinStore); ok {
		v.done.Go(func() { v.pollShared(s) })
	}
}

// pollAuth wakes every subscriber when AuthVersion moves.
func (v *Vault) pollAuth() {
	tick := time.NewTicker(authPoll)
	defer tick.Stop()
	last := v.store.AuthVersion()
	for {
		select {
		case <-v.stop:
			v.feed.close()
			return
		case <-tick.C:
		}
		if ver := v.store.AuthVersion(); ver != last {
			last = ver
			v.feed.wakeAll()
		}
	}
}

// pollShared publishes here the changes other servers made to bins
// subscribed to on this server: every FeedConfig.Poll, one BinRevs lookup
// of them all, then a read of each that moved. A bin gone from the store
// was deleted. While the store cannot be reached the feeds only lag; the
// failure is logged once.
func (v *Vault) pollShared(s SharedBinStore) {
	tick := time.NewTicker(v.feed.cfg.Poll)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-v.stop:
			return
		case <-tick.C:
		}
		known := v.feed.watched()
		if len(known) == 0 {
			continue
		}
		err := v.catchUp(s, known)
		if err != nil && !failing {
			v.log.Error("change feed: look for other servers' writes", "error", err)
		}
		failing = err != nil
	}
}

// catchUp publishes every bin of known (id → newest Rev published here)
// that another server changed or deleted.
func (v *Vault) catchUp(s SharedBinStore, known map[string]int64) error {
	ctx := context.Background()
	ids := make([]string, 0, len(known))
	for id := range known {
		ids = append(ids, id)
	}
	revs, err := s.BinRevs(ctx, ids)
	if err != nil {
		return err
	}
	for id, rev := range known {
		cur, ok := revs[id]
		if !ok {
			v.feed.deleted(id)
			continue
		} else if cur <= rev {
			continue
		}
		b, err := v.store.FindBin(ctx, id)
		if ErrorCode(err) == ENOTFOUND {
			v.feed.deleted(id)
		} else if err != nil {
			return err
		} else {
			v.feed.publish(b)
		}
	}
	return nil
}
