package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// TestConditionalRequests: reads carry a strong ETag that changes on every
// write; If-None-Match answers 304; a PUT with a stale If-Match is 412 with
// the current ETag and changes nothing.
func TestConditionalRequests(t *testing.T) {
	onEveryStore(t, func(t *testing.T) {
		f := MustFixture(t)
		id := f.MustBin(`{"n":0}`, nil)
		read := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key), "")
		etag := read.Header().Get("ETag")
		if etag == "" || etag[0] != '"' {
			t.Fatalf("ETag %q", etag)
		}
		if w := f.do("GET", "/v3/b/"+id+"/latest", hdr("X-Master-Key", f.key, "If-None-Match", etag), ""); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
			t.Fatalf("If-None-Match current: %d %s", w.Code, w.Body)
		}
		put := f.do("PUT", "/v3/b/"+id, withHdr(jsonHdr(f.key), "If-Match", etag), `{"n":1}`)
		if put.Code != 200 || put.Header().Get("ETag") == etag || put.Header().Get("ETag") == "" {
			t.Fatalf("PUT with the current ETag: %d %q", put.Code, put.Header().Get("ETag"))
		}
		stale := f.do("PUT", "/v3/b/"+id, withHdr(jsonHdr(f.key), "If-Match", etag), `{"n":2}`)
		if stale.Code != http.StatusPreconditionFailed || stale.Body.String() != msg("The bin has changed since you read it: read it again and retry") ||
			stale.Header().Get("ETag") != put.Header().Get("ETag") {
			t.Fatalf("PUT with a stale ETag: %d %s %q", stale.Code, stale.Body, stale.Header().Get("ETag"))
		}
		if got := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "").Body.String(); got != `{"n":1}` {
			t.Fatalf("after the refused PUT: %s", got)
		}
		if w := f.do("GET", "/v3/b/"+id, hdr("X-Master-Key", f.key, "If-None-Match", etag), ""); w.Code != 200 {
			t.Fatalf("If-None-Match stale: %d", w.Code)
		}
		if w := f.do("PUT", "/v3/b/"+id, withHdr(jsonHdr(f.key), "If-Match", "W/\"x\""), `{"n":3}`); w.Code != http.StatusPreconditionFailed {
			t.Fatalf("a foreign tag: %d", w.Code)
		}
		if w := f.do("PUT", "/v3/b/"+id, jsonHdr(f.key), `{"n":4}`); w.Code != 200 {
			t.Fatalf("without If-Match, last writer wins: %d", w.Code)
		}
	})
}

// TestNoLostUpdatesWithIfMatch: 50 clients each add one user by
// read-modify-write with If-Match, retrying on 412: all 50 are there.
func TestNoLostUpdatesWithIfMatch(t *testing.T) {
	f := MustFixture(t)
	id := f.MustBin(`[]`, nil)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for attempt := 0; attempt < 500; attempt++ {
				r := f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "")
				var users []string
				json.Unmarshal(r.Body.Bytes(), &users)
				body, _ := json.Marshal(append(users, fmt.Sprintf("user%d", i)))
				w := f.do("PUT", "/v3/b/"+id, withHdr(jsonHdr(f.key), "If-Match", r.Header().Get("ETag")), string(body))
				if w.Code == 200 {
					return
				} else if w.Code != http.StatusPreconditionFailed {
					t.Errorf("client %d: %d %s", i, w.Code, w.Body)
					return
				}
			}
			t.Errorf("client %d never got its write in", i)
		})
	}
	wg.Wait()
	var users []string
	json.Unmarshal(f.do("GET", "/v3/b/"+id+"?meta=false", hdr("X-Master-Key", f.key), "").Body.Bytes(), &users)
	if len(users) != 50 {
		t.Fatalf("%d users after 50 conditional adds", len(users))
	}
}

// withHdr adds one header to h.
func withHdr(h map[string]string, name, value string) map[string]string {
	h[name] = value
	return h
}
