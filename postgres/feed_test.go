package postgres_test

import (
	"testing"

	"github.com/binvault/binvault/storetest"
)

// BinRevs answers, for a set of ids, each existing bin's current Rev as
// any node committed it; deleted and unknown ids are absent.
func TestBinRevs(t *testing.T) {
	url := FreshSchema(t)
	a, b := MustOpen(t, url), MustOpen(t, url)
	acct := storetest.MustCreateAccount(t, a, "ada@example.com", "Ada")
	kept := storetest.MustCreateBin(t, a, acct.ID, `{"n":0}`)
	gone := storetest.MustCreateBin(t, a, acct.ID, `{"n":0}`)
	updated := storetest.MustUpdateBin(t, a, kept.ID, `{"n":1}`, false)
	if _, err := a.DeleteBin(t.Context(), gone.ID, 0); err != nil {
		t.Fatal(err)
	}
	revs, err := b.BinRevs(t.Context(), []string{kept.ID, gone.ID, "111111111111111111111111"})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 1 || revs[kept.ID] != updated.Rev {
		t.Fatalf("BinRevs = %v, want only %s at %d", revs, kept.ID, updated.Rev)
	}
}
