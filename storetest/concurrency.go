package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/binvault/binvault"
)

func concurrencyTests() []test {
	return []test{
		{"ConcurrentVersionedUpdatesAreAllKept", testConcurrentUpdates},
		{"ConcurrentCreatesAreAllFound", testConcurrentCreates},
		{"FailingWriteDoesNotFailOthers", testFailingWriteInBatch},
		{"OneMiBRecordRoundTrips", testLargeRecord},
	}
}

// Each update that returns version v must have written version v: the
// record it sent is the one stored under v, and no two updates share a
// version or a Rev.
func testConcurrentUpdates(t *testing.T, s binvault.Store) {
	const writers, each = 32, 20
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"base":true}`)

	results := make([][]*binvault.Bin, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range each {
				u := binvault.BinUpdate{ID: b.ID, Record: []byte(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)), Versioned: true, At: at(int64(i))}
				got, err := s.UpdateBin(t.Context(), u)
				if err != nil || got == nil {
					t.Errorf("writer %d, update %d: %v, %v", w, i, got, err)
					return
				}
				wantRecord(t, "UpdateBin result", got.Record, string(u.Record))
				results[w] = append(results[w], got)
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}

	final := MustFindBin(t, s, b.ID)
	if final.Version != writers*each {
		t.Fatalf("Version = %d after %d versioned updates", final.Version, writers*each)
	}
	revs, versions := map[int64]bool{}, map[int]bool{}
	for _, rs := range results {
		for _, r := range rs {
			if revs[r.Rev] {
				t.Errorf("two updates returned Rev %d", r.Rev)
			} else if versions[r.Version] {
				t.Errorf("two updates returned Version %d", r.Version)
			}
			revs[r.Rev], versions[r.Version] = true, true
			if r.Rev > final.Rev {
				t.Errorf("an update returned Rev %d, FindBin has %d", r.Rev, final.Rev)
			}
			stored := final.Record
			if r.Version != final.Version {
				stored = MustFindBinVersion(t, s, b.ID, r.Version)
			}
			wantRecord(t, fmt.Sprintf("version %d", r.Version), stored, string(r.Record))
		}
	}
	wantRecord(t, "version 0", MustFindBinVersion(t, s, b.ID, 0), `{"base":true}`)
}

func testConcurrentCreates(t *testing.T, s binvault.Store) {
	const writers = 32
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	bins := make([]*binvault.Bin, writers)
	for i := range bins {
		bins[i] = &binvault.Bin{ID: binvault.NewID(at(0)), AccountID: a.ID, Private: i%2 == 0,
			CreatedAt: at(int64(i)), Record: []byte(fmt.Sprintf(`{"bin":%d}`, i))}
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, b := range bins {
		wg.Go(func() {
			<-start
			if err := s.CreateBin(t.Context(), b, 0); err != nil {
				t.Errorf("CreateBin(%s): %v", b.Record, err)
			}
		})
	}
	close(start)
	wg.Wait()
	for _, b := range bins {
		got := MustFindBin(t, s, b.ID)
		wantBin(t, "FindBin", got, b)
		if got.Rev != b.Rev {
			t.Errorf("FindBin.Rev = %d, want %d as set by CreateBin", got.Rev, b.Rev)
		}
	}
}

// Writes that fail (an unknown bin, a taken id, an account that does not
// exist) run at the same time as good ones; with group commit they may share
// a transaction, which must not make the good ones fail or vanish.
func testFailingWriteInBatch(t *testing.T, s binvault.Store) {
	const rounds = 8
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	taken := MustCreateBin(t, s, a.ID, `{"taken":true}`)
	updated := MustCreateBin(t, s, a.ID, `{"n":0}`)

	var created, orphans []*binvault.Bin
	for i := range rounds {
		created = append(created, &binvault.Bin{ID: binvault.NewID(at(0)), AccountID: a.ID, CreatedAt: at(0),
			Record: []byte(fmt.Sprintf(`{"created":%d}`, i))})
		orphans = append(orphans, &binvault.Bin{ID: binvault.NewID(at(0)), AccountID: binvault.NewID(at(0)),
			CreatedAt: at(0), Record: []byte(`{"orphan":true}`)})
	}
	orphanErrs := make([]error, rounds)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range rounds {
		wg.Go(func() {
			<-start
			_, err := s.UpdateBin(ctx, binvault.BinUpdate{ID: binvault.NewID(at(0)), Record: []byte(`{}`), Versioned: true, At: at(1)})
			wantCode(t, "UpdateBin(unknown)", err, binvault.ENOTFOUND)
		})
		wg.Go(func() {
			<-start
			dup := &binvault.Bin{ID: taken.ID, AccountID: a.ID, CreatedAt: at(1), Record: []byte(`{"dup":true}`)}
			wantCode(t, "CreateBin(taken id)", s.CreateBin(ctx, dup, 0), binvault.ECONFLICT)
		})
		wg.Go(func() {
			<-start
			orphanErrs[i] = s.CreateBin(ctx, orphans[i], 0)
		})
		wg.Go(func() {
			<-start
			if err := s.CreateBin(ctx, created[i], 0); err != nil {
				t.Errorf("CreateBin next to failing writes: %v", err)
			}
		})
		wg.Go(func() {
			<-start
			u := binvault.BinUpdate{ID: updated.ID, Record: []byte(fmt.Sprintf(`{"n":%d}`, i+1)), Versioned: true, At: at(1)}
			if _, err := s.UpdateBin(ctx, u); err != nil {
				t.Errorf("UpdateBin next to failing writes: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()

	for _, b := range created {
		wantBin(t, "created bin", MustFindBin(t, s, b.ID), b)
	}
	if got := MustFindBin(t, s, updated.ID); got.Version != rounds {
		t.Errorf("updated bin has Version %d, want %d", got.Version, rounds)
	}
	got := MustFindBin(t, s, taken.ID)
	wantBin(t, "bin whose id was taken again", got, taken)
	if got.Rev != taken.Rev {
		t.Errorf("bin whose id was taken again has Rev %d, want %d", got.Rev, taken.Rev)
	}
	// Whether a store accepts a bin of an unknown account is its own
	// business; what it acknowledged must be there, and nothing else.
	for i, b := range orphans {
		_, err := s.FindBin(ctx, b.ID)
		if orphanErrs[i] == nil && err != nil {
			t.Errorf("acknowledged CreateBin of an orphan bin, then FindBin: %v", err)
		} else if orphanErrs[i] != nil && binvault.ErrorCode(err) != binvault.ENOTFOUND {
			t.Errorf("CreateBin of an orphan bin failed (%v), then FindBin: err = %v, want ENOTFOUND", orphanErrs[i], err)
		}
	}
}

// bigRecord returns a JSON object of exactly n bytes.
func bigRecord(n int, fill string) string {
	const head, tail = `{"data":"`, `"}`
	return head + strings.Repeat(fill, n-len(head)-len(tail)) + tail
}

func testLargeRecord(t *testing.T, s binvault.Store) {
	const mib = 1 << 20
	first, second := bigRecord(mib, "a"), bigRecord(mib, "b")
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, first)
	wantRecord(t, "FindBin", MustFindBin(t, s, b.ID).Record, first)
	MustUpdateBin(t, s, b.ID, second, true)
	wantRecord(t, "FindBin after update", MustFindBin(t, s, b.ID).Record, second)
	wantRecord(t, "FindBinVersion(0)", MustFindBinVersion(t, s, b.ID, 0), first)
}
