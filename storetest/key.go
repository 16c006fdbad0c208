package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

func keyTests() []test {
	return []test{
		{"KeyRoundTripsEveryField", testKeyRoundTrip},
		{"DuplicateDigestConflicts", testDuplicateDigest},
		{"UnknownDigestNotFound", testUnknownDigest},
		{"ListKeysFiltersByAccountAndKindOldestFirst", testListKeys},
		{"RevokedKeyIsGone", testRevokeKey},
		{"RevokingTwiceNotFound", testRevokeTwice},
		{"RevokingAnotherAccountsKeyNotFound", testRevokeForeignKey},
		{"TouchKeySetsLastUsedAt", testTouchKey},
		{"TouchKeyNeverMovesBackwards", testTouchKeyBackwards},
	}
}

// wantKey reports every field in which got differs from want.
func wantKey(tb testing.TB, what string, got, want *binvault.Key) {
	tb.Helper()
	if got == nil {
		tb.Errorf("%s = nil", what)
		return
	}
	wantFields(tb, what, []field{
		{"ID", got.ID, want.ID},
		{"AccountID", got.AccountID, want.AccountID},
		{"Kind", got.Kind, want.Kind},
		{"Name", got.Name, want.Name},
		{"Prefix", got.Prefix, want.Prefix},
		{"Permissions", got.Permissions, want.Permissions},
	})
	if !bytes.Equal(got.Digest, want.Digest) {
		tb.Errorf("%s.Digest = %x, want %x", what, got.Digest, want.Digest)
	}
	wantTime(tb, what+".CreatedAt", got.CreatedAt, want.CreatedAt)
	if want.LastUsedAt.IsZero() {
		if !got.LastUsedAt.IsZero() {
			tb.Errorf("%s.LastUsedAt = %v, want zero (never used)", what, got.LastUsedAt)
		}
	} else {
		wantTime(tb, what+".LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	}
}

// Every permission is stored on its own: a store that mixes two of them up
// fails one of the single-permission keys.
func testKeyRoundTrip(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	for i, tc := range []struct {
		kind  binvault.KeyKind
		perms binvault.Permissions
	}{
		{binvault.KindAPI, binvault.Permissions{}},
		{binvault.KindAccess, binvault.Permissions{}},
		{binvault.KindAccess, binvault.Permissions{Create: true}},
		{binvault.KindAccess, binvault.Permissions{Read: true}},
		{binvault.KindAccess, binvault.Permissions{Update: true}},
		{binvault.KindAccess, binvault.Permissions{Delete: true}},
		{binvault.KindAccess, binvault.Permissions{Read: true, Delete: true}},
		{binvault.KindAccess, binvault.Permissions{Create: true, Read: true, Update: true, Delete: true}},
	} {
		secret := fmt.Sprintf("bv_secret_%02d_%s", i, tc.kind)
		k := &binvault.Key{
			ID: binvault.NewID(at(0)), AccountID: a.ID, Kind: tc.kind, Name: fmt.Sprintf("ключ «%d»", i),
			Prefix: prefix(secret), Digest: binvault.Digest(secret), Permissions: tc.perms,
			CreatedAt: at(int64(i)*1001 + 7),
		}
		if err := s.CreateKey(ctx, k, 0); err != nil {
			t.Fatalf("CreateKey(%s %+v): %v", tc.kind, tc.perms, err)
		}
		got, err := s.FindKeyByDigest(ctx, binvault.Digest(secret))
		if err != nil {
			t.Errorf("FindKeyByDigest(%s %+v): %v", tc.kind, tc.perms, err)
			continue
		}
		wantKey(t, fmt.Sprintf("key %d", i), got, k)
	}
}

func testDuplicateDigest(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	first := MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_duplicate")
	dup := &binvault.Key{ID: binvault.NewID(at(0)), AccountID: a.ID, Kind: binvault.KindAccess, Name: "dup",
		Prefix: first.Prefix, Digest: first.Digest, CreatedAt: at(5)}
	wantCode(t, "CreateKey with a taken digest", s.CreateKey(ctx, dup, 0), binvault.ECONFLICT)

	got, err := s.FindKeyByDigest(ctx, first.Digest)
	if err != nil {
		t.Fatal(err)
	}
	wantKey(t, "FindKeyByDigest", got, first)
}

func testUnknownDigest(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_known")
	k, err := s.FindKeyByDigest(t.Context(), binvault.Digest("bv_mk_unknown"))
	wantCode(t, "FindKeyByDigest(unknown)", err, binvault.ENOTFOUND)
	if k != nil {
		t.Errorf("FindKeyByDigest(unknown) = %+v, want nil", k)
	}
}

// Ids are chosen so that their order is the opposite of the keys' age: a
// store that sorts by id, or not at all, fails.
func testListKeys(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	ada := MustCreateAccount(t, s, "ada@example.com", "Ada")
	bob := MustCreateAccount(t, s, "bob@example.com", "Bob")
	mk := func(id string, acc *binvault.Account, kind binvault.KeyKind, ms int64) *binvault.Key {
		t.Helper()
		k := &binvault.Key{ID: id, AccountID: acc.ID, Kind: kind, Name: id[len(id)-2:],
			Prefix: "bv_" + id[len(id)-2:], Digest: binvault.Digest(id), CreatedAt: at(ms)}
		if kind == binvault.KindAccess {
			k.Permissions.Read = true
		}
		if err := s.CreateKey(ctx, k, 0); err != nil {
			t.Fatalf("CreateKey(%s): %v", id, err)
		}
		return k
	}
	middle := mk("0000000000000000000000a3", ada, binvault.KindAPI, 2000)
	newest := mk("0000000000000000000000a1", ada, binvault.KindAPI, 3000)
	oldest := mk("0000000000000000000000a9", ada, binvault.KindAPI, 1000)
	access := mk("0000000000000000000000b1", ada, binvault.KindAccess, 500)
	bobs := mk("0000000000000000000000c1", bob, binvault.KindAPI, 10)

	for _, tc := range []struct {
		account string
		kind    binvault.KeyKind
		want    []*binvault.Key
	}{
		{ada.ID, binvault.KindAPI, []*binvault.Key{oldest, middle, newest}},
		{ada.ID, binvault.KindAccess, []*binvault.Key{access}},
		{bob.ID, binvault.KindAPI, []*binvault.Key{bobs}},
		{bob.ID, binvault.KindAccess, nil},
	} {
		got, err := s.ListKeys(ctx, tc.account, tc.kind)
		if err != nil {
			t.Fatalf("ListKeys(%s, %s): %v", tc.account, tc.kind, err)
		}
		wantKeyList(t, fmt.Sprintf("ListKeys(%s, %s)", tc.account, tc.kind), got, tc.want)
	}
}

// wantKeyList reports a list of keys that differs from want in ids, order
// or any field.
func wantKeyList(tb testing.TB, what string, got, want []*binvault.Key) {
	tb.Helper()
	ids := func(ks []*binvault.Key) []string {
		var s []string
		for _, k := range ks {
			s = append(s, k.ID)
		}
		return s
	}
	if len(got) != len(want) {
		tb.Errorf("%s = %v, want %v", what, ids(got), ids(want))
		return
	}
	for i := range got {
		if got[i].ID != want[i].ID {
			tb.Errorf("%s = %v, want %v", what, ids(got), ids(want))
			return
		}
		wantKey(tb, fmt.Sprintf("%s[%d]", what, i), got[i], want[i])
	}
}

func testRevokeKey(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	kept := MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_kept")
	revoked := MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_revoked")

	before := s.AuthVersion()
	if err := s.RevokeKey(ctx, a.ID, revoked.ID, at(10)); err != nil {
		t.Fatal(err)
	}
	if after := s.AuthVersion(); after == before {
		t.Errorf("AuthVersion = %d both before and after a revocation", after)
	}
	k, err := s.FindKeyByDigest(ctx, revoked.Digest)
	wantCode(t, "FindKeyByDigest(revoked)", err, binvault.ENOTFOUND)
	if k != nil {
		t.Errorf("FindKeyByDigest(revoked) = %+v, want nil", k)
	}
	if _, err := s.FindKeyByDigest(ctx, kept.Digest); err != nil {
		t.Errorf("FindKeyByDigest(other key of the account): %v", err)
	}
	got, err := s.ListKeys(ctx, a.ID, binvault.KindAPI)
	if err != nil {
		t.Fatal(err)
	}
	wantKeyList(t, "ListKeys after revoking one", got, []*binvault.Key{kept})
}

func testRevokeTwice(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	k := MustCreateKey(t, s, a.ID, binvault.KindAccess, "bv_ak_twice")
	if err := s.RevokeKey(ctx, a.ID, k.ID, at(10)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "second RevokeKey", s.RevokeKey(ctx, a.ID, k.ID, at(20)), binvault.ENOTFOUND)
	wantCode(t, "RevokeKey(unknown id)", s.RevokeKey(ctx, a.ID, binvault.NewID(at(0)), at(20)), binvault.ENOTFOUND)
}

func testRevokeForeignKey(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	ada := MustCreateAccount(t, s, "ada@example.com", "Ada")
	eve := MustCreateAccount(t, s, "eve@example.com", "Eve")
	k := MustCreateKey(t, s, ada.ID, binvault.KindAPI, "bv_mk_adas")

	wantCode(t, "RevokeKey of another account's key", s.RevokeKey(ctx, eve.ID, k.ID, at(10)), binvault.ENOTFOUND)
	got, err := s.FindKeyByDigest(ctx, k.Digest)
	if err != nil {
		t.Fatalf("key revoked by another account: %v", err)
	}
	wantKey(t, "FindKeyByDigest", got, k)
}

func testTouchKey(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	used := MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_used")
	unused := MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_unused")

	if err := s.TouchKeys(ctx, map[string]time.Time{used.ID: at(4321)}); err != nil {
		t.Fatal(err)
	}
	used.LastUsedAt = at(4321)
	got, err := s.FindKeyByDigest(ctx, used.Digest)
	if err != nil {
		t.Fatal(err)
	}
	wantKey(t, "touched key", got, used)
	got, err = s.FindKeyByDigest(ctx, unused.Digest)
	if err != nil {
		t.Fatal(err)
	}
	wantKey(t, "untouched key", got, unused)
}

// Requests finish out of order, so an older use may be recorded after a
// newer one; LastUsedAt keeps the newest.
func testTouchKeyBackwards(t *testing.T, s binvault.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "ada@example.com", "Ada")
	k := MustCreateKey(t, s, a.ID, binvault.KindAPI, "bv_mk_touched")
	newest := int64(0)
	for _, ms := range []int64{5000, 3000, 9000, 8999, 9000} {
		if err := s.TouchKeys(ctx, map[string]time.Time{k.ID: at(ms)}); err != nil {
			t.Fatalf("TouchKey(%d): %v", ms, err)
		}
		newest = max(newest, ms)
		got, err := s.FindKeyByDigest(ctx, k.Digest)
		if err != nil {
			t.Fatal(err)
		}
		wantTime(t, fmt.Sprintf("LastUsedAt after a use at +%dms", ms), got.LastUsedAt, at(newest))
	}
}
