package storetest

import (
	"fmt"
	"testing"

	"github.com/binvault/binvault"
)

func versionTests() []test {
	return []test{
		{"UnversionedUpdateOverwritesInPlace", testUnversionedUpdate},
		{"VersionedUpdateKeepsOldRecord", testVersionedUpdate},
		{"UnversionedUpdateAfterVersionedReplacesNewest", testMixedUpdates},
		{"MissingVersionNotFound", testMissingVersion},
		{"UpdateOfUnknownBinNotFound", testUpdateUnknownBin},
		{"DeleteVersionsRestoresBase", testDeleteVersionsRestoresBase},
		{"DeleteVersionsPreservingLatestKeepsNewest", testDeleteVersionsPreserveLatest},
		{"DeleteVersionsWithoutVersionsChangesNothing", testDeleteVersionsNoVersions},
		{"DeleteVersionsOfUnknownBinNotFound", testDeleteVersionsUnknown},
	}
}

// update replaces the record of want's bin, checks the result and what
// FindBin sees against want with the new record and version, and that Rev
// moved past rev. It returns the new Rev.
func update(tb testing.TB, s binvault.Store, want *binvault.Bin, rev int64, record string, versioned bool, version int) int64 {
	tb.Helper()
	got := MustUpdateBin(tb, s, want.ID, record, versioned)
	what := fmt.Sprintf("UpdateBin(%s, versioned=%v)", record, versioned)
	wantBin(tb, what, got, with(want, record, version))
	wantBin(tb, "FindBin after "+what, MustFindBin(tb, s, want.ID), with(want, record, version))
	if got.Rev <= rev {
		tb.Errorf("%s: Rev = %d, want more than %d", what, got.Rev, rev)
	}
	return got.Rev
}

// wantNoVersion reports a version that can be read.
func wantNoVersion(tb testing.TB, s binvault.Store, id string, version int) {
	tb.Helper()
	r, err := s.FindBinVersion(tb.Context(), id, version)
	wantCode(tb, fmt.Sprintf("FindBinVersion(%d)", version), err, binvault.ENOTFOUND)
	if r != nil {
		tb.Errorf("FindBinVersion(%d) = %q, want nil", version, r)
	}
}

func testUnversionedUpdate(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	rev := update(t, s, b, b.Rev, `{"v":1}`, false, 0)
	update(t, s, b, rev, `{"v":2}`, false, 0)
	wantNoVersion(t, s, b.ID, 0)
	wantNoVersion(t, s, b.ID, 1)
}

func testVersionedUpdate(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	rev := update(t, s, b, b.Rev, `{"v":1}`, true, 1)
	update(t, s, b, rev, `{"v":2}`, true, 2)
	wantRecord(t, "FindBinVersion(0)", MustFindBinVersion(t, s, b.ID, 0), `{"v":0}`)
	wantRecord(t, "FindBinVersion(1)", MustFindBinVersion(t, s, b.ID, 1), `{"v":1}`)
}

func testMixedUpdates(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	rev := update(t, s, b, b.Rev, `{"v":1}`, true, 1)
	rev = update(t, s, b, rev, `{"v":"1b"}`, false, 1)
	update(t, s, b, rev, `{"v":2}`, true, 2)
	wantRecord(t, "FindBinVersion(0)", MustFindBinVersion(t, s, b.ID, 0), `{"v":0}`)
	wantRecord(t, "FindBinVersion(1)", MustFindBinVersion(t, s, b.ID, 1), `{"v":"1b"}`)
}

func testMissingVersion(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	MustUpdateBin(t, s, b.ID, `{"v":1}`, true)
	wantNoVersion(t, s, b.ID, 5)
	wantNoVersion(t, s, b.ID, -1)
	wantNoVersion(t, s, binvault.NewID(at(0)), 0)
}

func testUpdateUnknownBin(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	id := binvault.NewID(at(0))
	for _, versioned := range []bool{false, true} {
		b, err := s.UpdateBin(ctx, binvault.BinUpdate{ID: id, Record: []byte(`{}`), Versioned: versioned, At: at(1)})
		wantCode(t, fmt.Sprintf("UpdateBin(unknown, versioned=%v)", versioned), err, binvault.ENOTFOUND)
		if b != nil {
			t.Errorf("UpdateBin(unknown) = %+v, want nil", b)
		}
	}
	_, err := s.FindBin(ctx, id)
	wantCode(t, "FindBin after updating an unknown bin", err, binvault.ENOTFOUND)
	wantNoVersion(t, s, id, 0)
}

// deleteVersions calls DeleteBinVersions and checks its count, its result
// and what FindBin sees against want; it returns the bin's new Rev.
func deleteVersions(tb testing.TB, s binvault.Store, want *binvault.Bin, preserveLatest bool, wantN int) int64 {
	tb.Helper()
	n, got, err := s.DeleteBinVersions(tb.Context(), want.ID, preserveLatest)
	if err != nil {
		tb.Fatalf("DeleteBinVersions(preserveLatest=%v): %v", preserveLatest, err)
	} else if n != wantN {
		tb.Errorf("DeleteBinVersions(preserveLatest=%v) = %d, want %d", preserveLatest, n, wantN)
	}
	wantBin(tb, "DeleteBinVersions result", got, want)
	found := MustFindBin(tb, s, want.ID)
	wantBin(tb, "FindBin after DeleteBinVersions", found, want)
	if got != nil && got.Rev != found.Rev {
		tb.Errorf("DeleteBinVersions returned Rev %d, FindBin %d", got.Rev, found.Rev)
	}
	return found.Rev
}

func testDeleteVersionsRestoresBase(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	MustUpdateBin(t, s, b.ID, `{"v":1}`, true)
	rev := MustUpdateBin(t, s, b.ID, `{"v":2}`, true).Rev

	if got := deleteVersions(t, s, b, false, 2); got <= rev {
		t.Errorf("Rev = %d after DeleteBinVersions, want more than %d", got, rev)
	}
	wantNoVersion(t, s, b.ID, 0)
	wantNoVersion(t, s, b.ID, 1)
	MustUpdateBin(t, s, b.ID, `{"v":"new"}`, true)
	wantRecord(t, "version 0 after versioning again", MustFindBinVersion(t, s, b.ID, 0), `{"v":0}`)
}

func testDeleteVersionsPreserveLatest(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	MustUpdateBin(t, s, b.ID, `{"v":1}`, true)
	rev := MustUpdateBin(t, s, b.ID, `{"v":2}`, true).Rev

	if got := deleteVersions(t, s, with(b, `{"v":2}`, 0), true, 2); got <= rev {
		t.Errorf("Rev = %d after DeleteBinVersions, want more than %d", got, rev)
	}
	wantNoVersion(t, s, b.ID, 0)
	wantNoVersion(t, s, b.ID, 1)
	MustUpdateBin(t, s, b.ID, `{"v":"new"}`, true)
	wantRecord(t, "version 0 after versioning again", MustFindBinVersion(t, s, b.ID, 0), `{"v":2}`)
}

func testDeleteVersionsNoVersions(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	b := MustCreateBin(t, s, a.ID, `{"v":0}`)
	rev := MustUpdateBin(t, s, b.ID, `{"v":1}`, false).Rev
	for _, preserveLatest := range []bool{false, true} {
		if got := deleteVersions(t, s, with(b, `{"v":1}`, 0), preserveLatest, 0); got != rev {
			t.Errorf("Rev = %d after DeleteBinVersions(preserveLatest=%v) of a bin without versions, want %d unchanged",
				got, preserveLatest, rev)
		}
	}
	wantNoVersion(t, s, b.ID, 0)
}

func testDeleteVersionsUnknown(t *testing.T, s binvault.Store) {
	for _, preserveLatest := range []bool{false, true} {
		_, b, err := s.DeleteBinVersions(t.Context(), binvault.NewID(at(0)), preserveLatest)
		wantCode(t, "DeleteBinVersions(unknown)", err, binvault.ENOTFOUND)
		if b != nil {
			t.Errorf("DeleteBinVersions(unknown) = %+v, want nil", b)
		}
	}
}
