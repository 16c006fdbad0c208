// Package storetest is the conformance suite every binvault.Store must
// pass: one test body, run against each backend (the SQLite store today,
// PostgreSQL later), so that the Vault can rely on the Store contract
// whichever store is plugged in.
//
// The suite talks to the store through the binvault.Store interface only.
package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

// Run runs the whole suite. open is called once per subtest and must return
// a new, empty store whose closing it arranges itself (with t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) binvault.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Accounts", accountTests()},
		{"Keys", keyTests()},
		{"Bins", binTests()},
		{"Versions", versionTests()},
		{"Concurrency", concurrencyTests()},
		{"Limits", limitTests()},
		{"Collections", collectionTests()},
		{"Activity", activityTests()},
		{"Sessions", sessionTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(t, open(t))
				})
			}
		})
	}
}

// test is one behaviour, checked on a fresh store.
type test struct {
	name string
	fn   func(t *testing.T, s binvault.Store)
}

// at returns a fixed instant plus ms milliseconds, in UTC and with
// millisecond precision, which is what every store keeps of a time.
func at(ms int64) time.Time {
	return time.Date(2026, 11, 23, 10, 4, 5, 678_000_000, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}

// MustCreateAccount creates an account with the given email ("" for none)
// and name, and fails the test if the store refuses it.
func MustCreateAccount(tb testing.TB, s binvault.Store, email, name string) *binvault.Account {
	tb.Helper()
	a := &binvault.Account{ID: binvault.NewID(at(0)), Email: email, Name: name, CreatedAt: at(0)}
	if err := s.CreateAccount(tb.Context(), a); err != nil {
		tb.Fatalf("CreateAccount(%q, %q): %v", email, name, err)
	}
	return a
}

// MustCreateKey creates a key of the account for secret, and fails the test
// if the store refuses it.
func MustCreateKey(tb testing.TB, s binvault.Store, accountID string, kind binvault.KeyKind, secret string) *binvault.Key {
	tb.Helper()
	k := &binvault.Key{
		ID: binvault.NewID(at(0)), AccountID: accountID, Kind: kind, Name: "key " + secret,
		Prefix: prefix(secret), Digest: binvault.Digest(secret), CreatedAt: at(0),
	}
	if err := s.CreateKey(tb.Context(), k, 0); err != nil {
		tb.Fatalf("CreateKey(%q): %v", secret, err)
	}
	return k
}

// MustCreateBin creates a public, unnamed bin of the account holding
// record, and fails the test if the store refuses it.
func MustCreateBin(tb testing.TB, s binvault.Store, accountID, record string) *binvault.Bin {
	tb.Helper()
	b := &binvault.Bin{ID: binvault.NewID(at(0)), AccountID: accountID, CreatedAt: at(0), Record: []byte(record)}
	if err := s.CreateBin(tb.Context(), b, 0); err != nil {
		tb.Fatalf("CreateBin: %v", err)
	}
	return b
}

// MustFindBin returns the bin with that id, or fails the test.
func MustFindBin(tb testing.TB, s binvault.Store, id string) *binvault.Bin {
	tb.Helper()
	b, err := s.FindBin(tb.Context(), id)
	if err != nil {
		tb.Fatalf("FindBin(%s): %v", id, err)
	} else if b == nil {
		tb.Fatalf("FindBin(%s) = nil, nil", id)
	}
	return b
}

// MustUpdateBin replaces a bin's record, or fails the test.
func MustUpdateBin(tb testing.TB, s binvault.Store, id, record string, versioned bool) *binvault.Bin {
	tb.Helper()
	b, err := s.UpdateBin(tb.Context(), binvault.BinUpdate{ID: id, Record: []byte(record), Versioned: versioned, At: at(1000)})
	if err != nil {
		tb.Fatalf("UpdateBin(%s, versioned=%v): %v", id, versioned, err)
	} else if b == nil {
		tb.Fatalf("UpdateBin(%s) = nil, nil", id)
	}
	return b
}

// MustFindBinVersion returns the record of one of a bin's older versions,
// or fails the test.
func MustFindBinVersion(tb testing.TB, s binvault.Store, id string, version int) []byte {
	tb.Helper()
	r, err := s.FindBinVersion(tb.Context(), id, version)
	if err != nil {
		tb.Fatalf("FindBinVersion(%s, %d): %v", id, version, err)
	}
	return r
}

// wantCode reports an error unless err carries the code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := binvault.ErrorCode(err); got != code {
		tb.Errorf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
}

// wantRecord reports an error unless got holds exactly the bytes of want.
func wantRecord(tb testing.TB, what string, got []byte, want string) {
	tb.Helper()
	if string(got) != want {
		tb.Errorf("%s: record %s", what, diffBytes(got, []byte(want)))
	}
}

// diffBytes describes how got differs from want without printing a
// megabyte of JSON.
func diffBytes(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	show := func(b []byte) string {
		end := min(len(b), i+40)
		return fmt.Sprintf("%q", b[max(0, i-20):end])
	}
	if len(got) <= 200 && len(want) <= 200 {
		return fmt.Sprintf("= %q, want %q", got, want)
	}
	return fmt.Sprintf("(%d bytes) differs from want (%d bytes) at byte %d: %s, want %s", len(got), len(want), i, show(got), show(want))
}

// wantTime reports an error unless got is want, in UTC.
func wantTime(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if !got.Equal(want) {
		tb.Errorf("%s = %v, want %v", what, got, want)
	} else if got.Location() != time.UTC {
		tb.Errorf("%s is in %v, want UTC", what, got.Location())
	}
}

func prefix(secret string) string {
	if len(secret) > binvault.KeyPrefixLen {
		return secret[:binvault.KeyPrefixLen]
	}
	return secret
}
