package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// benchWrite100KiB sends write requests from parallel clients over 16 bins
// of 100 KiB, as `go run ./bench -scenarios put-100k,patch-100k` does.
func benchWrite100KiB(b *testing.B, method, contentType, body string) {
	f := MustFixtureConfig(b, func(c *binvaultConfig) { c.MaxBinSize = 1 << 20 })
	big := `{"kind":"bench","seq":0,"pad":"` + strings.Repeat("abcdefghij", 10<<10) + `"}`
	var ids []string
	for range 16 {
		ids = append(ids, f.MustBin(big, nil))
	}
	var n atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[n.Add(1)%16]
			r := httptest.NewRequest(method, "/v3/b/"+id, strings.NewReader(body))
			r.Header.Set("Content-Type", contentType)
			r.Header.Set("X-Master-Key", f.key)
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != 200 {
				panic(fmt.Sprintf("%d %s", w.Code, w.Body))
			}
		}
	})
}

func BenchmarkPut100KiB(b *testing.B) {
	big := `{"kind":"bench","seq":1,"pad":"` + strings.Repeat("abcdefghij", 10<<10) + `"}`
	benchWrite100KiB(b, "PUT", "application/json", big)
}

func BenchmarkPatch100KiB(b *testing.B) {
	benchWrite100KiB(b, "PATCH", mergeType, `{"seq":1}`)
}
