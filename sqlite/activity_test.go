package sqlite_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/sqlite"
	"github.com/binvault/binvault/storetest"
)

// logEntries returns n entries of the account, one every step from start.
func logEntries(accountID string, start time.Time, step time.Duration, n int) []binvault.Activity {
	entries := make([]binvault.Activity, n)
	for i := range entries {
		entries[i] = binvault.Activity{
			At: start.Add(time.Duration(i) * step), AccountID: accountID, AuthMethod: binvault.AuthAPIKey,
			KeyID: "key", Method: "GET", Route: "GET /v3/b/{id}", ResourceID: fmt.Sprint(i), Status: 200,
		}
	}
	return entries
}

var logStart = time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)

// The log is in a file of its own: closing the store must keep it, and
// ids must go on growing after a reopen.
func TestActivitySurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	var added []binvault.Activity
	withStore(t, dir, func(s *sqlite.Store) {
		added = append(added, storetest.MustAddActivity(t, s, logEntries("ada", logStart, time.Hour, 3)...)...)
		added = append(added, storetest.MustAddActivity(t, s, logEntries("ada", logStart.Add(3*time.Hour), time.Hour, 2)...)...)
	})
	withStore(t, dir, func(s *sqlite.Store) {
		got := storetest.MustListActivity(t, s, binvault.ActivityFilter{AccountID: "ada"})
		if len(got) != len(added) {
			t.Fatalf("after reopen: %d entries, want %d", len(got), len(added))
		}
		for i, e := range got {
			if want := added[len(added)-1-i]; e != want {
				t.Errorf("after reopen: entry %d = %+v, want %+v", i, e, want)
			}
		}
		days, err := s.ActivityDays(t.Context(), "ada")
		if err != nil {
			t.Fatal(err)
		}
		if want := []time.Time{logStart.AddDate(0, 0, 1).Truncate(24 * time.Hour), logStart.Truncate(24 * time.Hour)}; !slices.Equal(days, want) {
			t.Errorf("after reopen: ActivityDays = %v, want %v", days, want)
		}
		more := storetest.MustAddActivity(t, s, logEntries("ada", logStart, time.Second, 1)...)
		if last := added[len(added)-1].ID; more[0].ID <= last {
			t.Errorf("after reopen: new ID %d, want above %d", more[0].ID, last)
		}
	})
}

// JSONBin pages hold 100 entries unless asked otherwise, and never more
// than binvault.MaxActivityPage.
func TestListActivityLimits(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	storetest.MustAddActivity(t, s, logEntries("ada", logStart, time.Millisecond, binvault.MaxActivityPage+200)...)
	for _, tc := range []struct{ limit, want int }{
		{0, 100},
		{-1, 100},
		{7, 7},
		{binvault.MaxActivityPage + 1, binvault.MaxActivityPage},
	} {
		if got := storetest.MustListActivity(t, s, binvault.ActivityFilter{AccountID: "ada", Limit: tc.limit}); len(got) != tc.want {
			t.Errorf("Limit %d: %d entries, want %d", tc.limit, len(got), tc.want)
		}
	}
}

// Logging must not wait for bin writes: with the main file's write lock
// held by another process, batches are still stored (if the log shared the
// file, AddActivity would fail with "database is locked" after the busy
// timeout).
func TestActivityDoesNotWaitForBinWriteLock(t *testing.T) {
	dir := t.TempDir()
	s := MustOpen(t, dir)
	release := mustHoldWriteLock(t, dir)
	defer release()
	storetest.MustAddActivity(t, s, logEntries("ada", logStart, time.Second, 10)...)
	if n, err := s.PruneActivity(t.Context(), logStart.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	} else if n != 5 {
		t.Errorf("PruneActivity = %d, want 5", n)
	}
}

// A prune larger than one transaction's share deletes exactly what it
// should, across hours and accounts, and leaves the hours it empties out
// of ActivityDays.
func TestPruneActivityInManyTransactions(t *testing.T) {
	s := MustOpen(t, t.TempDir())
	const perAccount = 12_500 // 1s apart: 3.5 hours; 25,000 entries in all
	for _, account := range []string{"ada", "bob"} {
		for i := 0; i < perAccount; i += 2500 {
			storetest.MustAddActivity(t, s, logEntries(account, logStart.Add(time.Duration(i)*time.Second), time.Second, 2500)...)
		}
	}
	// 00:10 on the second day: the whole first day and 10 minutes of the
	// second go, for both accounts; 15,600 entries, more than one chunk.
	cut := logStart.Add(2*time.Hour + 10*time.Minute)
	n, err := s.PruneActivity(t.Context(), cut)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * int((cut.Sub(logStart) / time.Second)); n != want {
		t.Errorf("PruneActivity = %d, want %d", n, want)
	}
	for _, account := range []string{"ada", "bob"} {
		f := binvault.ActivityFilter{AccountID: account, Limit: binvault.MaxActivityPage}
		var kept []binvault.Activity
		for {
			page := storetest.MustListActivity(t, s, f)
			kept = append(kept, page...)
			if len(page) < f.Limit {
				break
			}
			f.Before = page[len(page)-1].ID
		}
		if want := perAccount - int(cut.Sub(logStart)/time.Second); len(kept) != want {
			t.Errorf("%s: %d entries kept, want %d", account, len(kept), want)
		}
		if oldest := kept[len(kept)-1].At; !oldest.Equal(cut) {
			t.Errorf("%s: oldest entry kept at %v, want %v", account, oldest, cut)
		}
		days, err := s.ActivityDays(t.Context(), account)
		if err != nil {
			t.Fatal(err)
		}
		if want := []time.Time{cut.Truncate(24 * time.Hour)}; !slices.Equal(days, want) {
			t.Errorf("%s: ActivityDays = %v, want %v", account, days, want)
		}
	}
}
