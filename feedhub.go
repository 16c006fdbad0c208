package binvault

import (
	"sort"
	"sync"
	"sync/atomic"
)

// feed is this server's side of every bin's change feed: for each bin that
// has (or recently had) subscribers here, a topic with its subscribers and
// a window of its recent states. Bins nobody subscribed to cost a map
// lookup per write and nothing else.
//
// Memory is bounded three ways: each window holds at most cfg.Window
// states, all windows together at most cfg.Bytes of records (the oldest
// state of any bin goes first), and each subscriber at most cfg.Buffer
// undelivered events, past which it is dropped rather than waited for.
// States are immutable *Bin values shared by windows, subscribers and the
// bin cache, never copied.
type feed struct {
	cfg  FeedConfig
	wake atomic.Pointer[chan struct{}] // closed when AuthVersion moves

	mu     sync.Mutex
	topics map[string]*topic
	kept   keptList // every kept state, oldest first, across topics
	size   int      // cost of the kept states
	closed bool
}

// topic is one bin's feed on this server. It lives while it has
// subscribers, pins (subscriptions being opened) or kept states, so that a
// client that reconnects soon after its last disconnection can resume.
type topic struct {
	id      string
	subs    map[*Subscription]struct{}
	pins    int
	latest  *Bin    // newest state published or read here; nil until then
	window  []*kept // oldest first; every one is also in feed.kept
	deleted bool
}

// kept is one state in a topic's window, linked into the feed's list of
// all kept states in the order they were published.
type kept struct {
	b          *Bin
	t          *topic
	prev, next *kept
}

func newFeed(cfg FeedConfig) *feed {
	f := &feed{cfg: cfg.withDefaults(), topics: map[string]*topic{}}
	ch := make(chan struct{})
	f.wake.Store(&ch)
	return f
}

func (f *feed) authWake() <-chan struct{} { return *f.wake.Load() }

// wakeAll makes every subscriber authorize itself again.
func (f *feed) wakeAll() {
	ch := make(chan struct{})
	close(*f.wake.Swap(&ch))
}

// pin returns id's topic, created if need be, and keeps it until unpin.
// EUNAVAILABLE once the feed is closed.
func (f *feed) pin(id string) (*topic, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errFeedEnded()
	}
	t := f.topics[id]
	if t == nil {
		t = &topic{id: id, subs: map[*Subscription]struct{}{}}
		f.topics[id] = t
	}
	t.pins++
	return t, nil
}

func (f *feed) unpin(t *topic) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t.pins--
	f.release(t)
}

// subscribe adds s to its pinned topic, given b, the bin as the caller's
// read found it, and queues what s missed after lastRev (see Subscribe).
// ENOTFOUND when the bin was deleted since the read; EUNAVAILABLE once the
// feed is closed.
func (f *feed) subscribe(s *Subscription, b *Bin, lastRev int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := s.t
	switch {
	case f.closed:
		return errFeedEnded()
	case t.deleted:
		return Errorf(ENOTFOUND, "%s", MsgBinNotFound)
	}
	// The read may have seen a state not yet published here (another
	// server's write): it is news to the current subscribers too.
	f.publishLocked(t, b)
	backlog := t.since(lastRev)
	s.c = make(chan Event, len(backlog)+f.cfg.Buffer)
	for _, b := range backlog {
		s.c <- Event{Kind: EventUpdate, Bin: b}
	}
	s.last = max(lastRev, t.latest.Rev)
	t.subs[s] = struct{}{}
	return nil
}

// since returns the states a subscriber that saw lastRev is missing.
func (t *topic) since(lastRev int64) []*Bin {
	switch {
	case lastRev >= t.latest.Rev:
		return nil
	case lastRev > 0 && len(t.window) > 0 && t.window[0].b.Rev <= lastRev+1:
		i := sort.Search(len(t.window), func(i int) bool { return t.window[i].b.Rev > lastRev })
		out := make([]*Bin, 0, len(t.window)-i)
		for _, k := range t.window[i:] {
			out = append(out, k.b)
		}
		return out
	}
	return []*Bin{t.latest}
}

// publish hands b to its topic, if this server has one.
func (f *feed) publish(b *Bin) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.topics[b.ID]; t != nil {
		f.publishLocked(t, b)
	}
}

// publishLocked keeps b and sends it to every subscriber that lacks it,
// unless a newer state was published already. A subscriber whose buffer
// is full is dropped. Caller holds mu.
func (f *feed) publishLocked(t *topic, b *Bin) {
	if t.deleted || (t.latest != nil && b.Rev <= t.latest.Rev) {
		return
	}
	f.keep(t, b)
	ev := Event{Kind: EventUpdate, Bin: b}
	for s := range t.subs {
		if b.Rev <= s.last {
			continue
		}
		select {
		case s.c <- ev:
			s.last = b.Rev
		default:
			f.end(s, errFeedEnded())
		}
	}
}

// deleted ends id's feed: its subscribers get an EventDelete (unless
// their buffer is full) and are dropped, and its window is forgotten.
func (f *feed) deleted(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.topics[id]; t != nil {
		f.deletedLocked(t)
	}
}

func (f *feed) deletedLocked(t *topic) {
	if t.deleted {
		return
	}
	t.deleted = true
	for len(t.window) > 0 {
		f.forget(t.window[0])
	}
	ev := Event{Kind: EventDelete, Bin: &Bin{ID: t.id}}
	for s := range t.subs {
		select {
		case s.c <- ev:
		default:
		}
		f.end(s, errFeedEnded())
	}
	f.release(t)
}

// watched returns the bins subscribed to here with the newest Rev
// published for each, for pollShared.
func (f *feed) watched() map[string]int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[string]int64, len(f.topics))
	for id, t := range f.topics {
		if t.latest != nil && !t.deleted {
			m[id] = t.latest.Rev
		}
	}
	return m
}

// close ends every feed; later subscriptions are refused.
func (f *feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, t := range f.topics {
		for s := range t.subs {
			f.end(s, errFeedEnded())
		}
	}
}

// end drops s from its topic and closes its channel; s's reader gets the
// events already queued, then err. Caller holds mu.
func (f *feed) end(s *Subscription, err error) {
	if s.ended != nil {
		return
	}
	s.ended = err
	close(s.c)
	delete(s.t.subs, s)
	f.release(s.t)
}

// keep adds b to t's window as its newest state, then forgets states past
// the window and the byte budget. Caller holds mu.
func (f *feed) keep(t *topic, b *Bin) {
	t.latest = b
	k := &kept{b: b, t: t}
	f.kept.push(k)
	t.window = append(t.window, k)
	f.size += cost(b)
	if len(t.window) > f.cfg.Window {
		f.forget(t.window[0])
	}
	for f.size > f.cfg.Bytes && f.kept.head != nil {
		f.forget(f.kept.head)
	}
}

// forget drops k, which is its topic's oldest kept state: states enter
// the list and their window in the same order. Caller holds mu.
func (f *feed) forget(k *kept) {
	f.kept.remove(k)
	f.size -= cost(k.b)
	t := k.t
	t.window[0] = nil
	t.window = t.window[1:]
	f.release(t)
}

// release forgets a topic nobody needs any more. Caller holds mu.
func (f *feed) release(t *topic) {
	if len(t.subs) == 0 && t.pins == 0 && len(t.window) == 0 && f.topics[t.id] == t {
		delete(f.topics, t.id)
	}
}

// keptList is a doubly linked list of kept states, oldest at head.
type keptList struct{ head, tail *kept }

func (l *keptList) push(k *kept) {
	k.prev = l.tail
	if l.tail != nil {
		l.tail.next = k
	} else {
		l.head = k
	}
	l.tail = k
}

func (l *keptList) remove(k *kept) {
	if k.prev != nil {
		k.prev.next = k.next
	} else {
		l.head = k.next
	}
	if k.next != nil {
		k.next.prev = k.prev
	} else {
		l.tail = k.prev
	}
	k.prev, k.next = nil, nil
}
