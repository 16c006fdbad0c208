package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver" // "sqlite3", to hold the write lock from outside

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/sqlite"
	"github.com/binvault/binvault/storetest"
)

// TestStore runs the conformance suite on a fresh store per subtest.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) binvault.Store {
		return MustOpen(t, t.TempDir())
	})
}

// MustOpen opens the store in dir and closes it when the test ends.
func MustOpen(tb testing.TB, dir string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), dir)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// withStore opens the store in dir, runs fn on it and closes it again, so
// that the next open sees only what reached the disk.
func withStore(tb testing.TB, dir string, fn func(s *sqlite.Store)) {
	tb.Helper()
	s, err := sqlite.Open(tb.Context(), dir)
	if err != nil {
		tb.Fatalf("Open(%s): %v", dir, err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	}()
	fn(s)
}

// Reopening runs the migrations again; they must see they are applied and
// leave every table as it was.
func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	var ada *binvault.Account
	var kept, revoked *binvault.Key
	var bin *binvault.Bin
	var keysVersion int64
	withStore(t, dir, func(s *sqlite.Store) {
		storetest.MustCreateAccount(t, s, "", binvault.AdminName)
		ada = storetest.MustCreateAccount(t, s, "ada@example.com", "Ada")
		kept = storetest.MustCreateKey(t, s, ada.ID, binvault.KindAPI, "bv_mk_kept")
		revoked = storetest.MustCreateKey(t, s, ada.ID, binvault.KindAccess, "bv_ak_revoked")
		if err := s.RevokeKey(t.Context(), ada.ID, revoked.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		keysVersion = s.AuthVersion()
		bin = storetest.MustCreateBin(t, s, ada.ID, `{"v":0}`)
		storetest.MustUpdateBin(t, s, bin.ID, `{"v":1}`, true)
		storetest.MustUpdateBin(t, s, bin.ID, `{"v":2}`, true)
	})
	for reopen := 1; reopen <= 2; reopen++ {
		withStore(t, dir, func(s *sqlite.Store) {
			ctx := t.Context()
			if n, err := s.CountAccounts(ctx); err != nil {
				t.Fatal(err)
			} else if n != 2 {
				t.Errorf("reopen %d: CountAccounts = %d, want 2", reopen, n)
			}
			if a, err := s.FindAccount(ctx, ada.Email); err != nil {
				t.Errorf("reopen %d: FindAccount: %v", reopen, err)
			} else if a.ID != ada.ID {
				t.Errorf("reopen %d: FindAccount = %s, want %s", reopen, a.ID, ada.ID)
			}
			if _, err := s.FindKeyByDigest(ctx, kept.Digest); err != nil {
				t.Errorf("reopen %d: FindKeyByDigest(kept): %v", reopen, err)
			}
			if _, err := s.FindKeyByDigest(ctx, revoked.Digest); binvault.ErrorCode(err) != binvault.ENOTFOUND {
				t.Errorf("reopen %d: FindKeyByDigest(revoked): err = %v, want ENOTFOUND", reopen, err)
			}
			if got := s.AuthVersion(); got != keysVersion {
				t.Errorf("reopen %d: AuthVersion = %d, want %d", reopen, got, keysVersion)
			}
			b := storetest.MustFindBin(t, s, bin.ID)
			if want := reopen + 1; b.Version != want {
				t.Fatalf("reopen %d: Version = %d, want %d", reopen, b.Version, want)
			}
			for v := range b.Version {
				r := storetest.MustFindBinVersion(t, s, bin.ID, v)
				if want := fmt.Sprintf(`{"v":%d}`, v); string(r) != want {
					t.Errorf("reopen %d: version %d = %s, want %s", reopen, v, r, want)
				}
			}
			storetest.MustUpdateBin(t, s, bin.ID, fmt.Sprintf(`{"v":%d}`, b.Version+1), true)
		})
	}
}

// Two processes opening a store that does not exist yet (a server and a
// CLI started together) must both succeed, each migration applied once.
// The race is narrow, so it is run on many fresh directories.
func TestConcurrentOpensOfNewStore(t *testing.T) {
	const rounds, opens = 40, 4
	for round := range rounds {
		dir := t.TempDir()
		errs := make([]error, opens)
		var wg sync.WaitGroup
		for i := range opens {
			wg.Go(func() {
				s, err := sqlite.Open(t.Context(), dir)
				if err != nil {
					errs[i] = err
					return
				}
				storetest.MustCreateAccount(t, s, "", binvault.AdminName)
				errs[i] = s.Close()
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d, %d stores opening a new directory at once: %v", round, opens, err)
		}
		withStore(t, dir, func(s *sqlite.Store) {
			if n, err := s.CountAccounts(t.Context()); err != nil {
				t.Fatal(err)
			} else if n != opens {
				t.Fatalf("round %d: CountAccounts = %d, want %d", round, n, opens)
			}
		})
	}
}

// A revocation by the CLI (another Store on the same directory) must reach
// a running server through AuthVersion, in both directions.
func TestAuthVersionSeenAcrossStores(t *testing.T) {
	dir := t.TempDir()
	server, cli := MustOpen(t, dir), MustOpen(t, dir)
	a := storetest.MustCreateAccount(t, server, "ada@example.com", "Ada")
	for i, tc := range []struct {
		name             string
		revoker, watcher *sqlite.Store
	}{
		{"CLIRevokes", cli, server},
		{"ServerRevokes", server, cli},
	} {
		k := storetest.MustCreateKey(t, server, a.ID, binvault.KindAPI, fmt.Sprintf("bv_mk_%d", i))
		if _, err := tc.watcher.FindKeyByDigest(t.Context(), k.Digest); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		seen := tc.watcher.AuthVersion()
		if err := tc.revoker.RevokeKey(t.Context(), a.ID, k.ID, time.Now()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := tc.watcher.AuthVersion(); got == seen {
			t.Errorf("%s: the other store's AuthVersion stayed %d", tc.name, got)
		}
		if _, err := tc.watcher.FindKeyByDigest(t.Context(), k.Digest); binvault.ErrorCode(err) != binvault.ENOTFOUND {
			t.Errorf("%s: the other store still finds the key: err = %v", tc.name, err)
		}
	}
}

// Close must answer every write queued before it, and a write it answered
// with nil must be on disk: writers keep writing while Close runs, and
// everything acknowledged is looked for after reopening.
func TestCloseWaitsForQueuedWrites(t *testing.T) {
	const writers, maxEach = 32, 500
	dir := t.TempDir()
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	a := storetest.MustCreateAccount(t, s, "ada@example.com", "Ada")

	acked := make([][]*binvault.Bin, writers)
	var firstAck sync.Once
	busy := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range maxEach {
				b := &binvault.Bin{ID: binvault.NewID(time.Now()), AccountID: a.ID, CreatedAt: time.Now(),
					Record: []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))}
				if err := s.CreateBin(t.Context(), b, 0); err != nil {
					return // the store is closed
				}
				acked[w] = append(acked[w], b)
				firstAck.Do(func() { close(busy) })
			}
			t.Errorf("writer %d: %d writes succeeded, none refused after Close", w, maxEach)
		})
	}
	<-busy
	var closeErr error
	waitOrFail(t, "Close", func() { closeErr = s.Close() })
	if closeErr != nil {
		t.Errorf("Close: %v", closeErr)
	}
	waitOrFail(t, "writes after Close", wg.Wait)

	b := &binvault.Bin{ID: binvault.NewID(time.Now()), AccountID: a.ID, CreatedAt: time.Now(), Record: []byte(`{}`)}
	if err := s.CreateBin(t.Context(), b, 0); err == nil {
		t.Error("CreateBin after Close succeeded")
	}
	n := 0
	withStore(t, dir, func(s *sqlite.Store) {
		for _, bs := range acked {
			for _, b := range bs {
				n++
				if got, err := s.FindBin(t.Context(), b.ID); err != nil {
					t.Errorf("acknowledged bin %s lost: %v", b.Record, err)
				} else if string(got.Record) != string(b.Record) {
					t.Errorf("acknowledged bin holds %s, want %s", got.Record, b.Record)
				}
			}
		}
	})
	t.Logf("%d acknowledged writes checked", n)
}

// mustHoldWriteLock takes the database's write lock from a connection of
// its own, as another process would, until release is called.
func mustHoldWriteLock(tb testing.TB, dir string) (release func()) {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, sqlite.DBFile)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	conn, err := db.Conn(tb.Context())
	if err == nil {
		_, err = conn.ExecContext(tb.Context(), "BEGIN IMMEDIATE")
	}
	if err != nil {
		db.Close()
		tb.Fatalf("hold write lock: %v", err)
	}
	return func() {
		_, err := conn.ExecContext(context.Background(), "ROLLBACK")
		if err = errors.Join(err, conn.Close(), db.Close()); err != nil {
			tb.Errorf("release write lock: %v", err)
		}
	}
}

// waitOrFail runs wait and fails the test if it has not returned in 30s, so
// that a Close that forgets queued writes fails instead of hanging.
func waitOrFail(tb testing.TB, what string, wait func()) {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		tb.Fatalf("%s still waiting after 30s", what)
	}
}
