package httpapi_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
)

// walk pages through a collection's bins ("uncategorized" for none) and
// returns the ids in the order seen; between pages it calls between.
func (f *fixture) walk(t *testing.T, coll string, ascending bool, between func()) []string {
	t.Helper()
	order := "descending"
	if ascending {
		order = "ascending"
	}
	var ids []string
	for page := 0; ; page++ {
		path := "/v3/c/" + coll + "/bins"
		if len(ids) > 0 {
			path += "/" + ids[len(ids)-1]
		}
		w := f.do("GET", path, hdr("X-Master-Key", f.key, "X-Sort-Order", order), "")
		if w.Code != 200 {
			t.Fatalf("page %d: %d %s", page, w.Code, w.Body)
		}
		var items []map[string]json.RawMessage
		mustJSON(t, w.Body.Bytes(), &items)
		if len(items) > 10 {
			t.Fatalf("page %d has %d items", page, len(items))
		}
		for _, it := range items {
			if got := topKeys(t, mustMarshal(t, it)); len(got) != 4 {
				t.Fatalf("item keys %v", got)
			}
			var id string
			json.Unmarshal(it["record"], &id)
			ids = append(ids, id)
		}
		if len(items) < 10 {
			return ids
		}
		if between != nil {
			between()
		}
		if page > 1000 {
			t.Fatal("walk does not end")
		}
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPagingIsStableUnderConcurrentChanges: bins that exist throughout a
// walk are seen exactly once, in order, whatever is created and deleted in
// the collection between pages.
func TestPagingIsStableUnderConcurrentChanges(t *testing.T) {
	for _, ascending := range []bool{false, true} {
		for seed := range uint64(4) {
			f := MustFixture(t)
			rng := rand.New(rand.NewPCG(seed, 7))
			coll := f.MustCollection(f.key, "Paged")
			in := hdr("X-Collection-Id", coll)
			var stable, volatile []string
			for range 35 {
				stable = append(stable, f.MustBin(`{"s":1}`, in))
			}
			for range 10 {
				volatile = append(volatile, f.MustBin(`{"v":1}`, in))
			}
			between := func() {
				for range rng.IntN(4) {
					volatile = append(volatile, f.MustBin(`{"v":2}`, in))
				}
				if len(volatile) > 0 {
					i := rng.IntN(len(volatile))
					f.do("DELETE", "/v3/b/"+volatile[i], hdr("X-Master-Key", f.key), "")
					volatile = slices.Delete(volatile, i, i+1)
				}
			}
			seen := f.walk(t, coll, ascending, between)
			count := map[string]int{}
			for _, id := range seen {
				count[id]++
			}
			for _, id := range stable {
				if count[id] != 1 {
					t.Fatalf("ascending=%v seed %d: bin %s seen %d times", ascending, seed, id, count[id])
				}
			}
			sorted := slices.Clone(seen)
			slices.Sort(sorted)
			if !ascending {
				slices.Reverse(sorted)
			}
			if !slices.Equal(seen, sorted) {
				t.Fatalf("ascending=%v: not in order: %v", ascending, seen)
			}
		}
	}
}

// TestPagingSortsByCreation: newest first by default, oldest first when
// ascending; uncategorized bins are those in no collection.
func TestPagingSortsByCreation(t *testing.T) {
	f := MustFixture(t)
	coll := f.MustCollection(f.key, "Ordered")
	var made []string
	for range 12 {
		made = append(made, f.MustBin(`[1]`, hdr("X-Collection-Id", coll)))
	}
	loose := f.MustBin(`[2]`, nil)
	if got := f.walk(t, coll, true, nil); !slices.Equal(got, made) {
		t.Errorf("ascending %v, want creation order %v", got, made)
	}
	desc := slices.Clone(made)
	slices.Reverse(desc)
	if got := f.walk(t, coll, false, nil); !slices.Equal(got, desc) {
		t.Errorf("descending %v, want %v", got, desc)
	}
	unc := f.walk(t, "uncategorized", false, nil)
	if !slices.Contains(unc, loose) || slices.Contains(unc, made[0]) {
		t.Errorf("uncategorized %v", unc)
	}
}

// TestPagingByPageNumber: the older documented form /bins/<page number>.
func TestPagingByPageNumber(t *testing.T) {
	f := MustFixture(t)
	coll := f.MustCollection(f.key, "Numbered")
	for range 13 {
		f.MustBin(`[1]`, hdr("X-Collection-Id", coll))
	}
	all := f.walk(t, coll, false, nil)
	for page, want := range map[string][]string{"1": all[:10], "2": all[10:], "3": nil} {
		w := f.do("GET", "/v3/c/"+coll+"/bins/"+page, hdr("X-Master-Key", f.key), "")
		var items []struct{ Record string }
		mustJSON(t, w.Body.Bytes(), &items)
		var got []string
		for _, it := range items {
			got = append(got, it.Record)
		}
		if !slices.Equal(got, want) {
			t.Errorf("page %s: %v, want %v", page, got, want)
		}
	}
}
