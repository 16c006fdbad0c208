package binvault_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/sqlite"
)

func TestStats(t *testing.T) {
	ctx := t.Context()
	s, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v := binvault.NewVault(s, keys.Format{}, binvault.Config{})
	t.Cleanup(func() { v.Close() })
	secret, err := v.Bootstrap(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cred := binvault.Credentials{MasterKey: secret}
	b, err := v.CreateBin(ctx, cred, binvault.BinCreate{Record: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := v.ReadBin(ctx, cred, b.ID, binvault.Latest); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := v.ReadBin(ctx, cred, binvault.NewID(time.Now()), binvault.Latest); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("reading a missing bin: %v, want ENOTFOUND", err)
	}
	st := v.Stats()
	t.Run("BinCacheCountsReads", func(t *testing.T) {
		// The created bin is cached by its write: both reads hit; the
		// missing bin goes to the store.
		if want := (binvault.CacheStats{Hits: 2, Misses: 1}); st.Bins != want {
			t.Errorf("Bins = %+v, want %+v", st.Bins, want)
		}
		if st.BinCacheBytes <= 0 {
			t.Errorf("BinCacheBytes = %d, want > 0", st.BinCacheBytes)
		}
	})
	t.Run("KeyCacheCountsLookups", func(t *testing.T) {
		// Four authenticated calls with one key: the first loads it.
		if want := (binvault.CacheStats{Hits: 3, Misses: 1}); st.Keys != want {
			t.Errorf("Keys = %+v, want %+v", st.Keys, want)
		}
		if st.Accounts.Hits+st.Accounts.Misses == 0 {
			t.Errorf("Accounts = %+v, want lookups counted", st.Accounts)
		}
	})
	t.Run("Gauges", func(t *testing.T) {
		if st.LiveNodes != 1 || st.ActivityQueueCapacity <= 0 {
			t.Errorf("LiveNodes = %d, ActivityQueueCapacity = %d; want 1 and > 0", st.LiveNodes, st.ActivityQueueCapacity)
		}
	})
}

// TestStatsActivityQueueDepth: entries recorded while the store is busy
// writing an earlier batch wait in the queue, and Stats counts them.
func TestStatsActivityQueueDepth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &slowActivityStore{release: make(chan struct{})}
		v := binvault.NewVault(s, keys.Format{}, binvault.Config{})
		v.Record(binvault.Activity{Route: "first"})
		time.Sleep(time.Second) // the recorder's tick starts writing it, and blocks
		synctest.Wait()
		for range 3 {
			v.Record(binvault.Activity{Route: "queued"})
		}
		if d := v.Stats().ActivityQueueDepth; d != 3 {
			t.Errorf("ActivityQueueDepth = %d, want 3", d)
		}
		close(s.release)
		v.Close()
		if d := v.Stats().ActivityQueueDepth; d != 0 {
			t.Errorf("after Close: ActivityQueueDepth = %d, want 0", d)
		}
	})
}

// slowActivityStore holds every AddActivity until release is closed. The
// Vault's background work calls only these methods of it in this test;
// the embedded nil Store panics on any other.
type slowActivityStore struct {
	binvault.Store
	release chan struct{}
}

func (s *slowActivityStore) AddActivity(ctx context.Context, entries []binvault.Activity) error {
	<-s.release
	return nil
}

func (s *slowActivityStore) PruneActivity(ctx context.Context, before time.Time) (int, error) {
	return 0, nil
}

func (s *slowActivityStore) AuthVersion() int64 { return 0 }
