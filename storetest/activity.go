package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

func activityTests() []test {
	return []test{
		{"ActivityRoundTripsEveryField", testActivityRoundTrip},
		{"ActivityIDsIncreaseAcrossBatches", testActivityIDsIncrease},
		{"ActivityIDsNotReusedAfterPruningAll", testActivityIDsAfterPrune},
		{"EmptyActivityBatchIsFine", testEmptyActivityBatch},
		{"ActivityFilters", testActivityFilters},
		{"ActivityCursorPagesWithoutGapsOrDuplicates", testActivityPaging},
		{"OtherAccountsActivityInvisible", testActivityOtherAccounts},
		{"ActivityDaysDistinctNewestFirst", testActivityDays},
		{"PruneActivityDeletesOnlyOlderEntries", testPruneActivity},
		{"PruneActivityOfEntriesOutOfOrder", testPruneActivityOutOfOrder},
	}
}

// day is midnight UTC of at(0)'s date plus n days.
func day(n int) time.Time {
	return at(0).Truncate(24*time.Hour).AddDate(0, 0, n)
}

// activity returns a full entry of the account at t; n makes its text
// fields its own.
func activity(accountID string, t time.Time, n int) binvault.Activity {
	methods := []binvault.AuthMethod{binvault.AuthAPIKey, binvault.AuthAccessKey, binvault.AuthPublic}
	return binvault.Activity{
		At: t, AccountID: accountID, AuthMethod: methods[n%len(methods)],
		KeyID: fmt.Sprintf("key%d", n%4), KeyPrefix: fmt.Sprintf("bv_mk_%d", n%4),
		Method: "PUT", Route: "PUT /v3/b/{id}", ResourceID: fmt.Sprintf("bin%d", n),
		Status: 200 + n%3, IP: fmt.Sprintf("203.0.113.%d", n%256),
		UserAgent: fmt.Sprintf("agent/%d (é 😀)", n), RequestID: fmt.Sprintf("req-%d", n),
	}
}

// MustAddActivity appends entries, fails the test if the store refuses
// them, and returns them with their IDs.
func MustAddActivity(tb testing.TB, s binvault.Store, entries ...binvault.Activity) []binvault.Activity {
	tb.Helper()
	if err := s.AddActivity(tb.Context(), entries); err != nil {
		tb.Fatalf("AddActivity(%d entries): %v", len(entries), err)
	}
	return entries
}

// MustListActivity lists the entries f selects, or fails the test.
func MustListActivity(tb testing.TB, s binvault.Store, f binvault.ActivityFilter) []binvault.Activity {
	tb.Helper()
	got, err := s.ListActivity(tb.Context(), f)
	if err != nil {
		tb.Fatalf("ListActivity(%+v): %v", f, err)
	}
	return got
}

// wantActivity reports every field in which an entry of got differs from
// the one of want at the same place, and any entry missing or extra.
func wantActivity(tb testing.TB, what string, got, want []binvault.Activity) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Errorf("%s: %d entries, want %d: ids %v, want %v", what, len(got), len(want), ids(got), ids(want))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		wantTime(tb, fmt.Sprintf("%s[%d].At", what, i), g.At, w.At)
		g.At, w.At = time.Time{}, time.Time{}
		if g != w {
			tb.Errorf("%s[%d] = %+v, want %+v", what, i, g, w)
		}
	}
}

func ids(list []binvault.Activity) []int64 {
	var ids []int64
	for _, e := range list {
		ids = append(ids, e.ID)
	}
	return ids
}

// newestFirst returns the entries f selects, as a store should list them.
func newestFirst(all []binvault.Activity, f binvault.ActivityFilter) []binvault.Activity {
	var list []binvault.Activity
	for _, e := range all {
		if e.AccountID == f.AccountID &&
			(f.AuthMethod == "" || e.AuthMethod == f.AuthMethod) && (f.KeyID == "" || e.KeyID == f.KeyID) &&
			(f.Since.IsZero() || !e.At.Before(f.Since)) && (f.Until.IsZero() || e.At.Before(f.Until)) &&
			(f.Before == 0 || e.ID < f.Before) {
			list = append(list, e)
		}
	}
	slices.SortFunc(list, func(a, b binvault.Activity) int { return cmp.Compare(b.ID, a.ID) })
	return list[:min(len(list), f.Limit)]
}

// Every field comes back as it went in: times to the millisecond in UTC,
// empty strings empty, text byte for byte.
func testActivityRoundTrip(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	full := activity(a.ID, at(1).In(time.FixedZone("CET", 3600)), 7)
	bare := binvault.Activity{At: at(2), AccountID: a.ID, Status: 401}
	added := MustAddActivity(t, s, full, bare)
	if added[0].ID == 0 || added[1].ID <= added[0].ID {
		t.Fatalf("IDs = %d, %d: want set and increasing", added[0].ID, added[1].ID)
	}
	got := MustListActivity(t, s, binvault.ActivityFilter{AccountID: a.ID, Limit: 10})
	full.ID, bare.ID = added[0].ID, added[1].ID
	wantActivity(t, "ListActivity", got, []binvault.Activity{bare, full})
}

func testActivityIDsIncrease(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	var last int64
	for batch := range 3 {
		// Later batches carry earlier times: IDs follow insertion, not At.
		entries := MustAddActivity(t, s, activity(a.ID, at(int64(-batch)), 0), activity(a.ID, at(int64(-batch)), 1))
		for _, e := range entries {
			if e.ID <= last {
				t.Fatalf("batch %d: ID %d after %d", batch, e.ID, last)
			}
			last = e.ID
		}
	}
}

// A client paging with Before must never see an ID come back for another
// entry, even when a prune has emptied the log in between.
func testActivityIDsAfterPrune(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	old := MustAddActivity(t, s, activity(a.ID, at(0), 0), activity(a.ID, at(1), 1))
	if n, err := s.PruneActivity(t.Context(), at(2)); err != nil {
		t.Fatal(err)
	} else if n != 2 {
		t.Fatalf("PruneActivity = %d, want 2", n)
	}
	fresh := MustAddActivity(t, s, activity(a.ID, at(3), 2))
	if fresh[0].ID <= old[1].ID {
		t.Errorf("ID after pruning everything = %d, want above %d", fresh[0].ID, old[1].ID)
	}
}

func testEmptyActivityBatch(t *testing.T, s binvault.Store) {
	if err := s.AddActivity(t.Context(), nil); err != nil {
		t.Errorf("AddActivity(nil): %v", err)
	}
}

// Each filter on its own and together, on entries whose times are not in
// insertion order and span several days.
func testActivityFilters(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateAccount(t, s, "bob@example.com", "Bob")
	var all []binvault.Activity
	for batch := range 4 {
		var entries []binvault.Activity
		for i := range 30 {
			n := batch*30 + i
			// Hours from -48 to +47, shuffled: every batch spans the days.
			when := at(int64((n*37)%96-48) * int64(time.Hour/time.Millisecond))
			entries = append(entries, activity(a.ID, when, n), activity(b.ID, when, n))
		}
		all = append(all, MustAddActivity(t, s, entries...)...)
	}
	mid := all[len(all)/2].ID
	for _, tc := range []struct {
		name string
		f    binvault.ActivityFilter
	}{
		{"None", binvault.ActivityFilter{}},
		{"AuthMethod", binvault.ActivityFilter{AuthMethod: binvault.AuthAccessKey}},
		{"KeyID", binvault.ActivityFilter{KeyID: "key2"}},
		{"Since", binvault.ActivityFilter{Since: day(0)}},
		{"Until", binvault.ActivityFilter{Until: day(-1).Add(5 * time.Hour)}},
		{"SinceIsInclusive", binvault.ActivityFilter{Since: all[5].At}},
		{"UntilIsExclusive", binvault.ActivityFilter{Until: all[5].At}},
		{"SinceUntilWithinADay", binvault.ActivityFilter{Since: day(0).Add(3 * time.Hour), Until: day(0).Add(9 * time.Hour)}},
		{"SinceUntilAcrossMidnight", binvault.ActivityFilter{Since: day(0).Add(-2 * time.Hour), Until: day(0).Add(2 * time.Hour)}},
		{"SinceSubMillisecond", binvault.ActivityFilter{Since: all[5].At.Add(time.Microsecond)}},
		{"UntilSubMillisecond", binvault.ActivityFilter{Until: all[5].At.Add(time.Microsecond)}},
		{"NothingInRange", binvault.ActivityFilter{Since: day(10)}},
		{"Before", binvault.ActivityFilter{Before: mid}},
		{"Combined", binvault.ActivityFilter{AuthMethod: binvault.AuthAPIKey, KeyID: "key1",
			Since: day(-1), Until: day(1), Before: mid}},
		{"Limit", binvault.ActivityFilter{KeyID: "key3", Limit: 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			f.AccountID = a.ID
			if f.Limit == 0 {
				f.Limit = len(all)
			}
			want := newestFirst(all, f)
			if len(want) == 0 && tc.name != "NothingInRange" {
				t.Fatalf("filter %+v selects nothing: the test data is wrong", f)
			}
			wantActivity(t, "ListActivity", MustListActivity(t, s, f), want)
		})
	}
}

// Paging with Before through 250 entries, 100 at a time, meets each once.
func testActivityPaging(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	var all []binvault.Activity
	for batch := range 5 {
		var entries []binvault.Activity
		for i := range 50 {
			entries = append(entries, activity(a.ID, at(int64(batch*50+i)), batch*50+i))
		}
		all = append(all, MustAddActivity(t, s, entries...)...)
	}
	slices.Reverse(all)
	var seen []binvault.Activity
	f := binvault.ActivityFilter{AccountID: a.ID, Limit: 100}
	for _, size := range []int{100, 100, 50, 0} {
		page := MustListActivity(t, s, f)
		if len(page) != size {
			t.Fatalf("page after %d entries: %d entries, want %d", len(seen), len(page), size)
		}
		seen = append(seen, page...)
		if len(page) > 0 {
			f.Before = page[len(page)-1].ID
		}
	}
	wantActivity(t, "all pages", seen, all)
}

func testActivityOtherAccounts(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateAccount(t, s, "bob@example.com", "Bob")
	mine := MustAddActivity(t, s, activity(a.ID, at(0), 0), activity(b.ID, at(1), 1),
		activity("", at(2), 2), activity(a.ID, at(3), 3))
	got := MustListActivity(t, s, binvault.ActivityFilter{AccountID: a.ID, Limit: 10})
	wantActivity(t, "ListActivity(Ada)", got, []binvault.Activity{mine[3], mine[0]})
	got = MustListActivity(t, s, binvault.ActivityFilter{AccountID: binvault.NewID(at(0)), Limit: 10})
	wantActivity(t, "ListActivity(nobody)", got, nil)
	days, err := s.ActivityDays(t.Context(), binvault.NewID(at(0)))
	if err != nil {
		t.Fatal(err)
	} else if len(days) != 0 {
		t.Errorf("ActivityDays(nobody) = %v, want none", days)
	}
}

// Days are UTC dates, each once, newest first, whatever the order in
// which entries arrived; entries either side of midnight are two days.
func testActivityDays(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateAccount(t, s, "bob@example.com", "Bob")
	ms := time.Millisecond
	MustAddActivity(t, s, activity(a.ID, day(1), 0), activity(a.ID, day(1).Add(-ms), 1),
		activity(a.ID, day(-3).Add(5*time.Hour), 2), activity(b.ID, day(-5), 3))
	MustAddActivity(t, s, activity(a.ID, day(1).Add(23*time.Hour), 4), activity(a.ID, day(0), 5),
		activity(b.ID, day(7), 6))
	got, err := s.ActivityDays(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{day(1), day(0), day(-3)}
	if len(got) != len(want) {
		t.Fatalf("ActivityDays = %v, want %v", got, want)
	}
	for i := range want {
		wantTime(t, fmt.Sprintf("ActivityDays[%d]", i), got[i], want[i])
	}
}

// Prune deletes exactly the entries strictly older than its cutoff, of
// every account, and the days left without entries.
func testPruneActivity(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateAccount(t, s, "bob@example.com", "Bob")
	cut := day(0).Add(12 * time.Hour)
	ms := time.Millisecond
	var all []binvault.Activity
	for _, e := range []binvault.Activity{
		activity(a.ID, day(-2), 0),         // gone, and its day
		activity(a.ID, cut.Add(-ms), 1),    // gone
		activity(a.ID, cut, 2),             // kept: not older than cut
		activity(b.ID, day(-1), 3),         // gone, and its day
		activity(b.ID, day(0).Add(ms), 4),  // gone, and with it Bob's day 0
		activity(b.ID, day(1), 5),          // kept
		activity(a.ID, cut.Add(-2*ms), 6),  // gone, though added after newer ones
		activity(a.ID, day(0).Add(-ms), 7), // gone, and Ada's day -1
		activity(b.ID, day(2), 8),          // kept
	} {
		all = append(all, MustAddActivity(t, s, e)...)
	}
	n, err := s.PruneActivity(t.Context(), cut)
	if err != nil {
		t.Fatal(err)
	} else if n != 6 {
		t.Errorf("PruneActivity = %d, want 6", n)
	}
	if n, err := s.PruneActivity(t.Context(), cut); err != nil {
		t.Fatal(err)
	} else if n != 0 {
		t.Errorf("PruneActivity again = %d, want 0", n)
	}
	for _, tc := range []struct {
		account string
		entries []binvault.Activity
		days    []time.Time
	}{
		{a.ID, []binvault.Activity{all[2]}, []time.Time{day(0)}},
		{b.ID, []binvault.Activity{all[8], all[5]}, []time.Time{day(2), day(1)}},
	} {
		got := MustListActivity(t, s, binvault.ActivityFilter{AccountID: tc.account, Limit: 100})
		wantActivity(t, "ListActivity after prune", got, tc.entries)
		days, err := s.ActivityDays(t.Context(), tc.account)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(days, tc.days, time.Time.Equal) {
			t.Errorf("ActivityDays after prune = %v, want %v", days, tc.days)
		}
	}
}

// Entries of one batch need not be in time order: a slow request is logged
// after quicker, later ones. Pruning must still drop the day it empties.
func testPruneActivityOutOfOrder(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	added := MustAddActivity(t, s, activity(a.ID, day(0).Add(-30*time.Minute), 0),
		activity(a.ID, day(0), 1), activity(a.ID, day(0).Add(-20*time.Minute), 2))
	if n, err := s.PruneActivity(t.Context(), day(0)); err != nil {
		t.Fatal(err)
	} else if n != 2 {
		t.Errorf("PruneActivity = %d, want 2", n)
	}
	got := MustListActivity(t, s, binvault.ActivityFilter{AccountID: a.ID, Limit: 10})
	wantActivity(t, "ListActivity after prune", got, added[1:2])
	days, err := s.ActivityDays(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{day(0)}; !slices.EqualFunc(days, want, time.Time.Equal) {
		t.Errorf("ActivityDays after prune = %v, want %v", days, want)
	}
}
