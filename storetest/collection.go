package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

func collectionTests() []test {
	return []test{
		{"CollectionRoundTrip", testCollectionRoundTrip},
		{"CreateCollectionStopsAtMax", testMaxCollections},
		{"ListBinsPagesByIDWithinCollection", testListBins},
		{"SchemaDocRevMovesOnlyWithSchema", testSchemaDocRev},
	}
}

func testCollectionRoundTrip(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "c@example.com", "c")
	c := &binvault.Collection{ID: binvault.NewID(at(0)), AccountID: a.ID, Name: "People", CreatedAt: at(5)}
	if err := s.CreateCollection(t.Context(), c, 0); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindCollection(t.Context(), c.ID)
	if err != nil || *got != *c {
		t.Fatalf("FindCollection = %+v, %v; want %+v", got, err, c)
	}
	c.Name, c.SchemaDocID = "Renamed", binvault.NewID(at(1))
	before := s.AuthVersion()
	if err := s.UpdateCollection(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	if s.AuthVersion() == before {
		t.Error("UpdateCollection did not move AuthVersion: other nodes would keep validating with a detached schema")
	}
	if list, err := s.ListCollections(t.Context(), a.ID); err != nil || len(list) != 1 || *list[0] != *c {
		t.Fatalf("ListCollections = %v, %v", list, err)
	}
	missing := &binvault.Collection{ID: binvault.NewID(at(2)), AccountID: a.ID}
	if err := s.UpdateCollection(t.Context(), missing); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("update of a missing collection: %v", err)
	}
	if _, err := s.FindCollection(t.Context(), missing.ID); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("find of a missing collection: %v", err)
	}
}

func testMaxCollections(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "m@example.com", "m")
	for i := range 3 {
		c := &binvault.Collection{ID: binvault.NewID(at(int64(i))), AccountID: a.ID, Name: "c", CreatedAt: at(0)}
		err := s.CreateCollection(t.Context(), c, 2)
		if i < 2 && err != nil {
			t.Fatalf("collection %d: %v", i+1, err)
		} else if i == 2 && binvault.ErrorCode(err) != binvault.EFORBIDDEN {
			t.Fatalf("third collection: %v, want EFORBIDDEN", err)
		}
	}
}

func testListBins(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "p@example.com", "p")
	coll := binvault.NewID(at(0))
	var in, loose []string
	for i := range 7 {
		t0 := at(0).Add(time.Duration(i) * time.Millisecond)
		b := &binvault.Bin{ID: binvault.NewID(t0), AccountID: a.ID, CreatedAt: t0, Record: []byte(`[1]`), Name: "n"}
		if i%2 == 0 {
			b.CollectionID = coll
			in = append(in, b.ID)
		} else {
			loose = append(loose, b.ID)
		}
		if err := s.CreateBin(t.Context(), b, 0); err != nil {
			t.Fatal(err)
		}
	}
	page := func(collection, after string, asc bool, limit int) []string {
		bins, err := s.ListBins(t.Context(), binvault.BinPage{AccountID: a.ID, CollectionID: collection, After: after, Ascending: asc, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, b := range bins {
			if b.Record != nil || b.Name != "n" {
				t.Fatalf("page item %+v: want metadata without record", b)
			}
			ids = append(ids, b.ID)
		}
		return ids
	}
	if got := page(coll, "", true, 10); !slices.Equal(got, in) {
		t.Errorf("ascending %v, want %v", got, in)
	}
	desc := slices.Clone(in)
	slices.Reverse(desc)
	if got := page(coll, "", false, 2); !slices.Equal(got, desc[:2]) {
		t.Errorf("first descending page %v, want %v", got, desc[:2])
	}
	if got := page(coll, desc[1], false, 10); !slices.Equal(got, desc[2:]) {
		t.Errorf("after %s: %v, want %v", desc[1], got, desc[2:])
	}
	if got := page("", "", true, 10); !slices.Equal(got, loose) {
		t.Errorf("uncategorized %v, want %v", got, loose)
	}
	named := &binvault.Bin{ID: binvault.NewID(at(50)), AccountID: a.ID, Name: "Users List", CreatedAt: at(50), Record: []byte(`[1,2,3]`)}
	if err := s.CreateBin(t.Context(), named, 0); err != nil {
		t.Fatal(err)
	}
	found, err := s.ListBins(t.Context(), binvault.BinPage{AccountID: a.ID, NameContains: "users l", Limit: 10})
	if err != nil || len(found) != 1 || found[0].ID != named.ID || found[0].Size != 7 {
		t.Fatalf("search by name: %+v, %v", found, err)
	}
}

func testSchemaDocRev(t *testing.T, s binvault.Store) {
	a := MustCreateAccount(t, s, "s@example.com", "s")
	d := &binvault.SchemaDoc{ID: binvault.NewID(at(0)), AccountID: a.ID, Name: "User", Schema: []byte(`{"type":"object"}`), CreatedAt: at(3)}
	if err := s.CreateSchemaDoc(t.Context(), d); err != nil {
		t.Fatal(err)
	}
	rev := d.Rev
	d.Name = "Renamed"
	if err := s.UpdateSchemaDoc(t.Context(), d); err != nil || d.Rev != rev {
		t.Fatalf("rename: rev %d -> %d, %v", rev, d.Rev, err)
	}
	d.Schema = []byte(`{"type":"array"}`)
	before := s.AuthVersion()
	if err := s.UpdateSchemaDoc(t.Context(), d); err != nil || d.Rev <= rev {
		t.Fatalf("new schema: rev %d -> %d, %v", rev, d.Rev, err)
	}
	if s.AuthVersion() == before {
		t.Error("UpdateSchemaDoc did not move AuthVersion")
	}
	got, err := s.FindSchemaDoc(t.Context(), d.ID)
	if err != nil || got.Name != "Renamed" || string(got.Schema) != `{"type":"array"}` || got.Rev != d.Rev || !got.CreatedAt.Equal(d.CreatedAt) {
		t.Fatalf("FindSchemaDoc = %+v, %v", got, err)
	}
	if _, err := s.FindSchemaDoc(t.Context(), binvault.NewID(at(9))); binvault.ErrorCode(err) != binvault.ENOTFOUND {
		t.Fatalf("missing schema doc: %v", err)
	}
	other := MustCreateAccount(t, s, "s2@example.com", "s2")
	if err := s.CreateSchemaDoc(t.Context(), &binvault.SchemaDoc{ID: binvault.NewID(at(4)), AccountID: other.ID, Name: "Theirs", Schema: []byte(`{}`), CreatedAt: at(4)}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListSchemaDocs(t.Context(), a.ID); err != nil || len(list) != 1 || list[0].ID != d.ID || string(list[0].Schema) != `{"type":"array"}` {
		t.Fatalf("ListSchemaDocs = %v, %v", list, err)
	}
}
