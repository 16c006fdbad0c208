package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/binvault/binvault"
	"github.com/binvault/binvault/httpapi"
	"github.com/binvault/binvault/keys"
	"github.com/binvault/binvault/postgres"
)

const (
	mergeType = "application/merge-patch+json"
	jpType    = "application/json-patch+json"
)

// patchHdr sends key (master, or access when it starts bv_ak_) with a patch
// content type.
func patchHdr(key, contentType string, extra ...string) map[string]string {
	h := hdr(append([]string{"Content-Type", contentType}, extra...)...)
	if strings.HasPrefix(key, "bv_ak_") {
		h["X-Access-Key"] = key
	} else if key != "" {
		h["X-Master-Key"] = key
	}
	return h
}

// record reads a bin's newest record with the admin key.
func (f *fixture) record(id string) string {
	f.t.Helper()
	return f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "").Body.String()
}

// TestPatchAnswersLikePut: both patch formats write the patched record and
// answer with PUT's shape and a new ETag.
func TestPatchAnswersLikePut(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		id := f.MustBin(`{"name":"ada","tags":["a"],"n":1.50}`, nil)
		before := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "").Header().Get("ETag")

		w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, mergeType), `{"name":"grace","age":36}`)
		if w.Code != 200 {
			t.Fatalf("merge patch: %d %s", w.Code, w.Body)
		}
		want := `{"record":{"name":"grace","tags":["a"],"n":1.50,"age":36},"metadata":{"parentId":"` + id + `","private":true}}`
		if w.Body.String() != want {
			t.Fatalf("merge patch answered\n %s\nwant\n %s", w.Body, want)
		}
		if etag := w.Header().Get("ETag"); etag == "" || etag == before {
			t.Fatalf("ETag after patch %q, before %q", etag, before)
		}

		w = f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, jpType+"; charset=utf-8"),
			`[{"op":"test","path":"/name","value":"grace"},{"op":"add","path":"/tags/-","value":"b"},{"op":"remove","path":"/age"}]`)
		if w.Code != 200 {
			t.Fatalf("json patch: %d %s", w.Code, w.Body)
		}
		if got, want := f.record(id), `{"name":"grace","tags":["a","b"],"n":1.50}`; got != want {
			t.Fatalf("after the json patch: %s, want %s", got, want)
		}
		w = f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, mergeType), "{ \"o\" : { \"a\" : [ 1 , \"x y\" ] } }")
		if got, want := f.record(id), `{"name":"grace","tags":["a","b"],"n":1.50,"o":{"a":[1,"x y"]}}`; w.Code != 200 || got != want {
			t.Fatalf("a patch with whitespace: %d, stored %s, want %s compact", w.Code, got, want)
		}
	})
}

// TestPatchRefusesOtherContentTypes: 415 with a JSON message, nothing
// changed.
func TestPatchRefusesOtherContentTypes(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"v":1}`, nil)
	for _, ct := range []string{"application/json", "text/plain", "", "application/merge-patch"} {
		w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, ct), `{"v":2}`)
		if w.Code != http.StatusUnsupportedMediaType || w.Body.String() != msg(binvault.MsgPatchContentType) {
			t.Errorf("Content-Type %q: %d %s", ct, w.Code, w.Body)
		}
	}
	if got := f.record(id); got != `{"v":1}` {
		t.Fatalf("bin changed by refused patches: %s", got)
	}
}

// TestPatchObeysEveryPutRule sends, for each rule, a PUT and a merge patch
// that would produce the same record, and wants the same answer from both;
// a refused patch changes nothing.
func TestPatchObeysEveryPutRule(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixtureConfig(t, func(c *binvault.Config) { c.MaxBinSize = 256 })
		schema := f.MustSchemaDoc(f.key, "people", `{"type":"object","properties":{"age":{"type":"integer"}}}`)
		coll := f.MustCollection(f.key, "people")
		if w := f.do("PUT", "/v3/c/"+coll+"/schemadoc/add", hdr("X-Master-Key", f.key, "X-Schema-Doc-Id", schema), ""); w.Code != 200 {
			t.Fatalf("attach schema: %d %s", w.Code, w.Body)
		}
		for _, tc := range []struct {
			name, key, put, patch string
			extra                 []string
			status                int
		}{
			{"PrivateBinNeedsKey", "", `{"age":2}`, `{"age":2}`, nil, 401},
			{"RevokedKeyRefused", f.revoked, `{"age":2}`, `{"age":2}`, nil, 401},
			{"OtherAccountRefused", f.other, `{"age":2}`, `{"age":2}`, nil, 401},
			{"AccessKeyWithoutUpdateRefused", f.access["read"], `{"age":2}`, `{"age":2}`, nil, 403},
			{"AccessKeyWithUpdateAllowed", f.access["all"], `{"age":1,"x":1}`, `{"x":1}`, nil, 200},
			{"SchemaMismatchRefused", f.key, `{"age":"old"}`, `{"age":"old"}`, nil, 400},
			{"BlankResultRefused", f.key, `{}`, `{"age":null}`, nil, 400},
			{"TooLargeResultRefused", f.key, `{"age":1,"s":"` + strings.Repeat("x", 300) + `"}`, `{"s":"` + strings.Repeat("x", 300) + `"}`, nil, 413},
			{"BadVersioningHeaderRefused", f.key, `{"age":3}`, `{"age":3}`, []string{"X-Bin-Versioning", "maybe"}, 400},
			{"InvalidBinID", f.key, `{"age":3}`, `{"age":3}`, nil, 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				id := f.MustBin(`{"age":1}`, hdr("X-Collection-Id", coll))
				target := id
				if tc.name == "InvalidBinID" {
					target = "nope"
				}
				putHdr := patchHdr(tc.key, "application/json", tc.extra...)
				put := f.do("PUT", "/v3/b/"+target, putHdr, tc.put)
				f.MustUpdate(id, `{"age":1}`, false) // undo an accepted PUT
				patch := f.do("PATCH", "/v3/b/"+target, patchHdr(tc.key, mergeType, tc.extra...), tc.patch)
				if patch.Code != tc.status || put.Code != tc.status {
					t.Fatalf("PUT %d %s, PATCH %d %s; want both %d", put.Code, put.Body, patch.Code, patch.Body, tc.status)
				}
				if patch.Body.String() != put.Body.String() {
					t.Fatalf("PATCH answered %s, PUT %s", patch.Body, put.Body)
				}
				if tc.status != 200 {
					if got := f.record(id); got != `{"age":1}` {
						t.Fatalf("refused patch changed the bin: %s", got)
					}
				}
			})
		}
	})
}

// TestPatchVersioning: X-Bin-Versioning keeps the old record as a version,
// as PUT does, and the answer names the new version.
func TestPatchVersioning(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"v":0}`, nil)
	w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, jpType, "X-Bin-Versioning", "true"), `[{"op":"replace","path":"/v","value":1}]`)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"version":1`) {
		t.Fatalf("versioned patch: %d %s", w.Code, w.Body)
	}
	if got := f.do("GET", "/v3/b/"+id+"/0?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != `{"v":0}` {
		t.Fatalf("version 0 after a versioned patch: %s", got)
	}
}

// TestPatchFailuresChangeNothing: malformed patches are 400, patches that
// do not fit the record (a failed test) are 409, and neither writes.
func TestPatchFailuresChangeNothing(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"v":1,"list":[1]}`, nil)
	for _, tc := range []struct {
		name, ct, body string
		status         int
	}{
		{"MergeNotJSON", mergeType, `{"v":`, 400},
		{"JSONPatchNotAnArray", jpType, `{"op":"add","path":"/x","value":1}`, 400},
		{"JSONPatchUnknownOp", jpType, `[{"op":"frob","path":"/v"}]`, 400},
		{"FailedTestWritesNothing", jpType, `[{"op":"replace","path":"/v","value":2},{"op":"test","path":"/v","value":1}]`, 409},
		{"MissingPath", jpType, `[{"op":"remove","path":"/nope"}]`, 409},
		{"ResultNotAnObjectOrArray", mergeType, `"text"`, 400},
		{"ResultTooDeep", mergeType, `{"d":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400},
		{"ResultTooDeepByJSONPatch", jpType, `[{"op":"add","path":"/d","value":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}]`, 400},
		{"PatchNotUTF8", mergeType, "{\"v\":\"\xff\"}", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, tc.ct), tc.body)
			var body struct{ Message string }
			if w.Code != tc.status || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Message == "" {
				t.Fatalf("%d %s, want %d with a message", w.Code, w.Body, tc.status)
			}
			if got := f.record(id); got != `{"v":1,"list":[1]}` {
				t.Fatalf("bin changed: %s", got)
			}
		})
	}
}

// TestIfMatchOnPatchAndDelete: a stale If-Match is 412 with the current
// ETag and changes nothing; the current one goes through.
func TestIfMatchOnPatchAndDelete(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		id := f.MustBin(`{"v":0}`, nil)
		stale := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "").Header().Get("ETag")
		f.MustUpdate(id, `{"v":1}`, false)
		current := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "").Header().Get("ETag")

		for _, tc := range []struct{ method, ct, body string }{
			{"PATCH", mergeType, `{"v":2}`},
			{"PATCH", jpType, `[{"op":"replace","path":"/v","value":2}]`},
			{"DELETE", "", ""},
		} {
			for _, tag := range []string{stale, `W/` + current, `"junk"`} {
				w := f.do(tc.method, "/v3/b/"+id, patchHdr(f.key, tc.ct, "If-Match", tag), tc.body)
				if w.Code != http.StatusPreconditionFailed || w.Body.String() != msg(binvault.MsgPreconditionFailed) || w.Header().Get("ETag") != current {
					t.Fatalf("%s %s with If-Match %s: %d %s ETag %q", tc.method, tc.ct, tag, w.Code, w.Body, w.Header().Get("ETag"))
				}
				if got := f.record(id); got != `{"v":1}` {
					t.Fatalf("refused %s changed the bin: %s", tc.method, got)
				}
			}
		}
		// A refused conditional request is still authenticated first.
		if w := f.do("DELETE", "/v3/b/"+id, hdr("If-Match", stale), ""); w.Code != 401 {
			t.Fatalf("DELETE without a key but with If-Match: %d %s", w.Code, w.Body)
		}
		w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, mergeType, "If-Match", current), `{"v":2}`)
		if w.Code != 200 {
			t.Fatalf("PATCH with the current ETag: %d %s", w.Code, w.Body)
		}
		if w := f.do("DELETE", "/v3/b/"+id, hdr("X-Master-Key", f.key, "If-Match", w.Header().Get("ETag")), ""); w.Code != 200 {
			t.Fatalf("DELETE with the current ETag: %d %s", w.Code, w.Body)
		}
		if w := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), ""); w.Code != 404 {
			t.Fatalf("read after a conditional delete: %d", w.Code)
		}
	})
}

// TestNoLostUpdatesWithJSONPatch: 50 clients each append one user with a
// JSON Patch add to /- at once, without If-Match: all 50 are there.
func TestNoLostUpdatesWithJSONPatch(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		id := f.MustBin(`{"users":[]}`, nil)
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				op := fmt.Sprintf(`[{"op":"add","path":"/users/-","value":"user%d"}]`, i)
				if w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, jpType), op); w.Code != 200 {
					t.Errorf("client %d: %d %s", i, w.Code, w.Body)
				}
			})
		}
		wg.Wait()
		var rec struct{ Users []string }
		mustJSON(t, []byte(f.record(id)), &rec)
		seen := map[string]bool{}
		for _, u := range rec.Users {
			seen[u] = true
		}
		if len(rec.Users) != 50 || len(seen) != 50 {
			t.Fatalf("%d users (%d distinct) after 50 concurrent appends", len(rec.Users), len(seen))
		}
	})
}

// TestPatchIsInTheActivityLog: a patch is recorded like any write.
func TestPatchIsInTheActivityLog(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`{"v":0}`, nil)
	w := f.do("PATCH", "/v3/b/"+id, patchHdr(f.key, mergeType), `{"v":1}`)
	rid := w.Header().Get("X-Request-Id")
	f.vault.Close() // flushes the log
	entries, _ := f.activity(t, "?limit=100")
	for _, e := range entries {
		if e.RequestID == rid {
			if e.Method != "PATCH" || e.Route != "PATCH /v3/b/{id}" || e.ResourceID != id || e.Status != 200 || e.AuthMethod != "api_key" {
				t.Fatalf("patch entry %+v", e)
			}
			return
		}
	}
	t.Fatalf("patch request %s not in the activity log", rid)
}

// TestNoLostPatchesAcrossNodes: two servers on one PostgreSQL database take
// 50 concurrent appends between them; patches that lose a race on one node
// to a write from the other are re-applied, so all 50 are there.
func TestNoLostPatchesAcrossNodes(t *testing.T) {
	url := os.Getenv("BINVAULT_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("BINVAULT_TEST_POSTGRES_URL not set: the two-node run needs PostgreSQL")
	}
	url = freshSchema(t, url)
	var nodes [2]http.Handler
	var key string
	for i := range nodes {
		store, err := postgres.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		v := binvault.NewVault(store, keys.Format{}, binvault.Config{CacheBytes: -1})
		t.Cleanup(func() { v.Close() })
		if i == 0 {
			if key, err = v.Bootstrap(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		nodes[i] = httpapi.New(v, slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{})
	}
	send := func(node int, method, path, ct, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("X-Master-Key", key)
		r.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		nodes[node].ServeHTTP(w, r)
		return w
	}
	w := send(0, "POST", "/v3/b", "application/json", `{"users":[]}`)
	var created struct{ Metadata struct{ ID string } }
	mustJSON(t, w.Body.Bytes(), &created)
	id := created.Metadata.ID
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			op := fmt.Sprintf(`[{"op":"add","path":"/users/-","value":"user%d"}]`, i)
			if w := send(i%2, "PATCH", "/v3/b/"+id, jpType, op); w.Code != 200 {
				t.Errorf("client %d: %d %s", i, w.Code, w.Body)
			}
		})
	}
	wg.Wait()
	var rec struct{ Users []string }
	mustJSON(t, []byte(send(1, "GET", "/v3/b/"+id+"?meta=false", "", "").Body.String()), &rec)
	if len(rec.Users) != 50 {
		t.Fatalf("%d users after 50 appends over two nodes", len(rec.Users))
	}
}

// TestEveryBinWriteAnswersItsETag: create, rename and privacy answer the
// ETag a read would give next, so a client can go on conditionally.
func TestEveryBinWriteAnswersItsETag(t *testing.T) {
	f := MustFixture(t)
	created := f.do("POST", "/v3/b", jsonHdr(f.key), `{"v":0}`)
	var out struct{ Metadata struct{ ID string } }
	mustJSON(t, created.Body.Bytes(), &out)
	id := out.Metadata.ID
	read := func() string { return f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "").Header().Get("ETag") }
	if got, want := created.Header().Get("ETag"), read(); got == "" || got != want {
		t.Fatalf("create answered ETag %q, a read %q", got, want)
	}
	for _, h := range []map[string]string{
		hdr("X-Master-Key", f.key, "X-Bin-Name", "n"),
		hdr("X-Master-Key", f.key, "X-Bin-Private", "false"),
	} {
		route := "/meta/name"
		if _, ok := h["X-Bin-Private"]; ok {
			route = "/meta/privacy"
		}
		w := f.do("PUT", "/v3/b/"+id+route, h, "")
		if got, want := w.Header().Get("ETag"), read(); w.Code != 200 || got == "" || got != want {
			t.Fatalf("meta write: %d, ETag %q, a read %q", w.Code, got, want)
		}
	}
}
