package storetest

import (
	"testing"
	"time"

	"github.com/binvault/binvault"
)

func limitTests() []test {
	return []test{
		{"AccountLimitsRoundTrip", testAccountLimits},
		{"AccountLimitsMoveAuthVersion", testLimitsMoveAuthVersion},
		{"CreateBinStopsAtMaxBins", testMaxBins},
		{"CreateKeyStopsAtMaxOfKind", testMaxKeys},
		{"RequestCountsAddUpPerPeriod", testRequests},
		{"CountBinsPerAccount", testCountBins},
		{"HeartbeatCountsLiveNodes", testHeartbeat},
	}
}

func testAccountLimits(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "limits@example.com", "limits")
	if got := a.Limits; got != (binvault.Limits{}) {
		t.Fatalf("new account has limits %+v", got)
	}
	reqs, bins, size, keys, versioning := int64(1000), 0, 512, 5, false
	want := binvault.Limits{RequestsPerMonth: &reqs, MaxBins: &bins, MaxBinSize: &size, MaxAccessKeys: &keys, Versioning: &versioning}
	if err := s.SetAccountLimits(t.Context(), a.ID, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindAccount(t.Context(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := got.Limits
	if l.RequestsPerMonth == nil || *l.RequestsPerMonth != reqs || l.MaxBins == nil || *l.MaxBins != 0 ||
		l.MaxBinSize == nil || *l.MaxBinSize != size || l.MaxAccessKeys == nil || *l.MaxAccessKeys != keys ||
		l.Versioning == nil || *l.Versioning {
		t.Fatalf("limits read back as %+v", l)
	}
	if err := s.SetAccountLimits(t.Context(), a.ID, binvault.Limits{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindAccount(t.Context(), a.ID); got.Limits != (binvault.Limits{}) {
		t.Fatalf("limits after reset %+v", got.Limits)
	}
	if err := s.SetAccountLimits(t.Context(), binvault.NewID(at(0)), want); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("unknown account: %v", err)
	}
}

func testLimitsMoveAuthVersion(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "epoch@example.com", "epoch")
	before := s.AuthVersion()
	if err := s.SetAccountLimits(t.Context(), a.ID, binvault.Limits{}); err != nil {
		t.Fatal(err)
	}
	if s.AuthVersion() == before {
		t.Fatal("AuthVersion did not move")
	}
}

func testMaxBins(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "bins@example.com", "bins")
	other := MustCreateAccount(t, s, "other@example.com", "other")
	MustCreateBin(t, s, other.ID, `{"other":1}`) // other accounts' bins do not count
	for i := range 3 {
		b := &binvault.Bin{ID: binvault.NewID(at(int64(i))), AccountID: a.ID, CreatedAt: at(0), Record: []byte(`[1]`)}
		err := s.CreateBin(t.Context(), b, 2)
		if i < 2 && err != nil {
			t.Fatalf("bin %d: %v", i+1, err)
		} else if i == 2 && binvault.ErrorCode(err) != binvault.EFORBIDDEN {
			t.Fatalf("third bin: %v, want EFORBIDDEN", err)
		}
		if i == 2 {
			if _, err := s.FindBin(t.Context(), b.ID); binvault.ErrorCode(err) != binvault.ENOTFOUND {
				t.Fatalf("refused bin stored: %v", err)
			}
		}
	}
}

func testMaxKeys(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "keys@example.com", "keys")
	mk := func(i int, kind binvault.KeyKind) *binvault.Key {
		return &binvault.Key{ID: binvault.NewID(at(int64(i))), AccountID: a.ID, Kind: kind, Prefix: "bv_ak_000000",
			Digest: binvault.Digest(binvault.NewID(at(int64(i)))), CreatedAt: at(0)}
	}
	for i := range 2 {
		if err := s.CreateKey(t.Context(), mk(i, binvault.KindAccess), 2); err != nil {
			t.Fatalf("key %d: %v", i+1, err)
		}
	}
	if err := s.CreateKey(t.Context(), mk(2, binvault.KindAccess), 2); binvault.ErrorCode(err) != binvault.EFORBIDDEN {
		t.Fatalf("third access key: %v, want EFORBIDDEN", err)
	}
	if err := s.CreateKey(t.Context(), mk(3, binvault.KindAPI), 2); err != nil {
		t.Fatalf("API keys are counted apart: %v", err)
	}
	ks, _ := s.ListKeys(t.Context(), a.ID, binvault.KindAccess)
	if err := s.RevokeKey(t.Context(), a.ID, ks[0].ID, at(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateKey(t.Context(), mk(4, binvault.KindAccess), 2); err != nil {
		t.Fatalf("after a revocation: %v", err)
	}
}

func testRequests(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "req@example.com", "req")
	b := MustCreateAccount(t, s, "req2@example.com", "req2")
	if n, err := s.Requests(t.Context(), a.ID, "2026-11"); err != nil || n != 0 {
		t.Fatalf("no requests yet: %d, %v", n, err)
	}
	for _, counts := range []map[string]int64{{a.ID: 3, b.ID: 1}, {a.ID: 4}} {
		if err := s.AddRequests(t.Context(), "2026-11", counts); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRequests(t.Context(), "2026-12", map[string]int64{a.ID: 100}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, period string
		want       int64
	}{{a.ID, "2026-11", 7}, {b.ID, "2026-11", 1}, {a.ID, "2026-12", 100}, {b.ID, "2026-12", 0}} {
		if n, err := s.Requests(t.Context(), c.id, c.period); err != nil || n != c.want {
			t.Errorf("Requests(%s, %s) = %d, %v; want %d", c.id, c.period, n, err, c.want)
		}
	}
}

func testCountBins(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "count@example.com", "count")
	for range 3 {
		MustCreateBin(t, s, a.ID, `[1]`)
	}
	if n, err := s.CountBins(t.Context(), a.ID); err != nil || n != 3 {
		t.Fatalf("CountBins = %d, %v; want 3", n, err)
	}
}

func testHeartbeat(t *testing.T, s binvault.Store) {
	ttl := 10 * time.Second
	if n, err := s.Heartbeat(t.Context(), "node-a", at(0), ttl); err != nil || n != 1 {
		t.Fatalf("first node: %d, %v", n, err)
	}
	if n, err := s.Heartbeat(t.Context(), "node-b", at(1000), ttl); err != nil || n != 2 {
		t.Fatalf("second node: %d, %v", n, err)
	}
	if n, err := s.Heartbeat(t.Context(), "node-a", at(2000), ttl); err != nil || n != 2 {
		t.Fatalf("node a again: %d, %v", n, err)
	}
	// node-b falls silent; after the ttl it no longer counts.
	if n, err := s.Heartbeat(t.Context(), "node-a", at(12000), ttl); err != nil || n != 1 {
		t.Fatalf("after node b's ttl: %d, %v", n, err)
	}
}
