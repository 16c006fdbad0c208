package binvault

import (
	"strings"
	"testing"
)

// The feed's bookkeeping, without a store: what a subscriber is sent,
// what is kept, and what is forgotten.
func TestFeedHub(t *testing.T) {
	const id = "0123456789abcdef01234567"
	state := func(rev int64) *Bin { return &Bin{ID: id, Rev: rev, Record: []byte(`{"n":1}`)} }
	publish := func(f *feed, from, to int64) {
		for rev := from; rev <= to; rev++ {
			f.publish(state(rev))
		}
	}
	// subscribe opens a subscription the way Vault.Subscribe does, given
	// the state its read found.
	subscribe := func(t *testing.T, f *feed, read *Bin, lastRev int64) *Subscription {
		t.Helper()
		tp, err := f.pin(read.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer f.unpin(tp)
		s := &Subscription{f: f, t: tp}
		if err := f.subscribe(s, read, lastRev); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// queued drains what s has been sent, and reports whether its channel
	// was closed.
	queued := func(s *Subscription) (revs []int64, closed bool) {
		for {
			select {
			case ev, ok := <-s.c:
				if !ok {
					return revs, true
				}
				if ev.Kind == EventDelete {
					revs = append(revs, -1)
				} else {
					revs = append(revs, ev.Bin.Rev)
				}
			default:
				return revs, false
			}
		}
	}
	equal := func(a, b []int64) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}

	t.Run("FirstEventIsTheCurrentState", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		s := subscribe(t, f, state(3), 0)
		publish(f, 4, 5)
		if got, _ := queued(s); !equal(got, []int64{3, 4, 5}) {
			t.Fatalf("sent %v, want [3 4 5]", got)
		}
	})
	t.Run("ResumeInsideTheWindowSendsEachMissedState", func(t *testing.T) {
		f := newFeed(FeedConfig{Window: 5})
		first := subscribe(t, f, state(1), 0)
		publish(f, 2, 10)
		first.Close()
		s := subscribe(t, f, state(10), 7)
		if got, _ := queued(s); !equal(got, []int64{8, 9, 10}) {
			t.Fatalf("sent %v, want [8 9 10]", got)
		}
	})
	t.Run("ResumeAtTheWindowsEdgeIsNoGap", func(t *testing.T) {
		f := newFeed(FeedConfig{Window: 5})
		subscribe(t, f, state(1), 0)
		publish(f, 2, 10) // window: 6..10
		if got, _ := queued(subscribe(t, f, state(10), 5)); !equal(got, []int64{6, 7, 8, 9, 10}) {
			t.Fatalf("sent %v, want 6..10", got)
		}
	})
	t.Run("GapSendsTheCurrentStateOnly", func(t *testing.T) {
		f := newFeed(FeedConfig{Window: 5})
		subscribe(t, f, state(1), 0)
		publish(f, 2, 10) // window: 6..10
		if got, _ := queued(subscribe(t, f, state(10), 4)); !equal(got, []int64{10}) {
			t.Fatalf("sent %v, want [10]", got)
		}
	})
	t.Run("UpToDateSendsNothingUntilTheNextWrite", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		s := subscribe(t, f, state(4), 4)
		if got, _ := queued(s); len(got) != 0 {
			t.Fatalf("sent %v to an up-to-date subscriber", got)
		}
		publish(f, 5, 5)
		if got, _ := queued(s); !equal(got, []int64{5}) {
			t.Fatalf("sent %v, want [5]", got)
		}
	})
	t.Run("AReadNewerThanThePublishedStateReachesEveryone", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		a := subscribe(t, f, state(2), 0)
		b := subscribe(t, f, state(5), 0) // another server wrote 3..5
		if got, _ := queued(a); !equal(got, []int64{2, 5}) {
			t.Fatalf("first subscriber got %v, want [2 5]", got)
		}
		if got, _ := queued(b); !equal(got, []int64{5}) {
			t.Fatalf("second subscriber got %v, want [5]", got)
		}
	})
	t.Run("OlderStateIsNeverSent", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		s := subscribe(t, f, state(1), 0)
		f.publish(state(3))
		f.publish(state(2)) // a slower writer's older state
		if got, _ := queued(s); !equal(got, []int64{1, 3}) {
			t.Fatalf("sent %v, want [1 3]", got)
		}
	})
	t.Run("SlowSubscriberIsDroppedNotWaitedFor", func(t *testing.T) {
		f := newFeed(FeedConfig{Buffer: 2})
		slow := subscribe(t, f, state(1), 0) // room for its backlog and 2 more
		fast := subscribe(t, f, state(1), 0)
		for rev := int64(2); rev <= 6; rev++ {
			f.publish(state(rev)) // never blocks
			queued(fast)
		}
		got, closed := queued(slow)
		if !equal(got, []int64{1, 2, 3}) || !closed {
			t.Fatalf("slow subscriber got %v (closed %v), want [1 2 3] then the end", got, closed)
		}
		if code := ErrorCode(slow.ended); code != EUNAVAILABLE {
			t.Fatalf("slow subscriber ended with %v, want %s", slow.ended, EUNAVAILABLE)
		}
		f.publish(state(7))
		if got, closed := queued(fast); !equal(got, []int64{7}) || closed {
			t.Fatalf("fast subscriber got %v (closed %v) after the slow one was dropped", got, closed)
		}
	})
	t.Run("DeletionEndsEveryFeedOfTheBin", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		s := subscribe(t, f, state(1), 0)
		f.deleted(id)
		if got, closed := queued(s); !equal(got, []int64{1, -1}) || !closed {
			t.Fatalf("sent %v (closed %v), want the state, a deletion, the end", got, closed)
		}
		if len(f.topics) != 0 || f.size != 0 {
			t.Fatalf("%d topics, %d bytes kept after the deletion", len(f.topics), f.size)
		}
	})
	t.Run("DeletionDuringSubscribeIsNotFound", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		tp, _ := f.pin(id)
		defer f.unpin(tp)
		f.deleted(id) // between the caller's read and its subscription
		err := f.subscribe(&Subscription{f: f, t: tp}, state(1), 0)
		if ErrorCode(err) != ENOTFOUND {
			t.Fatalf("subscribe: %v, want %s", err, ENOTFOUND)
		}
	})
	t.Run("WatchedListsTheSubscribedBinsAndTheirRevs", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		subscribe(t, f, state(3), 0)
		f.publish(state(4))
		if got := f.watched(); len(got) != 1 || got[id] != 4 {
			t.Fatalf("watched %v, want %s at 4", got, id)
		}
		f.deleted(id)
		if got := f.watched(); len(got) != 0 {
			t.Fatalf("watched %v after the deletion", got)
		}
	})
	t.Run("WindowHoldsTheLastStates", func(t *testing.T) {
		f := newFeed(FeedConfig{Window: 3})
		subscribe(t, f, state(1), 0)
		publish(f, 2, 50)
		w := f.topics[id].window
		if len(w) != 3 || w[0].b.Rev != 48 || w[2].b.Rev != 50 {
			t.Fatalf("window of %d states from %d", len(w), w[0].b.Rev)
		}
	})
	t.Run("ByteBudgetForgetsTheOldestStateOfAnyBin", func(t *testing.T) {
		big := func(id string, rev int64) *Bin {
			return &Bin{ID: id, Rev: rev, Record: []byte(`"` + strings.Repeat("x", 1000) + `"`)}
		}
		other := "fedcba9876543210fedcba98"
		f := newFeed(FeedConfig{Window: 100, Bytes: 4 * cost(big(id, 1))})
		subscribe(t, f, big(id, 1), 0)
		subscribe(t, f, big(other, 1), 0)
		f.publish(big(id, 2))
		f.publish(big(other, 2))
		f.publish(big(other, 3)) // over budget: id's rev 1 goes
		if w := f.topics[id].window; len(w) != 1 || w[0].b.Rev != 2 {
			t.Fatalf("%s kept %d states", id, len(w))
		}
		if w := f.topics[other].window; len(w) != 3 {
			t.Fatalf("%s kept %d states, want 3", other, len(w))
		}
		if f.size > f.cfg.Bytes {
			t.Fatalf("%d bytes kept over a budget of %d", f.size, f.cfg.Bytes)
		}
	})
	t.Run("IdleTopicKeptForResumeThenReleased", func(t *testing.T) {
		f := newFeed(FeedConfig{Window: 2, Bytes: 1})
		s := subscribe(t, f, state(1), 0)
		s.Close()
		// A budget of one byte keeps nothing, so nothing is left to
		// resume from and the topic goes.
		if len(f.topics) != 0 || f.kept.head != nil || f.size != 0 {
			t.Fatalf("%d topics, %d bytes after the last subscriber left", len(f.topics), f.size)
		}
		f = newFeed(FeedConfig{Window: 2})
		subscribe(t, f, state(1), 0).Close()
		publish(f, 2, 3) // written while the client reconnects
		if got, _ := queued(subscribe(t, f, state(3), 1)); !equal(got, []int64{2, 3}) {
			t.Fatalf("resumed with %v, want [2 3]", got)
		}
	})
	t.Run("CloseEndsEveryFeedAndRefusesNewOnes", func(t *testing.T) {
		f := newFeed(FeedConfig{})
		s := subscribe(t, f, state(1), 0)
		f.close()
		if _, closed := queued(s); !closed || ErrorCode(s.ended) != EUNAVAILABLE {
			t.Fatalf("open after close (ended %v)", s.ended)
		}
		if _, err := f.pin(id); ErrorCode(err) != EUNAVAILABLE {
			t.Fatalf("pin after close: %v", err)
		}
	})
}
