package httpapi_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/binvault/binvault"
)

// TestRejectedWritesChangeNothing: every refused update leaves the bin as
// it was.
func TestRejectedWritesChangeNothing(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"keep":true}`, nil)
	for name, c := range map[string]struct {
		hdr  map[string]string
		body string
	}{
		"Blank":        {jsonKey(), `{}`},
		"InvalidJSON":  {jsonKey(), `{"a":`},
		"Scalar":       {jsonKey(), `42`},
		"TooLarge":     {jsonKey(), `["` + strings.Repeat("x", 70<<10) + `"]`},
		"NoKey":        {hdr("Content-Type", "application/json"), `{"a":1}`},
		"OtherKey":     {jsonKey("X-Master-Key", "{other}"), `{"a":1}`},
		"NoPermission": {hdr("Content-Type", "application/json", "X-Access-Key", "{ak:read}"), `{"a":1}`},
		"ContentType":  {hdr("X-Master-Key", "{key}"), `{"a":1}`},
	} {
		t.Run(name, func(t *testing.T) {
			rep := strings.NewReplacer("{key}", f.key, "{other}", f.other, "{ak:read}", f.access["read"])
			h := map[string]string{}
			for k, v := range c.hdr {
				h[k] = rep.Replace(v)
			}
			if w := f.do("PUT", "/v3/b/"+id, h, c.body); w.Code == 200 {
				t.Fatalf("update accepted: %s", w.Body)
			}
			w := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "")
			if got := w.Body.String(); got != `{"keep":true}` {
				t.Fatalf("record after refused update = %s", got)
			}
			w = f.do("GET", "/v3/b/"+id+"/versions/count", hdr("X-Master-Key", f.key), "")
			if !strings.Contains(w.Body.String(), `"versionCount":0`) {
				t.Fatalf("versions after refused update: %s", w.Body)
			}
		})
	}
}

func TestCORSPreflight(t *testing.T) {
	f := MustFixture(t)
	w := f.do("OPTIONS", "/v3/b/"+missingID, hdr("Origin", "https://app.example", "Access-Control-Request-Method", "PUT",
		"Access-Control-Request-Headers", "x-master-key,content-type,x-requested-with"), "")
	if w.Code != 204 {
		t.Fatalf("status %d", w.Code)
	}
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Allow-Origin %q", got)
	}
	allowed := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"x-master-key", "x-access-key", "x-bin-meta", "x-bin-private", "x-bin-name", "x-bin-versioning",
		"x-collection-id", "x-collection-name", "x-schema-doc-id", "x-schema-doc-name", "x-sort-order", "x-json-path",
		"x-preserve-latest", "x-key-name", "content-type", "authorization", "x-requested-with"} {
		if !strings.Contains(allowed, h) {
			t.Errorf("Allow-Headers lacks %s: %s", h, allowed)
		}
	}
	if got := w.Header().Get("Access-Control-Allow-Methods"); !strings.Contains(got, "PUT") || !strings.Contains(got, "DELETE") {
		t.Errorf("Allow-Methods %q", got)
	}
}

func TestWrongMethodListsAllowed(t *testing.T) {
	f := MustFixture(t)
	w := f.do("POST", "/v3/b/"+missingID, nil, "")
	if w.Code != 405 {
		t.Fatalf("status %d", w.Code)
	}
	if got := w.Header().Get("Allow"); got != "GET, PUT, PATCH, DELETE, OPTIONS" {
		t.Errorf("Allow %q", got)
	}
}

// TestVersionsDeleteRestoresBase: without X-Preserve-Latest the base record
// is the bin's content again; with it, the newest content becomes the base.
func TestVersionsDeleteRestoresBase(t *testing.T) {
	f := MustFixture(t)
	for preserve, want := range map[string]string{"false": `{"v":0}`, "true": `{"v":2}`} {
		t.Run("Preserve"+preserve, func(t *testing.T) {
			id := f.MustBin(`{"v":0}`, nil)
			f.MustUpdate(id, `{"v":1}`, true)
			f.MustUpdate(id, `{"v":2}`, true)
			if w := f.do("DELETE", "/v3/b/"+id+"/versions", hdr("X-Master-Key", f.key, "X-Preserve-Latest", preserve), ""); w.Code != 200 {
				t.Fatalf("delete versions: %d %s", w.Code, w.Body)
			}
			if got := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != want {
				t.Errorf("record %s, want %s", got, want)
			}
			if got := f.do("GET", "/v3/b/"+id+"/0?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != want {
				t.Errorf("version 0 %s, want %s", got, want)
			}
			if w := f.do("GET", "/v3/b/"+id+"/1", hdr("X-Master-Key", f.key), ""); w.Code != 404 {
				t.Errorf("version 1 still readable: %d", w.Code)
			}
		})
	}
}

// TestUnversionedUpdateOverwritesNewest: versions stay, the newest changes.
func TestUnversionedUpdateOverwritesNewest(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"v":0}`, nil)
	f.MustUpdate(id, `{"v":1}`, true)
	f.MustUpdate(id, `{"v":"1b"}`, false)
	for path, want := range map[string]string{"/0": `{"v":0}`, "/1": `{"v":"1b"}`, "/latest": `{"v":"1b"}`} {
		if got := f.do("GET", "/v3/b/"+id+path+"?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

// TestDeletedBinIsGone: a deleted bin reads as not found, also from cache.
func TestDeletedBinIsGone(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"a":1}`, nil)
	f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "") // warm the cache
	if w := f.do("DELETE", "/v3/b/"+id, hdr("X-Master-Key", f.key), ""); w.Code != 200 {
		t.Fatalf("delete: %d", w.Code)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if w := f.do(m, "/v3/b/"+id, hdr("X-Master-Key", f.key), ""); w.Code != 404 || w.Body.String() != msg("Bin not found or it doesn't belong to your account") {
			t.Errorf("%s after delete: %d %s", m, w.Code, w.Body)
		}
	}
}

// TestReadMetadataEscapesName: the hand-written read metadata is valid JSON
// for any name, in JSONBin's key order.
func TestReadMetadataEscapesName(t *testing.T) {
	f := MustFixture(t)
	name := `a "quoted" <name> \ é`
	id := f.MustBin(`{"a":1}`, hdr("X-Bin-Name", name))
	w := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "")
	var out struct {
		Metadata struct {
			ID, Name, CreatedAt string
			Private             bool
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	if out.Metadata.Name != name || out.Metadata.ID != id || !out.Metadata.Private {
		t.Errorf("metadata %+v", out.Metadata)
	}
	if _, err := time.Parse(binvault.TimeLayout, out.Metadata.CreatedAt); err != nil {
		t.Errorf("createdAt %q: %v", out.Metadata.CreatedAt, err)
	}
	var raw struct{ Metadata json.RawMessage }
	json.Unmarshal(w.Body.Bytes(), &raw)
	if got := topKeys(t, raw.Metadata); !slices.Equal(got, []string{"id", "private", "createdAt", "name"}) {
		t.Errorf("metadata keys %v", got)
	}
}
