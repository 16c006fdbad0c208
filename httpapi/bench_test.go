package httpapi_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// kib is a 1 KiB record, as in the load test (go run ./bench).
var kib = `{"data":"` + strings.Repeat("x", 1024-11) + `"}`

// BenchmarkReadLatest is an authenticated read of a private bin through the
// whole handler, served from the cache. It reports; it asserts no time.
func BenchmarkReadLatest(b *testing.B) {
	benchReadLatest(b, MustFixture(b))
}

// benchReadLatest reads one 1 KiB bin with f's key from parallel clients.
func benchReadLatest(b *testing.B, f *fixture) {
	id := f.MustBin(kib, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/v3/b/"+id+"/latest", nil)
			r.Header.Set("X-Master-Key", f.key)
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkUpdate is a durable unversioned PUT of 1 KiB to one of 16 bins,
// from parallel clients, so that group commit batches them.
func BenchmarkUpdate(b *testing.B) {
	f := MustFixture(b)
	ids := make([]string, 16)
	for i := range ids {
		ids[i] = f.MustBin(kib, nil)
	}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			r := httptest.NewRequest("PUT", "/v3/b/"+ids[i%len(ids)], strings.NewReader(kib))
			r.Header.Set("X-Master-Key", f.key)
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// BenchmarkReadLatestAccessKey is BenchmarkReadLatest with an access key,
// which adds the permission check.
func BenchmarkReadLatestAccessKey(b *testing.B) {
	f := MustFixture(b)
	id := f.MustBin(kib, nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/v3/b/"+id+"/latest", nil)
			r.Header.Set("X-Access-Key", f.access["read"])
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}
