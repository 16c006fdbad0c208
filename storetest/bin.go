package storetest

import (
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

// oddRecord is JSON that any store re-encoding it would change: keys out of
// order and repeated, an exponent, a negative zero, a number beyond float64,
// escapes that have a shorter form, and non-ASCII text.
const oddRecord = `{"z":1,"a":[1.0e2,-0.0,1E-7,123456789012345678901234567890],"a":"dup",` +
	`"é":"\u00e9 \"q\" \\ \/ \ud83d\ude00 \t","日本":"語 😀","":null,"n":{"b":true,"a":false},"e":{}}`

func binTests() []test {
	return []test{
		{"CreateBinSetsRev", testCreateBinSetsRev},
		{"FindBinReturnsEveryField", testFindBin},
		{"RecordBytesRoundTripExactly", testRecordBytes},
		{"DuplicateBinIDConflicts", testDuplicateBin},
		{"UnknownBinNotFound", testUnknownBin},
		{"MetaUpdateChangesOnlyGivenFields", testUpdateBinMeta},
		{"MetaUpdateOfUnknownBinNotFound", testUpdateBinMetaUnknown},
		{"DeleteBinReturnsVersionCount", testDeleteBin},
		{"DeleteBinWithoutVersionsReturnsZero", testDeleteBinNoVersions},
		{"ConditionalUpdateNeedsCurrentRev", testConditionalUpdate},
		{"ConditionalDeleteNeedsCurrentRev", testConditionalDelete},
		{"EditBinSeesTheStoredRecord", testEditBin},
		{"ConcurrentEditsLoseNothing", testConcurrentEdits},
	}
}

// wantBin reports every field but Rev in which got differs from want;
// callers check Rev themselves, since it moves on every write.
func wantBin(tb testing.TB, what string, got, want *binvault.Bin) {
	tb.Helper()
	if got == nil {
		tb.Errorf("%s = nil", what)
		return
	}
	wantFields(tb, what, []field{
		{"ID", got.ID, want.ID},
		{"AccountID", got.AccountID, want.AccountID},
		{"Private", got.Private, want.Private},
		{"Name", got.Name, want.Name},
		{"CollectionID", got.CollectionID, want.CollectionID},
		{"Version", got.Version, want.Version},
	})
	wantTime(tb, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
	wantRecord(tb, what, got.Record, string(want.Record))
}

// with returns a copy of b with another record and version.
func with(b *binvault.Bin, record string, version int) *binvault.Bin {
	c := *b
	c.Record, c.Version = []byte(record), version
	return &c
}

func testCreateBinSetsRev(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"n":1}`)
	if b.Rev == 0 {
		t.Fatal("CreateBin left Rev 0")
	}
	if got := MustFindBin(t, s, b.ID); got.Rev != b.Rev {
		t.Errorf("FindBin Rev = %d, want %d as set by CreateBin", got.Rev, b.Rev)
	}
}

// CreatedAt is given in another zone and comes back as the same instant in
// UTC, to the millisecond.
func testFindBin(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	created := time.Date(2026, 3, 4, 23, 59, 58, 987_000_000, time.FixedZone("IST", 5*3600+1800))
	for _, want := range []*binvault.Bin{
		{ID: binvault.NewID(created), AccountID: a.ID, Private: true, Name: "Nämé ✓ 名前",
			CollectionID: "65a1b2c3d4e5f60718293a4b", CreatedAt: created, Record: []byte(`{"b":1,"a":2}`)},
		{ID: binvault.NewID(created), AccountID: a.ID, CreatedAt: at(1), Record: []byte(`[]`)},
	} {
		if err := s.CreateBin(ctx, want, 0); err != nil {
			t.Fatal(err)
		}
		got := MustFindBin(t, s, want.ID)
		want.CreatedAt = want.CreatedAt.UTC()
		wantBin(t, "FindBin", got, want)
		if got.Rev != want.Rev {
			t.Errorf("FindBin.Rev = %d, want %d", got.Rev, want.Rev)
		}
	}
}

func testRecordBytes(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	for _, record := range []string{
		oddRecord,
		`[3,2,1,{"b":1,"a":2},"\u0000",0.10,1e400]`,
		`{"deep":[[[[[[[[[[[[[[[[{"x":[]}]]]]]]]]]]]]]]]]}`,
	} {
		b := MustCreateBin(t, s, a.ID, record)
		wantRecord(t, "FindBin", MustFindBin(t, s, b.ID).Record, record)
		wrapped := "[" + record + "]"
		u := MustUpdateBin(t, s, b.ID, wrapped, true)
		wantRecord(t, "FindBinVersion(0)", MustFindBinVersion(t, s, b.ID, 0), record)
		wantRecord(t, "UpdateBin result", u.Record, wrapped)
		wantRecord(t, "FindBin after update", MustFindBin(t, s, b.ID).Record, wrapped)
	}
}

func testDuplicateBin(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	first := MustCreateBin(t, s, a.ID, `{"first":true}`)
	dup := &binvault.Bin{ID: first.ID, AccountID: a.ID, Private: true, CreatedAt: at(9), Record: []byte(`{"dup":true}`)}
	wantCode(t, "CreateBin with a taken id", s.CreateBin(t.Context(), dup, 0), binvault.ECONFLICT)
	got := MustFindBin(t, s, first.ID)
	wantBin(t, "FindBin", got, first)
	if got.Rev != first.Rev {
		t.Errorf("Rev = %d after a refused duplicate, want %d", got.Rev, first.Rev)
	}
}

func testUnknownBin(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	MustCreateBin(t, s, a.ID, `{}`)
	b, err := s.FindBin(t.Context(), binvault.NewID(at(0)))
	wantCode(t, "FindBin(unknown)", err, binvault.ENOTFOUND)
	if b != nil {
		t.Errorf("FindBin(unknown) = %+v, want nil", b)
	}
}

// Each step changes a name, privacy, or both, and must move Rev while
// leaving the record, version and the other field alone.
func testUpdateBinMeta(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	want := MustCreateBin(t, s, a.ID, `{"keep":"me"}`)
	want = with(want, `{"keep":"me","v":1}`, 1)
	rev := MustUpdateBin(t, s, want.ID, string(want.Record), true).Rev
	name := func(s string) *string { return &s }
	private := func(b bool) *bool { return &b }
	for _, step := range []struct {
		name string
		meta binvault.BinMeta
	}{
		{"OnlyName", binvault.BinMeta{Name: name("first name")}},
		{"OnlyPrivate", binvault.BinMeta{Private: private(true)}},
		{"Both", binvault.BinMeta{Name: name("Ünïcode ✓"), Private: private(false)}},
		{"OnlyPrivateAgain", binvault.BinMeta{Private: private(true)}},
		{"EmptyName", binvault.BinMeta{Name: name("")}},
	} {
		got, err := s.UpdateBinMeta(ctx, want.ID, step.meta)
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if step.meta.Name != nil {
			want.Name = *step.meta.Name
		}
		if step.meta.Private != nil {
			want.Private = *step.meta.Private
		}
		wantBin(t, step.name+": UpdateBinMeta result", got, want)
		wantBin(t, step.name+": FindBin", MustFindBin(t, s, want.ID), want)
		if got == nil {
			continue
		} else if got.Rev <= rev {
			t.Errorf("%s: Rev = %d, want more than %d", step.name, got.Rev, rev)
		}
		rev = got.Rev
	}
	wantRecord(t, "FindBinVersion(0)", MustFindBinVersion(t, s, want.ID, 0), `{"keep":"me"}`)
}

func testUpdateBinMetaUnknown(t *testing.T, s binvault.Store) {
	private := true
	b, err := s.UpdateBinMeta(t.Context(), binvault.NewID(at(0)), binvault.BinMeta{Private: &private})
	wantCode(t, "UpdateBinMeta(unknown)", err, binvault.ENOTFOUND)
	if b != nil {
		t.Errorf("UpdateBinMeta(unknown) = %+v, want nil", b)
	}
}

func testDeleteBin(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	other := MustCreateBin(t, s, a.ID, `{"other":0}`)
	MustUpdateBin(t, s, other.ID, `{"other":1}`, true)
	MustUpdateBin(t, s, b.ID, `{"v":1}`, true)
	MustUpdateBin(t, s, b.ID, `{"v":2}`, true)
	MustUpdateBin(t, s, b.ID, `{"v":2.5}`, false)

	if n, err := s.DeleteBin(ctx, b.ID, 0); err != nil {
		t.Fatal(err)
	} else if n != 2 {
		t.Errorf("DeleteBin = %d, want 2 versions", n)
	}
	got, err := s.FindBin(ctx, b.ID)
	wantCode(t, "FindBin after DeleteBin", err, binvault.ENOTFOUND)
	if got != nil {
		t.Errorf("FindBin after DeleteBin = %+v, want nil", got)
	}
	for v := range 3 {
		r, err := s.FindBinVersion(ctx, b.ID, v)
		wantCode(t, "FindBinVersion after DeleteBin", err, binvault.ENOTFOUND)
		if r != nil {
			t.Errorf("FindBinVersion(%d) after DeleteBin = %q, want nil", v, r)
		}
	}
	_, err = s.DeleteBin(ctx, b.ID, 0)
	wantCode(t, "second DeleteBin", err, binvault.ENOTFOUND)

	wantBin(t, "other bin", MustFindBin(t, s, other.ID), with(other, `{"other":1}`, 1))
	wantRecord(t, "other bin's version 0", MustFindBinVersion(t, s, other.ID, 0), `{"other":0}`)
}

func testDeleteBinNoVersions(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	MustUpdateBin(t, s, b.ID, `{"v":1}`, false)
	if n, err := s.DeleteBin(t.Context(), b.ID, 0); err != nil {
		t.Fatal(err)
	} else if n != 0 {
		t.Errorf("DeleteBin = %d, want 0 versions", n)
	}
	_, err := s.FindBin(t.Context(), b.ID)
	wantCode(t, "FindBin after DeleteBin", err, binvault.ENOTFOUND)
}

// field is one compared field of a stored value.
type field struct {
	name      string
	got, want any
}

// wantFields reports every field whose got differs from its want.
func wantFields(tb testing.TB, what string, fields []field) {
	tb.Helper()
	for _, f := range fields {
		if f.got != f.want {
			tb.Errorf("%s.%s = %+v, want %+v", what, f.name, f.got, f.want)
		}
	}
}

// testConditionalUpdate: IfRev writes only over the revision it names, and
// a refused write (versioned or not) changes nothing.
func testConditionalUpdate(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "if@example.com", "if")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	next, err := s.UpdateBin(t.Context(), binvault.BinUpdate{ID: b.ID, Record: []byte(`{"v":1}`), At: at(1), IfRev: b.Rev})
	if err != nil || next.Rev <= b.Rev {
		t.Fatalf("update at the current rev: %+v, %v", next, err)
	}
	for _, versioned := range []bool{false, true} {
		_, err := s.UpdateBin(t.Context(), binvault.BinUpdate{ID: b.ID, Record: []byte(`{"v":9}`), At: at(2), IfRev: b.Rev, Versioned: versioned})
		if binvault.ErrorCode(err) != binvault.EPRECONDITION {
			t.Fatalf("stale rev (versioned %v): %v, want EPRECONDITION", versioned, err)
		}
	}
	got := MustFindBin(t, s, b.ID)
	if string(got.Record) != `{"v":1}` || got.Version != 0 || got.Rev != next.Rev {
		t.Fatalf("after refused updates: %s version %d rev %d", got.Record, got.Version, got.Rev)
	}
	if _, err := s.UpdateBin(t.Context(), binvault.BinUpdate{ID: binvault.NewID(at(3)), Record: []byte(`[]`), At: at(3), IfRev: 1}); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("conditional update of a missing bin: %v", err)
	}
}

// testConditionalDelete: a delete with IfRev removes the bin only at the
// revision it names; a stale one is EPRECONDITION and keeps the bin, and a
// missing bin stays ENOTFOUND.
func testConditionalDelete(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ifdel@example.com", "ifdel")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	next := MustUpdateBin(t, s, b.ID, `{"v":1}`, true)
	_, err := s.DeleteBin(ctx, b.ID, b.Rev)
	wantCode(t, "DeleteBin at a stale rev", err, binvault.EPRECONDITION)
	if got := MustFindBin(t, s, b.ID); got.Rev != next.Rev || string(got.Record) != `{"v":1}` {
		t.Fatalf("after a refused delete: %s rev %d, want {\"v\":1} rev %d", got.Record, got.Rev, next.Rev)
	}
	if n, err := s.DeleteBin(ctx, b.ID, next.Rev); err != nil || n != 1 {
		t.Fatalf("DeleteBin at the current rev = %d, %v; want 1 version, nil", n, err)
	}
	_, err = s.DeleteBin(ctx, b.ID, next.Rev)
	wantCode(t, "conditional DeleteBin of a deleted bin", err, binvault.ENOTFOUND)
}

// testEditBin: the edit gets the bin as stored; its result is written (as
// a new version when asked), and an edit's error changes nothing.
func testEditBin(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "edit@example.com", "edit")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	var seen string
	got, err := s.EditBin(ctx, b.ID, at(1), func(cur *binvault.Bin) ([]byte, bool, error) {
		seen = string(cur.Record)
		return []byte(`{"v":1}`), true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != `{"v":0}` || got.Version != 1 || got.Rev <= b.Rev || string(got.Record) != `{"v":1}` {
		t.Fatalf("edit saw %s; returned version %d rev %d record %s", seen, got.Version, got.Rev, got.Record)
	}
	wantRecord(t, "version 0 kept by the edit", MustFindBinVersion(t, s, b.ID, 0), `{"v":0}`)
	refusal := binvault.Errorf(binvault.ECONFLICT, "no")
	_, err = s.EditBin(ctx, b.ID, at(2), func(*binvault.Bin) ([]byte, bool, error) { return []byte(`{"v":9}`), true, refusal })
	if !errors.Is(err, refusal) {
		t.Fatalf("EditBin returned %v, want the edit's own error", err)
	}
	if cur := MustFindBin(t, s, b.ID); cur.Rev != got.Rev || string(cur.Record) != `{"v":1}` || cur.Version != 1 {
		t.Fatalf("after a refused edit: %s version %d rev %d", cur.Record, cur.Version, cur.Rev)
	}
	_, err = s.EditBin(ctx, "ffffffffffffffffffffffff", at(3), func(*binvault.Bin) ([]byte, bool, error) { return []byte(`{}`), false, nil })
	wantCode(t, "EditBin of an unknown bin", err, binvault.ENOTFOUND)
}

// testConcurrentEdits: 20 concurrent read-modify-write edits of a counter
// all count, so the read and the write are one transaction.
func testConcurrentEdits(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "count@example.com", "count")
	b := MustCreateBin(t, s, a.ID, `0`)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := s.EditBin(t.Context(), b.ID, at(1), func(cur *binvault.Bin) ([]byte, bool, error) {
				n, err := strconv.Atoi(string(cur.Record))
				return []byte(strconv.Itoa(n + 1)), false, err
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	wantRecord(t, "counter after 20 edits", MustFindBin(t, s, b.ID).Record, `20`)
}
